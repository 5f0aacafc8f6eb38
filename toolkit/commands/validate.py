"""``multisub validate [DIR] [--on DATE] [--horizon DAYS] [--plan FILE]``: provisioning and
access findings (SPEC §5), errors first, and optionally the remap plan as a worklist.

Exit status 1 when an error-severity finding exists, so a scheduled job or CI step can fail
on a tenant that has already cut someone off; 0 otherwise; 2 for bad input (handled by the
CLI). Without ``--on`` the day is the latest date in the data (see
:func:`toolkit.provisioning.validation.latest_date`), never the machine's clock.
"""

from __future__ import annotations

import datetime as dt
import shutil
import textwrap
from pathlib import Path

from toolkit.commands.cli import day, horizon_days, tenant_dir_argument
from toolkit.inputs.dataset import load_tenant_dir
from toolkit.present.export import plan_to_csv
from toolkit.provisioning.remap import remap_plan
from toolkit.provisioning.validation import SEVERITIES, latest_date, validate

EXIT_ERRORS = 1


def register(subparsers) -> None:
    parser = subparsers.add_parser("validate", help="who is about to lose access, and other "
                                                    "provisioning problems")
    tenant_dir_argument(parser)
    parser.add_argument("--on", type=day, metavar="DATE",
                        help="evaluation day, YYYY-MM-DD (default: the latest date in the data)")
    parser.add_argument("--horizon", type=horizon_days, default=60, metavar="DAYS",
                        help="warn about subscriptions ending within DAYS (default 60)")
    parser.add_argument("--plan", type=Path, metavar="FILE",
                        help="also write the remap plan (.csv, .xlsx or .parquet)")
    parser.set_defaults(run=run)


def run(args) -> int:
    data = load_tenant_dir(args.dir)
    on = args.on or latest_date(data.tenant, data.users)
    findings = validate(data.tenant, data.users, on, args.horizon)
    source = "given" if args.on else "the latest date in the data"
    print(f"{data.tenant.name}: validation on {on} ({source}), horizon {args.horizon} days")
    if data.users is None:
        print("no users.csv: user mapping rules (user-unmapped, user-on-inactive-subscription, "
              "access-at-risk, duplicate-agent-license) were not checked")
    print(summary(findings))
    print(render(findings))
    if args.plan:
        _write_plan(data, on, args.horizon, args.plan)
    return EXIT_ERRORS if (findings["severity"] == "error").any() else 0


def summary(findings) -> str:
    counts = findings["severity"].value_counts()
    parts = [f"{counts.get(s, 0)} {s}{'s' if counts.get(s, 0) != 1 else ''}" for s in SEVERITIES]
    return ", ".join(parts)


def render(findings, width: int | None = None) -> str:
    """Findings grouped by severity: a header per group, then rule, subject and the wrapped
    message under it, so long messages stay readable in a terminal."""
    width = width or min(shutil.get_terminal_size((100, 24)).columns, 120)
    lines = []
    for severity in SEVERITIES:
        group = findings[findings["severity"] == severity]
        if group.empty:
            continue
        lines += ["", f"{severity.upper()}S ({len(group)})"]
        for row in group.itertuples(index=False):
            lines.append(f"  {row.rule:<31} {row.subject}")
            lines += textwrap.wrap(row.message, width=width, initial_indent="      ",
                                   subsequent_indent="      ")
    return "\n".join(lines)


def _write_plan(data, on: dt.date, horizon: int, path: Path) -> None:
    if data.users is None:
        print(f"no users.csv: no remap plan written to {path}")
        return
    plan = remap_plan(data.tenant, data.users, on, horizon)
    written = plan_to_csv(plan, path)
    without = int(plan["to_subscription"].isna().sum())
    print(f"\nwrote {written}: {len(plan)} mapping(s) to move, {without} without a target")

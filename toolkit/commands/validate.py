"""``multisub validate [DIR] [--on DATE] [--horizon DAYS] [--plan FILE] [--licenses FILE]``:
provisioning and access findings (docs/rules.md, V1–V7), grouped and counted by rule, errors
first, and optionally the remap plan as a worklist or as Webex API request bodies.

Exit status 1 when an error-severity finding exists, so a scheduled job or CI step can fail
on a tenant that has already cut someone off; 0 otherwise; 2 for bad input (handled by the
CLI). Without ``--on`` the day is the tenant's as-of day (:attr:`Workspace.default_as_of`: the last
day of the last month with usage), the day every other command and notebook uses; a tenant
directory without usage falls back to the latest date in the tenant file and users table
(:func:`toolkit.provisioning.validation.latest_date`). Never the machine's clock.

Why findings are grouped: when a subscription lapses, dozens of users get the same finding
in the same words; an analyst needs "36 agents: …" once, not 36 paragraphs.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd

from toolkit.atomic import write_text
from toolkit.commands.cli import COMMANDS, day, horizon_days, tenant_dir_argument
from toolkit.errors import InputError, Problem
from toolkit.findings import alike
from toolkit.inputs.webex.control_hub import load_webex_licenses
from toolkit.present.export import plan_to_csv
from toolkit.present.text import listing, paragraph, plural
from toolkit.provisioning.remap import license_operations, plan_to_patch_bodies, remap_plan
from toolkit.provisioning.validation import RULES, SEVERITIES, latest_date, validate
from toolkit.workspace import Workspace

EXIT_ERRORS = 1
#: The file ``multisub import-webex`` writes next to users.csv, read for ``--plan FILE.json``.
LICENSES_FILE = "licenses.csv"
AS_OF_SOURCE = "the last day of the last month with usage"
FALLBACK_SOURCE = "the latest date in the data"
_RULE_IDS = {rule.id: rule.spec for rule in RULES}


def register(subparsers) -> None:
    parser = subparsers.add_parser("validate", help=COMMANDS["validate"])
    tenant_dir_argument(parser)
    parser.add_argument("--on", type=day, metavar="DATE",
                        help="evaluation day, YYYY-MM-DD (default: the as-of day, the last "
                             "day of the last month with usage)")
    parser.add_argument("--horizon", type=horizon_days, default=60, metavar="DAYS",
                        help="warn about subscriptions ending within DAYS (default 60)")
    parser.add_argument("--plan", type=Path, metavar="FILE",
                        help="also write the remap plan: .csv, .xlsx or .parquet for Control "
                             "Hub, or .json for the Webex PATCH /v1/licenses/users bodies")
    parser.add_argument("--licenses", type=Path, metavar="FILE",
                        help="for --plan FILE.json: the GET /v1/licenses export (JSON file or "
                             "folder of pages) or import-webex's licenses.csv (default: "
                             "licenses.csv in the tenant directory)")
    parser.set_defaults(run=run)


def evaluation_day(data, given: dt.date | None) -> tuple[dt.date, str]:
    """The day to validate on and how it was chosen (printed, so nobody guesses)."""
    if given is not None:
        return given, "given"
    as_of = data.default_as_of
    if as_of is not None:
        return as_of, AS_OF_SOURCE
    return latest_date(data.tenant, data.users), FALLBACK_SOURCE


def run(args) -> int:
    if args.plan:
        _check_plan(args)
    data = Workspace.open(args.dir)
    on, source = evaluation_day(data, args.on)
    findings = validate(data.tenant, data.users, on, args.horizon)
    print(paragraph(f"{data.tenant.name}: validation as of {on} ({source}), horizon "
                    f"{args.horizon} days"))
    if data.users is None:
        print(paragraph("no users.csv: user mapping rules (user-unmapped, "
                        "user-on-inactive-subscription, access-at-risk, "
                        "duplicate-agent-license) were not checked"))
    print(summary(findings))
    print(render(findings))
    if args.plan:
        _write_plan(data, on, args.horizon, args.plan, args.licenses)
    return EXIT_ERRORS if (findings["severity"] == "error").any() else 0


def summary(findings: pd.DataFrame) -> str:
    """``N findings under R rules: a errors, b warnings, c infos``."""
    counts = findings["severity"].value_counts()
    parts = [plural(int(counts.get(s, 0)), s) for s in SEVERITIES]
    rules = findings["rule"].nunique()
    return (f"{plural(len(findings), 'finding')} under {plural(rules, 'rule')}: "
            + ", ".join(parts))


def render(findings: pd.DataFrame, width: int | None = None) -> str:
    """Findings by severity, then by rule (with its count and rule id), then by wording:
    identical findings are listed as their subjects under one example message."""
    lines: list[str] = []
    for severity in SEVERITIES:
        group = findings[findings["severity"] == severity]
        if group.empty:
            continue
        lines += ["", f"{severity.upper()}S ({len(group)})"]
        for rule, rows in group.groupby("rule", sort=False):
            lines.append(f"{rule} ({_RULE_IDS.get(str(rule), '')}): {plural(len(rows), 'finding')}")
            lines += _rule_lines(rows, width)
    return "\n".join(lines)


def _rule_lines(rows: pd.DataFrame, width: int | None) -> list[str]:
    lines = []
    for subjects, message in alike(rows):
        if len(subjects) == 1:
            lines.append(f"  {subjects[0]}")
        else:
            lines.append(f"  {len(subjects)} with the same finding:")
            lines.append(listing(subjects, "    ", width))
            lines.append(f"    for example {subjects[0]}:")
        lines.append(paragraph(message, "      ", width))
    return lines


def _write_plan(data, on: dt.date, horizon: int, path: Path, licenses_path) -> None:
    if data.users is None:
        print(f"no users.csv: no remap plan written to {path}")
        return
    plan = remap_plan(data.tenant, data.users, on, horizon)
    without = int(plan["to_subscription"].isna().sum())
    if path.suffix.lower() == ".json":
        _write_bodies(data, plan, path, licenses_path)
        return
    written = plan_to_csv(plan, path)
    print(f"\nwrote {written}: {len(plan)} mapping(s) to move, {without} without a target")


def _write_bodies(data, plan: pd.DataFrame, path: Path, licenses_path) -> None:
    """The ``PATCH /v1/licenses/users`` bodies (nothing is sent); every plan row that cannot
    become one is printed with its reason, never dropped silently."""
    licenses = _licenses(data, licenses_path)
    bodies = plan_to_patch_bodies(plan, licenses)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text(path, json.dumps(bodies, indent=2, ensure_ascii=False) + "\n")
    notes = license_operations(plan, licenses)["note"].dropna()
    made = plural(len(bodies), "PATCH /v1/licenses/users body", "PATCH /v1/licenses/users bodies")
    print(f"\nwrote {path}: {made} for {plural(len(plan), 'mapping')} to move (nothing is sent)")
    for note, count in notes.value_counts(sort=False).sort_index().items():
        print(paragraph(f"{plural(int(count), 'mapping')}: {note}", "    ", first_indent="  "))


def _check_plan(args) -> None:
    """``--plan`` is none of the files validate reads (the tenant's, the license export)."""
    # imported here: ``owners`` imports this module and writes nothing
    from toolkit.commands.outputs import check_outputs, tenant_inputs

    tenant = tenant_inputs(args.dir)
    check_outputs([args.plan], [*tenant, args.licenses or tenant[0].parent / LICENSES_FILE])


def _licenses(data, given: Path | None) -> pd.DataFrame:
    path = given or data.directory / LICENSES_FILE
    if not path.exists():
        raise InputError([Problem(str(path), "", "", None,
                                  "the Webex license export, to look up license ids for the "
                                  "request bodies: --licenses LICENSES.json (GET /v1/licenses) "
                                  "or licenses.csv from multisub import-webex")])
    if path.suffix.lower() == ".csv":
        return pd.read_csv(path, dtype="str")
    return load_webex_licenses(path, usage_types=data.tenant.usage_types)

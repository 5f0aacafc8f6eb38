"""``multisub peaks [DIR] --sessions SRC --out FILE``: who made each billed peak (T1).

For every billed peak (period × usage type × subscription) the interval that set it and one
row per user counted in it (:func:`toolkit.peak_contributors`), so a chargeback can be defended
name by name. SRC is whatever ``multisub measure`` reads (a ``sessions.csv``, Search API
``agentSession`` pages, ``/v1/agents/activities`` pages; default: what the tenant directory's
bill is measured from, its pulled ``raw/agentSession`` pages, else its ``sessions.csv``),
measured under the tenant's time zone and metering policy; agent ids of
pages are matched to ``users.csv`` as ``measure`` does. ``--period Q|Y`` lists each billing
month's peak under its quarter or year (P1a); ``--type`` keeps one usage type. When DIR's
``usage.csv`` bills a month and type with another figure than the sessions count, a warning
says so: that usage was not measured from these sessions, so the list does not explain it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from toolkit.allocation import allocate
from toolkit.commands.cli import (
    COMMANDS,
    output_argument,
    period_argument,
    tenant_dir_argument,
)
from toolkit.commands.measure import _as_of
from toolkit.commands.outputs import check_outputs, tenant_inputs
from toolkit.errors import Problem, raise_if_any
from toolkit.inputs.dataset import load_tenant_dir
from toolkit.inputs.session_sources import measured_sessions, tenant_session_source
from toolkit.model import SESSIONS_FILE
from toolkit.peaks import peak_contributors, peak_teams
from toolkit.present.export import write_table


def register(subparsers) -> None:
    parser = subparsers.add_parser("peaks", help=COMMANDS["peaks"])
    tenant_dir_argument(parser)
    parser.add_argument("--sessions", type=Path, metavar="SRC",
                        help="sessions CSV, or a folder or file of Search API agentSession or "
                             "/v1/agents/activities pages (default: DIR's raw/agentSession "
                             "pages, else its sessions.csv)")
    output_argument(parser)
    period_argument(parser)
    parser.add_argument("--type", metavar="T", dest="usage_type",
                        help="only this usage type (e.g. cc_premium_agent)")
    parser.add_argument("--as-of", metavar="ISO8601",
                        help="extraction time at which still-active sessions end (default: "
                             "the pull's end, else the latest instant in the records)")
    parser.set_defaults(run=run)


def run(args) -> int:
    source = args.sessions or tenant_session_source(args.dir) or Path(args.dir) / SESSIONS_FILE
    check_outputs([args.out], [*tenant_inputs(args.dir), source])
    data = load_tenant_dir(args.dir)
    tenant = data.tenant
    _check_type(args.usage_type, tenant)
    _check_source(source, args.sessions is None)
    imported = measured_sessions(source, tenant, data.users,
                                 as_of=_as_of(args.as_of, tenant.timezone))
    rows = peak_contributors(tenant, imported.sessions, data.users)  # billing months (P1a)
    if args.usage_type:
        rows = rows[rows["usage_type"] == args.usage_type].reset_index(drop=True)
    if data.usage is not None:
        _compare_with_bill(rows, allocate(tenant, data.usage, data.users).pooled)
    rows = rows.assign(period=rows["period"].dt.asfreq(args.period))
    path = write_table(rows, args.out)
    _summary(rows)
    print(f"wrote {path}")
    return 0


def _compare_with_bill(rows: pd.DataFrame, pooled: pd.DataFrame) -> None:
    """A warning for each month and type whose users are not as many as DIR's usage bills:
    that usage was not measured from these sessions, so the list does not explain it."""
    counted = rows.groupby([rows["period"].astype(str), "usage_type"]).size()
    billed = pooled.set_index([pooled["period"].astype(str), "usage_type"])["usage"]
    for (period, usage_type), users in counted.items():
        bill = billed.get((period, usage_type))
        if bill is not None and abs(float(bill) - users) >= 1e-9:
            print(f"multisub peaks: warning: {period} {usage_type}: these sessions count "
                  f"{users} users at the peak, the tenant's usage bills {float(bill):,.0f}; "
                  f"that usage was not measured from these sessions", file=sys.stderr)


def _check_type(usage_type: str | None, tenant) -> None:
    if usage_type is not None and usage_type not in tenant.usage_types:
        raise_if_any([Problem("--type", "", "", usage_type,
                              "a usage type of the tenant: " + ", ".join(tenant.usage_types))])


def _check_source(source: Path, defaulted: bool) -> None:
    if not source.exists():
        raise_if_any([Problem(str(source), "", "", None,
                              "a sessions file or a folder of session pages"
                              + (" (give one with --sessions)" if defaulted else ""))])


def _summary(rows: pd.DataFrame) -> None:
    """One line per billed peak: its interval, its size and its largest team."""
    if rows.empty:
        print("no billed peak: the sessions count no agent in any billed interval")
        return
    by = "team" if rows["team"].notna().any() else "department"  # sessions without teams
    teams = peak_teams(rows, top=1, by=by)
    for row in teams.itertuples(index=False):
        who = f"{row.peak} distinct users in the period" if pd.isna(row.interval_start) \
            else f"{row.peak} users at {row.interval_start:%Y-%m-%d %H:%M}"
        print(f"{row.period} {row.usage_type}: {who}; largest {by} {getattr(row, by)} "
              f"({row.users})")

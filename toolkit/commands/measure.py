"""``multisub measure SESSIONS --users USERS --out usage.csv``: usage from agent sessions.

Turns login/logout records into the ``usage.csv`` that ``multisub allocate`` reads:
concurrency samples per interval, or for named licenses the users active each day (SPEC M3).
With ``--tenant`` the times are read in the tenant's time zone, intervals and days begin
there, and subscription ids are checked against it. Without it everything is UTC: times
without an offset are UTC, and a named license's days (and so the month a late-evening
session counts in) are UTC days.
"""

from __future__ import annotations

from pathlib import Path

from toolkit.commands.cli import interval
from toolkit.inputs.sessions import load_sessions
from toolkit.inputs.tenant_file import load_tenant
from toolkit.inputs.users import load_users
from toolkit.metering import measure_sessions
from toolkit.policy import LICENSE_MODELS
from toolkit.present.export import write_table


def register(subparsers) -> None:
    parser = subparsers.add_parser("measure", help="usage.csv from agent login/logout sessions")
    parser.add_argument("sessions", type=Path, metavar="SESSIONS",
                        help="sessions CSV: user_id, login, logout")
    parser.add_argument("--users", type=Path, metavar="USERS",
                        help="users.csv: maps each user to a subscription and agent license")
    parser.add_argument("--out", required=True, type=Path, metavar="FILE",
                        help="output usage file: .csv, .parquet or .xlsx")
    parser.add_argument("--interval", default="15min", type=interval,
                        help="sampling interval for concurrent licenses (default 15min)")
    parser.add_argument("--license-model", choices=LICENSE_MODELS, default="concurrent",
                        help="concurrent: peak samples; named: users active per day")
    parser.add_argument("--tenant", type=Path, metavar="DIR",
                        help="tenant directory or tenant.yaml: its time zone is where "
                             "intervals and days begin, its subscription ids are checked "
                             "(without it, days and intervals are UTC)")
    parser.set_defaults(run=run)


def run(args) -> int:
    tenant = load_tenant(args.tenant) if args.tenant else None
    sessions = load_sessions(args.sessions, tenant)
    users = load_users(args.users, tenant) if args.users else None
    usage = measure_sessions(sessions, users, interval=args.interval,
                             license_model=args.license_model,
                             timezone=tenant.timezone if tenant else "UTC")
    path = write_table(usage, args.out)
    every = f"every {args.interval}" if args.license_model == "concurrent" else "per day"
    zone = tenant.timezone if tenant else "UTC (no --tenant)"
    print(f"measured {len(sessions):,} sessions into {len(usage):,} usage rows "
          f"({args.license_model}, {every}, days in {zone})")
    print(f"wrote {path}")
    return 0

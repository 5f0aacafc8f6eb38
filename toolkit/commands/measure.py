"""``multisub measure SESSIONS --users USERS --out usage.csv``: usage from agent sessions.

Turns login/logout records into the ``usage.csv`` that ``multisub allocate`` reads:
concurrency samples per interval, or for named licenses the users active each day (M3).
With ``--tenant`` the times are read in the tenant's time zone, intervals and days begin
there, its metering policy (``interval``, ``min_duration``, ``max_session``) applies, and
subscription ids are checked against it. Without it everything is UTC and the policy is the
default (15min, 0min, 24h). Without ``--users`` no session can be mapped to a subscription:
every row is unmapped (allocation then splits it pro rata, M5), and the command says so on
stderr.

SESSIONS is a ``sessions.csv``, a folder (or file) of Search API ``agentSession`` pages, or of
``/v1/agents/activities`` pages: the kind is recognised from the content. Sessions still
active in the pages end at ``--as-of`` (ISO 8601; default the pull's end, else the latest
instant in the records) and sessions longer than ``metering.max_session`` are cut; each such
change is printed and, with ``--findings FILE``, written out. A page saying more follows
(``hasNextPage``) when no saved page continues its ``endCursor`` is a warning (a partial
export; an error with ``--strict``), and so is ending open sessions at the latest instant
in the records for want of an extraction time. ``--ai-sessions`` adds Contact
AI Agent Session pages as ``ai_agent`` usage.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from toolkit.commands.cli import COMMANDS, interval
from toolkit.commands.outputs import check_outputs, tenant_inputs
from toolkit.errors import Problem, raise_if_any
from toolkit.findings import by_severity
from toolkit.inputs.session_sources import CSV_SOURCE, load_session_source, session_source
from toolkit.inputs.tenant_file import load_tenant
from toolkit.inputs.users import load_users
from toolkit.inputs.webex.agents import match_agents
from toolkit.inputs.webex.search import PARTIAL_EXPORT, load_ai_agent_sessions
from toolkit.metering import measure_sessions
from toolkit.policy import LICENSE_MODELS, Metering
from toolkit.present.export import write_tables

SHOWN_FINDINGS = 10


def register(subparsers) -> None:
    parser = subparsers.add_parser("measure", help=COMMANDS["measure"])
    parser.add_argument("sessions", type=Path, metavar="SESSIONS",
                        help="sessions CSV (user_id, login, logout), or a folder or file of "
                             "Search API agentSession pages or /v1/agents/activities pages")
    parser.add_argument("--users", type=Path, metavar="USERS",
                        help="users.csv: maps each user to a subscription and agent license")
    parser.add_argument("--out", required=True, type=Path, metavar="FILE",
                        help="output usage file: .csv, .parquet or .xlsx")
    parser.add_argument("--interval", type=interval,
                        help="sampling interval for concurrent licenses (default: the "
                             "tenant's metering.interval, else 15min)")
    parser.add_argument("--min-duration",
                        help="a concurrency level counts only when held this long (default: "
                             "the tenant's metering.min_duration, else 0min)")
    parser.add_argument("--license-model", choices=LICENSE_MODELS, default="concurrent",
                        help="concurrent: peak samples; named: users active per day")
    parser.add_argument("--tenant", type=Path, metavar="DIR",
                        help="tenant directory or tenant.yaml: its metering policy and time "
                             "zone apply, its subscription ids are checked (without it, "
                             "days and intervals are UTC)")
    parser.add_argument("--as-of", metavar="ISO8601",
                        help="extraction time at which still-active sessions end, e.g. "
                             "2026-10-31T23:00:00Z (no offset: the tenant's zone, else UTC)")
    parser.add_argument("--ai-sessions", type=Path, metavar="PAGES",
                        help="also count Contact AI Agent Session pages (file or folder): one "
                             "ai_agent unit per session, on its start")
    parser.add_argument("--strict", action="store_true",
                        help="a partial export (a page saying more follows when no saved "
                             "page does) is an error, not a warning")
    parser.add_argument("--findings", type=Path, metavar="FILE",
                        help="write the findings (sessions closed, cut, merged) to this file")
    parser.set_defaults(run=run)


def run(args) -> int:
    check_outputs([args.out, *([args.findings] if args.findings else [])],
                  [args.sessions, args.users, args.ai_sessions,
                   tenant_inputs(args.tenant)[0] if args.tenant else None])
    tenant = load_tenant(args.tenant) if args.tenant else None
    zone = tenant.timezone if tenant else "UTC"
    policy = tenant.metering if tenant else Metering()
    policy = Metering(args.interval or policy.interval,
                      args.min_duration or policy.min_duration, policy.max_session)
    kind = session_source(args.sessions)
    imported = load_session_source(args.sessions, tenant, as_of=_as_of(args.as_of, zone))
    if args.strict:
        _refuse_partial(imported.findings)
    users = load_users(args.users, tenant) if args.users else None
    if users is not None and kind != CSV_SOURCE:
        imported = match_agents(imported, users)
    if users is None:
        print("multisub measure: warning: no --users, so every usage row is unmapped (no "
              "subscription); allocate splits unmapped agent usage pro rata", file=sys.stderr)
    usage = measure_sessions(imported.sessions, users, license_model=args.license_model,
                             timezone=zone, metering=policy)
    if args.ai_sessions:
        usage = _with_ai_agents(usage, load_ai_agent_sessions(args.ai_sessions), zone)
    outputs = {args.out: usage} | ({args.findings: imported.findings} if args.findings else {})
    path = write_tables(outputs)[0]  # usage and findings together, or neither
    _report(imported.findings, args.findings)
    every = f"every {policy.interval}" if args.license_model == "concurrent" else "per day"
    held = "" if pd.Timedelta(policy.min_duration) == pd.Timedelta(0) else \
        f", levels held at least {policy.min_duration}"
    where = tenant.timezone if tenant else "UTC (no --tenant)"
    print(f"measured {len(imported.sessions):,} sessions ({kind}) into {len(usage):,} usage "
          f"rows ({args.license_model}, {every}{held}, days in {where})")
    print(f"wrote {path}")
    return 0


def _with_ai_agents(usage: pd.DataFrame, ai: pd.DataFrame, zone: str) -> pd.DataFrame:
    """Agent usage and AI Agent sessions in one usage table (times in the same zone).

    An AI agent (``ai-claims``) is not a person of the users table: its sessions are the
    tenant's usage. They keep the agent's id as ``user_id``: allocation attributes them
    through the tenant's ``ai_agents.csv``, and pools those of agents it does not list pro
    rata (M5), never leaving them unallocated as an unknown user's."""
    agents = sorted(pd.unique(ai["user_id"].dropna()))
    ai = ai.assign(timestamp=ai["timestamp"].dt.tz_convert(zone))
    print(f"counted {len(ai):,} AI Agent sessions of {len(agents):,} AI agent(s) "
          f"({', '.join(agents[:5])}{', ...' if len(agents) > 5 else ''}): tenant usage, "
          f"attributed by ai_agents.csv, else pooled pro rata across subscriptions (M5)")
    both = pd.concat([usage, ai], ignore_index=True)
    return both.sort_values(["timestamp", "usage_type"], kind="stable", ignore_index=True)


def _as_of(text: str | None, zone: str):
    if text is None:
        return None
    try:
        stamp = pd.Timestamp(text)
    except ValueError:
        raise ValueError(f"--as-of must be an ISO 8601 date-time such as "
                         f"2026-10-31T23:00:00Z, not {text!r}") from None
    return stamp.tz_localize(zone) if stamp.tzinfo is None else stamp


def _refuse_partial(findings: pd.DataFrame) -> None:
    """``--strict``: the pages whose continuation is missing, as input errors."""
    partial = findings[findings["rule"] == PARTIAL_EXPORT]
    raise_if_any([Problem(row.subject, "pageInfo", "hasNextPage", True,
                          f"the page continuing it saved beside it ({row.message})")
                  for row in partial.itertuples(index=False)])


def _report(findings: pd.DataFrame, out: Path | None) -> None:
    if findings.empty:
        print("findings: none (no session was closed, cut or merged)")
    else:
        counts = findings["rule"].value_counts(sort=False)
        print("findings: " + ", ".join(f"{n} {rule}" for rule, n in counts.items()))
        # warnings first: what changes the figures is never hidden behind information
        for row in by_severity(findings).head(SHOWN_FINDINGS).itertuples(index=False):
            print(f"  {row.severity}: {row.rule}: {row.subject}: {row.message}")
        if len(findings) > SHOWN_FINDINGS:
            more = len(findings) - SHOWN_FINDINGS
            print(f"  ... {more} more" + ("" if out else " (write them all with --findings)"))
    if out is not None:
        print(f"wrote {out}")

"""``multisub import-webex LICENSES.json PEOPLE.json --out DIR [--tenant DIR]``.

Turns saved ``GET /v1/licenses`` and ``GET /v1/people`` responses (files or folders of pages)
into ``DIR/users.csv`` (with each person's Webex id as ``webex_agent_id``, which ``measure``
joins a session's ``agentId`` on), ``DIR/licenses.csv`` (every license, Contact Center or
not, marked) and ``DIR/reconciliation.csv``: with ``--tenant``, entitlements in tenant.yaml
against Webex's totalUnits; without it, the licenses that could not be mapped to a usage type.
"""

from __future__ import annotations

from pathlib import Path

from toolkit.commands.cli import COMMANDS, day
from toolkit.commands.outputs import check_outputs, tenant_inputs
from toolkit.frames import USER_COLUMNS, USER_OPTIONAL
from toolkit.inputs.tenant_file import load_tenant
from toolkit.inputs.webex.control_hub import PERSON_COLUMNS, load_webex_licenses, load_webex_people
from toolkit.present.export import write_tables
from toolkit.provisioning.reconcile import reconcile, unmatched_licenses

#: The files written into ``--out``.
OUTPUTS = ("users.csv", "licenses.csv", "reconciliation.csv")


def register(subparsers) -> None:
    parser = subparsers.add_parser("import-webex", help=COMMANDS["import-webex"])
    parser.add_argument("licenses", type=Path, metavar="LICENSES.json",
                        help="GET /v1/licenses response, or a folder of its pages")
    parser.add_argument("people", type=Path, metavar="PEOPLE.json",
                        help="GET /v1/people response, or a folder of its pages")
    parser.add_argument("--out", required=True, type=Path, metavar="DIR",
                        help="directory for users.csv, licenses.csv, reconciliation.csv")
    parser.add_argument("--tenant", type=Path, metavar="DIR",
                        help="tenant directory or tenant.yaml to reconcile against")
    parser.add_argument("--on", type=day, metavar="DATE",
                        help="day of the export, for the tenant's entitlements (YYYY-MM-DD)")
    parser.add_argument("--names", type=Path, metavar="CSV",
                        help="extra license-name table: columns name, usage_type")
    parser.add_argument("--user-id", choices=("email", "id"), default="email",
                        help="what becomes user_id: the person's email (default) or Webex id")
    parser.set_defaults(run=run)


def run(args) -> int:
    out: Path = args.out
    check_outputs([out / name for name in OUTPUTS],
                  [args.licenses, args.people, args.names, _tenant_file(args.tenant)],
                  folders=[out])
    tenant = load_tenant(args.tenant) if args.tenant else None
    licenses = load_webex_licenses(args.licenses, names=args.names,
                                   usage_types=tenant.usage_types if tenant else None)
    people = load_webex_people(args.people, licenses, user_id=args.user_id)
    findings = reconcile(tenant, licenses, on=args.on) if tenant else \
        unmatched_licenses(licenses)
    tables = (people[USER_COLUMNS + USER_OPTIONAL + PERSON_COLUMNS], licenses, findings)
    written = write_tables({out / name: table
                            for name, table in zip(OUTPUTS, tables, strict=True)})
    mapped = int(licenses["usage_type"].notna().sum())
    print(f"read {len(licenses):,} licenses ({mapped:,} mapped to a usage type) and "
          f"{people['user_id'].nunique():,} Contact Center users "
          f"({people.attrs['skipped']:,} people without a Contact Center license)")
    unknown = people.attrs["unknown_license_only"]
    if unknown:
        print(f"{len(unknown):,} people hold only Contact Center licenses whose names the "
              f"license-name table does not know, so they are not in users.csv (add the "
              f"names with --names): {', '.join(unknown)}")
    warnings = int((findings["severity"] != "info").sum())
    print(f"{len(findings):,} reconciliation findings, {warnings:,} to look at")
    for path in written:
        print(f"wrote {path}")
    return 0


def _tenant_file(path: Path | None) -> Path | None:
    """What ``--tenant`` reads: its tenant file alone (users.csv next to it is not read)."""
    return None if path is None else tenant_inputs(path)[0]

"""``multisub owners [DIR] --on DATE``: the primary and each type's overage owner, explained."""

from __future__ import annotations

from toolkit.commands.cli import day, tenant_dir_argument
from toolkit.inputs.tenant_file import load_tenant


def register(subparsers) -> None:
    parser = subparsers.add_parser("owners", help="who is primary and who owns each type's overage")
    tenant_dir_argument(parser)
    parser.add_argument("--on", required=True, type=day, metavar="DATE",
                        help="the day to explain (YYYY-MM-DD)")
    parser.set_defaults(run=run)


def run(args) -> int:
    tenant = load_tenant(args.dir)
    primary = tenant.primary(args.on)
    print(f"{tenant.name} on {args.on}: primary subscription {primary or 'none'}")
    print()
    for usage_type in tenant.usage_types:
        owner = tenant.overage_owner(usage_type, args.on)
        print(f"{usage_type:<24} {owner or '-'}")
        print(f"    {tenant.explain_owner(usage_type, args.on)}")
    return 0

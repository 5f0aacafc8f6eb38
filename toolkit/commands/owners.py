"""``multisub owners [DIR] [--on DATE]``: the primary and each type's overage owner, explained.

Without ``--on`` the day is the tenant's as-of day (the last day of the last month with
usage), the same day every other command, notebook and dashboard defaults to. Each
explanation is wrapped to the terminal (:mod:`toolkit.present.text`).
"""

from __future__ import annotations

from toolkit.commands.cli import COMMANDS, day, tenant_dir_argument
from toolkit.commands.validate import evaluation_day
from toolkit.present.text import paragraph
from toolkit.workspace import Workspace


def register(subparsers) -> None:
    parser = subparsers.add_parser("owners", help=COMMANDS["owners"])
    tenant_dir_argument(parser)
    parser.add_argument("--on", type=day, metavar="DATE",
                        help="the day to explain, YYYY-MM-DD (default: the as-of day, the last "
                             "day of the last month with usage)")
    parser.set_defaults(run=run)


def run(args) -> int:
    data = Workspace.open(args.dir)
    tenant = data.tenant
    on, source = evaluation_day(data, args.on)
    primary = tenant.primary(on)
    print(paragraph(f"{tenant.name} as of {on} ({source}): primary subscription "
                    f"{primary or 'none'}"))
    print()
    for usage_type in tenant.usage_types:
        owner = tenant.overage_owner(usage_type, on)
        print(f"{usage_type:<24} {owner or '-'}")
        print(paragraph(tenant.explain_owner(usage_type, on), "    "))
    return 0

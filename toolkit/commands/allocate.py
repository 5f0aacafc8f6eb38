"""``multisub allocate [DIR] --out FILE``: usage split per subscription, with overage owners.

The per-subscription table goes to FILE; the pooled table and the unallocated rows go next
to it (``NAME.pooled.EXT``, ``NAME.unallocated.EXT``), or into extra sheets of an XLSX file.
"""

from __future__ import annotations

from toolkit.commands.cli import COMMANDS, output_argument, period_argument, tenant_dir_argument
from toolkit.commands.outputs import check_outputs, tenant_inputs
from toolkit.present.export import companion_paths, write_with_companions
from toolkit.workspace import Workspace

COMPANIONS = ("pooled", "unallocated")


def register(subparsers) -> None:
    parser = subparsers.add_parser("allocate", help=COMMANDS["allocate"])
    tenant_dir_argument(parser)
    output_argument(parser)
    period_argument(parser)
    parser.set_defaults(run=run)


def run(args) -> int:
    check_outputs(companion_paths(args.out, COMPANIONS), tenant_inputs(args.dir))
    data = Workspace.open(args.dir, args.period)
    result = data.allocation
    assert data.usage is not None  # the allocation refuses a tenant without usage
    companions = dict(zip(COMPANIONS, (result.pooled, result.unallocated), strict=True))
    written = write_with_companions(result.by_subscription, args.out, companions)
    print(f"allocated {len(data.usage):,} usage rows of {data.tenant.name} (as of "
          f"{data.as_of}) into "
          f"{len(result.by_subscription):,} rows; {len(result.unallocated):,} unallocated")
    for path in written:
        print(f"wrote {path}")
    return 0

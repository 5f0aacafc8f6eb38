"""``multisub focus [DIR] --out FILE``: the costs as a FinOps FOCUS 1.2-shaped table."""

from __future__ import annotations

from toolkit.commands.cli import COMMANDS, output_argument, period_argument, tenant_dir_argument
from toolkit.commands.outputs import check_outputs, tenant_inputs
from toolkit.finance.focus import focus_table
from toolkit.present.export import write_focus
from toolkit.workspace import Workspace


def register(subparsers) -> None:
    parser = subparsers.add_parser("focus", help=COMMANDS["focus"])
    tenant_dir_argument(parser)
    output_argument(parser)
    period_argument(parser)
    parser.set_defaults(run=run)


def run(args) -> int:
    check_outputs([args.out], tenant_inputs(args.dir))
    data = Workspace.open(args.dir, args.period)
    frame = focus_table(data.allocation, data.tenant)
    path = write_focus(frame, args.out)
    print(f"wrote {len(frame):,} FOCUS charges of {data.tenant.name} (as of "
          f"{data.as_of}) to {path}")
    if data.allocation.months is not None:
        print(f"note: FOCUS charges are per billing month; --period {args.period} adds no "
              "rows up (a quarter or a year is never a billing period of its own)")
    return 0

"""``multisub workbook [DIR] --out review.xlsx``: the cost review as an Excel workbook.

The same figures as ``multisub report --tenant`` (same as-of day, same default window: the
last complete quarter), in sheets a finance team filters and forwards: Summary, Departments,
Monthly, Overage owners, Budget, Findings; and, when the tenant directory has sessions (its
``raw/agentSession`` pages, else ``sessions.csv``), "Who made the peak": every user counted in
every billed peak of the reviewed months (T1).
"""

from __future__ import annotations

from pathlib import Path

from toolkit.commands.cli import COMMANDS, day, month, period_argument, tenant_dir_argument
from toolkit.commands.outputs import check_outputs, tenant_inputs
from toolkit.inputs.session_sources import tenant_session_source


def register(subparsers) -> None:
    parser = subparsers.add_parser("workbook", help=COMMANDS["workbook"])
    tenant_dir_argument(parser)
    parser.add_argument("--out", required=True, type=Path, metavar="FILE.xlsx",
                        help="the workbook to write")
    parser.add_argument("--from", dest="first", type=month, metavar="PERIOD",
                        help="first month reviewed (default: the last complete quarter before "
                             "the as-of day)")
    parser.add_argument("--to", dest="last", type=month, metavar="PERIOD",
                        help="last month reviewed")
    parser.add_argument("--as-of", type=day, metavar="DATE",
                        help="the day the figures are as of (default: the last day of the "
                             "last month with usage)")
    period_argument(parser)
    parser.set_defaults(run=run)


def run(args) -> int:
    # imported here, not at the top: ``multisub --help`` must not load the charting stack
    from toolkit.commands.review_args import review_window
    from toolkit.present.report import window_contributors
    from toolkit.present.words import date_text
    from toolkit.present.workbook import write_workbook
    from toolkit.workspace import Workspace

    check_outputs([args.out], [*tenant_inputs(args.dir), tenant_session_source(args.dir)])
    book = Workspace.open(args.dir, args.period, args.as_of)
    window = review_window(book, args.first, args.last)
    print(f"as of {date_text(book.as_of)}: reviewing {window.text}, compared with "
          f"{window.previous.text}")
    peaks = window_contributors(book, window)
    print(f"wrote {write_workbook(book, window, args.out, peaks=peaks)}")
    return 0

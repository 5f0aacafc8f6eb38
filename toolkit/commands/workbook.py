"""``multisub workbook [DIR] --out review.xlsx``: the cost review as an Excel workbook.

The same figures as ``multisub report --tenant`` (same as-of day, same default window: the
last complete quarter), in sheets a finance team filters and forwards: Summary, Departments,
Monthly, Overage owners, Budget, Findings.
"""

from __future__ import annotations

from pathlib import Path

from toolkit.commands.cli import COMMANDS, period_argument, tenant_dir_argument
from toolkit.commands.outputs import check_outputs, tenant_inputs


def register(subparsers) -> None:
    parser = subparsers.add_parser("workbook", help=COMMANDS["workbook"])
    tenant_dir_argument(parser)
    parser.add_argument("--out", required=True, type=Path, metavar="FILE.xlsx",
                        help="the workbook to write")
    parser.add_argument("--from", dest="first", metavar="PERIOD",
                        help="first month reviewed (default: the last complete quarter before "
                             "the as-of day)")
    parser.add_argument("--to", dest="last", metavar="PERIOD", help="last month reviewed")
    parser.add_argument("--as-of", metavar="DATE",
                        help="the day the figures are as of (default: the last day of the "
                             "last month with usage)")
    period_argument(parser)
    parser.set_defaults(run=run)


def run(args) -> int:
    # imported here, not at the top: ``multisub --help`` must not load the charting stack
    from toolkit.present.report import check_window, choose_window, date_text, load_book
    from toolkit.present.workbook import write_workbook

    check_outputs([args.out], tenant_inputs(args.dir))
    book = load_book(args.dir, args.period, args.as_of)
    window = choose_window(book.as_of, args.first, args.last, book.freq)
    check_window(book, window)
    print(f"as of {date_text(book.as_of)}: reviewing {window.text}, compared with "
          f"{window.previous.text}")
    print(f"wrote {write_workbook(book, window, args.out)}")
    return 0

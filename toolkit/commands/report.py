"""``multisub report [DIR] --department NAME | --all | --tenant --out DIR``: cost reviews.

One review per department (``--department``, repeatable, or ``--all``), or with ``--tenant``
one document: the roll-up of every department on its first page, then a section each. Each
review opens with an executive summary, then the details; ``--format html,pdf`` chooses the
files. The tenant is computed once for all reviews (no notebook kernel), and the as-of day and
the reviewed months are printed so the reader knows what the figures cover.

When the tenant directory has sessions (its ``raw/agentSession`` pages, else ``sessions.csv``),
the reviews' "Who made the peak" sections are backed by the full list, written beside them as
``who-made-the-peak.csv``: every user counted in every billed peak of the reviewed months, the
whole tenant's (T1; :data:`PEAKS_FILE`), landing together with the reviews or not at all.
"""

from __future__ import annotations

from pathlib import Path

from toolkit.commands.cli import COMMANDS, day, month, period_argument, tenant_dir_argument
from toolkit.commands.outputs import check_outputs, tenant_inputs
from toolkit.errors import InputError, Problem
from toolkit.inputs.session_sources import tenant_session_source

#: The full list behind the reviews' "Who made the peak" sections, beside the reviews.
PEAKS_FILE = "who-made-the-peak.csv"


def register(subparsers) -> None:
    parser = subparsers.add_parser("report", help=COMMANDS["report"])
    tenant_dir_argument(parser)
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--department", action="append", metavar="NAME",
                       help="a department owning a subscription (repeat for several)")
    which.add_argument("--all", action="store_true", help="one review per department")
    which.add_argument("--tenant", action="store_true",
                       help="one document: all departments rolled up, then a section each")
    parser.add_argument("--out", required=True, type=Path, metavar="DIR",
                        help="folder for the files (created if missing)")
    parser.add_argument("--from", dest="first", type=month, metavar="PERIOD",
                        help="first month reviewed, e.g. 2026-07 (default: the last complete "
                             "quarter before the as-of day)")
    parser.add_argument("--to", dest="last", type=month, metavar="PERIOD",
                        help="last month reviewed")
    parser.add_argument("--as-of", type=day, metavar="DATE",
                        help="the day the figures are as of (default: the last day of the "
                             "last month with usage)")
    parser.add_argument("--format", default="html", metavar="LIST",
                        help="comma-separated: html, pdf (default: html)")
    period_argument(parser)
    parser.set_defaults(run=run)


def formats_of(text: str) -> list[str]:
    """``html,pdf`` → ``["html", "pdf"]``; an unknown format is an input problem."""
    from toolkit.present.review_page import REVIEW_FORMATS

    wanted = [part.strip().lower() for part in text.split(",") if part.strip()]
    unknown = [part for part in wanted if part not in REVIEW_FORMATS]
    if unknown or not wanted:
        raise InputError([Problem("--format", "", "", part, "html or pdf (comma-separated)")
                          for part in (unknown or [text])])
    return wanted


def run(args) -> int:
    # imported here, not at the top: ``multisub --help`` must not load the charting stack
    from toolkit.commands.review_args import review_window, wanted_departments
    from toolkit.present.report import window_contributors
    from toolkit.present.review_page import write_reviews
    from toolkit.present.words import date_text
    from toolkit.workspace import Workspace

    formats = formats_of(args.format)
    check_outputs([args.out / PEAKS_FILE],
                  [*tenant_inputs(args.dir), tenant_session_source(args.dir)],
                  folders=[args.out])
    book = Workspace.open(args.dir, args.period, args.as_of)
    window = review_window(book, args.first, args.last)
    wanted = book.departments if args.all or args.tenant else list(dict.fromkeys(args.department))
    wanted_departments(book, wanted)
    print(f"as of {date_text(book.as_of)}: reviewing {window.text}, compared with "
          f"{window.previous.text}")
    peaks = window_contributors(book, window)
    tables = {} if peaks is None else {PEAKS_FILE: peaks}
    for path in write_reviews(book, window, wanted, args.out, formats, tenant=args.tenant,
                              tables=tables):
        print(f"wrote {path}")
    return 0

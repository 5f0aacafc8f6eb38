"""Benchmark: the cost reviews of every department of a tenant directory, in one process.

``multisub report --all`` loads the tenant once (a :class:`toolkit.workspace.Workspace`) and
renders one page per department from it, with no notebook kernel. The floor is the least any
review must do, measured in the same run: read the tenant directory and allocate its usage
(``Workspace.open(dir).allocation``). The ratios say what pricing, both chargeback views,
budgets, the forecast, validation and the pages (charts as SVG) add on top of it.

Run: ``python benchmarks/bench_report.py [DIR] [--pdf]`` (default: the bundled sample).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import best_of, machine  # noqa: E402

from toolkit.present import report, review_page  # noqa: E402
from toolkit.resources import sample_dir  # noqa: E402
from toolkit.workspace import Workspace  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir", nargs="?", type=Path, default=sample_dir())
    parser.add_argument("--pdf", action="store_true", help="also print every page to PDF")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    floor, _ = best_of(args.repeats, lambda: Workspace.open(args.dir).allocation)
    book_time, book = best_of(args.repeats, lambda: Workspace.open(args.dir).computed())
    window = report.default_window(book.as_of, book.freq)
    formats = ("html", "pdf") if args.pdf else ("html",)
    with tempfile.TemporaryDirectory() as out:
        def every_department():
            return review_page.write_reviews(report.load_book(args.dir), window,
                                             book.departments, out, formats)

        def tenant_document():
            return review_page.write_reviews(report.load_book(args.dir), window,
                                             book.departments, out, formats, tenant=True)

        all_time, written = best_of(args.repeats, every_department)
        tenant_time, _ = best_of(args.repeats, tenant_document)
    print(f"input: {args.dir} · {len(book.departments)} departments · "
          f"{len(book.allocation.by_subscription):,} per-subscription rows · "
          f"formats {', '.join(formats)} · {len(written)} files")
    print(f"floor load + allocate:           {floor:7.2f} s")
    print(f"workspace (everything computed): {book_time:7.2f} s  ×{book_time / floor:.2f}")
    print(f"--all (one page per department): {all_time:7.2f} s  ×{all_time / floor:.2f}")
    print(f"--tenant (roll-up + sections):   {tenant_time:7.2f} s  ×{tenant_time / floor:.2f}")


if __name__ == "__main__":
    main()

"""``multisub portfolio DIR --out OUT [--scheduler ADDRESS | --workers N]``: many tenants.

DIR is a folder of tenant directories (or a text file listing their paths or fsspec URIs). Each
tenant is one Dask task (:mod:`toolkit.portfolio`); OUT gets the roll-up as
``portfolio.xlsx`` and ``portfolio.html`` (tenants ranked by overage, budget breaches, access
at risk, failures, each tenant's billed peaks), ``portfolio.focus.csv`` (the FOCUS charges of
every tenant, ``BillingAccountId`` = the tenant) and, with ``--reviews``, each tenant's review
in ``reviews/<tenant>/``. Without ``--scheduler`` the tasks run on a local cluster of
``--workers`` processes (default: one per core, at most one per tenant; 1 runs them in this
process). A tenant that fails is listed with its problems and never stops the others; the exit
status is then 1.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from toolkit.commands.cli import COMMANDS, day

if TYPE_CHECKING:
    from distributed import Client, LocalCluster

EXIT_SOME_FAILED = 1


def register(subparsers) -> None:
    parser = subparsers.add_parser("portfolio", help=COMMANDS["portfolio"])
    parser.add_argument("source", type=Path, metavar="DIR",
                        help="a folder of tenant directories, or a text file listing them")
    parser.add_argument("--out", required=True, type=Path, metavar="DIR",
                        help="folder for the roll-up (created if missing)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--scheduler", metavar="ADDRESS",
                       help="a running Dask scheduler, e.g. tcp://10.0.0.5:8786")
    where.add_argument("--workers", type=_workers, metavar="N",
                       help="local worker processes (default: one per core)")
    parser.add_argument("--as-of", type=day, metavar="DATE",
                        help="one as-of day for every tenant (default: each its own)")
    parser.add_argument("--reviews", action="store_true",
                        help="also write each tenant's review (HTML) under OUT/reviews/")
    parser.set_defaults(run=run)


def _workers(text: str) -> int:
    import argparse

    if not text.isdigit() or not 1 <= int(text) <= 256:
        raise argparse.ArgumentTypeError(f"a number of workers from 1 to 256, not {text!r}")
    return int(text)


def run(args) -> int:
    from toolkit import portfolio

    paths = portfolio.tenant_paths(args.source)
    if not paths:
        print(f"multisub portfolio: no tenant directory (with a tenant.yaml) in {args.source}",
              file=sys.stderr)
        return 2
    _check_outputs(args, paths)
    args.out.mkdir(parents=True, exist_ok=True)
    reviews = args.out / "reviews" if args.reviews else None
    with _client(args, len(paths)) as client:
        result = portfolio.run(paths, client, as_of=args.as_of, with_focus=True,
                               reviews=reviews, progress=sys.stderr.isatty())
    written = _write_roll_up(result, args.out)
    _print_summary(result)
    for path in written:
        print(f"wrote {path}")
    return EXIT_SOME_FAILED if len(result.failures) else 0


def _write_roll_up(result, out: Path) -> list[Path]:
    """The roll-up's files, all or none: each is written to a temporary beside its target and
    the three replace their targets together, so a full disk never leaves a new workbook
    beside last month's FOCUS file."""
    from toolkit.atomic import atomic_paths
    from toolkit.present import export, portfolio_page

    targets = [out / name for name in OUTPUTS[:2]]
    if result.focus is not None:
        targets.append(out / OUTPUTS[2])
    with atomic_paths(*targets) as temps:
        portfolio_page.write_workbook(result, temps[0])
        portfolio_page.write_page(result, temps[1])
        if result.focus is not None:
            export.write_focus(result.focus, temps[2])
    return targets


#: The roll-up's files in ``--out``.
OUTPUTS = ("portfolio.xlsx", "portfolio.html", "portfolio.focus.csv")


def _check_outputs(args, paths: list[str]) -> None:
    """No roll-up file is one of the files read: a local tenant's, or the listing itself."""
    from toolkit.commands.outputs import check_outputs, tenant_inputs

    local = [Path(path) for path in paths if "://" not in str(path)]
    inputs = [file for path in local for file in tenant_inputs(path)]
    listing = [args.source] if args.source.is_file() else []
    check_outputs([args.out / name for name in OUTPUTS], [*inputs, *listing],
                  folders=[args.out])


class _client:
    """The Dask client the tasks run on: the given scheduler, a local cluster of worker
    processes, or none (one worker: Dask's synchronous scheduler in this process)."""

    def __init__(self, args, tenants: int):
        self.address = args.scheduler
        self.workers = args.workers or max(1, min(os.cpu_count() or 1, tenants))
        self.cluster: LocalCluster | None = None
        self.client: Client | None = None

    def __enter__(self):
        if self.address is None and self.workers == 1:
            return None
        from distributed import Client

        from toolkit import portfolio

        if self.address is None:
            self.cluster = portfolio.local_cluster(self.workers)
        self.client = Client(self.address or self.cluster)
        return self.client

    def __exit__(self, *exc) -> None:
        for part in (self.client, self.cluster):
            if part is not None:
                part.close()


def _print_summary(result) -> None:
    done = result.tenants[result.tenants["status"] == "ok"]
    print(f"portfolio: {len(result.tenants)} tenants, {len(done)} computed, "
          f"{len(result.failures)} failed")
    for row in result.totals.itertuples(index=False):
        print(f"  {row.currency}: {row.tenants} tenants, committed {row.committed_cost:,.2f}, "
              f"overage {row.overage_cost:,.2f}, total {row.total_cost:,.2f}")
    for row in result.failures.itertuples(index=False):
        first = str(row.problems).splitlines()[0]
        print(f"  failed: {row.tenant}: {first}")

"""``multisub allocate [DIR] --out FILE``: usage split per subscription, with overage owners.

The per-subscription table goes to FILE; the pooled table and the unallocated rows go next
to it (``NAME.pooled.EXT``, ``NAME.unallocated.EXT``), or into extra sheets of an XLSX file.
"""

from __future__ import annotations

from pathlib import Path

from toolkit.allocation import allocate
from toolkit.cli import tenant_dir_argument
from toolkit.dataset import load_tenant_dir
from toolkit.errors import InputError, Problem
from toolkit.export import write_table


def register(subparsers) -> None:
    parser = subparsers.add_parser("allocate", help="split usage across subscriptions")
    tenant_dir_argument(parser)
    parser.add_argument("--out", required=True, type=Path, metavar="FILE",
                        help="output file: .csv, .parquet or .xlsx")
    parser.add_argument("--period", default="M", help="billing period frequency (default M)")
    parser.set_defaults(run=run)


def run(args) -> int:
    data = load_tenant_dir(args.dir)
    if data.usage is None:
        raise InputError([Problem(str(data.directory / "usage.csv"), "", "", None,
                                  "a usage.csv file to allocate")])
    result = allocate(data.tenant, data.usage, data.users, period=args.period)
    out: Path = args.out
    if out.suffix.lower() == ".xlsx":
        write_table(result.by_subscription, out,
                    sheets={"pooled": result.pooled, "unallocated": result.unallocated})
        written = [out]
    else:
        written = [
            write_table(result.by_subscription, out),
            write_table(result.pooled, out.with_suffix(f".pooled{out.suffix}")),
            write_table(result.unallocated, out.with_suffix(f".unallocated{out.suffix}")),
        ]
    lost = len(result.unallocated)
    print(f"allocated {len(data.usage):,} usage rows of {data.tenant.name} into "
          f"{len(result.by_subscription):,} rows; {lost:,} unallocated")
    for path in written:
        print(f"wrote {path}")
    return 0

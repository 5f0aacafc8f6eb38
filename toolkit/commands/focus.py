"""``multisub focus [DIR] --out FILE``: the costs as a FinOps FOCUS 1.2-shaped table."""

from __future__ import annotations

from pathlib import Path

from toolkit.allocation import allocate
from toolkit.cli import tenant_dir_argument
from toolkit.dataset import load_tenant_dir
from toolkit.errors import InputError, Problem
from toolkit.focus import focus_table, write_focus


def register(subparsers) -> None:
    parser = subparsers.add_parser("focus", help="export costs as a FOCUS-shaped table")
    tenant_dir_argument(parser)
    parser.add_argument("--out", required=True, type=Path, metavar="FILE",
                        help="output file: .csv, .parquet or .xlsx")
    parser.add_argument("--period", default="M", help="billing period frequency (default M)")
    parser.set_defaults(run=run)


def run(args) -> int:
    data = load_tenant_dir(args.dir)
    if data.usage is None:
        raise InputError([Problem(str(data.directory / "usage.csv"), "", "", None,
                                  "a usage.csv file to cost")])
    allocation = allocate(data.tenant, data.usage, data.users, period=args.period)
    frame = focus_table(allocation, data.tenant)
    path = write_focus(frame, args.out)
    print(f"wrote {len(frame):,} FOCUS charges of {data.tenant.name} to {path}")
    return 0

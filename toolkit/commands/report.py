"""``multisub report [DIR] --department NAME | --all --out DIR``: department cost reviews as HTML.

Runs the report notebook (``notebooks/04_department_cost_review.ipynb``) with papermill once
per department and renders it without code, one HTML file per department. Departments are
checked against the tenant before any notebook runs, so a typo is a clear message, not a
failed kernel.
"""

from __future__ import annotations

from pathlib import Path

from toolkit.commands.cli import month, tenant_dir_argument
from toolkit.errors import InputError, Problem
from toolkit.inputs.tenant_file import load_tenant
from toolkit.present.report import run_reports


def register(subparsers) -> None:
    parser = subparsers.add_parser("report", help="department cost reviews as HTML reports")
    tenant_dir_argument(parser)
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--department", action="append", metavar="NAME",
                       help="a department owning a subscription (repeat for several)")
    which.add_argument("--all", action="store_true", help="every department of the tenant")
    parser.add_argument("--out", required=True, type=Path, metavar="DIR",
                        help="folder for the HTML files (created if missing)")
    parser.add_argument("--from", dest="first", type=month, metavar="PERIOD",
                        help="first month reviewed, e.g. 2026-01 (default: first with usage)")
    parser.add_argument("--to", dest="last", type=month, metavar="PERIOD",
                        help="last month reviewed (default: last with usage)")
    parser.add_argument("--as-of", type=month, metavar="PERIOD",
                        help="last month of actuals the forecast trusts (default: --to)")
    parser.set_defaults(run=run)


def run(args) -> int:
    tenant = load_tenant(args.dir)
    known = sorted(set(tenant.departments.values()))
    wanted = known if args.all else list(dict.fromkeys(args.department))
    unknown = [name for name in wanted if name not in known]
    if unknown:
        expected = "a department owning a subscription: " + ", ".join(known)
        raise InputError([Problem("--department", "", "", name, expected) for name in unknown])
    written = run_reports(args.dir, wanted, args.out, args.first, args.last, args.as_of,
                          progress=args.all)
    for path in written:
        print(f"wrote {path}")
    return 0

"""``multisub preview [DIR] [--as-of DAY] [--out FILE]``: the open month so far (T4).

Prints the month of the as-of day (default: the last day with usage, so a mid-month pull works)
to date and projected to its end per department, with the band of the daily spread, the
overage that will be billed if the trend holds, per usage type, and the departments the
projection puts above budget, by name. FILE gets the per-subscription table; the departments,
usage types and breaches go next to it (``NAME.departments.EXT``, …) or into extra sheets.
"""

from __future__ import annotations

from pathlib import Path

from toolkit.commands.cli import COMMANDS, day, tenant_dir_argument
from toolkit.commands.outputs import check_outputs, tenant_inputs
from toolkit.finance.preview import month_preview
from toolkit.present.export import companion_paths, write_with_companions
from toolkit.workspace import Workspace

COMPANIONS = ("departments", "usage", "breaches")


def register(subparsers) -> None:
    parser = subparsers.add_parser("preview", help=COMMANDS["preview"])
    tenant_dir_argument(parser)
    parser.add_argument("--as-of", type=day, default=None, metavar="DAY",
                        help="the last day seen (default: the last day with usage)")
    parser.add_argument("--out", type=Path, metavar="FILE",
                        help="output file: .csv, .parquet or .xlsx")
    parser.set_defaults(run=run)


def run(args) -> int:
    if args.out is not None:
        check_outputs(companion_paths(args.out, COMPANIONS), tenant_inputs(args.dir))
    data = Workspace.open(args.dir)
    if data.usage is None:
        _ = data.allocation  # raises the usual problem: a usage file is needed
    preview = month_preview(data.tenant, data.usage, data.users, args.as_of, data.budget_table)
    print(summary(preview, data.tenant.currency))
    if args.out is not None:
        companions = dict(zip(COMPANIONS, (preview.departments, preview.usage,
                                           preview.breaches), strict=True))
        for path in write_with_companions(preview.subscriptions, args.out, companions):
            print(f"wrote {path}")
    return 0


def summary(preview, currency: str) -> str:
    """The preview in words and one line per department and type."""
    state = "closed: the preview is the bill" if preview.days_seen == preview.days else \
        f"{preview.days_seen} of {preview.days} days seen"
    lines = [f"{preview.period} as of {preview.as_of} ({state}); projected at the run rate "
             f"of the days seen, band = the remaining days at the lowest and highest daily "
             f"usage ({currency})",
             f"{'department':<24}{'to date':>14}{'projected':>14}{'low':>14}{'high':>14}"]
    lines += [f"{row.department:<24}{row.total_to_date:>14,.2f}{row.total_projected:>14,.2f}"
              f"{row.total_low:>14,.2f}{row.total_high:>14,.2f}"
              for row in preview.departments.itertuples(index=False)]
    over = preview.usage[preview.usage["overage_projected"] > 0]
    lines += [f"overage if the trend holds: {row.usage_type} {row.overage_projected:,.1f} "
              f"units (band {row.overage_low:,.1f} to {row.overage_high:,.1f})"
              for row in over.itertuples(index=False)] or ["no overage if the trend holds"]
    lines += [f"predicted budget breach: {row.department} {row.projected:,.2f} against "
              f"{row.budget:,.2f}, {row.over:,.2f} over"
              for row in preview.breaches.itertuples(index=False)] or [
        "no budget breach predicted"]
    return "\n".join(lines)

"""``multisub costs [DIR] --method billed|caused --out FILE``: department chargeback.

FILE gets the chargeback per period and department; the detailed costs per subscription and
usage type, and the budget comparison when the tenant directory has a ``budgets.csv``, go next
to it (``NAME.costs.EXT``, ``NAME.budgets.EXT``) or into extra sheets of an XLSX file. Without
``--out`` the totals per department are printed only.

Budgets: every budget breach (billed above the budget) is printed by department, period and
amount; the periods that only reached ``--warn-at`` percent of their budget (default 80) are
warnings, counted per department, so one breach is never hidden among seventy warnings.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from toolkit.commands.cli import COMMANDS, output_argument, period_argument, tenant_dir_argument
from toolkit.commands.outputs import check_outputs, tenant_inputs
from toolkit.finance.chargeback import METHODS
from toolkit.finance.costs import unowned_overage
from toolkit.finance.coverage import coverage
from toolkit.finance.money import from_cents, to_cents
from toolkit.present.export import companion_paths, write_with_companions
from toolkit.present.text import listing, paragraph, plural
from toolkit.present.words import budget_warning_text, money_text, type_name
from toolkit.workspace import Workspace

#: Default warning threshold, percent of a department-period's budget.
WARN_AT = 80.0


def register(subparsers) -> None:
    parser = subparsers.add_parser("costs", help=COMMANDS["costs"])
    tenant_dir_argument(parser)
    parser.add_argument("--method", choices=list(METHODS), default="billed",
                        help="billed: as invoiced (the owner pays the overage); caused: overage "
                             "charged to the departments whose usage exceeded their entitlement")
    output_argument(parser, required=False)
    period_argument(parser)
    parser.add_argument("--warn-at", type=_percent, default=WARN_AT, metavar="PERCENT",
                        help="warn when a department-period's cost reaches PERCENT of its "
                             f"budget (default {WARN_AT:.0f}); above 100%% is a breach")
    parser.set_defaults(run=run)


def _percent(text: str) -> float:
    try:
        value = float(text.rstrip("%"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"a percentage such as 80, not {text!r}") from None
    if not 0 < value <= 100:
        raise argparse.ArgumentTypeError(f"a percentage above 0 and at most 100, not {text}")
    return value


#: The tables written next to ``--out`` (``budgets`` only when the tenant has budgets).
COMPANIONS = ("costs", "budgets")


def run(args) -> int:
    if args.out is not None:
        check_outputs(companion_paths(args.out, COMPANIONS), tenant_inputs(args.dir))
    thresholds = tuple(sorted({args.warn_at / 100, 1.0}))
    data = Workspace.open(args.dir, args.period, thresholds=thresholds)
    table, result = data.priced, data.chargeback(args.method)
    versus = data.budgets_for(args.method)
    _print_summary(data.tenant, result, args.method, data.as_of)
    _print_warnings(data.allocation)
    print(coverage_lines(data, result))
    if versus is not None:
        print(budget_lines(versus, data.tenant.currency, args.warn_at))
    if args.out is not None:
        for path in _write(args.out, result, table, versus):
            print(f"wrote {path}")
    return 0


def _print_summary(tenant, result, method: str, as_of) -> None:
    totals = result.groupby("department")[["committed_cost", "overage_cost", "total_cost"]].sum()
    print(paragraph(f"{tenant.name}: chargeback ({method}) in {tenant.currency}, "
                    f"{result['period'].min()} to {result['period'].max()}, as of {as_of} (the "
                    "last day of the last period with usage)"))
    print(f"{'department':<24}{'committed':>16}{'overage':>14}{'total':>16}")
    for department, row in totals.iterrows():
        cents = to_cents(row.to_numpy())
        print(f"{department:<24}" + "".join(
            f"{value:>{width},.2f}" for value, width in zip(from_cents(cents), (16, 14, 16),
                                                            strict=True)))
    grand = from_cents(to_cents(result["total_cost"]).sum())
    print(f"{'total':<24}{'':>30}{grand:>16,.2f}")


def _print_warnings(allocation) -> None:
    unowned = unowned_overage(allocation)
    if len(unowned):
        print(paragraph(f"note: {len(unowned)} period(s) have pooled overage that no "
                        "subscription owns (nobody held the type); it is on no department's "
                        "bill"))


def coverage_lines(data: Workspace, result) -> str:
    """The months of the chargeback with and without usage, and the usage not allocated
    (:mod:`toolkit.finance.coverage`), as every summary states them."""
    periods = result["period"].sort_values().unique() if len(result) else []
    span = list(periods) if len(periods) == 0 else \
        list(pd.period_range(periods[0], periods[-1], freq=periods[0].freq))
    found = coverage(data.allocation, span, data.tenant)
    missing = found.without_usage
    lines = ["", f"coverage: {plural(len(found.with_usage), 'period')} with usage"
             + (f"; without usage: {', '.join(str(p) for p in missing)}" if missing else
                ", none without")]
    if found.unallocated.empty:
        lines.append("coverage: all usage allocated (none left unallocated)")
        return "\n".join(lines)
    lines.append(f"coverage: {plural(found.unallocated_rows, 'usage row')} not allocated, on "
                 f"no department's bill; at the owner's price "
                 f"{money_text(found.unallocated_cost, data.currency)}:")
    for row in found.unallocated.itertuples():
        cost = "no known price" if pd.isna(row.cost) else money_text(row.cost, data.currency)
        name = type_name(data.tenant, row.usage_type)
        lines.append(paragraph(f"{name}: {plural(row.rows, 'row')}, "
                               f"quantity {row.quantity:,.0f} ({row.billable:,.0f} billable), "
                               f"{row.reason}; {cost}", "      ", first_indent="  "))
    return "\n".join(lines)


def budget_lines(versus, currency: str, warn_at: float, width: int | None = None) -> str:
    """Budget breaches one per line with their amounts, then warnings and unbudgeted spending
    counted per department: the breach is the news, so it comes first and in full."""
    lines = [""]
    breaches = versus[versus["severity"] == "breach"]
    if breaches.empty:
        lines.append("budgets: no breach (no department-period billed above its budget)")
    else:
        lines.append(f"budget breaches: {plural(len(breaches), 'department-period')} billed "
                     f"above budget ({currency})")
        lines += [paragraph(_breach(row), "      ", width, first_indent="  ")
                  for row in breaches.itertuples(index=False)]
    for severity, label in (("warning", budget_warning_text(warn_at)),
                            ("no budget", "spending with no budget")):
        rows = versus[versus["severity"] == severity]
        if rows.empty:
            continue
        counts = rows.groupby("department").size()
        lines.append(f"budget warnings: {plural(len(rows), 'department-period')} {label}:")
        lines.append(listing([f"{d} {n}" for d, n in counts.items()], "  ", width))
    return "\n".join(lines)


def _breach(row) -> str:
    return (f"{row.department}, {row.period}: billed {row.actual:,.2f} against a budget of "
            f"{row.budget:,.2f}, {-row.variance:,.2f} over ({row.used:.1%} of budget)")


def _write(out: Path, result, table, versus) -> list[Path]:
    companions = {"costs": table, **({"budgets": versus} if versus is not None else {})}
    return write_with_companions(result, out, companions)

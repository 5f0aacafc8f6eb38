"""``multisub costs [DIR] --method billed|caused --out FILE``: department chargeback.

FILE gets the chargeback per period and department; the detailed costs per subscription and
usage type, and the budget comparison when the tenant directory has a ``budgets.csv``, go next
to it (``NAME.costs.EXT``, ``NAME.budgets.EXT``) or into extra sheets of an XLSX file. Without
``--out`` the totals per department are printed only.
"""

from __future__ import annotations

from pathlib import Path

from toolkit.commands.cli import output_argument, period_argument, tenant_dir_argument
from toolkit.finance.budgets import budget_vs_actual
from toolkit.finance.chargeback import METHODS, chargeback
from toolkit.finance.costs import costs, unowned_overage
from toolkit.finance.money import from_cents, to_cents
from toolkit.inputs.budgets import BUDGETS_FILE, load_budgets
from toolkit.inputs.dataset import load_and_allocate
from toolkit.present.export import write_with_companions


def register(subparsers) -> None:
    parser = subparsers.add_parser("costs", help="committed and overage cost per department")
    tenant_dir_argument(parser)
    parser.add_argument("--method", choices=list(METHODS), default="billed",
                        help="billed: as invoiced (the owner pays the overage); caused: overage "
                             "charged to the departments whose usage exceeded their entitlement")
    output_argument(parser, required=False)
    period_argument(parser)
    parser.set_defaults(run=run)


def run(args) -> int:
    data, allocation = load_and_allocate(args.dir, args.period)
    budget_file = data.directory / BUDGETS_FILE
    budgets = load_budgets(budget_file, data.tenant, args.period) if budget_file.exists() else None
    table = costs(allocation, data.tenant)
    result = chargeback(allocation, data.tenant, args.method, table=table)
    versus = budget_vs_actual(result, budgets) if budgets is not None else None
    _print_summary(data.tenant, result, args.method)
    _print_warnings(allocation, versus)
    if args.out is not None:
        for path in _write(args.out, result, table, versus):
            print(f"wrote {path}")
    return 0


def _print_summary(tenant, result, method: str) -> None:
    totals = result.groupby("department")[["committed_cost", "overage_cost", "total_cost"]].sum()
    print(f"{tenant.name}: chargeback ({method}) in {tenant.currency}, "
          f"{result['period'].min()} to {result['period'].max()}")
    print(f"{'department':<24}{'committed':>16}{'overage':>14}{'total':>16}")
    for department, row in totals.iterrows():
        cents = to_cents(row.to_numpy())
        print(f"{department:<24}" + "".join(
            f"{value:>{width},.2f}" for value, width in zip(from_cents(cents), (16, 14, 16),
                                                            strict=True)))
    grand = from_cents(to_cents(result["total_cost"]).sum())
    print(f"{'total':<24}{'':>30}{grand:>16,.2f}")


def _print_warnings(allocation, versus) -> None:
    unowned = unowned_overage(allocation)
    if len(unowned):
        print(f"note: {len(unowned)} period(s) have pooled overage that no subscription owns "
              "(nobody held the type); it is on no department's bill")
    if versus is not None:
        flagged = versus[versus["flag"] != ""]
        print(f"budgets: {len(flagged)} department-period(s) flagged "
              f"({', '.join(sorted(set(flagged['flag'])) or ['none'])})")


def _write(out: Path, result, table, versus) -> list[Path]:
    companions = {"costs": table, **({"budgets": versus} if versus is not None else {})}
    return write_with_companions(result, out, companions)

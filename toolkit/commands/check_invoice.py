"""``multisub check-invoice INVOICE [DIR] --out FILE [--tolerance AMOUNT] [--skus FILE]``.

Compares Cisco's invoice with the bill computed from the tenant directory (T2,
:func:`toolkit.finance.invoice_check.check_invoice`). Printed first: the totals per invoiced
period (invoiced, computed, difference) and the amount in dispute per subscription; then one
line per difference with its cause. FILE gets every difference; the period totals and the
disputes go next to it (``NAME.periods.EXT``, ``NAME.disputes.EXT``) or into extra sheets of an
XLSX file. Exit status 1 when a difference above the tolerance (default one cent) exists, so a
scheduled check can alert.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from toolkit.commands.cli import COMMANDS, output_argument, tenant_dir_argument
from toolkit.commands.outputs import check_outputs, tenant_inputs
from toolkit.finance.invoice_check import CENT, check_invoice, disputed, period_totals
from toolkit.inputs.invoice import load_invoice, read_skus
from toolkit.present.export import companion_paths, write_with_companions
from toolkit.workspace import Workspace

COMPANIONS = ("periods", "disputes")


def register(subparsers) -> None:
    parser = subparsers.add_parser("check-invoice", help=COMMANDS["check-invoice"])
    parser.add_argument("invoice", type=Path, metavar="INVOICE",
                        help="the invoice file (.csv or .xlsx), docs/traceability.md")
    tenant_dir_argument(parser)
    output_argument(parser)
    parser.add_argument("--tolerance", type=_amount, default=CENT, metavar="AMOUNT",
                        help="differences up to AMOUNT are not reported as disputes "
                             "(default 0.01)")
    parser.add_argument("--skus", type=Path, metavar="FILE",
                        help="a CSV sku,usage_type adding to the default SKU table")
    parser.set_defaults(run=run)


def _amount(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"an amount such as 0.01, not {text!r}") from None
    if not 0 <= value <= 1e12:
        raise argparse.ArgumentTypeError(f"an amount from 0 to 10^12, not {text}")
    return value


def run(args) -> int:
    check_outputs(companion_paths(args.out, COMPANIONS),
                  [*tenant_inputs(args.dir), args.invoice, args.skus])
    data = Workspace.open(args.dir)
    skus = read_skus(args.skus) if args.skus else None
    invoice = load_invoice(args.invoice, data.tenant, skus)
    differences = check_invoice(data.tenant, data.allocation, invoice, data.usage)
    totals, disputes = period_totals(invoice, differences), disputed(differences, args.tolerance)
    print(_summary(data.tenant.currency, totals, disputes, differences))
    companions = dict(zip(COMPANIONS, (totals, disputes), strict=True))
    for path in write_with_companions(differences, args.out, companions):
        print(f"wrote {path}")
    return 1 if len(disputes) else 0


def _summary(currency: str, totals, disputes, differences) -> str:
    lines = [f"{'period':<10}{'invoiced':>16}{'computed':>16}{'difference':>14}  ({currency})"]
    lines += [f"{row.period:<10}{row.invoiced:>16,.2f}{row.computed:>16,.2f}"
              f"{row.difference:>14,.2f}" for row in totals.itertuples(index=False)]
    if disputes.empty:
        lines.append("no difference above the tolerance: the invoice agrees")
    else:
        lines.append("in dispute: " + ", ".join(
            f"{row.subscription_id} {row.in_dispute:,.2f} ({row.lines} line"
            f"{'s' if row.lines != 1 else ''})" for row in disputes.itertuples(index=False)))
    lines += [f"  {row.period} {row.subscription_id} {row.usage_type} {row.charge}: "
              f"{row.difference:+,.2f} {row.cause}: {row.explanation}"
              for row in differences.itertuples(index=False)]
    return "\n".join(lines)

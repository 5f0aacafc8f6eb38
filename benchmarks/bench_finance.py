"""Benchmark: costs, both chargeback views, the FOCUS table and the forecast on a large tenant.

Everything here works on the allocation's per-subscription table, not on raw usage, so its
size is periods × types × subscriptions. The floor is a bare
``by_subscription.groupby([period, department]).sum()`` of the same table, measured in the
same run; ratios say how much the pricing, rounding and splitting cost on top of it.

Run: ``python benchmarks/bench_finance.py [--subscriptions N] [--rows N]``.
"""

from __future__ import annotations

import argparse
import gc
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import best_of, machine, peak_memory  # noqa: E402
from bench_allocate import MONTHS, TYPES, bench_tenant, bench_usage  # noqa: E402

from toolkit import Tenant, allocate  # noqa: E402
from toolkit.finance.chargeback import chargeback  # noqa: E402
from toolkit.finance.costs import costs  # noqa: E402
from toolkit.finance.focus import focus_table  # noqa: E402
from toolkit.finance.forecast import forecast  # noqa: E402


def priced(tenant: Tenant) -> Tenant:
    return Tenant(tenant.name, tenant.currency, tenant.subscriptions,
                  overage_prices={t: 1.5 + i for i, t in enumerate(TYPES)})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscriptions", type=int, default=200)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    tenant = priced(bench_tenant(args.subscriptions))
    allocation = allocate(tenant, bench_usage(args.rows, tenant))
    split = allocation.by_subscription
    n = len(split)
    print(f"input: {args.subscriptions} subscriptions, {len(TYPES)} types, {MONTHS} months; "
          f"{args.rows:,} usage rows → {n:,} per-subscription rows")
    floor_time, _ = best_of(3, lambda: split.groupby(["period", "department"])[
        ["usage", "entitlement", "overage"]].sum())
    print(f"floor groupby([period, department]).sum(): {floor_time * 1000:.1f} ms")
    table = costs(allocation)
    gc.collect()
    steps = {
        "costs": lambda: costs(allocation),
        "chargeback billed": lambda: chargeback(allocation, method="billed", table=table),
        "chargeback caused": lambda: chargeback(allocation, method="caused", table=table),
        "focus_table": lambda: focus_table(allocation, cost_table=table),
        "forecast (as of month 24)": lambda: forecast(allocation, split["period"].min() + 23),
    }
    for name, step in steps.items():
        seconds, _ = best_of(3, step)
        memory: dict = {}
        with peak_memory(memory):
            step()
        print(f"{name:<27} {seconds * 1000:9.1f} ms  {n / seconds:>12,.0f} rows/s  "
              f"{seconds / floor_time:7.1f}x floor  peak +{memory['peak'] / 2**20:,.0f} MiB")


if __name__ == "__main__":
    main()

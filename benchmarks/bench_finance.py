"""Benchmark: costs, both chargeback views, the FOCUS table and the forecast on a large tenant.

Everything here works on the allocation's per-subscription table, not on raw usage, so its
size is periods × types × subscriptions. The floor is a bare
``by_subscription.groupby([period, department]).sum()`` of the same table, measured in the
same run; ratios say how much the pricing, rounding and splitting cost on top of it.

Issue 22 (exact money at integer speed): each exact step is also timed against a **float
version** of itself measured in the same run (the same price rule and grid, amounts as floats
rounded row by row: no exactness) and against the former :class:`fractions.Fraction` path
(``tests/money_reference.py``); the ratios ``x float`` are the target (≤ 1.2). Timings are the
fastest of ``--repeats`` interleaved rounds (the machine may be shared).

Run: ``python benchmarks/bench_finance.py [--subscriptions N] [--rows N] [--repeats N]``.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from unittest import mock

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import best_of, machine, peak_memory  # noqa: E402
from bench_allocate import MONTHS, TYPES, bench_tenant, bench_usage  # noqa: E402

from toolkit import Tenant, allocate  # noqa: E402
from toolkit.finance.chargeback import chargeback  # noqa: E402
from toolkit.finance.costs import costs  # noqa: E402
from toolkit.finance.focus import focus_table  # noqa: E402
from toolkit.finance.forecast import forecast  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
import money_reference  # noqa: E402

from toolkit.finance import chargeback as chargeback_module  # noqa: E402
from toolkit.finance import costs as costs_module  # noqa: E402
from toolkit.finance import forecast as forecast_module  # noqa: E402
from toolkit.finance.money import from_cents, to_cents  # noqa: E402
from toolkit.periods import day_number, prorated  # noqa: E402


def float_costs(allocation, tenant=None) -> pd.DataFrame:
    """The costs table with float amounts: the floor exact money is measured against."""
    tenant = tenant or allocation.tenant
    frame = allocation.by_subscription[costs_module.KEYS + [
        "department", "entitlement", "usage", "overage"]].copy()
    grid = costs_module._Grid(tenant, frame)
    committed = np.zeros(grid.shape)
    for s, sub in enumerate(tenant.subscriptions):
        for line in sub.lines:
            committed[:, grid.types[line.usage_type], s] += prorated(
                line.quantity, day_number(line.start), day_number(line.end), grid.starts,
                grid.ends) * line.unit_price
    price, sources = costs_module._prices(tenant, frame, grid, np.zeros(grid.shape[:2], bool))
    amount = grid.pick(committed)
    frame["overage_price"], frame["price_source"] = price, sources
    frame["unit_price"] = np.divide(amount, frame["entitlement"].to_numpy(),
                                    out=np.zeros(len(frame)), where=frame["entitlement"] > 0)
    committed_cents = to_cents(amount)
    overage_cents = to_cents(frame["overage"].to_numpy() * np.nan_to_num(price))
    frame["committed_cost"] = from_cents(committed_cents)
    frame["overage_cost"] = from_cents(overage_cents)
    frame["total_cost"] = from_cents(committed_cents + overage_cents)
    frame["currency"] = tenant.currency
    return frame[costs_module.COST_COLUMNS]


def float_caused(table: pd.DataFrame, tenant: Tenant) -> pd.DataFrame:
    """The caused split with floats: pooled overage cost re-split by excess, cents per row."""
    pooled = table["usage_type"].isin(chargeback_module.pooled_types(tenant)).to_numpy(bool)
    frame = table[["period", "usage_type", "department", "usage", "entitlement",
                   "overage_cost"]].copy()
    frame.loc[~pooled, "usage_type"] = ""
    dept = frame.groupby(["period", "usage_type", "department"], as_index=False, sort=True)[
        ["usage", "entitlement", "overage_cost"]].sum()
    dept["excess"] = (dept["usage"] - dept["entitlement"]).clip(lower=0)
    groups = dept.groupby(["period", "usage_type"], sort=False)
    total, excess = groups["overage_cost"].transform("sum"), groups["excess"].transform("sum")
    share = np.where((dept["usage_type"] != "") & (excess > 0),
                     total * dept["excess"] / excess.where(excess > 0, 1), dept["overage_cost"])
    dept["cents"] = to_cents(share)
    return dept.groupby(["period", "department"], as_index=False, sort=True)["cents"].sum()


def reference_caused(allocation):
    """The chargeback of the former Fraction path (costs and the caused split)."""
    table = money_reference.exact_costs(allocation)
    methods = {"caused": lambda t, tenant, a: money_reference.caused_cents(t, tenant)}
    with mock.patch.dict(chargeback_module.METHODS, methods):
        return chargeback(allocation, method="caused", table=table)


def float_chargeback(allocation, table):
    methods = {"caused": lambda t, tenant, a: float_caused(t, tenant)}
    with mock.patch.dict(chargeback_module.METHODS, methods):
        return chargeback(allocation, method="caused", table=table)


def forecast_with(pricing, allocation, as_of):
    """The forecast with ``pricing`` in place of :func:`toolkit.finance.costs.costs`."""
    with ExitStack() as stack:
        stack.enter_context(mock.patch.object(forecast_module, "costs", pricing))
        return forecast(allocation, as_of)


def interleaved(repeats: int, steps: dict) -> dict:
    """Fastest time of each step over ``repeats`` rounds that run every step in turn, so
    that a busy spell on a shared machine hits all of them alike."""
    best = dict.fromkeys(steps, float("inf"))
    for _ in range(repeats):
        for name, step in steps.items():
            gc.collect()
            start = time.perf_counter()
            step()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def priced(tenant: Tenant) -> Tenant:
    return Tenant(tenant.name, tenant.currency, tenant.subscriptions,
                  overage_prices={t: 1.5 + i for i, t in enumerate(TYPES)})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscriptions", type=int, default=200)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
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


    exact_vs_float(allocation, table, args.repeats)


def exact_vs_float(allocation, table, repeats: int) -> None:
    """Issue 22: exact money (integers) vs the float floor vs the former Fraction path."""
    as_of = allocation.by_subscription["period"].min() + 23
    float_table = float_costs(allocation)
    exact_table = costs_module.exact_costs(allocation)
    rows = {
        "costs": (lambda: costs(allocation), lambda: float_costs(allocation),
                  lambda: money_reference.costs(allocation)),
        "chargeback caused": (
            lambda: chargeback(allocation, method="caused", table=exact_table),
            lambda: float_chargeback(allocation, float_table),
            lambda: reference_caused(allocation)),
        "forecast": (lambda: forecast(allocation, as_of),
                     lambda: forecast_with(float_costs, allocation, as_of),
                     lambda: forecast_with(money_reference.costs, allocation, as_of)),
    }
    steps = {f"{name} {kind}": f for name, fs in rows.items()
             for kind, f in zip(("exact", "float", "fraction"), fs, strict=True)}
    best = interleaved(repeats, steps)
    print(f"exact money, min of {repeats} interleaved rounds (integer kernels / float floor / "
          "former Fractions):")
    for name in rows:
        exact, floor, old = (best[f"{name} {k}"] for k in ("exact", "float", "fraction"))
        print(f"{name:<19} exact {exact * 1000:8.1f} ms  float {floor * 1000:8.1f} ms  "
              f"fraction {old * 1000:8.1f} ms  {exact / floor:5.2f}x float  "
              f"(fraction was {old / floor:5.2f}x float)")


if __name__ == "__main__":
    main()

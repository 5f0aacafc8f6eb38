"""Benchmark: ``allocate`` against a bare groupby of the same frame, and timeline scaling.

Targets (issues 2 and 13): allocate on 10M usage rows (20 subscriptions, 5 types, 36 months)
within 2x of the integer-code floor (month, type and subscription codes, one bincount)
measured in the same run; peak memory within 4x of the input frame; allocate linear in the
rows (10M vs 30M: the time per row printed for each); ``ownership_timeline`` growing linearly
with the number of lines (100 to 30,000 subscriptions: its ratio to the floor of filing every
change point by date stays flat).

Run: ``python benchmarks/bench_allocate.py [--rows N ...]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import best_cpu_of, best_of, machine, peak_memory  # noqa: E402

from toolkit import Line, Subscription, Tenant, Term, allocate, ownership_timeline  # noqa: E402
from toolkit.timeline import seniority  # noqa: E402

TYPES = ["cc_standard_agent", "cc_premium_agent", "ai_agent", "ai_assistant", "webex_connect"]
START = dt.date(2024, 1, 1)
MONTHS = 36


def bench_tenant(subscriptions: int, lines_per_term: int = 5) -> Tenant:
    """Subscriptions starting a month apart, each with two 2-year terms and a gap between."""
    subs = []
    for i in range(subscriptions):
        first = START + dt.timedelta(days=(i * 30) % 360)
        middle = first + dt.timedelta(days=700)
        renewal = middle + dt.timedelta(days=(i % 3) * 20)
        terms = tuple(
            Term(a, b, tuple(
                Line(TYPES[(i + k) % len(TYPES)], 50.0 + k, 10.0, a, b)
                for k in range(lines_per_term)
            ))
            for a, b in ((first, middle), (renewal, renewal + dt.timedelta(days=730)))
        )
        subs.append(Subscription(f"Sub-{i:05d}", f"Dept {i % 7}", "concurrent", "flex",
                                 "cloud", terms))
    return Tenant("Benchmark", "EUR", tuple(subs))


def bench_usage(rows: int, tenant: Tenant, seed: int = 1) -> pd.DataFrame:
    """40% concurrency samples on a 15-minute grid, 60% summed usage at random instants."""
    rng = np.random.default_rng(seed)
    span = (pd.Timestamp(START) + pd.DateOffset(months=MONTHS) - pd.Timestamp(START))
    seconds = rng.integers(0, int(span.total_seconds()), rows)
    peak = rng.random(rows) < 0.4
    seconds[peak] -= seconds[peak] % 900
    stamps = pd.to_datetime(seconds * 1_000_000 + pd.Timestamp(START).value // 1000, unit="us")
    type_index = np.where(peak, rng.integers(0, 2, rows), rng.integers(2, 5, rows))
    subs = np.array([s.id for s in tenant.subscriptions])
    return pd.DataFrame({
        "timestamp": stamps.tz_localize("UTC"),
        "usage_type": pd.array(np.array(TYPES)[type_index], dtype="str"),
        "quantity": rng.integers(0, 20, rows).astype(np.float64),
        "subscription_id": pd.array(subs[rng.integers(0, len(subs), rows)], dtype="str"),
        "user_id": pd.array([None] * rows, dtype="str"),
    })


def floor(frame: pd.DataFrame) -> np.ndarray:
    """The least work any allocation of the frame must do: code each row's month, type and
    subscription as integers and sum the quantities per combined code (one bincount).

    Grouping on Periods and strings instead (the earlier floor) is about 1.5x slower and
    flattered the ratio (issue 13).
    """
    local = frame["timestamp"].dt.tz_localize(None).to_numpy()
    months = local.astype("datetime64[M]").astype(np.int64)
    month = months - months.min()
    kind, kinds = pd.factorize(frame["usage_type"])
    sub, subs = pd.factorize(frame["subscription_id"])
    key = (month * len(kinds) + kind) * (len(subs) + 1) + sub
    return np.bincount(key, weights=frame["quantity"].to_numpy())


def bench_allocation(rows: int) -> None:
    tenant = bench_tenant(20)
    frame = bench_usage(rows, tenant)
    size = frame.memory_usage(deep=True).sum()
    print(f"input: {rows:,} rows, {size / 2**20:,.0f} MiB, 20 subscriptions, 5 types, "
          f"{MONTHS} months")
    floor_time, _ = best_of(3, lambda: floor(frame))
    allocate(tenant, frame.head(1000))  # warm caches (timelines)
    gc.collect()
    alloc_time, _ = best_of(3, lambda: allocate(tenant, frame))
    gc.collect()
    floor_cpu = best_cpu_of(2, lambda: floor(frame))
    alloc_cpu = best_cpu_of(2, lambda: allocate(tenant, frame))
    gc.collect()
    memory: dict = {}
    with peak_memory(memory):
        allocate(tenant, frame)
    print(f"floor (integer codes, one bincount): {floor_time:.2f} s")
    print(f"allocate: {alloc_time:.2f} s, {rows / alloc_time:,.0f} rows/s, "
          f"{alloc_time / rows * 1e9:.0f} ns/row")
    print(f"time ratio allocate/floor: {alloc_time / floor_time:.2f}x (target <= 2x)")
    print(f"CPU time: floor {floor_cpu:.2f} s, allocate {alloc_cpu:.2f} s = "
          f"{alloc_cpu / rows * 1e9:.0f} ns/row, ratio {alloc_cpu / floor_cpu:.2f}x")
    print(f"peak memory during allocate: {memory['peak'] / 2**20:,.0f} MiB = "
          f"{memory['peak'] / size:.2f}x the input frame (target <= 4x)")


def timeline_floor(tenant: Tenant) -> list:
    """The least work any timeline must do: rank the subscriptions by seniority (R2), visit
    every term and line once, file its start and end under their dates, and order the dates.
    Python objects of 10x more lines no
    longer fit the same caches, so this floor itself grows faster than 10x; the timeline is
    linear when its ratio to the floor stays flat."""
    events: dict = defaultdict(list)
    for sub in tenant.subscriptions:
        for term in sub.terms:
            events[term.start].append((sub.id, 1))
            events[term.end].append((sub.id, -1))
            for line in term.lines:
                events[line.start].append((line.usage_type, sub.id, 1))
                events[line.end].append((line.usage_type, sub.id, -1))
    return [sorted(tenant.subscriptions, key=seniority), sorted(events)]


def bench_timelines() -> None:
    print("ownership_timeline scaling (each subscription: 2 terms x 5 lines; CPU seconds, best "
          "of 3, beside the floor of ranking by seniority and filing every change point by date)")
    previous = None
    for count in (100, 1_000, 10_000, 30_000):
        tenant = bench_tenant(count)
        lines = sum(len(s.lines) for s in tenant.subscriptions)
        seconds = best_cpu_of(3, lambda t=tenant: ownership_timeline(bench_copy(t)))
        floor_seconds = best_cpu_of(3, lambda t=tenant: timeline_floor(t))
        growth = "" if previous is None else (
            f", x{seconds / previous[0]:.1f} time (floor x{floor_seconds / previous[1]:.1f}) "
            f"for x{lines / previous[2]:.0f} lines")
        print(f"  {count:>6,} subscriptions, {lines:>7,} lines: {seconds * 1000:8.1f} ms "
              f"({seconds / lines * 1e6:.1f} µs/line), {seconds / floor_seconds:.1f}x the "
              f"floor{growth}")
        previous = (seconds, floor_seconds, lines)


def bench_copy(tenant: Tenant) -> Tenant:
    """A fresh Tenant, so the cached timelines are computed again."""
    return Tenant(tenant.name, tenant.currency, tenant.subscriptions)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000_000, 30_000_000])
    parser.add_argument("--skip-timelines", action="store_true")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    for rows in args.rows:
        bench_allocation(rows)
        gc.collect()
    if args.skip_timelines:
        return
    bench_timelines()


if __name__ == "__main__":
    main()

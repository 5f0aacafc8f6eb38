"""Benchmark: peak_contributors for every peak of a year against measure_sessions (issue 21 T1).

Naming the users behind every billed peak must cost about what measuring the sessions costs:
it samples the same sessions once (keeping who was where), asks the allocation which samples
it bills, and looks up the users and sessions of a few dozen instants. The floor is
``measure_sessions`` on the same sessions, with the tenant's policy, measured in the same run;
the ratios are printed (targets: time <= 2x, peak memory <= 1.5x, memory counted where it is
allocated: numpy/Python through tracemalloc and Arrow's pool). One stable ``np.sort`` of the
instants is printed too, as the floor of any exact sweep. Each result is dropped before the
next run is timed (a fresh 10M-row frame costs more while another one is alive).

    python benchmarks/bench_peaks.py                    # 10M sessions, 10,000 users, a year
    python benchmarks/bench_peaks.py --sessions 1000000
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine, peak_memory  # noqa: E402
from bench_measure_sessions import make_sessions, users_table  # noqa: E402

from toolkit.metering import measure_sessions  # noqa: E402
from toolkit.model import Line, Subscription, Tenant, Term  # noqa: E402
from toolkit.peaks import peak_contributors  # noqa: E402


def bench_tenant(n_users: int) -> Tenant:
    """The three subscriptions of the users table, each holding both agent types in 2025,
    with entitlements below the peaks so every month bills overage."""
    start, end = dt.date(2025, 1, 1), dt.date(2026, 1, 1)
    subs = tuple(
        Subscription(sub_id, f"Dept {sub_id}", "concurrent", "flex", "cloud", (Term(
            start, end, (Line("cc_standard_agent", n_users // 300, 95.0, start, end),
                         Line("cc_premium_agent", n_users // 1500, 140.0, start, end))),))
        for sub_id in ("Sub-A", "Sub-B", "Sub-C"))
    return Tenant("Bench tenant", "EUR", subs, timezone="Europe/Rome")


def timed(work) -> tuple[float, int]:
    """Seconds of one run and the length of its result (the result itself is dropped)."""
    gc.collect()
    began = time.perf_counter()
    result = work()
    spent = time.perf_counter() - began
    size = len(result)
    del result
    gc.collect()
    return spent, size


def allocated(work) -> int:
    """Peak bytes allocated by one run (the result dropped afterwards)."""
    gc.collect()
    memory: dict = {}
    with peak_memory(memory):
        result = work()
    del result
    gc.collect()
    return memory["peak"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=10_000_000)
    parser.add_argument("--users", type=int, default=10_000)
    args = parser.parse_args()
    sessions = make_sessions(args.sessions, args.users, seed=7, shuffle=False)
    users = users_table(args.users)
    tenant = bench_tenant(args.users)
    instants = np.concatenate([sessions["login"].array.asi8, sessions["logout"].array.asi8])

    def measure():
        return measure_sessions(sessions, users, timezone=tenant.timezone,
                                metering=tenant.metering)

    def contributors():
        return peak_contributors(tenant, sessions, users)

    began = time.perf_counter()
    np.sort(instants, kind="stable")
    sort_floor = time.perf_counter() - began
    del instants
    measure_time, usage_rows = timed(measure)
    peaks_time, peak_rows = timed(contributors)
    measure_memory = allocated(measure)
    peaks_memory = allocated(contributors)

    print(f"machine: {machine()} (shared with other jobs: wall times vary)")
    print(f"input: {args.sessions:,} sessions of {args.users:,} users over 2025, "
          f"in login order; tenant of 3 subscriptions, Europe/Rome, 15min intervals")
    print(f"np.sort(kind='stable') of the {2 * args.sessions:,} instants: {sort_floor:.3f} s")
    print(f"measure_sessions (the floor): {measure_time:.3f} s, {usage_rows:,} usage rows, "
          f"peak memory {measure_memory / 2**20:,.0f} MiB")
    print(f"peak_contributors, every peak of the year: {peaks_time:.3f} s, {peak_rows:,} "
          f"rows, peak memory {peaks_memory / 2**20:,.0f} MiB")
    print(f"time ratio: {peaks_time / measure_time:.2f}x (target <= 2x)")
    print(f"memory ratio: {peaks_memory / measure_memory:.2f}x (target <= 1.5x)")


if __name__ == "__main__":
    main()

"""Benchmark: measure_sessions on many agent sessions, against the floor of one sort.

The floor is one stable ``np.sort`` of all login and logout instants (2 per session),
measured in the same run: any exact sweep has to order the instants at least once, and the
stable kind is the least such work on instants that arrive mostly sorted (logins in time
order), about 3.6x faster than the default kind there (issue 13). Prints the ratio
(target <= 6x), sessions per second, peak memory per session (target <= 100 bytes, counted
where it is allocated: numpy/Python through tracemalloc and Arrow's pool) and the machine.

    python benchmarks/bench_measure_sessions.py                 # 10M sessions, 10,000 users
    python benchmarks/bench_measure_sessions.py --sessions 1000000
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import peak_memory  # noqa: E402

from toolkit.metering import measure_sessions  # noqa: E402

YEAR_START = pd.Timestamp("2025-01-01", tz="Europe/Rome")
MICROS_PER_MINUTE = 60_000_000


def make_sessions(n: int, n_users: int, seed: int, shuffle: bool) -> pd.DataFrame:
    """About one year of shift sessions: each user logs in on some day at some minute."""
    rng = np.random.default_rng(seed)
    user = rng.integers(0, n_users, n)
    day = rng.integers(0, 365, n)
    minute = rng.integers(6 * 60, 23 * 60, n) + day * 1440
    length = rng.integers(20, 5 * 60, n)
    origin = YEAR_START.value // 1000  # .value is in nanoseconds
    login = origin + minute * MICROS_PER_MINUTE
    logout = login + length * MICROS_PER_MINUTE
    order = rng.permutation(n) if shuffle else np.argsort(login, kind="stable")
    ids = pd.Series(np.char.add("agent-", np.char.zfill(np.arange(n_users).astype(str), 5)),
                    dtype="str")
    return pd.DataFrame({
        "user_id": ids.take(user[order]).reset_index(drop=True),
        "login": pd.DatetimeIndex(login[order].astype("datetime64[us]"), tz="UTC")
        .tz_convert(YEAR_START.tz),
        "logout": pd.DatetimeIndex(logout[order].astype("datetime64[us]"), tz="UTC")
        .tz_convert(YEAR_START.tz),
    })


def users_table(n_users: int) -> pd.DataFrame:
    ids = [f"agent-{i:05d}" for i in range(n_users)]
    return pd.DataFrame({
        "user_id": ids, "role": "agent",
        "license": ["cc_premium_agent" if i % 5 == 0 else "cc_standard_agent"
                    for i in range(n_users)],
        "subscription_id": [("Sub-A", "Sub-B", "Sub-C")[i % 3] for i in range(n_users)],
    })


def best_of(repeat: int, work) -> float:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        work()
        times.append(time.perf_counter() - began)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=10_000_000)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--shuffle", action="store_true",
                        help="rows in random order instead of login order (as loaded)")
    args = parser.parse_args()
    sessions = make_sessions(args.sessions, args.users, seed=7, shuffle=args.shuffle)
    users = users_table(args.users)
    instants = np.concatenate([sessions["login"].array.asi8, sessions["logout"].array.asi8])

    floor = best_of(args.repeat, lambda: np.sort(instants, kind="stable"))
    result = {}
    spent = best_of(args.repeat, lambda: result.setdefault(
        "usage", measure_sessions(sessions, users)))
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    memory: dict = {}
    with peak_memory(memory):
        measure_sessions(sessions, users)

    print(f"machine: {platform.platform()}, {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cpus, python {platform.python_version()}, numpy {np.__version__}, "
          f"pandas {pd.__version__}")
    print(f"input: {args.sessions:,} sessions, {args.users:,} users, one year, "
          f"{'shuffled' if args.shuffle else 'in login order'}")
    print(f"floor (np.sort(kind='stable') of {len(instants):,} instants): {floor:.3f} s")
    print(f"measure_sessions (concurrent, 15min): {spent:.3f} s, "
          f"{len(result['usage']):,} usage rows")
    print(f"ratio: {spent / floor:.2f}x (target <= 6x)")
    print(f"throughput: {args.sessions / spent:,.0f} sessions/s")
    print(f"peak memory allocated by measure_sessions: {memory['peak'] / 2**20:,.0f} MiB = "
          f"{memory['peak'] / args.sessions:.0f} bytes per session (target <= 100)")
    print(f"peak memory (max RSS of the process, input included): {peak_mib:,.0f} MiB")


if __name__ == "__main__":
    main()

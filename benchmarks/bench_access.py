"""Benchmark: ``access_calendar``, ``validate`` and ``remap_plan`` on a large users table.

The calendar is compared with a bare ``groupby([role, department, subscription_id]).size()``
of the same users frame measured in the same run (reading the input once), and with the same
calendar evaluated naively on every day instead of on change points only.

Run: ``python benchmarks/bench_access.py [--users N] [--days D]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import best_of, machine, peak_memory  # noqa: E402

from toolkit import Line, Subscription, Tenant, Term, access_calendar  # noqa: E402
from toolkit.provisioning.access import normalize_users, row_status_codes, user_status_codes  # noqa: E402
from toolkit.provisioning.remap import remap_plan  # noqa: E402
from toolkit.provisioning.validation import validate  # noqa: E402

START = dt.date(2024, 1, 1)
TYPES = ["cc_standard_agent", "cc_premium_agent", "wfo"]


def bench_tenant(subscriptions: int = 20) -> Tenant:
    """Subscriptions a month apart, each with two 1-year terms and a gap for every third."""
    subs = []
    for i in range(subscriptions):
        first = START + dt.timedelta(days=30 * i)
        middle = first + dt.timedelta(days=365)
        renewal = middle + dt.timedelta(days=(i % 3 == 0) * 30)
        terms = tuple(
            Term(a, b, tuple(Line(t, 100.0, 10.0, a, b) for t in TYPES))
            for a, b in ((first, middle), (renewal, renewal + dt.timedelta(days=365)))
        )
        subs.append(Subscription(f"Sub-{i:03d}", f"Dept {i % 5}", "concurrent", "flex", "cloud",
                                 terms))
    return Tenant("Benchmark", "EUR", tuple(subs))


def bench_users(users: int, tenant: Tenant, seed: int = 1) -> pd.DataFrame:
    """Two mapping rows per user (agent license + WFO), 2% unmapped, a few admins."""
    rng = np.random.default_rng(seed)
    ids = np.array([s.id for s in tenant.subscriptions])
    user_ids = np.repeat([f"u{i:07d}" for i in range(users)], 2)
    subs = ids[rng.integers(0, len(ids), users * 2)].astype(object)
    subs[rng.random(users * 2) < 0.02] = None
    roles = np.repeat(np.where(rng.random(users) < 0.01, "admin", "agent"), 2)
    licenses = np.tile(["cc_standard_agent", "wfo"], users)
    return pd.DataFrame({
        "user_id": pd.array(user_ids, dtype="str"),
        "role": pd.array(roles, dtype="str"),
        "license": pd.array(licenses, dtype="str"),
        "subscription_id": pd.array(subs, dtype="str"),
        "department": pd.array(np.repeat([f"Dept {i % 5}" for i in range(users)], 2), dtype="str"),
        "email": pd.array([None] * (users * 2), dtype="str"),
    })


def naive_daily(tenant: Tenant, users: pd.DataFrame, start: dt.date, days: int) -> np.ndarray:
    """The same per-user statuses evaluated on every day (no change-point compression)."""
    frame = normalize_users(users, tenant)
    grid = np.arange(np.datetime64(start), np.datetime64(start) + days, dtype="datetime64[D]")
    return user_status_codes(frame, row_status_codes(tenant, frame, grid, 60))[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=730)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    tenant = bench_tenant()
    users = bench_users(args.users, tenant)
    size = users.memory_usage(deep=True).sum()
    start, end = dt.date(2025, 1, 1), dt.date(2025, 1, 1) + dt.timedelta(days=args.days)
    print(f"input: {len(users):,} mapping rows ({args.users:,} users), {size / 2**20:,.0f} MiB, "
          f"{len(tenant.subscriptions)} subscriptions, calendar of {args.days} days")
    floor_time, _ = best_of(3, lambda: users.groupby(
        ["role", "department", "subscription_id"], dropna=False).size())
    gc.collect()
    calendar_time, calendar = best_of(3, lambda: access_calendar(tenant, users, start, end))
    naive_time, _ = best_of(1, lambda: naive_daily(tenant, users, start, args.days))
    memory: dict = {}
    gc.collect()
    with peak_memory(memory):
        access_calendar(tenant, users, start, end)
    print(f"floor groupby([role, department, subscription]).size(): {floor_time * 1000:.1f} ms")
    print(f"access_calendar: {calendar_time * 1000:.1f} ms, "
          f"{len(users) * args.days / calendar_time:,.0f} row-days/s, "
          f"{len(calendar):,} output rows")
    print(f"time ratio access_calendar/floor: {calendar_time / floor_time:.1f}x")
    print(f"naive every-day evaluation: {naive_time * 1000:.1f} ms "
          f"({naive_time / calendar_time:.1f}x the change-point calendar)")
    print(f"peak memory during access_calendar: {memory['peak'] / 2**20:,.0f} MiB = "
          f"{memory['peak'] / size:.2f}x the input frame")
    on = dt.date(2025, 6, 1)
    validate_time, findings = best_of(1, lambda: validate(tenant, users, on))
    plan_time, plan = best_of(1, lambda: remap_plan(tenant, users, on))
    print(f"validate on {on}: {validate_time:.2f} s, {len(findings):,} findings, "
          f"{len(users) / validate_time:,.0f} rows/s")
    print(f"remap_plan on {on}: {plan_time:.2f} s, {len(plan):,} moves, "
          f"{len(users) / plan_time:,.0f} rows/s")


if __name__ == "__main__":
    main()

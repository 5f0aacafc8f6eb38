"""What a summary knows and what it does not: the one home of a review's **coverage**.

A CFO reading "billed EUR 160,968.00, up EUR 24,085" must also read which months that rests on:
the months with usage, the months of the reviewed window without any (the usage was never
loaded, or the tenant was not live yet), and the usage that could not be allocated to any
subscription (M6) — how many rows, how much per type, why, and what it would cost at the
owner's overage price if it were billed. Every summary (the HTML and PDF review, the workbook,
``multisub costs``) shows this one computation, so none of them can disagree about it.

A month with no usage is never compared with one that has some: :func:`comparable` pairs the
months of two windows position by position and keeps only the pairs where both have usage, so a
change is never "+EUR 24,085" because a month is missing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from toolkit.allocation import Allocation, period_owner
from toolkit.finance.costs import overage_price
from toolkit.finance.money import exact, from_cents, round_half_away
from toolkit.model import Tenant
from toolkit.periods import day_number

#: Columns of :attr:`Coverage.unallocated`, one row per reason and usage type.
UNALLOCATED_SUMMARY = ["reason", "usage_type", "rows", "quantity", "billable", "owner",
                       "overage_price", "cost"]


@dataclass(frozen=True)
class Coverage:
    """The months of a window with and without usage, and its unallocated usage by reason.

    ``unallocated`` has :data:`UNALLOCATED_SUMMARY`: ``rows`` input rows (or period leftovers),
    ``quantity`` their summed quantity, ``billable`` the quantity as the type is billed (sum,
    peak per period or distinct users, M2, added over the periods), ``cost`` what ``billable``
    would cost at the price of the owner of the type's overage (P3/P4), NaN when nobody owns
    it or no price applies.
    """

    periods: tuple[pd.Period, ...]
    with_usage: tuple[pd.Period, ...]
    unallocated: pd.DataFrame

    @property
    def without_usage(self) -> tuple[pd.Period, ...]:
        return tuple(p for p in self.periods if p not in set(self.with_usage))

    @property
    def unallocated_rows(self) -> int:
        return int(self.unallocated["rows"].sum()) if len(self.unallocated) else 0

    @property
    def unallocated_cost(self) -> float:
        """The priced part of the unallocated usage (types without a price are left out)."""
        if self.unallocated.empty:
            return 0.0
        return float(from_cents(np.int64(round(self.unallocated["cost"].fillna(0).sum() * 100))))

    @property
    def complete(self) -> bool:
        return not self.without_usage and self.unallocated.empty


def usage_periods(allocation: Allocation) -> set[pd.Period]:
    """The periods in which the tenant has any usage row, allocated or not."""
    pooled = allocation.pooled
    found = set(pooled.loc[pooled["usage"] > 0, "period"])
    found |= set(allocation.unallocated["period"])
    return found


def coverage(allocation: Allocation, periods, tenant: Tenant | None = None) -> Coverage:
    """The coverage of ``periods`` (an iterable of Periods of the allocation's frequency)."""
    tenant = tenant or allocation.tenant
    periods = tuple(periods)
    have = usage_periods(allocation)
    rows = allocation.unallocated
    rows = rows[rows["period"].isin(periods)]
    return Coverage(periods, tuple(p for p in periods if p in have),
                    _summarize(rows, allocation, tenant))


def comparable(now, before, allocation: Allocation) -> list[tuple[pd.Period, pd.Period]]:
    """Pairs (month of ``now``, month at the same place of ``before``) where both have usage:
    the only months a change is computed over."""
    have = usage_periods(allocation)
    return [(a, b) for a, b in zip(now, before, strict=True) if a in have and b in have]


def _summarize(rows: pd.DataFrame, allocation: Allocation, tenant: Tenant) -> pd.DataFrame:
    if rows.empty:
        return pd.DataFrame(columns=UNALLOCATED_SUMMARY)
    found = []
    for (reason, usage_type), group in rows.groupby(["reason", "usage_type"], sort=True):
        billable = _billable(group, tenant, str(usage_type), allocation.license_model)
        owner, price, cost = _priced(group, tenant, str(usage_type), allocation.license_model)
        found.append((str(reason), str(usage_type), len(group), float(group["quantity"].sum()),
                      billable, owner, price, cost))
    return pd.DataFrame(found, columns=UNALLOCATED_SUMMARY)


def _billable(rows: pd.DataFrame, tenant: Tenant, usage_type: str, license_model: str) -> float:
    """The rows' quantity as the type is billed (M2), added over their periods."""
    return sum(_billable_in(part, tenant, usage_type, license_model)
               for _, part in rows.groupby("period", sort=True))


def _billable_in(rows: pd.DataFrame, tenant: Tenant, usage_type: str,
                 license_model: str) -> float:
    row = tenant.usage_types.get(usage_type)
    measure = row.measure_for(license_model) if row is not None else "sum"
    if measure == "peak" and rows["timestamp"].notna().any():
        return float(rows.groupby("timestamp")["quantity"].sum().max())
    if measure == "distinct" and rows["user_id"].notna().any():
        return float(rows["user_id"].nunique())
    return float(rows["quantity"].sum())


def _priced(rows: pd.DataFrame, tenant: Tenant, usage_type: str,
            license_model: str) -> tuple[str | None, float, float]:
    """(owner of the last period, its price, the cost of every period at its owner's price)."""
    if usage_type not in tenant.usage_types:
        return None, np.nan, np.nan
    cents, owner, price = 0, None, np.nan
    for period, part in rows.groupby("period", sort=True):
        start = day_number(period.start_time.date())
        end = day_number(period.end_time.date()) + 1
        owner, _ = period_owner(tenant, usage_type, start, end)
        if owner is None:
            return None, np.nan, np.nan
        found, _ = overage_price(tenant, owner, usage_type, start, end)
        if found is None:
            return owner, np.nan, np.nan
        price = found
        amount = exact(_billable_in(part, tenant, usage_type, license_model)) * exact(found)
        cents += round_half_away(amount)
    return owner, float(price), float(from_cents(np.int64(cents)))

"""Commitments: what was paid for, what was used of it, what will be by the term's end (T3, P6).

Committed cost is paid whatever the usage; the analyst's question is how much of it bought
nothing. For each line and period (P6, as OpenCost's idle cost):

- **used** = the part of the line's prorated entitlement (P2) that attributed usage consumed,
  **unused** = the rest, never negative: ``max(0, entitlement − usage)``. For a pooled type the
  pool is measured (the tenant's usage against the pool's entitlement, ``Allocation.pooled``)
  and the pool's unused entitlement is shared among the lines by entitlement share; for a
  non-pooled type the subscription's usage is measured against its own lines.
- **unused cost** = unused × the line's unit price. It is a view of committed cost, never
  added to it: used + unused = entitlement, in units and in money, line by line.

:func:`commitments` sums that per line over the term: committed unit-months of the whole
term, used unit-months to date (the allocation's periods), projected unit-months at the term's
end (used to date plus, for each remaining month, the run rate of the last ``lookback``
periods' use capped at the month's entitlement, as :mod:`toolkit.finance.forecast` projects),
and the unused cost to date. :func:`renewal_candidates` names the lines used under 60% in each
of the last twelve months: the renewal question. The work is one small grid (lines × periods),
so the chargeback's ``unused_cost`` column costs one pass, not one per department.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from toolkit.allocation import Allocation
from toolkit.finance.money import from_cents, to_cents
from toolkit.model import Tenant
from toolkit.periods import day_number, period_bounds, prorated

COLUMNS = ["subscription_id", "department", "usage_type", "line_start", "line_end",
           "committed_unit_months", "used_unit_months", "projected_unit_months", "unused_cost"]
#: A line used under this share of its entitlement in each of the last twelve months is a
#: renewal candidate (buy less, or move the users who could use it).
RENEWAL_SHARE = 0.6
RENEWAL_MONTHS = 12


def line_usage(tenant: Tenant, allocation: Allocation) -> pd.DataFrame:
    """Per line and period of the allocation: ``entitlement, used, unused, unit_price,
    unused_cost`` (floats; unused_cost exact to the float, not rounded), plus the line's keys
    (``line``: its position among the tenant's lines)."""
    lines, periods = _lines(tenant), _periods(allocation)
    line, code, entitled, unused = _grid(lines, periods, allocation)
    grid = pd.DataFrame({"line": line, "period": periods[code] if len(code) else
                         pd.PeriodIndex([], freq=allocation.period)})
    for name in ("subscription_id", "department", "usage_type", "unit_price"):
        grid[name] = lines[name].to_numpy()[line]
    grid["entitlement"], grid["unused"] = entitled, unused
    grid["used"] = entitled - unused
    grid["unused_cost"] = unused * grid["unit_price"].to_numpy(float)
    return grid


def _grid(lines: pd.DataFrame, periods: pd.PeriodIndex, allocation: Allocation):
    """P6 on integer codes: ``line, period code, entitlement, unused`` of every line-period
    with entitlement. Each row gets its measuring unit's (the pool for pooled types, the
    subscription otherwise) unused entitlement by entitlement share; one vectorised pass
    (strings and Period objects would cost a comparison each: the chargeback calls this)."""
    if lines.empty or not len(periods):
        empty = np.zeros(0)
        return empty.astype(np.int64), empty.astype(np.int64), empty, empty
    starts, ends = period_bounds(periods)
    column = lines[["quantity", "start_day", "end_day"]].to_numpy(float)[:, :, None]
    entitled = prorated(column[:, 0], column[:, 1], column[:, 2], starts, ends)
    line, code = np.nonzero(entitled > 0)
    entitlement = entitled[line, code]
    types = sorted(set(lines["usage_type"]))
    subs = sorted(set(lines["subscription_id"]))
    type_code = np.searchsorted(types, lines["usage_type"].to_numpy(object))
    unit_code = np.where(lines["pooled"].to_numpy(bool), len(subs),
                         np.searchsorted(subs, lines["subscription_id"].to_numpy(object)))
    size = len(periods) * len(types) * (len(subs) + 1)
    key = (code * len(types) + type_code[line]) * (len(subs) + 1) + unit_code[line]
    line_total = np.bincount(key, weights=entitlement, minlength=size)[key]
    usage = _measured(allocation, periods[0].ordinal, len(periods), types, subs, size)[key]
    share = np.divide(entitlement, line_total, out=np.zeros(len(key)), where=line_total > 0)
    unused = np.minimum(np.clip(line_total - usage, 0, None) * share, entitlement)
    return line, code, entitlement, unused


def _measured(allocation: Allocation, first: int, n_periods: int, types: list[str],
              subs: list[str], size: int) -> np.ndarray:
    """Usage per key of :func:`_grid`: the pool's (unit ``len(subs)``) and each subscription's
    attributed usage; keys of types or subscriptions without lines stay 0."""
    measured = np.zeros(size)
    for frame, units in ((allocation.pooled, None), (allocation.by_subscription, subs)):
        code = frame["period"].array.asi8 - first
        # -1 for a type or subscription without lines: its usage has nothing to fill
        kind = pd.Index(types).get_indexer(frame["usage_type"])
        unit = np.full(len(frame), len(subs)) if units is None else pd.Index(
            units).get_indexer(frame["subscription_id"])
        keep = (kind >= 0) & (unit >= 0) & (code >= 0) & (code < n_periods)
        keys = (code * len(types) + kind) * (len(subs) + 1) + unit
        np.add.at(measured, keys[keep], frame["usage"].to_numpy(float)[keep])
    return measured


def commitments(tenant: Tenant, allocation: Allocation, lookback: int = 3) -> pd.DataFrame:
    """Per line (frame of :data:`COLUMNS`): committed unit-months of the term, used unit-months
    to date, projected unit-months at term end, unused committed cost to date (cents).

    Parameters
    ----------
    tenant : Tenant
    allocation : Allocation
        Monthly allocation up to the as-of day.
    lookback : int
        Months of run rate the projection uses.

    Returns
    -------
    DataFrame
        ``subscription_id, department, usage_type, line_start, line_end,
        committed_unit_months, used_unit_months, projected_unit_months, unused_cost``
        (unit-months of the type's unit; ``unused_cost`` in the tenant's currency).
    """
    lines = _lines(tenant)
    if lines.empty:
        return pd.DataFrame(columns=COLUMNS)
    usage = line_usage(tenant, allocation)
    by_line = usage.groupby("line")
    used = by_line["used"].sum().reindex(lines.index, fill_value=0.0)
    unused_cents = usage.assign(cents=to_cents(usage["unused_cost"])).groupby("line")[
        "cents"].sum().reindex(lines.index, fill_value=0)
    last = _periods(allocation)[-1] if len(_periods(allocation)) else None
    rate = usage[usage["period"] > last - lookback].groupby("line")["used"].mean().reindex(
        lines.index, fill_value=0.0) if last is not None else used * 0
    result = pd.DataFrame({
        "subscription_id": lines["subscription_id"], "department": lines["department"],
        "usage_type": lines["usage_type"], "line_start": lines["start"],
        "line_end": lines["end"],
        "committed_unit_months": [_unit_months(row) for row in lines.itertuples()],
        "used_unit_months": used.to_numpy(),
        "unused_cost": from_cents(unused_cents.to_numpy())})
    remaining = [_remaining(row, last, r) for row, r in zip(lines.itertuples(), rate,
                                                             strict=True)]
    result["projected_unit_months"] = result["used_unit_months"] + np.array(remaining)
    return result[COLUMNS].reset_index(drop=True)


def renewal_candidates(tenant: Tenant, allocation: Allocation,
                       share: float = RENEWAL_SHARE, months: int = RENEWAL_MONTHS
                       ) -> pd.DataFrame:
    """Lines used under ``share`` of their entitlement in each of the last ``months`` periods
    of the allocation (active in all of them): ``subscription_id, department, usage_type,
    line_start, line_end, used_share`` (the year's used ÷ entitled), lowest first, with the
    line's ``quantity`` and the year's ``unused_cost`` (what the renewal question weighs)."""
    usage = line_usage(tenant, allocation)
    periods = _periods(allocation)
    columns = ["subscription_id", "department", "usage_type", "line_start", "line_end",
               "used_share", "quantity", "unused_cost"]
    if usage.empty or len(periods) < months:
        return pd.DataFrame(columns=columns)
    year = usage[usage["period"] > periods[-1] - months]
    stats = year.assign(low=year["used"] < share * year["entitlement"]).groupby("line").agg(
        periods=("period", "size"), low=("low", "all"), used=("used", "sum"),
        entitlement=("entitlement", "sum"), unused_cost=("unused_cost", "sum"))
    chosen = stats[(stats["periods"] == months) & stats["low"]]
    lines = _lines(tenant).loc[chosen.index]
    result = pd.DataFrame({"subscription_id": lines["subscription_id"],
                           "department": lines["department"], "usage_type": lines["usage_type"],
                           "line_start": lines["start"], "line_end": lines["end"],
                           "used_share": (chosen["used"] / chosen["entitlement"]).to_numpy(),
                           "quantity": lines["quantity"].to_numpy(),
                           "unused_cost": from_cents(to_cents(chosen["unused_cost"]))})
    return result.sort_values("used_share", ignore_index=True)


def unused_by_department(tenant: Tenant, allocation: Allocation) -> pd.DataFrame:
    """``period, department, cents``: the unused committed cost per department and period,
    rounded once per department-period (for the chargeback's ``unused_cost`` column)."""
    lines, periods = _lines(tenant), _periods(allocation)
    line, code, _, unused = _grid(lines, periods, allocation)
    if not len(line):
        return pd.DataFrame(columns=["period", "department", "cents"])
    departments = sorted(set(lines["department"]))
    dept = np.searchsorted(departments, lines["department"].to_numpy(object))[line]
    key = code * len(departments) + dept
    cost = np.bincount(key, weights=unused * lines["unit_price"].to_numpy(float)[line],
                       minlength=len(periods) * len(departments))
    present = np.unique(key)
    return pd.DataFrame({"period": periods[present // len(departments)],
                         "department": np.asarray(departments, dtype=object)[
                             present % len(departments)],
                         "cents": to_cents(cost[present])})


def _periods(allocation: Allocation) -> pd.PeriodIndex:
    values = allocation.by_subscription["period"]
    if values.empty:
        return pd.PeriodIndex([], freq=allocation.period)
    return pd.period_range(values.min(), values.max(), freq=values.dt.freq)


def _lines(tenant: Tenant) -> pd.DataFrame:
    """Every line of the tenant, one row each, in the tenant file's order."""
    rows = [(sub.id, sub.department, line.usage_type, line.quantity, line.unit_price,
             line.start, line.end, day_number(line.start), day_number(line.end),
             tenant.usage_types[line.usage_type].rule.pooled)
            for sub in tenant.subscriptions for line in sub.lines]
    return pd.DataFrame(rows, columns=["subscription_id", "department", "usage_type",
                                       "quantity", "unit_price", "start", "end", "start_day",
                                       "end_day", "pooled"])


def _months(row) -> pd.PeriodIndex:
    return pd.period_range(pd.Period(row.start, "M"),
                           pd.Period(pd.Timestamp(row.end) - pd.Timedelta(days=1), "M"), freq="M")


def _unit_months(row) -> float:
    """The line's prorated entitlement summed over every month of its term (P2)."""
    months = _months(row)
    starts, ends = period_bounds(months)
    return float(prorated(float(row.quantity), row.start_day, row.end_day, starts, ends).sum())


def _remaining(row, last, rate: float) -> float:
    """Projected use of the line's months after ``last``: the run rate, capped each month at
    the month's entitlement (used never exceeds entitled)."""
    if last is None:
        return 0.0
    months = _months(row)
    months = months[months > pd.Period(last.end_time, "M")]
    if not len(months):
        return 0.0
    starts, ends = period_bounds(months)
    entitled = prorated(float(row.quantity), row.start_day, row.end_day, starts, ends)
    return float(np.minimum(entitled, rate).sum())

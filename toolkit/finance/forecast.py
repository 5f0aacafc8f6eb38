"""Run-rate forecast of usage and cost to the end of each subscription's last term.

How it is computed, so that nobody mistakes it for more than it is:

1. ``as_of`` is the last billing period with actuals to trust (a parameter, never "today").
   The **horizon** of a subscription runs from the period after ``as_of`` to the period
   holding the last day of its last term: every one of its terms that reaches past ``as_of``
   is projected, a renewal included, so a renewal that starts right after the current term
   carries its committed cost and owns its overage. A period in a gap between two terms (or
   after the last one) has no row for it: usage of a subscription while it has no term is not
   moved to anyone. A subscription with no history (e.g. one starting later) projects zero
   usage, but its entitlement counts.
2. For each subscription and usage type, the **run rate** is the mean of its attributed usage
   (``Allocation.by_subscription.usage``) over the last ``lookback`` periods up to ``as_of`` in
   which it had a row, stated to six decimals (:data:`RATE_PLACES`); the **band** is the lowest
   and the highest of those same periods. The band is the honest spread of what was actually
   seen, not a statistical confidence interval; with one period of history it has no width,
   and ``history_periods`` says how many there were.
   The run rate is applied in full to every projected period, a partial last one included.
3. Entitlements are the subscription's lines prorated into each projected period (P2); usage
   and entitlement are then pooled and charged exactly as :func:`toolkit.allocation.allocate`
   does (P3: pooled overage to the owner on the last day of the period that has one;
   non-pooled types per subscription), and priced by :func:`toolkit.finance.costs.costs` (P4). When
   that owner holds no line of a pooled type and has no history of it (a primary without
   agents, say), it gets a zero row for the type so that the overage it owns is on a row.
4. The low and high scenarios price every subscription's low (or high) usage at once, so the
   band of a pooled type's overage is as wide as it can be: all subscriptions at their quietest
   month, or all at their busiest.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa

from toolkit.allocation import UNALLOCATED_COLUMNS, Allocation, charge, period_owner
from toolkit.finance.costs import cents_sum, costs
from toolkit.frames import shaped
from toolkit.model import Subscription, Tenant
from toolkit.periods import (
    LAST,
    MAX,
    billing_as_of,
    day_number,
    months_in,
    period_bounds,
    prorated,
    roll_up,
)

SCENARIOS = {"low": "usage_low", "": "usage", "high": "usage_high"}


#: :func:`forecast`: per projected period, usage type and subscription, the entitlement,
#: the run-rate usage with its band, and the overage and costs of each scenario.
FORECAST_SCHEMA = pa.DataFrameSchema({
    "period": pa.Column(pd.PeriodDtype(freq="M")),  # frequency per run
    "usage_type": pa.Column(str),
    "subscription_id": pa.Column(str),
    "department": pa.Column(str),
    "term_end": pa.Column(None, nullable=True),
    "history_periods": pa.Column(int),
    "entitlement": pa.Column(float),
    "usage_low": pa.Column(float),
    "usage": pa.Column(float),
    "usage_high": pa.Column(float),
    "overage_low": pa.Column(float),
    "overage": pa.Column(float),
    "overage_high": pa.Column(float),
    "committed_cost": pa.Column(float),
    "overage_cost_low": pa.Column(float),
    "overage_cost": pa.Column(float),
    "overage_cost_high": pa.Column(float),
    "total_cost_low": pa.Column(float),
    "total_cost": pa.Column(float),
    "total_cost_high": pa.Column(float),
})


FORECAST_COLUMNS = list(FORECAST_SCHEMA.columns)
BASE_COLUMNS = ["period", "usage_type", "subscription_id", "department", "term_end",
                "history_periods", "entitlement", "usage_low", "usage", "usage_high"]


def forecast(allocation: Allocation, as_of, lookback: int = 3) -> pd.DataFrame:
    """Projected usage and cost per period, usage type and subscription (see module docstring).

    ``as_of`` is a period (``"2025-06"`` or a pandas Period of the allocation's frequency);
    ``lookback`` is how many periods of history the run rate and the band use. ``term_end``
    is the end of the term a row's period belongs to (the later term when a renewal starts
    inside the period).
    """
    if lookback < 1:
        raise ValueError("lookback must be at least 1 period")
    tenant, freq = allocation.tenant, allocation.period
    as_of = pd.Period(as_of, freq=freq)
    if allocation.months is not None:  # P1a: forecast month by month, then added up
        months = forecast(allocation.months, billing_as_of(as_of),
                          lookback * months_in(freq))
        rolled = roll_up(months, freq, ["usage_type", "subscription_id"], FORECAST_ROLL_UP)
        return shaped(FORECAST_SCHEMA, rolled, as_of.freqstr)
    rates = _run_rates(allocation.by_subscription, as_of, lookback)
    base = _projection(tenant, as_of, rates, freq)
    if base.empty:
        return shaped(FORECAST_SCHEMA, freq=freq)
    owners = _owners(tenant, base)
    base = _with_owner_rows(tenant, base, owners)
    priced = {}
    for suffix, column in SCENARIOS.items():
        scenario = _scenario_allocation(allocation, base, column)
        priced[suffix] = costs(scenario, tenant).set_index(
            ["period", "usage_type", "subscription_id"])
    keys = pd.MultiIndex.from_frame(base[["period", "usage_type", "subscription_id"]])
    result = base.copy()
    for suffix, table in priced.items():
        name = f"_{suffix}" if suffix else ""
        aligned = table.reindex(keys)
        aligned[["overage", "overage_cost", "total_cost"]] = aligned[
            ["overage", "overage_cost", "total_cost"]].fillna(0.0)
        result[f"overage{name}"] = aligned["overage"].to_numpy()
        result[f"overage_cost{name}"] = aligned["overage_cost"].to_numpy()
        result[f"total_cost{name}"] = aligned["total_cost"].to_numpy()
    result["committed_cost"] = priced[""].reindex(keys)["committed_cost"].fillna(0.0).to_numpy()
    return shaped(FORECAST_SCHEMA, result, freq)


#: How the forecast's columns roll up into quarters and years (P1a): money as whole cents,
#: quantities added up, the history as the most months any month saw, the last term end.
FORECAST_ROLL_UP: dict[str, Any] = {
    **{column: cents_sum for column in FORECAST_COLUMNS if "cost" in column},
    "history_periods": MAX, "term_end": LAST, "department": LAST}


#: The run rate is stated to a millionth of a unit: a mean such as 944 / 3 has no finite
#: decimal, and pricing its float's sixteen digits "as written" would price binary noise
#: (and force exact money onto Python ints).
RATE_PLACES = 6


def _run_rates(split: pd.DataFrame, as_of: pd.Period, lookback: int) -> pd.DataFrame:
    """Mean, min, max and count of usage per (usage_type, subscription_id) in the window."""
    window = split[(split["period"] > as_of - lookback) & (split["period"] <= as_of)]
    stats = window.groupby(["usage_type", "subscription_id"])["usage"].agg(
        ["mean", "min", "max", "count"])
    stats["mean"] = stats["mean"].round(RATE_PLACES)
    return stats.rename(columns={"mean": "usage", "min": "usage_low", "max": "usage_high",
                                 "count": "history_periods"})


def _projection(tenant: Tenant, as_of: pd.Period, rates: pd.DataFrame, freq: str) -> pd.DataFrame:
    """One row per future period × type × subscription with its entitlement and run rates."""
    rows = [row for sub in tenant.subscriptions
            for row in _subscription_rows(sub, as_of, rates, freq)]
    frame = pd.DataFrame(rows, columns=BASE_COLUMNS)
    if frame.empty:
        return frame
    frame["period"] = pd.PeriodIndex(frame["period"], freq=freq)
    return frame.sort_values(["period", "usage_type", "subscription_id"], ignore_index=True)


def _subscription_rows(sub: Subscription, as_of: pd.Period, rates: pd.DataFrame,
                       freq: str) -> list[tuple]:
    """The rows of one subscription over its horizon: every period one of its terms overlaps
    after ``as_of``, for the types of that term's lines and the types it has history of."""
    history = {t for t, s in rates.index if s == sub.id}
    spans: dict[pd.Period, tuple[dt.date, set[str]]] = {}
    for term in sorted(sub.terms, key=lambda t: t.start):
        first = max(as_of + 1, pd.Period(term.start, freq=freq))
        final = pd.Period(term.end - dt.timedelta(days=1), freq=freq)
        types = {line.usage_type for line in term.lines} | history
        for period in pd.period_range(first, final, freq=freq) if first <= final else []:
            # A period two terms share belongs to the later one (its term_end).
            spans[period] = (term.end, spans.get(period, (None, set()))[1] | types)
    if not spans:
        return []
    periods = pd.PeriodIndex(sorted(spans), freq=freq)
    starts, ends = period_bounds(periods)
    rows = []
    for usage_type in sorted(set().union(*(types for _, types in spans.values()))):
        entitled = sum((prorated(line.quantity, day_number(line.start), day_number(line.end),
                                 starts, ends)
                        for line in sub.lines if line.usage_type == usage_type),
                       np.zeros(len(periods)))
        rate = rates.loc[(usage_type, sub.id)] if (usage_type, sub.id) in rates.index else None
        for period, entitlement in zip(periods, entitled, strict=True):
            term_end, types = spans[period]
            if usage_type in types:
                rows.append(_row(period, usage_type, sub, term_end, entitlement, rate))
    return rows


def _term_end(sub: Subscription, period: pd.Period) -> dt.date | None:
    """End of the subscription's latest term overlapping the period (the row's term_end)."""
    first, last = period.start_time.date(), period.end_time.date()
    ends = [term.end for term in sub.terms if term.start <= last and first < term.end]
    return max(ends) if ends else None


def _with_owner_rows(tenant: Tenant, base: pd.DataFrame, owners: pd.Series) -> pd.DataFrame:
    """Zero rows for owners of pooled overage that have no row of the type in the period.

    Without them the owner's overage would land on no row and vanish from the forecast.
    """
    present = set(base[["period", "usage_type", "subscription_id"]].itertuples(index=False,
                                                                               name=None))
    missing = [
        (period, usage_type, owner)
        for (period, usage_type), owner in owners.items()
        if owner is not None and tenant.usage_types[usage_type].rule.pooled
        and (period, usage_type, owner) not in present
    ]
    if not missing:
        return base
    rows = []
    for period, usage_type, owner in missing:
        sub = tenant.subscription(owner)
        rows.append(_row(period, usage_type, sub, _term_end(sub, period), 0.0, None))
    extra = pd.DataFrame(rows, columns=BASE_COLUMNS).astype(base.dtypes.to_dict())
    return pd.concat([base, extra], ignore_index=True).sort_values(
        ["period", "usage_type", "subscription_id"], ignore_index=True)


def _row(period, usage_type, sub, term_end, entitlement, rate) -> tuple:
    if rate is None:
        return (period, usage_type, sub.id, sub.department, term_end, 0, entitlement,
                0.0, 0.0, 0.0)
    return (period, usage_type, sub.id, sub.department, term_end, int(rate["history_periods"]),
            entitlement, float(rate["usage_low"]), float(rate["usage"]),
            float(rate["usage_high"]))


def _scenario_allocation(allocation: Allocation, base: pd.DataFrame, column: str) -> Allocation:
    """The projected rows of one scenario charged by :func:`toolkit.allocation.charge`, the
    rule that charges actuals (P3), so a forecast can never charge differently."""
    tenant = allocation.tenant
    periods = pd.PeriodIndex(base["period"]).unique().sort_values()
    types, subs = list(tenant.usage_types), [sub.id for sub in tenant.subscriptions]
    shape = (len(periods), len(types), len(subs))
    place = (periods.get_indexer(pd.PeriodIndex(base["period"])),
             pd.Categorical(base["usage_type"], categories=types).codes,
             pd.Categorical(base["subscription_id"], categories=subs).codes)
    usage, entitled = np.zeros(shape), np.zeros(shape)
    np.add.at(usage, place, base[column].to_numpy(dtype=np.float64))
    np.add.at(entitled, place, base["entitlement"].to_numpy(dtype=np.float64))
    pooled, split = charge(tenant, periods, usage, entitled)
    empty = pd.DataFrame({c: [] for c in UNALLOCATED_COLUMNS})
    return Allocation(pooled, split, empty, tenant, allocation.period, allocation.license_model)


def _owners(tenant: Tenant, base: pd.DataFrame) -> pd.Series:
    """Who may own each projected (period, usage_type)'s overage: the owner of the period
    (P3, with its fallback to the primary), found exactly as :func:`toolkit.allocation.allocate`
    finds it."""
    pairs = base[["period", "usage_type"]].drop_duplicates()
    starts, ends = period_bounds(pd.PeriodIndex(pairs["period"]))
    values = [period_owner(tenant, t, int(lo), int(hi))[0]
              for t, lo, hi in zip(pairs["usage_type"], starts, ends, strict=True)]
    return pd.Series(values, index=pd.MultiIndex.from_frame(pairs), dtype=object)

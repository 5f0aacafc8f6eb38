"""The month so far: the open month's bill to date and projected to its end (T4).

A pull taken mid-month holds part of a month; the bill treats a period as whole, so judging the
open month needs its own rule. :func:`month_preview` takes the usage of the as-of day's month up
to and including that day (``d`` of the month's ``D`` days) and prices three versions of the
whole month with the same rules as the bill (allocate → costs → chargeback, P2–P5):

- **to date**: the usage seen, as it is;
- **projected**: every ``sum`` type (sessions, minutes, messages) at the run rate of the days
  seen: usage to date + mean daily usage × the ``D − d`` remaining days; a ``peak`` or
  ``distinct`` type keeps what it reached (the days ahead repeat the days seen, whose highest
  day set the peak, so the trend holding adds no new peak or user);
- **low / high** (the band): the remaining days at the lowest and at the highest daily usage
  of the days seen (the daily spread).

Each version scales the month's usage rows of a type by one factor, so the allocation sees the
same rows, owners and users. A closed month (as-of its last day) has nothing remaining: its
preview equals its bill (the invariant the tests hold). Predicted budget breaches are the
projected chargeback against the budgets (:func:`toolkit.finance.budgets.budget_vs_actual`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from toolkit.allocation import allocate
from toolkit.finance.budgets import budget_vs_actual
from toolkit.finance.chargeback import chargeback
from toolkit.finance.costs import costs
from toolkit.finance.money import from_cents, to_cents
from toolkit.model import Tenant
from toolkit.periods import EPOCH, day_number, local_days

#: The versions of the month priced, and which daily figure the remaining days repeat.
SCENARIOS = {"to_date": None, "low": "min", "projected": "mean", "high": "max"}
#: Measures that the run rate extends; the others keep the level already reached.
EXTENDED = ("sum",)


@dataclass(frozen=True)
class Preview:
    """:func:`month_preview`'s tables, each with one column per scenario of :data:`SCENARIOS`.

    ``subscriptions``: per subscription, ``committed_cost`` then ``overage_<scenario>`` and
    ``total_<scenario>``; ``departments``: the same per department (the billed chargeback);
    ``usage``: per usage type, usage and overage units of each scenario; ``breaches``: the
    departments the projection puts above budget (empty without budgets).
    """

    period: pd.Period
    as_of: dt.date
    days_seen: int
    days: int
    subscriptions: pd.DataFrame
    departments: pd.DataFrame
    usage: pd.DataFrame
    breaches: pd.DataFrame


def last_usage_day(usage: pd.DataFrame, timezone: str) -> dt.date:
    """The last local day with usage: a preview's default as-of day (a mid-month pull)."""
    return EPOCH + dt.timedelta(days=int(local_days(usage["timestamp"], timezone).max()))


def month_preview(tenant: Tenant, usage: pd.DataFrame, users: pd.DataFrame | None = None,
                  as_of: dt.date | None = None, budgets: pd.DataFrame | None = None) -> Preview:
    """The preview of the month holding ``as_of`` (default :func:`last_usage_day`)."""
    as_of = as_of or last_usage_day(usage, tenant.timezone)
    period = pd.Period(as_of, freq="M")
    first, days_seen = day_number(period.start_time.date()), as_of.day
    days = local_days(usage["timestamp"], tenant.timezone)
    month = usage[(days >= first) & (days <= day_number(as_of))].reset_index(drop=True)
    offsets = days[(days >= first) & (days <= day_number(as_of))] - first
    factors = _factors(tenant, month, offsets, days_seen, period.days_in_month)
    priced = {name: _priced(tenant, month, users, factor) for name, factor in factors.items()}
    subscriptions = _joined(priced, "costs", ["subscription_id", "department"])
    departments = _joined(priced, "chargeback", ["department"])
    breaches = _breaches(priced["projected"]["chargeback"], budgets, period)
    return Preview(period, as_of, days_seen, period.days_in_month, subscriptions, departments,
                   _usage_table(priced), breaches)


def _factors(tenant: Tenant, month: pd.DataFrame, offsets: np.ndarray, seen: int,
             total: int) -> dict[str, np.ndarray]:
    """Per scenario, the factor each usage row of the month is scaled by."""
    remaining = total - seen
    result = {}
    types = month["usage_type"].to_numpy(object)
    quantity = month["quantity"].to_numpy(float)
    for name, statistic in SCENARIOS.items():
        factor = np.ones(len(month))
        if statistic is None or not remaining:
            result[name] = factor
            continue
        for usage_type in np.unique(types):
            kind = tenant.usage_types.get(usage_type)
            if kind is None or kind.measure not in EXTENDED:
                continue
            rows = types == usage_type
            daily = np.bincount(offsets[rows], weights=quantity[rows], minlength=seen)[:seen]
            seen_total = daily.sum()
            if seen_total > 0:
                factor[rows] = (seen_total + getattr(np, statistic)(daily) * remaining) \
                    / seen_total
        result[name] = factor
    return result


def _priced(tenant: Tenant, month: pd.DataFrame, users, factor: np.ndarray) -> dict:
    scaled = month.assign(quantity=month["quantity"].to_numpy(float) * factor)
    allocation = allocate(tenant, scaled, users)
    table = costs(allocation, tenant)
    return {"allocation": allocation, "costs": table,
            "chargeback": chargeback(allocation, tenant, "billed", table=table)}


def _joined(priced: dict, table: str, keys: list[str]) -> pd.DataFrame:
    """One row per key: committed cost, then each scenario's overage and total (cents-exact)."""
    frames = []
    for name, stages in priced.items():
        frame = stages[table]
        grouped = frame.assign(
            committed=to_cents(frame["committed_cost"]),
            overage=to_cents(frame["overage_cost"])).groupby(keys)[["committed", "overage"]].sum()
        frames.append(grouped.rename(columns={"overage": f"overage_{name}",
                                              "committed": f"committed_{name}"}))
    result = pd.concat(frames, axis=1).fillna(0).astype(np.int64)
    out = pd.DataFrame(index=result.index)
    out["committed_cost"] = from_cents(result["committed_to_date"].to_numpy())
    for name in SCENARIOS:
        out[f"overage_{name}"] = from_cents(result[f"overage_{name}"].to_numpy())
    for name in SCENARIOS:
        out[f"total_{name}"] = from_cents((result[f"committed_{name}"]
                                           + result[f"overage_{name}"]).to_numpy())
    return out.reset_index()


def _usage_table(priced: dict) -> pd.DataFrame:
    """Per usage type: the pool's entitlement, and usage and overage units of each scenario."""
    frames = []
    for name, stages in priced.items():
        pooled = stages["allocation"].pooled.groupby("usage_type")[
            ["usage", "entitlement", "overage"]].sum()
        frames.append(pooled.rename(columns={"usage": f"usage_{name}",
                                             "overage": f"overage_{name}",
                                             "entitlement": f"entitlement_{name}"}))
    joined = pd.concat(frames, axis=1).fillna(0)
    out = pd.DataFrame({"entitlement": joined["entitlement_to_date"]})
    for name in SCENARIOS:
        out[f"usage_{name}"] = joined[f"usage_{name}"]
    for name in SCENARIOS:
        out[f"overage_{name}"] = joined[f"overage_{name}"]
    return out.reset_index()


def _breaches(projected: pd.DataFrame, budgets: pd.DataFrame | None,
              period: pd.Period) -> pd.DataFrame:
    """Departments whose projected month goes above its budget, named with the amounts."""
    columns = ["department", "budget", "projected", "over"]
    if budgets is None or projected.empty:
        return pd.DataFrame(columns=columns)
    month = budgets[budgets["period"].astype(str) == str(period)]
    versus = budget_vs_actual(projected, month)
    above = versus[(versus["severity"] == "breach") & versus["budget"].notna()]
    return pd.DataFrame({"department": above["department"].to_numpy(),
                         "budget": above["budget"].to_numpy(),
                         "projected": above["actual"].to_numpy(),
                         "over": -above["variance"].to_numpy()})

"""What each subscription costs per period and usage type: committed and overage (P2–P4).

- Committed cost = each line's prorated entitlement in the period (P2) × the line's
  ``unit_price``, summed per subscription and type (lines of one type with different prices
  are prorated and priced one by one).
- Overage cost = the overage a subscription owns (``Allocation.by_subscription.overage``) × the
  subscription's ``overage_price`` for the type on the last day of the period, falling back to
  the tenant's ``overage_prices``. A missing price is an input problem (raised as
  :class:`~toolkit.errors.InputError` listing every one), never a silent zero.

Amounts are in the tenant's currency, in cents: within each period the committed parts (and,
separately, the overage parts) are rounded with largest remainder so they add up exactly to the
period's rounded total. Pooled overage that no subscription owns (no holder of the type that
period) is not billed to anyone; :func:`unowned_overage` lists it so it is never lost from view.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from toolkit.allocation import Allocation
from toolkit.errors import Problem, raise_if_any
from toolkit.finance.money import from_cents, round_to_total
from toolkit.model import Tenant
from toolkit.periods import day_number, period_bounds, prorated

COST_COLUMNS = ["period", "usage_type", "subscription_id", "department", "entitlement",
                "unit_price", "committed_cost", "usage", "overage", "overage_price",
                "overage_cost", "total_cost", "currency"]
KEYS = ["period", "usage_type", "subscription_id"]
TENANT_FILE = "tenant.yaml"


def costs(allocation: Allocation, tenant: Tenant | None = None) -> pd.DataFrame:
    """Committed and overage cost per ``period, usage_type, subscription_id`` (one row each).

    ``tenant`` defaults to the allocation's tenant. The periods are the allocation's (the span
    of the usage it was given): a month without any usage row has no cost row. ``unit_price``
    is the entitlement-weighted price of the lines (their exact price when there is one line).
    Costs are floats holding whole cents; add them up via :func:`toolkit.finance.money.to_cents` to
    stay exact.
    """
    tenant = tenant or allocation.tenant
    split = allocation.by_subscription
    if split.empty:
        return _empty(allocation.period)
    _check_same_tenant(split, tenant)
    frame = split[KEYS + ["department", "entitlement", "usage", "overage"]].copy()
    committed = _committed_amounts(tenant, frame)
    frame["unit_price"] = np.divide(committed, frame["entitlement"].to_numpy(),
                                    out=np.zeros(len(frame)),
                                    where=frame["entitlement"].to_numpy() > 0)
    frame["overage_price"] = _overage_prices(tenant, frame)
    over_amount = frame["overage"].to_numpy() * np.nan_to_num(frame["overage_price"].to_numpy())
    periods = frame["period"].astype("str").to_numpy()
    committed_cents = round_to_total(committed, periods)
    overage_cents = round_to_total(over_amount, periods)
    frame["committed_cost"] = from_cents(committed_cents)
    frame["overage_cost"] = from_cents(overage_cents)
    frame["total_cost"] = from_cents(committed_cents + overage_cents)
    frame["currency"] = pd.Series(tenant.currency, index=frame.index, dtype="str")
    return frame[COST_COLUMNS]


def _check_same_tenant(split: pd.DataFrame, tenant: Tenant) -> None:
    """Refuse an allocation of another tenant: its rows could not find their prices.

    A subscription or usage type the tenant does not know would otherwise index the price
    cube at -1 and silently take the last subscription's (or type's) prices.
    """
    unknown = {
        "subscription": sorted(set(split["subscription_id"]) - set(tenant.departments)),
        "usage type": sorted(set(split["usage_type"]) - set(tenant.usage_types)),
    }
    found = [f"{kind}(s) {', '.join(names)}" for kind, names in unknown.items() if names]
    if found:
        raise ValueError(f"the allocation does not belong to tenant {tenant.name!r}: it has "
                         f"{'; '.join(found)} that the tenant does not know (price an "
                         "allocation with the tenant it was allocated for)")


def _committed_amounts(tenant: Tenant, frame: pd.DataFrame) -> np.ndarray:
    """Exact (unrounded) committed amount of each row: Σ prorated quantity × unit price."""
    grid = _Grid(tenant, frame)
    amounts = np.zeros(grid.shape)
    for s, sub in enumerate(tenant.subscriptions):
        for line in sub.lines:
            amounts[:, grid.types[line.usage_type], s] += line.unit_price * prorated(
                line.quantity, day_number(line.start), day_number(line.end), grid.starts,
                grid.ends)
    return grid.pick(amounts)


def _overage_prices(tenant: Tenant, frame: pd.DataFrame) -> np.ndarray:
    """Price of each row's owned overage; every row with overage but no price is a problem.

    Mirrors :meth:`Subscription.overage_price` on the period's last day, for all periods at
    once: the last priced line of the type active that day; when no line of the type is
    active that day, the last priced line of the type at all; then the tenant's price.
    """
    grid = _Grid(tenant, frame)
    last_day = grid.ends - 1
    active_price = np.full(grid.shape, np.nan)
    any_active = np.zeros(grid.shape, dtype=bool)
    overall = np.full(grid.shape[1:], np.nan)
    for s, sub in enumerate(tenant.subscriptions):
        for line in sub.lines:
            t = grid.types[line.usage_type]
            on = (day_number(line.start) <= last_day) & (last_day < day_number(line.end))
            any_active[:, t, s] |= on
            if line.overage_price is not None:
                active_price[on, t, s] = line.overage_price
                overall[t, s] = line.overage_price
    own = np.where(any_active, active_price, overall[None, :, :])
    fallback = np.array([tenant.overage_prices.get(t, np.nan) for t in grid.type_names])
    prices = grid.pick(np.where(np.isnan(own), fallback[None, :, None], own))
    missing = np.isnan(prices) & (frame["overage"].to_numpy() > 0)
    problems = [
        _missing_price(sub_id, usage_type, overage, period)
        for sub_id, usage_type, overage, period in frame.loc[
            missing, ["subscription_id", "usage_type", "overage", "period"]].itertuples(
            index=False)
    ]
    raise_if_any(problems)
    return prices


class _Grid:
    """The [period, type, subscription] cube of a cost frame, and each row's place in it."""

    def __init__(self, tenant: Tenant, frame: pd.DataFrame):
        periods = pd.PeriodIndex(frame["period"]).unique().sort_values()
        self.type_names = list(tenant.usage_types)
        self.types = {name: i for i, name in enumerate(self.type_names)}
        self.starts, self.ends = period_bounds(periods)
        self.shape = (len(periods), len(self.type_names), len(tenant.subscriptions))
        self.rows = (
            periods.get_indexer(pd.PeriodIndex(frame["period"])),
            pd.Categorical(frame["usage_type"], categories=self.type_names).codes,
            pd.Categorical(frame["subscription_id"],
                           categories=[sub.id for sub in tenant.subscriptions]).codes,
        )

    def pick(self, cube: np.ndarray) -> np.ndarray:
        return cube[self.rows]


def _missing_price(sub_id: str, usage_type: str, overage: float, period) -> Problem:
    return Problem(
        TENANT_FILE, f"subscription {sub_id}", "overage_price", None,
        f"an overage price for {usage_type} (on a {usage_type} line of {sub_id} or in "
        f"overage_prices): {sub_id} owns {overage:g} units of overage in {period}",
    )


def unowned_overage(allocation: Allocation) -> pd.DataFrame:
    """Pooled overage no subscription owns (nobody held the type): ``period, usage_type,
    overage``. It appears on no invoice line here; it is listed so that it is never hidden."""
    owned = allocation.by_subscription.groupby(["period", "usage_type"], observed=True)[
        "overage"].sum()
    pooled = allocation.pooled.set_index(["period", "usage_type"])["overage"]
    gap = (pooled - owned.reindex(pooled.index, fill_value=0.0)).clip(lower=0.0)
    result = gap[gap > 1e-9].rename("overage").reset_index()
    return result[["period", "usage_type", "overage"]]


def _empty(freq: str) -> pd.DataFrame:
    frame = pd.DataFrame({column: pd.Series([], dtype="float64") for column in COST_COLUMNS})
    frame["period"] = pd.PeriodIndex([], freq=freq)
    for column in ("usage_type", "subscription_id", "department", "currency"):
        frame[column] = frame[column].astype("str")
    return frame

"""What each subscription costs per period and usage type: committed and overage (P2–P4).

- Committed cost = each line's prorated entitlement in the period (P2) × the line's
  ``unit_price``, summed per subscription and type (lines of one type with different prices
  are prorated and priced one by one).
- Overage cost = the overage a subscription owns (P3, :func:`toolkit.allocation.overage_split`)
  × **the owner's overage price** (:func:`overage_price`, P4): the ``overage_price`` of its line
  of the type in effect on the last day of the period on which it has one; else the tenant's
  ``overage_prices``; never a price from another term. ``price_source`` says which applied
  (``owner line``, ``tenant``), or ``owner_fallback`` when nobody held the type and the primary
  answers for the overage (P3). A missing price is an input problem (raised as
  :class:`~toolkit.errors.InputError` listing every one), never a silent zero.

Amounts are computed exactly (fractions of the decimals the tenant file states) and rounded
once, as P4 says: per period, each department's amount (committed and overage separately) is
its exact amount rounded down or up by largest remainder so that the departments add up to the
period's exact total rounded half away from zero; each row is then rounded down or up so that
a department's rows add up to the department's amount. Summing this table by department
therefore gives the ``billed`` chargeback to the cent.
"""

from __future__ import annotations

import datetime as dt
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from toolkit.allocation import Allocation, overage_split, period_owner
from toolkit.checks import AMOUNT_LIMIT
from toolkit.errors import Problem, raise_if_any
from toolkit.finance.money import exact, from_cents, round_nested, to_cents
from toolkit.frames import shaped
from toolkit.model import TENANT_FILE, Tenant
from toolkit.periods import LAST, day_number, period_bounds, prorated, roll_up


class CostsFrame(pa.DataFrameModel):
    """:func:`costs`: one row per period, usage type and subscription; amounts in the tenant's
    currency holding whole cents; ``overage_price`` null when no price applies."""

    period: Series[pd.PeriodDtype(freq="M")]  # type: ignore[valid-type]  # frequency per run
    usage_type: Series[str]
    subscription_id: Series[str]
    department: Series[str]
    entitlement: Series[float]
    unit_price: Series[float]
    committed_cost: Series[float]
    usage: Series[float]
    overage: Series[float]
    overage_price: Series[float] = pa.Field(nullable=True)
    price_source: Series[str]
    overage_cost: Series[float]
    total_cost: Series[float]
    currency: Series[str]


COST_COLUMNS = list(CostsFrame.to_schema().columns)
#: Exact amounts behind the rounded ones (Fractions), kept by :func:`exact_costs`.
EXACT_COLUMNS = ["committed_exact", "overage_exact", "usage_exact", "entitlement_exact"]
KEYS = ["period", "usage_type", "subscription_id"]
#: Where an overage price came from (P4), and the flag of P3's fallback owner.
OWNER_LINE, TENANT_PRICE, OWNER_FALLBACK = "owner line", "tenant", "owner_fallback"


def costs(allocation: Allocation, tenant: Tenant | None = None) -> pd.DataFrame:
    """Committed and overage cost per ``period, usage_type, subscription_id`` (one row each).

    ``tenant`` defaults to the allocation's tenant. The periods are the allocation's (the span
    of the usage it was given): a month without any usage row has no cost row. ``unit_price``
    is the entitlement-weighted price of the lines (their exact price when there is one line).
    Costs are floats holding whole cents; add them up via :func:`toolkit.finance.money.to_cents`
    to stay exact.
    """
    return exact_costs(allocation, tenant)[COST_COLUMNS]


def exact_costs(allocation: Allocation, tenant: Tenant | None = None) -> pd.DataFrame:
    """:func:`costs` plus :data:`EXACT_COLUMNS`: the exact (unrounded) amounts as Fractions,
    for splits that must round from the exact figures (the ``caused`` chargeback)."""
    tenant = tenant or allocation.tenant
    if allocation.months is not None:  # P1a: priced month by month, then added up
        return roll_up_costs(exact_costs(allocation.months, tenant), allocation.period)
    split = allocation.by_subscription
    if split.empty:
        return _empty(allocation.period)
    _check_same_tenant(split, tenant)
    frame = split[KEYS + ["department", "entitlement", "usage", "overage"]].copy()
    grid = _Grid(tenant, frame)
    committed, entitled = _committed_exact(tenant, grid)
    frame["committed_exact"] = grid.pick(committed)
    frame["entitlement_exact"] = grid.pick(entitled)
    frame["usage_exact"] = [exact(u) for u in frame["usage"]]
    owned, fallback = _owned_exact(tenant, allocation, frame, grid, entitled)
    prices, sources = _prices(tenant, frame, grid, fallback)
    frame["overage_price"] = np.array([np.nan if p is None else p for p in prices], dtype=float)
    frame["price_source"] = sources
    _check_prices(frame, owned, prices)
    frame["overage_exact"] = [o * exact(p) if o else Fraction(0)
                              for o, p in zip(owned, prices, strict=True)]
    _check_totals(frame, tenant)
    frame["unit_price"] = [float(c / e) if e else 0.0 for c, e in
                           zip(frame["committed_exact"], frame["entitlement_exact"], strict=True)]
    periods = frame["period"].astype("str").to_numpy()
    departments = frame["department"].to_numpy()
    committed_cents = round_nested(frame["committed_exact"], periods, departments)
    overage_cents = round_nested(frame["overage_exact"], periods, departments)
    frame["committed_cost"] = from_cents(committed_cents)
    frame["overage_cost"] = from_cents(overage_cents)
    frame["total_cost"] = from_cents(committed_cents + overage_cents)
    frame["currency"] = tenant.currency
    typed = shaped(CostsFrame, frame, allocation.period)
    typed[EXACT_COLUMNS] = frame[EXACT_COLUMNS].to_numpy()
    return typed


def cents_sum(values) -> float:
    """Amounts holding whole cents added up as integer cents (no float drift)."""
    return float(from_cents(to_cents(values).sum()))


def _roll_source(sources: pd.Series) -> str:
    """A roll-up's price source: ``owner_fallback`` when any month had it (never hidden),
    else the last month's."""
    values = list(sources)
    return OWNER_FALLBACK if OWNER_FALLBACK in values else values[-1]


#: How each costs column rolls up into a quarter or a year (P1a); the rest add up exactly.
COST_ROLL_UP: dict[str, Any] = {
    "committed_cost": cents_sum, "overage_cost": cents_sum, "total_cost": cents_sum,
    "unit_price": LAST, "overage_price": LAST, "price_source": _roll_source}


def roll_up_costs(table: pd.DataFrame, period: str) -> pd.DataFrame:
    """A monthly :func:`exact_costs` table added up into quarters or years (P1a).

    Amounts are each month's rounded cents added up, so a quarter's money is the sum of its
    months' to the cent in every view built on it. ``unit_price`` is the entitlement-weighted
    price of the quarter; ``overage_price`` the effective one (overage cost ÷ overage) when
    there is overage, else the last month's.
    """
    rolled = roll_up(table, period, ["usage_type", "subscription_id"], COST_ROLL_UP)
    if rolled.empty:
        return _empty(period)
    rolled["unit_price"] = [float(c / e) if e else 0.0 for c, e in
                            zip(rolled["committed_exact"], rolled["entitlement_exact"],
                                strict=True)]
    effective = [float(o / exact(q)) if q > 0 else p for o, q, p in
                 zip(rolled["overage_exact"], rolled["overage"], rolled["overage_price"],
                     strict=True)]
    rolled["overage_price"] = np.array(effective, dtype=float)
    freq = pd.Period("2000-01", freq=period).freqstr
    typed = shaped(CostsFrame, rolled, freq)
    typed[EXACT_COLUMNS] = rolled[EXACT_COLUMNS].to_numpy()
    return typed


def overage_price(tenant: Tenant, subscription_id: str, usage_type: str, start: int,
                  end: int) -> tuple[float | None, str]:
    """P4: the owner's overage price for the type in the period ``[start, end)`` (day numbers).

    The owner's lines of the type in effect on the last day of the period on which the owner
    has one, when they carry an ``overage_price`` (P4a: lines naming one must name the same one,
    lines naming none take it; different prices are an :class:`~toolkit.errors.InputError`);
    otherwise the tenant's ``overage_prices``. A line of another term (earlier or later) is
    never looked at. Returns the price (``None`` when there is none) and its source.
    """
    price, source, problem = _price_of(tenant, subscription_id,
                                       tenant.subscription(subscription_id).lines, usage_type,
                                       start, end)
    raise_if_any([problem] if problem else [])
    return price, source


def _price_of(tenant: Tenant, subscription_id: str, owner_lines, usage_type: str, start: int,
              end: int) -> tuple[float | None, str, Problem | None]:
    """:func:`overage_price` given the owner's lines (the one rule; callers pricing many rows
    look the lines up once), with the P4a problem instead of raising it, so that a caller
    pricing many rows reports every conflict at once."""
    lines = [line for line in owner_lines
             if line.usage_type == usage_type
             and day_number(line.start) < end and day_number(line.end) > start]
    if lines:
        last_day = max(min(day_number(line.end), end) - 1 for line in lines)
        in_effect = [line for line in lines
                     if day_number(line.start) <= last_day < day_number(line.end)]
        priced = [line for line in in_effect if line.overage_price is not None]
        prices = sorted({exact(line.overage_price) for line in priced})
        if len(prices) > 1:
            return None, "", _conflicting_prices(subscription_id, usage_type, priced)
        if priced:
            return priced[0].overage_price, OWNER_LINE, None
    if usage_type in tenant.overage_prices:
        return tenant.overage_prices[usage_type], TENANT_PRICE, None
    return None, "", None


def _conflicting_prices(subscription_id: str, usage_type: str, priced) -> Problem:
    """P4a: lines of one type in effect together that name different overage prices: which
    one the invoice uses is not ours to guess (the first line listed used to win silently)."""
    first = max(line.start for line in priced)
    last = min(line.end for line in priced) - dt.timedelta(days=1)
    lines = "; ".join(f"{line.overage_price:g} on the line {line.start} to "
                      f"{line.end - dt.timedelta(days=1)}" for line in priced)
    prices = " and ".join(f"{price:g}" for price in
                          dict.fromkeys(line.overage_price for line in priced))
    return Problem(
        TENANT_FILE, f"subscription {subscription_id}", "overage_price", prices,
        f"one overage price for the {usage_type} lines of {subscription_id} in effect together "
        f"from {first} to {last} (found {lines}; a line naming no overage_price takes the "
        "priced one's)")


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


def _committed_exact(tenant: Tenant, grid: _Grid) -> tuple[np.ndarray, np.ndarray]:
    """Exact committed amount and entitlement cubes: Σ prorated quantity (× unit price)."""
    amounts = grid.zeros()
    entitled = grid.zeros()
    for s, sub in enumerate(tenant.subscriptions):
        for line in sub.lines:
            lo, hi = day_number(line.start), day_number(line.end)
            live = np.nonzero((grid.starts < hi) & (grid.ends > lo))[0]  # skip exact zeros
            share = prorated(exact(line.quantity), lo, hi, grid.starts[live], grid.ends[live])
            t = grid.types[line.usage_type]
            entitled[live, t, s] += share
            amounts[live, t, s] += share * exact(line.unit_price)
    return amounts, entitled


def _owned_exact(tenant, allocation, frame, grid, entitled) -> tuple[list, set]:
    """Each row's owned overage, exactly, by the allocation's own rule (P3) and owner; and the
    (period, type) pairs whose owner is P3's fallback."""
    usage = grid.zeros()
    usage[grid.rows] = frame["usage_exact"].to_numpy(dtype=object)
    owners = allocation.pooled.set_index(["period", "usage_type"])["owner"]
    position = {sub.id: s for s, sub in enumerate(tenant.subscriptions)}
    owned = grid.zeros()
    fallback = set()
    for p, period in enumerate(grid.periods):
        for name, t in grid.types.items():
            if not (usage[p, t].any() or entitled[p, t].any()):
                continue
            owner = owners.get((period, name))
            owner = owner if isinstance(owner, str) else None
            rule = tenant.usage_types[name].rule
            used = _pooled_total(usage[p, t]) if rule.pooled else usage[p, t]
            _, owned[p, t] = overage_split(rule, used, entitled[p, t],
                                           None if owner is None else position[owner])
            if owner is not None and period_owner(tenant, name, int(grid.starts[p]),
                                                  int(grid.ends[p]))[1]:
                fallback.add((period, name))
    return list(grid.pick(owned)), fallback


def _pooled_total(parts: np.ndarray) -> np.ndarray:
    """A pooled type's usage as P3 compares it: the tenant's total, in the first slot.

    The parts of unnamed usage split pro rata (M5) are floats whose sum can miss the measured
    total by 1e-12; the total is measured in whole or decimal units, so it is snapped to six
    decimals before it meets the exact entitlement (pooled overage depends on the total only).
    """
    total = np.zeros_like(parts)
    total.fill(Fraction(0))
    total[0] = exact(round(float(sum(parts, Fraction(0))), 6))
    return total


def _prices(tenant, frame, grid, fallback) -> tuple[list, list]:
    """Each row's overage price and its source (P4); the fallback owner's rows are flagged.
    Conflicting line prices (P4a) of rows that own overage are raised all at once."""
    prices: list = []
    sources: list[str] = []
    problems: dict[Problem, None] = {}
    periods = grid.rows[0]
    lines = {sub.id: sub.lines for sub in tenant.subscriptions}
    for p, (period, usage_type, subscription_id, overage) in zip(periods, frame[
            ["period", "usage_type", "subscription_id", "overage"]].itertuples(index=False),
            strict=True):
        price, source, problem = _price_of(tenant, subscription_id, lines[subscription_id],
                                           usage_type, int(grid.starts[p]), int(grid.ends[p]))
        if problem is not None:
            problems.setdefault(problem, None)
        if (period, usage_type) in fallback and overage > 0:
            source = OWNER_FALLBACK
        prices.append(price)
        sources.append(source)
    raise_if_any(list(problems))
    return prices, sources


def _check_prices(frame: pd.DataFrame, owned: list, prices: list) -> None:
    problems = [
        _missing_price(subscription_id, usage_type, float(amount), period)
        for (subscription_id, usage_type, period), amount, price in zip(
            frame[["subscription_id", "usage_type", "period"]].itertuples(index=False),
            owned, prices, strict=True)
        if amount > 0 and price is None
    ]
    raise_if_any(problems)


def _check_totals(frame: pd.DataFrame, tenant: Tenant) -> None:
    """P4: a period's committed or overage total above 10^12 is beyond any real invoice.

    Quantities and prices are each bounded by the loaders, but their product is not; refusing
    such a total here keeps every cent figure (and every sum of periods) inside int64.
    """
    problems = []
    for period, rows in frame.groupby("period", sort=True):
        for column in ("committed", "overage"):
            total = sum(rows[f"{column}_exact"], Fraction(0))
            if total > AMOUNT_LIMIT:
                problems.append(Problem(
                    TENANT_FILE, f"period {period}", f"{column}_cost", float(total),
                    f"a {column} total of at most 10^12 {tenant.currency} (check the quantities "
                    "and prices of the lines and the usage)"))
    raise_if_any(problems)


class _Grid:
    """The [period, type, subscription] cube of a cost frame, and each row's place in it."""

    def __init__(self, tenant: Tenant, frame: pd.DataFrame):
        self.periods = pd.PeriodIndex(frame["period"]).unique().sort_values()
        self.type_names = list(tenant.usage_types)
        self.types = {name: i for i, name in enumerate(self.type_names)}
        self.starts, self.ends = period_bounds(self.periods)
        self.shape = (len(self.periods), len(self.type_names), len(tenant.subscriptions))
        self.rows = (
            self.periods.get_indexer(pd.PeriodIndex(frame["period"])),
            pd.Categorical(frame["usage_type"], categories=self.type_names).codes,
            pd.Categorical(frame["subscription_id"],
                           categories=[sub.id for sub in tenant.subscriptions]).codes,
        )

    def zeros(self) -> np.ndarray:
        cube = np.empty(self.shape, dtype=object)
        cube.fill(Fraction(0))
        return cube

    def pick(self, cube: np.ndarray) -> np.ndarray:
        return cube[self.rows]


def _missing_price(subscription_id: str, usage_type: str, overage: float, period) -> Problem:
    return Problem(
        TENANT_FILE, f"subscription {subscription_id}", "overage_price", None,
        f"an overage price for {usage_type} (on a {usage_type} line of {subscription_id} or in "
        f"overage_prices): {subscription_id} owns {overage:g} units of overage in {period}",
    )


def unowned_overage(allocation: Allocation) -> pd.DataFrame:
    """Pooled overage no subscription owns: ``period, usage_type, overage``.

    P3 bills overage nobody owns to the primary, so this is empty unless a period had no
    primary either; it is listed so that such overage is never hidden.
    """
    owned = allocation.by_subscription.groupby(["period", "usage_type"], observed=True)[
        "overage"].sum()
    pooled = allocation.pooled.set_index(["period", "usage_type"])["overage"]
    gap = (pooled - owned.reindex(pooled.index, fill_value=0.0)).clip(lower=0.0)
    result = gap[gap > 1e-9].rename("overage").reset_index()
    return result[["period", "usage_type", "overage"]]


def _empty(freq: str) -> pd.DataFrame:
    frame = shaped(CostsFrame, freq=freq)
    for column in EXACT_COLUMNS:
        frame[column] = pd.Series([], dtype=object)
    return frame

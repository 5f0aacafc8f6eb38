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

Amounts are computed exactly (the decimals the tenant file states, as integer numerators over
a denominator shared by each period: its days × a power of ten) and rounded
once, as P4 says: per period, each department's amount (committed and overage separately) is
its exact amount rounded down or up by largest remainder so that the departments add up to the
period's exact total rounded half away from zero; each row is then rounded down or up so that
a department's rows add up to the department's amount. Summing this table by department
therefore gives the ``billed`` chargeback to the cent.
"""

from __future__ import annotations

import datetime as dt
import math
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa

from toolkit.allocation import Allocation, overage_split, period_owner
from toolkit.checks import AMOUNT_LIMIT
from toolkit.errors import Problem, raise_if_any
from toolkit.finance.money import (
    INT64_SAFE,
    decimals,
    exact,
    first_of,
    from_cents,
    group_sum,
    int_array,
    max_abs,
    quotients,
    rescale,
    round_scaled,
    times,
    to_cents,
)
from toolkit.frames import shaped
from toolkit.model import TENANT_FILE, Tenant
from toolkit.periods import LAST, day_number, period_bounds, roll_up

#: :func:`costs`: one row per period, usage type and subscription; amounts in the tenant's
#: currency holding whole cents; ``overage_price`` null when no price applies.
COSTS_SCHEMA = pa.DataFrameSchema({
    "period": pa.Column(pd.PeriodDtype(freq="M")),  # frequency per run
    "usage_type": pa.Column(str),
    "subscription_id": pa.Column(str),
    "department": pa.Column(str),
    "entitlement": pa.Column(float),
    "unit_price": pa.Column(float),
    "committed_cost": pa.Column(float),
    "usage": pa.Column(float),
    "overage": pa.Column(float),
    "overage_price": pa.Column(float, nullable=True),
    "price_source": pa.Column(str),
    "overage_cost": pa.Column(float),
    "total_cost": pa.Column(float),
    "currency": pa.Column(str),
})


COST_COLUMNS = list(COSTS_SCHEMA.columns)
#: Exact amounts behind the rounded ones, kept by :func:`exact_costs`: integer numerators
#: over the row's ``exact_denominator`` (the same for every row of a period).
EXACT_COLUMNS = ["committed_exact", "overage_exact", "usage_exact", "entitlement_exact",
                 "exact_denominator"]
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
    """:func:`costs` plus :data:`EXACT_COLUMNS`: the exact (unrounded) amounts as integer
    numerators over ``exact_denominator``, for splits that must round from the exact figures
    (the ``caused`` chargeback). ``Fraction(committed_exact, exact_denominator)`` is a row's
    exact committed amount."""
    tenant = tenant or allocation.tenant
    if allocation.months is not None:  # P1a: priced month by month, then added up
        return roll_up_costs(exact_costs(allocation.months, tenant), allocation.period)
    split = allocation.by_subscription
    if split.empty:
        return _empty(allocation.period)
    frame = split[KEYS + ["department", "entitlement", "usage", "overage"]].copy()
    grid = _Grid(tenant, frame)
    _check_same_tenant(frame, grid, tenant)
    usage = _Scaled(*decimals(frame["usage"].to_numpy(dtype=np.float64)))
    quantities, unit_prices = _line_decimals(tenant)
    places = max(usage.places, quantities.places, _snapped_places(tenant, grid, usage))
    committed, entitled = _committed_exact(tenant, grid, quantities, unit_prices, places)
    days = (grid.ends - grid.starts).astype(np.int64)[grid.rows[0]]
    used = times(rescale(usage.numerators, 10 ** (places - usage.places)), days)
    owned, fallback = _owned_exact(tenant, allocation, frame, grid, entitled, used, places)
    prices, sources = _prices(tenant, frame, grid, fallback)
    frame["overage_price"] = prices
    frame["price_source"] = sources
    _check_prices(frame, owned, prices, times(days, 10**places))  # past int64 from 19 places
    price = _Scaled(*decimals(np.nan_to_num(prices)))
    overage = times(owned, price.numerators)
    scale = max(quantities.places + unit_prices.places, places + price.places)
    frame["committed_exact"] = rescale(grid.pick(committed),
                                       10 ** (scale - quantities.places - unit_prices.places))
    frame["overage_exact"] = rescale(overage, 10 ** (scale - places - price.places))
    frame["usage_exact"] = rescale(used, 10 ** (scale - places))
    frame["entitlement_exact"] = rescale(grid.pick(entitled), 10 ** (scale - places))
    frame["exact_denominator"] = times(days, 10**scale)
    _check_totals(frame, tenant, grid)
    frame["unit_price"] = quotients(frame["committed_exact"].to_numpy(),
                                    frame["entitlement_exact"].to_numpy())
    periods = grid.rows[0]  # codes in period order, as round_scaled orders its labels
    departments = pd.factorize(frame["department"], sort=True)[0]
    denominators = frame["exact_denominator"].to_numpy()
    committed_cents = round_scaled(frame["committed_exact"].to_numpy(), denominators, periods,
                                   departments)
    overage_cents = round_scaled(frame["overage_exact"].to_numpy(), denominators, periods,
                                 departments)
    frame["committed_cost"] = from_cents(committed_cents)
    frame["overage_cost"] = from_cents(overage_cents)
    frame["total_cost"] = from_cents(committed_cents + overage_cents)
    frame["currency"] = tenant.currency
    typed = shaped(COSTS_SCHEMA, frame, allocation.period)
    for column in EXACT_COLUMNS:
        typed[column] = frame[column].to_numpy()
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
    rolled = roll_up(_as_fractions(table), period, ["usage_type", "subscription_id"],
                     COST_ROLL_UP)
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
    typed = shaped(COSTS_SCHEMA, rolled, freq)
    typed[EXACT_COLUMNS] = _as_numerators(rolled)[EXACT_COLUMNS].to_numpy()
    return typed


#: The exact columns holding numerators over ``exact_denominator``.
NUMERATORS = EXACT_COLUMNS[:-1]


def _as_fractions(table: pd.DataFrame) -> pd.DataFrame:
    """The exact columns as Fractions: months have denominators of their own (their days), so
    their numerators add up only as the exact values they stand for."""
    frame = table.drop(columns="exact_denominator")
    denominators = [int(d) for d in table["exact_denominator"]]
    for column in NUMERATORS:
        frame[column] = pd.Series([Fraction(int(n), d) for n, d in
                                   zip(table[column], denominators, strict=True)],
                                  index=table.index, dtype=object)
    return frame


def _as_numerators(frame: pd.DataFrame) -> pd.DataFrame:
    """Fraction columns back to integer numerators over one denominator per row (the least
    common multiple of the row's), the shape :func:`exact_costs` promises."""
    values = frame[NUMERATORS].to_numpy(dtype=object)
    denominators = [math.lcm(*(Fraction(v).denominator for v in row)) for row in values]
    result = frame.copy()
    for i, column in enumerate(NUMERATORS):
        result[column] = pd.Series([int(Fraction(row[i]) * d) for row, d in
                                    zip(values, denominators, strict=True)],
                                   index=frame.index, dtype=object)
    result["exact_denominator"] = pd.Series(denominators, index=frame.index, dtype=object)
    return result


class _Scaled:
    """Exact decimals as integer numerators over ``10**places``."""

    def __init__(self, numerators: np.ndarray, places: int):
        self.numerators, self.places = numerators, places


def _line_decimals(tenant: Tenant) -> tuple[_Scaled, _Scaled]:
    """Every line's quantity and unit price as exact decimals (in subscription, line order)."""
    lines = [line for sub in tenant.subscriptions for line in sub.lines]
    return (_Scaled(*decimals([line.quantity for line in lines])),
            _Scaled(*decimals([line.unit_price for line in lines])))


def overage_price(tenant: Tenant, subscription_id: str, usage_type: str, start: int,
                  end: int) -> tuple[float | None, str]:
    """P4: the owner's overage price for the type in the period ``[start, end)`` (day numbers).

    The owner's lines of the type in effect on the last day of the period on which the owner
    has one, when they carry an ``overage_price`` (P4a: lines naming one must name the same one,
    lines naming none take it; different prices are an :class:`~toolkit.errors.InputError`);
    otherwise the tenant's ``overage_prices``. A line of another term (earlier or later) is
    never looked at. Returns the price (``None`` when there is none) and its source.
    """
    lines = [(0, 0, line) for line in tenant.subscription(subscription_id).lines
             if line.usage_type == usage_type]
    cube = _Prices(lines, [tenant.overage_prices.get(usage_type, np.nan)],
                   np.array([start]), np.array([end]), (1, 1, 1))
    if cube.conflict[0, 0, 0]:
        raise_if_any([cube.problem((0, 0, 0), subscription_id, usage_type)])
    price = float(cube.price[0, 0, 0])
    return (None if np.isnan(price) else price), str(SOURCES[cube.source[0, 0, 0]])


#: Price sources by code, as :class:`_Prices` holds them ("" when no price applies).
SOURCES = np.array(["", OWNER_LINE, TENANT_PRICE, OWNER_FALLBACK], dtype=object)
_NONE, _LINE, _TENANT, _FALLBACK = range(len(SOURCES))


class _Prices:
    """P4 and P4a for every cell of a ``[period, type, subscription]`` cube at once: the one
    home of the price rule (:func:`overage_price` is its one-cell case).

    ``lines`` are ``(type, subscription, line)`` positions in line order. Per cell, the lines
    in effect in the period give the last day on which one is; the lines in effect that day
    with a price must agree on it (``conflict`` where they do not), else the tenant's price of
    the type (``tenant_prices``, NaN when none) applies. ``price`` is NaN where none applies.
    """

    def __init__(self, lines, tenant_prices, starts: np.ndarray, ends: np.ndarray,
                 shape: tuple[int, int, int]):
        self.lines = lines
        types, subs, lo, hi, price = _line_arrays(lines)
        line_of, period_of = np.nonzero((lo[:, None] < ends[None, :])
                                        & (hi[:, None] > starts[None, :]))
        cell = (period_of, types[line_of], subs[line_of])
        self.last_day = np.full(shape, np.iinfo(np.int64).min)
        np.maximum.at(self.last_day, cell, np.minimum(hi[line_of], ends[period_of]) - 1)
        day = self.last_day[cell]
        priced = (lo[line_of] <= day) & (day < hi[line_of]) & ~np.isnan(price[line_of])
        cell = tuple(c[priced] for c in cell)
        low, high = np.full(shape, np.inf), np.full(shape, -np.inf)
        np.minimum.at(low, cell, price[line_of][priced])
        np.maximum.at(high, cell, price[line_of][priced])
        owned = low <= high  # some line in effect on the last day names a price
        self.conflict = owned & (low != high)  # floats: equal iff exactly equal
        tenant = np.broadcast_to(np.asarray(tenant_prices, dtype=float)[None, :, None], shape)
        self.price = np.where(owned, np.where(self.conflict, np.nan, low), tenant)
        self.source = np.select([owned & ~self.conflict, ~owned & ~np.isnan(tenant)],
                                [_LINE, _TENANT], _NONE).astype(np.int8)

    @classmethod
    def of(cls, tenant: Tenant, grid: _Grid) -> _Prices:
        lines = [(grid.types[line.usage_type], s, line)
                 for s, sub in enumerate(tenant.subscriptions) for line in sub.lines]
        return cls(lines, [tenant.overage_prices.get(name, np.nan) for name in grid.type_names],
                   grid.starts, grid.ends, grid.shape)

    def problem(self, cell: tuple[int, int, int], subscription_id: str,
                usage_type: str) -> Problem:
        """The P4a problem of a conflicting cell, naming its priced lines in line order."""
        day = self.last_day[cell]
        priced = [line for t, s, line in self.lines if (t, s) == cell[1:]
                  and day_number(line.start) <= day < day_number(line.end)
                  and line.overage_price is not None]
        return _conflicting_prices(subscription_id, usage_type, priced)


def _line_arrays(lines) -> list[np.ndarray]:
    """Each line's type and subscription positions, start and end day and overage price (NaN
    when it names none), as arrays in line order."""
    columns = [(t, s, day_number(line.start), day_number(line.end),
                np.nan if line.overage_price is None else line.overage_price)
               for t, s, line in lines]
    return [np.array([row[i] for row in columns], dtype=dtype)
            for i, dtype in enumerate((np.intp, np.intp, np.int64, np.int64, np.float64))]


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


def _check_same_tenant(frame: pd.DataFrame, grid: _Grid, tenant: Tenant) -> None:
    """Refuse an allocation of another tenant: its rows could not find their prices.

    A subscription or usage type the tenant does not know (a -1 in the grid) would otherwise
    index the price cube at -1 and silently take the last subscription's (or type's) prices.
    """
    unknown = {kind: sorted(set(frame.loc[grid.rows[axis] < 0, column].tolist()))
               for kind, column, axis in (("subscription", "subscription_id", 2),
                                          ("usage type", "usage_type", 1))}
    found = [f"{kind}(s) {', '.join(names)}" for kind, names in unknown.items() if names]
    if found:
        raise ValueError(f"the allocation does not belong to tenant {tenant.name!r}: it has "
                         f"{'; '.join(found)} that the tenant does not know (price an "
                         "allocation with the tenant it was allocated for)")


def _committed_exact(tenant: Tenant, grid: _Grid, quantities: _Scaled, unit_prices: _Scaled,
                     places: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact committed amount and entitlement cubes: Σ prorated quantity (× unit price).

    Over the period's days, a line's share is its quantity × its active days, an integer once
    the quantity is scaled: entitlements over ``days × 10**places``, committed amounts over
    ``days × 10**(quantity places + price places)``.
    """
    lines = [(s, line) for s, sub in enumerate(tenant.subscriptions) for line in sub.lines]
    entitle = [int(q) * 10 ** (places - quantities.places) for q in quantities.numerators]
    price = [int(q) * int(p) for q, p in zip(quantities.numerators, unit_prices.numerators,
                                             strict=True)]
    amounts = grid.zeros(31 * sum(abs(a) for a in price))
    entitled = grid.zeros(31 * sum(abs(e) for e in entitle))
    if not lines:
        return amounts, entitled
    lo = np.array([day_number(line.start) for _, line in lines])
    hi = np.array([day_number(line.end) for _, line in lines])
    # P2 (:func:`toolkit.periods.prorated`) over the period's days: each line's active days.
    active = np.clip(np.minimum(hi[:, None], grid.ends[None, :])
                     - np.maximum(lo[:, None], grid.starts[None, :]), 0, None).astype(np.int64)
    line_of, period_of = np.nonzero(active)  # skip exact zeros
    days = active[line_of, period_of]
    place = (period_of, np.array([grid.types[line.usage_type] for _, line in lines])[line_of],
             np.array([s for s, _ in lines])[line_of])
    np.add.at(entitled, place, times(days, _pick(entitle, line_of)).astype(entitled.dtype))
    np.add.at(amounts, place, times(days, _pick(price, line_of)).astype(amounts.dtype))
    return amounts, entitled


def _pick(values: list[int], index: np.ndarray) -> np.ndarray:
    """``values[index]`` of Python ints: int64 while they fit, else Python ints."""
    return int_array(values, max((abs(v) for v in values), default=0))[index]


def _owned_exact(tenant, allocation, frame, grid, entitled, used, places) -> tuple[np.ndarray,
                                                                                  np.ndarray]:
    """Each row's owned overage, exactly (over the period's days × ``10**places``), by the
    allocation's own rule (P3, :func:`overage_split`) and owner; and where (``[period, type]``)
    the owner is P3's fallback (:func:`_fallback`).

    A per-subscription type compares each cell with its own entitlement, so one call covers
    all its periods; a pooled type compares the tenant's total, one period at a time.
    """
    usage = grid.zeros(2 * grid.shape[2] * (max_abs(used) + max_abs(entitled)))
    usage[grid.rows] = used
    if usage.dtype == object:  # one kind of integer: no numpy scalar inside Python ints
        entitled = int_array(entitled, INT64_SAFE)
    owners = _owners(tenant, allocation, grid)
    owned = np.zeros_like(usage)
    days = grid.ends - grid.starts
    for name, t in grid.types.items():
        rule = tenant.usage_types[name].rule
        if not rule.pooled:
            _, owned[:, t] = overage_split(rule, usage[:, t], entitled[:, t], None)
            continue
        totals = _pooled_totals(usage[:, t], days, places)
        for p in np.flatnonzero(usage[:, t].any(axis=1) | entitled[:, t].any(axis=1)):
            owner = int(owners[p, t])
            _, owned[p, t] = overage_split(rule, totals[p], entitled[p, t],
                                           owner if owner >= 0 else None)
    return grid.pick(owned), _fallback(tenant, grid, owners)


def _owners(tenant: Tenant, allocation: Allocation, grid: _Grid) -> np.ndarray:
    """``[period, type]``: the position of the allocation's owner of the pooled overage (P3),
    -1 where there is none."""
    pooled = allocation.pooled
    owner = pd.Categorical(pooled["owner"], categories=[sub.id for sub in tenant.subscriptions])
    at = (grid.periods.get_indexer(pd.PeriodIndex(pooled["period"])),
          pd.Categorical(pooled["usage_type"], categories=grid.type_names).codes)
    known = (at[0] >= 0) & (at[1] >= 0)
    owners = np.full(grid.shape[:2], -1, dtype=np.intp)
    owners[at[0][known], at[1][known]] = owner.codes[known]
    return owners


def _fallback(tenant: Tenant, grid: _Grid, owners: np.ndarray) -> np.ndarray:
    """``[period, type]``: where the allocation's owner (``owners``) answers by P3's fallback
    (nobody held the type, the primary pays), so that the costs can flag it
    ``owner_fallback``."""
    flagged = np.zeros(grid.shape[:2], dtype=bool)
    for p, t in zip(*np.nonzero(owners >= 0), strict=True):
        flagged[p, t] = period_owner(tenant, grid.type_names[t], int(grid.starts[p]),
                                     int(grid.ends[p]))[1]
    return flagged


def _pooled_totals(parts: np.ndarray, days: np.ndarray, places: int) -> np.ndarray:
    """A pooled type's usage as P3 compares it, per period: the tenant's total, in the first
    slot (``parts`` is ``[period, subscription]``).

    The parts of unnamed usage split pro rata (M5) are floats whose sum can miss the measured
    total by 1e-12; the total is measured in whole or decimal units, so it is snapped to six
    decimals before it meets the exact entitlement (pooled overage depends on the total only).
    """
    total = np.zeros_like(parts)
    sums, days = parts.sum(axis=1).tolist(), days.tolist()
    numerators, snapped_places = decimals([_snapped(int(n), d * 10**places)
                                           for n, d in zip(sums, days, strict=True)])
    total[:, 0] = [int(n) * 10 ** (places - snapped_places) * d
                   for n, d in zip(numerators.tolist(), days, strict=True)]
    return total


def _snapped(numerator: int, denominator: int) -> float:
    """The six-decimal float a pooled total is snapped to (one correctly rounded division)."""
    return round(numerator / denominator, 6)


def _snapped_places(tenant: Tenant, grid: _Grid, usage: _Scaled) -> int:
    """Decimal places the snapped pooled totals need, so that one scale holds them all."""
    pooled = [t for name, t in grid.types.items() if tenant.usage_types[name].rule.pooled]
    if not pooled:
        return 0
    cube = grid.zeros(max_abs(usage.numerators) * len(usage.numerators))
    cube[grid.rows] = usage.numerators
    sums = cube[:, pooled, :].sum(axis=2).ravel()
    return decimals([_snapped(int(n), 10**usage.places) for n in sums])[1]


def _prices(tenant: Tenant, frame: pd.DataFrame, grid: _Grid,
            fallback: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row's overage price (NaN when none) and its source (P4); rows with overage whose
    (period, type) is ``fallback`` (P3's fallback owner) are flagged. Conflicting line prices
    (P4a) are raised all at once, in row order."""
    cube = _Prices.of(tenant, grid)
    conflicts = dict.fromkeys(zip(*(axis[cube.conflict[grid.rows]].tolist()
                                    for axis in grid.rows), strict=True))
    raise_if_any(list(dict.fromkeys(  # one problem per set of lines, however many months
        cube.problem(cell, tenant.subscriptions[cell[2]].id, grid.type_names[cell[1]])
        for cell in conflicts)))
    sources = cube.source[grid.rows]
    sources[fallback[grid.rows[0], grid.rows[1]] & (frame["overage"].to_numpy() > 0)] = \
        _FALLBACK
    return cube.price[grid.rows], SOURCES[sources]


def _check_prices(frame: pd.DataFrame, owned: np.ndarray, prices: np.ndarray,
                  denominators: np.ndarray) -> None:
    """Owned overage without a price is an input problem (P4), listed row by row."""
    unpriced = np.flatnonzero(np.isnan(prices) & np.asarray(owned > 0, dtype=bool))
    raise_if_any([
        _missing_price(frame["subscription_id"].iloc[i], frame["usage_type"].iloc[i],
                       int(owned[i]) / int(denominators[i]), frame["period"].iloc[i])
        for i in unpriced.tolist()])


def _check_totals(frame: pd.DataFrame, tenant: Tenant, grid: _Grid) -> None:
    """P4: a period's committed or overage total above 10^12 is beyond any real invoice.

    Quantities and prices are each bounded by the loaders, but their product is not; refusing
    such a total here keeps every cent figure (and every sum of periods) inside int64.
    """
    problems = []
    codes = grid.rows[0]  # every period of the grid has rows: codes 0..P-1
    denominators = frame["exact_denominator"].to_numpy()[first_of(codes)]
    totals = {column: group_sum(frame[f"{column}_exact"].to_numpy(), codes)
              for column in ("committed", "overage")}
    for p, period in enumerate(grid.periods):
        for column in ("committed", "overage"):
            total, denominator = int(totals[column][p]), int(denominators[p])
            if total > AMOUNT_LIMIT * denominator:
                problems.append(Problem(
                    TENANT_FILE, f"period {period}", f"{column}_cost", total / denominator,
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
        self.rows = (  # -1 where the tenant does not know the row's type or subscription
            self.periods.get_indexer(pd.PeriodIndex(frame["period"])),
            pd.Index(self.type_names).get_indexer(frame["usage_type"]),
            pd.Index([sub.id for sub in tenant.subscriptions]).get_indexer(
                frame["subscription_id"]),
        )

    def zeros(self, bound: int) -> np.ndarray:
        """A cube of integer zeros: int64 when ``bound`` caps every value it will hold."""
        return int_array(np.zeros(self.shape, dtype=np.int64), bound)

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
    frame = shaped(COSTS_SCHEMA, freq=freq)
    for column in EXACT_COLUMNS:
        frame[column] = pd.Series([], dtype=object)
    return frame

"""The Fraction path of the money (issue 22's "before"), kept verbatim as the reference the
scaled-integer kernels are checked against (tests/test_money_integer.py): costs and the caused
chargeback computed with :class:`fractions.Fraction`, rounded by the Fraction ``round_nested``,
into the same frame shape (``COSTS_SCHEMA``) as the kernels."""
# ruff: noqa
from __future__ import annotations

from fractions import Fraction

import numpy as np
import pandas as pd

from toolkit.allocation import Allocation, overage_split, period_owner
from toolkit.checks import AMOUNT_LIMIT
from toolkit.errors import Problem, raise_if_any
from toolkit.finance.costs import COSTS_SCHEMA  # the frame's shape is the contract, not the path
from toolkit.finance.money import CENTS, exact, from_cents, round_half_away
from toolkit.frames import shaped
from toolkit.model import TENANT_FILE, Tenant
from toolkit.periods import day_number, period_bounds, prorated


COST_COLUMNS = list(COSTS_SCHEMA.columns)
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
    typed = shaped(COSTS_SCHEMA, frame, allocation.period)
    typed[EXACT_COLUMNS] = frame[EXACT_COLUMNS].to_numpy()
    return typed


def overage_price(tenant: Tenant, subscription_id: str, usage_type: str, start: int,
                  end: int) -> tuple[float | None, str]:
    """P4: the owner's overage price for the type in the period ``[start, end)`` (day numbers).

    The owner's line of the type in effect on the last day of the period on which the owner
    has one (the latest-starting line if several are), when it carries an ``overage_price``;
    otherwise the tenant's ``overage_prices``. A line of another term (earlier or later) is
    never looked at. Returns the price (``None`` when there is none) and its source.
    """
    return _price_of(tenant, tenant.subscription(subscription_id).lines, usage_type, start, end)


def _price_of(tenant: Tenant, owner_lines, usage_type: str, start: int,
              end: int) -> tuple[float | None, str]:
    """:func:`overage_price` given the owner's lines (the one rule; callers pricing many rows
    look the lines up once)."""
    lines = [line for line in owner_lines
             if line.usage_type == usage_type
             and day_number(line.start) < end and day_number(line.end) > start]
    if lines:
        last_day = max(min(day_number(line.end), end) - 1 for line in lines)
        in_effect = [line for line in lines
                     if day_number(line.start) <= last_day < day_number(line.end)]
        line = max(enumerate(in_effect), key=lambda pair: (pair[1].start, pair[0]))[1]
        if line.overage_price is not None:
            return line.overage_price, OWNER_LINE
    if usage_type in tenant.overage_prices:
        return tenant.overage_prices[usage_type], TENANT_PRICE
    return None, ""


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
    """Each row's overage price and its source (P4); the fallback owner's rows are flagged."""
    prices, sources = [], []
    periods = grid.rows[0]
    lines = {sub.id: sub.lines for sub in tenant.subscriptions}
    for p, (period, usage_type, subscription_id, overage) in zip(periods, frame[
            ["period", "usage_type", "subscription_id", "overage"]].itertuples(index=False),
            strict=True):
        price, source = _price_of(tenant, lines[subscription_id], usage_type, int(grid.starts[p]),
                                  int(grid.ends[p]))
        if (period, usage_type) in fallback and overage > 0:
            source = OWNER_FALLBACK
        prices.append(price)
        sources.append(source)
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
    frame = shaped(COSTS_SCHEMA, freq=freq)
    for column in EXACT_COLUMNS:
        frame[column] = pd.Series([], dtype=object)
    return frame
def largest_remainder(amounts, total: int) -> list[int]:
    """Cents for non-negative exact amounts that add up to ``total`` cents.

    Each part is its exact cents rounded down, and the cents still missing go one each to the
    parts with the largest remainders (ties to the earlier part). ``total`` must lie between
    the sum of the floors and the sum of the ceilings, so every part ends rounded down or up.
    """
    cents = [exact(a) * CENTS for a in amounts]
    floors = [int(c) for c in cents]
    missing = total - sum(floors)
    if not 0 <= missing <= sum(1 for c, f in zip(cents, floors, strict=True) if c != f):
        raise ValueError(f"{total} cents cannot be reached by rounding {amounts} down or up")
    order = sorted(range(len(cents)), key=lambda i: (-(cents[i] - floors[i]), i))
    for i in order[:missing]:
        floors[i] += 1
    return floors


def round_parts(amounts) -> list[int]:
    """P4's rounding of one period: the exact total rounded half away from zero, shared out
    to the parts by :func:`largest_remainder`."""
    values = [exact(a) for a in amounts]
    return largest_remainder(values, round_half_away(sum(values, Fraction(0))))


def round_nested(amounts, outer, inner) -> np.ndarray:
    """Cents of each amount so that every ``outer`` group (a period) adds up to its exact
    total rounded half away from zero, every ``inner`` group inside it (a department) is its
    exact sum rounded down or up (largest remainder), and every amount is rounded down or up
    to reach its inner group's cents. ``outer`` and ``inner`` are labels, one per amount;
    ties between inner groups go to the smaller label, between amounts to the earlier one."""
    values = [exact(a) for a in amounts]
    result = np.zeros(len(values), dtype=np.int64)
    by_outer: dict = {}
    for i, (o, n) in enumerate(zip(outer, inner, strict=True)):
        by_outer.setdefault(o, {}).setdefault(n, []).append(i)
    for groups in by_outer.values():
        members = [groups[label] for label in sorted(groups)]  # ties: the earlier label
        sums = [sum((values[i] for i in m), Fraction(0)) for m in members]
        for m, group_cents in zip(members, round_parts(sums), strict=True):
            result[m] = largest_remainder([values[i] for i in m], group_cents)
    return result


def caused_cents(table: pd.DataFrame, tenant: Tenant) -> pd.DataFrame:
    """The ``caused`` overage cents per (period, department), from Fraction exact columns."""
    pooled = table["usage_type"].map(lambda t: tenant.usage_types[t].rule.pooled).to_numpy(bool)
    kept = _by_department(table[~pooled], table.loc[~pooled, "overage_exact"])
    rows = table[pooled]
    parts = []
    for (period, _), group in rows.groupby(["period", "usage_type"], sort=True):
        dept = group.groupby("department", sort=True)[
            ["usage_exact", "entitlement_exact", "overage_exact"]].agg(_exact_sum)
        excess = [max(Fraction(0), u - e) for u, e in
                  zip(dept["usage_exact"], dept["entitlement_exact"], strict=True)]
        total, excess_sum = _exact_sum(dept["overage_exact"]), sum(excess, Fraction(0))
        shares = [total * x / excess_sum for x in excess] if excess_sum else \
            list(dept["overage_exact"])
        parts.append(pd.DataFrame({"period": period, "department": dept.index,
                                   "amount": pd.Series(shares, dtype=object).to_numpy()}))
    caused = pd.concat([kept, *parts], ignore_index=True)
    amounts = caused.groupby(["period", "department"], as_index=False, sort=True)["amount"].agg(
        _exact_sum)
    amounts["cents"] = round_nested(amounts["amount"], amounts["period"].astype("str"),
                                    amounts["department"])
    return amounts[["period", "department", "cents"]]


def _exact_sum(values) -> Fraction:
    return sum(values, Fraction(0))


def _by_department(table: pd.DataFrame, amounts) -> pd.DataFrame:
    frame = pd.DataFrame({"period": table["period"], "department": table["department"],
                          "amount": pd.Series(list(amounts), index=table.index, dtype=object)})
    return frame.groupby(["period", "department"], as_index=False, sort=True)["amount"].agg(
        _exact_sum)

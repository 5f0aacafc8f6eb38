"""Department chargeback, two views of the same money (P5).

- ``billed`` follows the invoice: each department pays the committed cost of its subscriptions
  and the overage its subscriptions own (the owner of pooled overage pays all of it).
- ``caused`` keeps the committed costs where they are but re-splits the overage cost of each
  pooled type and period among the departments whose attributed usage exceeded their *own*
  entitlement of that type, in proportion to that excess (largest remainder, to the cent). A
  department inside its entitlement pays no overage. Non-pooled types (Webex Connect, WFO) are
  caused by the subscription that is billed, so both views agree on them.

Both views work on exact amounts (:func:`toolkit.finance.costs.exact_costs`) and round each
department's amount of a period once (P4), so a department is never more than a cent away from
its exact figure.

Both views move the same cents around, so their grand totals, and their totals per period,
are always equal. The methods are a table (name → function), so a new view is one entry.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable

import numpy as np
import pandas as pd
import pandera.pandas as pa

from toolkit.allocation import Allocation
from toolkit.finance.commitments import unused_by_department
from toolkit.finance.costs import EXACT_COLUMNS, cents_sum, exact_costs
from toolkit.finance.costs import costs as cost_table
from toolkit.finance.money import first_of, from_cents, group_sum, round_scaled, to_cents
from toolkit.frames import shaped
from toolkit.model import Tenant
from toolkit.periods import freq_of, roll_up

#: :func:`chargeback`: cost per period and department, in the tenant's currency (cents).
CHARGEBACK_SCHEMA = pa.DataFrameSchema({
    "period": pa.Column(pd.PeriodDtype(freq="M")),  # frequency per run
    "department": pa.Column(str),
    "committed_cost": pa.Column(float),
    "overage_cost": pa.Column(float),
    "total_cost": pa.Column(float),
    "unused_cost": pa.Column(float),  # the part of committed_cost that bought nothing (P6)
})


CHARGEBACK_COLUMNS = list(CHARGEBACK_SCHEMA.columns)


def _billed(table: pd.DataFrame, tenant: Tenant, allocation: Allocation) -> pd.DataFrame:
    """Overage cents per department as invoiced: to the departments owning the overage.

    The costs table rounds each department's exact amount once and its rows add up to it
    (:func:`toolkit.finance.money.round_nested`), so adding the rows' cents is exact.
    """
    return _cents_by_department(table, "overage_cost")


def _caused(table: pd.DataFrame, tenant: Tenant, allocation: Allocation) -> pd.DataFrame:
    """Overage cents per department, pooled overage split by usage above own entitlement.

    Per pooled type and period: the exact overage amount × each department's share of the
    total excess (usage − own entitlement, floored at 0, exact). Non-pooled types stay where
    they are billed. Each department's exact amount of a period is then rounded once (P4).
    The exact figures are integers over the period's denominator, so the sums are integer
    sums and a share is one more denominator (the type's total excess) per period.
    """
    if not set(EXACT_COLUMNS) <= set(table.columns):
        table = exact_costs(allocation, tenant)
    pooled = table["usage_type"].isin(pooled_types(tenant)).to_numpy(bool)
    parts: dict[tuple, list[tuple[int, int]]] = {}
    sums = _exact_sums(table, pooled)
    # the Python loop keys on month ordinals and plain strings: a Period in a dict key costs
    # a dtype comparison at every lookup
    ordinals = sums["period"].array.asi8.tolist()
    records = zip(ordinals, sums["usage_type"].tolist(), sums["pooled"].tolist(),
                  sums["department"].tolist(), sums["usage"], sums["entitlement"],
                  sums["overage"], strict=True)
    for (period, _, is_pooled), group in itertools.groupby(records, key=lambda r: r[:3]):
        for department, share in _shares(list(group), bool(is_pooled)):
            parts.setdefault((period, department), []).append(share)
    keys = sorted(parts)
    base = dict(zip(ordinals, sums["denominator"].tolist(), strict=True))
    numerators, denominators = _common_denominators(keys, parts, base)
    outer = np.array([period for period, _ in keys], dtype=np.int64)
    departments = [department for _, department in keys]
    return pd.DataFrame({
        "period": pd.arrays.PeriodArray(outer, dtype=table["period"].dtype),
        "department": pd.Series(departments, dtype=table["department"].dtype),
        "cents": round_scaled(numerators, denominators, outer, departments),
    })


def pooled_types(tenant: Tenant) -> list[str]:
    """The tenant's usage types whose overage is pooled (P3), by their policy rows."""
    return [name for name, row in tenant.usage_types.items() if row.rule.pooled]


def _exact_sums(table: pd.DataFrame, pooled: np.ndarray) -> pd.DataFrame:
    """Exact usage, entitlement and overage numerators per (period, type, department); the
    overage of a non-pooled type under a type-less key (it is never re-split)."""
    frame = table[["period", "usage_type", "department", "usage_exact", "entitlement_exact",
                   "overage_exact", "exact_denominator"]].copy()
    frame["pooled"] = pooled
    frame.loc[~pooled, "usage_type"] = ""
    keys = ["period", "usage_type", "pooled", "department"]
    codes = [pd.factorize(frame[key], sort=True)[0] for key in keys]
    group = pd.factorize(np.ravel_multi_index(codes, [int(c.max(initial=0)) + 1 for c in codes]),
                         sort=True)[0]  # the keys' sorted order, as a sorted groupby's
    first = first_of(group)
    sums = frame[keys].iloc[first].reset_index(drop=True)
    for column in ("usage", "entitlement", "overage"):  # exact integer sums (money.group_sum)
        sums[column] = group_sum(frame[f"{column}_exact"].to_numpy(), group)
    sums["denominator"] = frame["exact_denominator"].to_numpy()[first]
    return sums


def _shares(group: list[tuple], pooled: bool) -> list[tuple[str, tuple[int, int]]]:
    """Each department's share of one (period, pooled type) as (numerator, extra denominator)
    over the period's denominator: total overage × own excess / total excess. ``group`` holds
    the :func:`_exact_sums` records (…, department, usage, entitlement, overage)."""
    departments = [r[3] for r in group]
    overage = [int(r[6]) for r in group]
    if not pooled:
        return [(d, (o, 1)) for d, o in zip(departments, overage, strict=True)]
    excess = [max(0, int(r[4]) - int(r[5])) for r in group]
    total, excess_sum = sum(overage), sum(excess)
    # With exact figures a pooled overage always has a department above its entitlement;
    # should one ever not, the invoice's split is kept rather than dropping the money.
    if not excess_sum:
        return [(d, (o, 1)) for d, o in zip(departments, overage, strict=True)]
    return [(d, (total * x, excess_sum)) for d, x in zip(departments, excess, strict=True)]


def _common_denominators(keys: list[tuple], parts: dict,
                         base: dict) -> tuple[np.ndarray, np.ndarray]:
    """Each (period, department) of ``keys``: its exact amount over one denominator per
    period, the period's own (``base``) times the least common multiple of its shares' extra
    denominators."""
    extra: dict = {}
    for (period, _), shares in parts.items():
        extra[period] = math.lcm(extra.get(period, 1), *(m for _, m in shares))
    numerators, denominators = [], []
    for period, department in keys:
        common = extra[period]
        numerators.append(sum(n * (common // m) for n, m in parts[(period, department)]))
        denominators.append(int(base[period]) * common)
    return (np.array(numerators, dtype=object), np.array(denominators, dtype=object))


#: The chargeback views: method name → overage cents per (period, department).
METHODS: dict[str, Callable[[pd.DataFrame, Tenant, Allocation], pd.DataFrame]] = {
    "billed": _billed,
    "caused": _caused,
}


def chargeback(allocation: Allocation, tenant: Tenant | None = None, method: str = "billed",
               *, table: pd.DataFrame | None = None) -> pd.DataFrame:
    """Cost per ``period, department``: ``committed_cost, overage_cost, total_cost``.

    ``method`` is a key of :data:`METHODS` (``billed`` or ``caused``). ``table`` is an already
    computed :func:`toolkit.finance.costs.costs` frame, to avoid pricing twice (``caused``
    needs the exact amounts: pass :func:`~toolkit.finance.costs.exact_costs` to reuse them).
    Each department's amount of a period is its exact amount rounded down or up, so that the
    departments add up to the period's exact total rounded half away from zero (P4): both
    views therefore have the same total per period.

    Parameters
    ----------
    allocation : Allocation
        :func:`toolkit.allocate`'s result (monthly, or a quarter or year of months, P1a).
    tenant : Tenant, optional
        Defaults to the tenant the allocation carries (the one way; see docs/architecture.md,
        "One way to say each thing").
    method : str
        ``"billed"`` (as invoiced) or ``"caused"`` (pooled overage to who caused it).
    table : DataFrame, optional
        Already computed costs, to avoid pricing twice.

    Returns
    -------
    DataFrame
        ``period, department, committed_cost, overage_cost, total_cost, unused_cost`` in the
        tenant's currency, whole cents (``unused_cost`` is part of ``committed_cost``, P6).
    """
    if method not in METHODS:
        raise ValueError(f"unknown chargeback method {method!r}; use one of "
                         f"{', '.join(METHODS)}")
    tenant = tenant or allocation.tenant
    if allocation.months is not None:  # P1a: each month's chargeback, then added up
        monthly = table if table is not None and _freq(table) == _freq(
            allocation.months.by_subscription) else None
        months = chargeback(allocation.months, tenant, method, table=monthly)
        rolled = roll_up(months, allocation.period, ["department"], CENTS_ROLL_UP)
        return shaped(CHARGEBACK_SCHEMA, rolled, _freq(allocation.by_subscription))
    table = cost_table(allocation, tenant) if table is None else table
    if table.empty:  # no usage, no periods: merging empty frames would lose their types
        return _empty(allocation.period)
    committed = _cents_by_department(table, "committed_cost")
    overage = METHODS[method](table, tenant, allocation)
    merged = pd.merge(committed, overage, on=["period", "department"], how="outer",
                      suffixes=("_committed", "_overage"))
    committed_cents = merged["cents_committed"].fillna(0).to_numpy(np.int64)
    overage_cents = merged["cents_overage"].fillna(0).to_numpy(np.int64)
    unused_cents = np.minimum(_unused_cents(tenant, allocation, merged), committed_cents)
    result = pd.DataFrame({
        "period": merged["period"],
        "department": merged["department"],
        "committed_cost": from_cents(committed_cents),
        "overage_cost": from_cents(overage_cents),
        "total_cost": from_cents(committed_cents + overage_cents),
        "unused_cost": from_cents(unused_cents),
    })
    result = shaped(CHARGEBACK_SCHEMA, result, allocation.period)
    return result.sort_values(["period", "department"], ignore_index=True)


#: A chargeback's amounts roll up into quarters and years as whole cents (P1a).
CENTS_ROLL_UP = {"committed_cost": cents_sum, "overage_cost": cents_sum, "total_cost": cents_sum,
                  "unused_cost": cents_sum}


def _freq(frame: pd.DataFrame) -> str:
    return freq_of(frame["period"].dtype)


def _unused_cents(tenant: Tenant, allocation: Allocation, keys: pd.DataFrame) -> np.ndarray:
    """P6's unused committed cost per row of ``keys`` (period, department), in cents: one
    vectorised pass over the lines × periods grid (:func:`unused_by_department`), never per
    department. Capped at the committed cents, of which it is a part."""
    unused = unused_by_department(tenant, allocation)
    if unused.empty:
        return np.zeros(len(keys), dtype=np.int64)
    found = pd.merge(keys[["period", "department"]], unused, on=["period", "department"],
                     how="left")
    return found["cents"].fillna(0).to_numpy(np.int64)


def _cents_by_department(table: pd.DataFrame, column: str) -> pd.DataFrame:
    """A costs column's cents added up per (period, department)."""
    frame = pd.DataFrame({"period": table["period"], "department": table["department"],
                          "cents": to_cents(table[column])}, index=table.index)
    return frame.groupby(["period", "department"], as_index=False, sort=True)["cents"].sum()


def _empty(freq: str) -> pd.DataFrame:
    """The chargeback of an allocation without periods: no rows, the usual columns and types."""
    return shaped(CHARGEBACK_SCHEMA, freq=freq)

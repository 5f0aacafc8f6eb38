"""Department chargeback, two views of the same money (P5).

- ``billed`` follows the invoice: each department pays the committed cost of its subscriptions
  and the overage its subscriptions own (the owner of pooled overage pays all of it).
- ``caused`` keeps the committed costs where they are but re-splits the overage cost of each
  pooled type and period among the departments whose attributed usage exceeded their *own*
  entitlement of that type, in proportion to that excess (largest remainder, to the cent). A
  department inside its entitlement pays no overage. Non-pooled types (Webex Connect, WFO) are
  caused by the subscription that is billed, so both views agree on them.

Both views move the same cents around, so their grand totals, and their totals per period,
are always equal. The methods are a table (name → function), so a new view is one entry.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from toolkit.allocation import Allocation
from toolkit.finance.costs import costs as cost_table
from toolkit.finance.money import from_cents, round_to_total, to_cents
from toolkit.model import Tenant

CHARGEBACK_COLUMNS = ["period", "department", "committed_cost", "overage_cost", "total_cost"]


def _billed(table: pd.DataFrame, tenant: Tenant) -> pd.DataFrame:
    """Overage cents per department as invoiced: to the departments owning the overage."""
    return _by_department(table, to_cents(table["overage_cost"]))


def _caused(table: pd.DataFrame, tenant: Tenant) -> pd.DataFrame:
    """Pooled overage cents split by each department's usage above its own entitlement.

    Per pooled type and period: the overage cents × each department's share of the total
    excess (usage − own entitlement, floored at 0), rounded by largest remainder so the parts
    add up exactly to the type's overage cost.
    """
    pooled = table["usage_type"].map(lambda t: tenant.usage_types[t].rule.pooled).to_numpy(bool)
    kept = _by_department(table[~pooled], to_cents(table.loc[~pooled, "overage_cost"]))
    rows = table[pooled]
    keys = ["period", "usage_type"]
    dept = pd.DataFrame({"period": rows["period"], "usage_type": rows["usage_type"],
                         "department": rows["department"], "usage": rows["usage"],
                         "entitlement": rows["entitlement"],
                         "cents": to_cents(rows["overage_cost"])}, index=rows.index)
    dept = dept.groupby([*keys, "department"], as_index=False, sort=True)[
        ["usage", "entitlement", "cents"]].sum()
    group = dept.groupby(keys, sort=False)
    total = group["cents"].transform("sum").to_numpy(np.float64)
    excess = (dept["usage"] - dept["entitlement"]).clip(lower=0.0).to_numpy()
    excess_sum = pd.Series(excess, index=dept.index).groupby(
        [dept[k] for k in keys], sort=False).transform("sum").to_numpy()
    # A pooled overage always has some department above its entitlement; should one ever
    # not, the invoice's split is kept rather than dropping the money.
    share = np.divide(excess, excess_sum, out=np.zeros(len(dept)), where=excess_sum > 0)
    invoice = np.divide(dept["cents"].to_numpy(np.float64), total, out=np.zeros(len(dept)),
                        where=total > 0)
    share = np.where(excess_sum > 0, share, invoice)
    dept["cents"] = round_to_total(total * share / 100, group.ngroup().to_numpy())
    joined = pd.concat([kept, dept[["period", "department", "cents"]]], ignore_index=True)
    return joined.groupby(["period", "department"], as_index=False, sort=True)["cents"].sum()


#: The chargeback views: method name → overage cents per (period, department).
METHODS: dict[str, Callable[[pd.DataFrame, Tenant], pd.DataFrame]] = {
    "billed": _billed,
    "caused": _caused,
}


def chargeback(allocation: Allocation, tenant: Tenant | None = None, method: str = "billed",
               *, table: pd.DataFrame | None = None) -> pd.DataFrame:
    """Cost per ``period, department``: ``committed_cost, overage_cost, total_cost``.

    ``method`` is a key of :data:`METHODS` (``billed`` or ``caused``). ``table`` is an already
    computed :func:`toolkit.finance.costs.costs` frame, to avoid pricing twice.
    """
    if method not in METHODS:
        raise ValueError(f"unknown chargeback method {method!r}; use one of "
                         f"{', '.join(METHODS)}")
    tenant = tenant or allocation.tenant
    table = cost_table(allocation, tenant) if table is None else table
    if table.empty:  # no usage, no periods: merging empty frames would lose their types
        return _empty(allocation.period)
    committed = _by_department(table, to_cents(table["committed_cost"]))
    overage = METHODS[method](table, tenant)
    merged = pd.merge(committed, overage, on=["period", "department"], how="outer",
                      suffixes=("_committed", "_overage"))
    committed_cents = merged["cents_committed"].fillna(0).to_numpy(np.int64)
    overage_cents = merged["cents_overage"].fillna(0).to_numpy(np.int64)
    result = pd.DataFrame({
        "period": merged["period"],
        "department": merged["department"].astype("str"),
        "committed_cost": from_cents(committed_cents),
        "overage_cost": from_cents(overage_cents),
        "total_cost": from_cents(committed_cents + overage_cents),
    })
    result["period"] = pd.PeriodIndex(result["period"], freq=allocation.period)
    return result.sort_values(["period", "department"], ignore_index=True)[CHARGEBACK_COLUMNS]


def _by_department(table: pd.DataFrame, cents: np.ndarray) -> pd.DataFrame:
    frame = pd.DataFrame({"period": table["period"], "department": table["department"],
                          "cents": cents}, index=table.index)
    return frame.groupby(["period", "department"], as_index=False, sort=True)["cents"].sum()


def _empty(freq: str) -> pd.DataFrame:
    """The chargeback of an allocation without periods: no rows, the usual columns and types."""
    frame = pd.DataFrame({column: pd.Series([], dtype="float64") for column in CHARGEBACK_COLUMNS})
    frame["period"] = pd.PeriodIndex([], freq=freq)
    frame["department"] = frame["department"].astype("str")
    return frame

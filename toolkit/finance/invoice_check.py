"""Does Cisco's invoice agree with the tenant file and the usage? (T2)

Every invoiced line is matched to the computed line with the same ``period, subscription_id,
usage_type, charge`` (computed lines: :func:`toolkit.finance.costs.costs` — committed =
prorated entitlement × unit price, overage = owned overage × the owner's overage price). Only
the periods the invoice covers are compared: an invoice of one month says nothing about the
others. Each line whose amount, quantity or unit price differs becomes a row, classified by the
first matching rule of :data:`CAUSES` (rules are data: a new cause is one entry):

- ``owner`` — overage of a type and period invoiced to one subscription while the owner (R4/R5)
  is another: both lines carry the owner's explanation (:meth:`Tenant.explain_owner`).
- ``missing_in_tenant`` — on the invoice, not in the tenant file (or no usage for it).
- ``missing_on_invoice`` — computed, not invoiced.
- ``proration`` — a committed quantity that is the line's full quantity, or a whole-day share
  of it, where the computed entitlement is another (P2).
- ``quantity`` — measured differently; for a peak type the explanation names the interval that
  set the computed peak (give ``usage``), so T1 can show who was counted.
- ``rounding`` — within a cent, the same quantity and price.
- ``price`` — the same quantity at another unit price than the tenant file's.

``difference`` = invoiced − computed amount (a missing side counts as 0), so the differences of
a period add up to the period's invoiced total minus its computed total (the invariant the tests
hold); lines that agree contribute nothing and are not listed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from fractions import Fraction

import numpy as np
import pandas as pd

from toolkit.allocation import Allocation
from toolkit.finance.costs import costs
from toolkit.finance.money import from_cents, to_cents
from toolkit.model import Tenant

KEYS = ["period", "subscription_id", "usage_type", "charge"]
COLUMNS = [*KEYS, "invoiced_quantity", "computed_quantity", "invoiced_amount",
           "computed_amount", "difference", "cause", "explanation"]
#: Quantities and prices equal to this are equal (floats read from text).
EPSILON = 1e-9
CENT = 0.01


def check_invoice(tenant: Tenant, allocation: Allocation, invoice: pd.DataFrame,
                  usage: pd.DataFrame | None = None) -> pd.DataFrame:
    """The classified differences between ``invoice`` (:func:`toolkit.load_invoice`) and the
    bill computed from ``allocation`` (frame of :data:`COLUMNS`, by period and subscription).

    ``usage`` (the allocation's usage, optional) lets a quantity difference of a peak type name
    the interval that set the computed peak.

    Parameters
    ----------
    tenant : Tenant
    allocation : Allocation
        The computed bill's allocation (monthly).
    invoice : DataFrame
        :func:`toolkit.load_invoice`'s result.
    usage : DataFrame, optional
        The allocation's usage, to name a peak's interval.

    Returns
    -------
    DataFrame
        ``period, subscription_id, usage_type, charge, invoiced_quantity, computed_quantity,
        invoiced_amount, computed_amount, difference, cause, explanation``; amounts in the
        tenant's currency, ``difference`` = invoiced − computed.
    """
    invoiced = _invoiced(invoice)
    computed = _computed(tenant, allocation, set(invoiced["period"].astype(str)))
    lines = pd.merge(invoiced, computed, on=KEYS, how="outer")
    lines["difference"] = from_cents(to_cents(lines["invoiced_amount"].fillna(0))
                                     - to_cents(lines["computed_amount"].fillna(0)))
    lines = lines[_differs(lines)].copy()
    lines["moved"] = _moved_overage(lines)
    lines["full_quantity"] = [_full_quantity(tenant, r.period, r.subscription_id, r.usage_type)
                              for r in lines.itertuples()]
    peaks = _peak_intervals(tenant, usage)
    found = [_classify(tenant, row, peaks) for row in lines.to_dict("records")]
    lines["cause"] = [cause for cause, _ in found]
    lines["explanation"] = [text for _, text in found]
    lines = lines.sort_values(KEYS, ignore_index=True)
    return lines[COLUMNS]


def period_totals(invoice: pd.DataFrame, differences: pd.DataFrame) -> pd.DataFrame:
    """Per invoiced period: invoiced total, computed total (invoiced − differences) and the
    difference: what the check's reader wants to see first."""
    invoiced = invoice.assign(cents=to_cents(invoice["amount"])).groupby(
        invoice["period"].astype(str))["cents"].sum()
    diff = differences.assign(cents=to_cents(differences["difference"])).groupby(
        differences["period"].astype(str))["cents"].sum().reindex(invoiced.index, fill_value=0)
    return pd.DataFrame({"period": invoiced.index, "invoiced": from_cents(invoiced.to_numpy()),
                         "computed": from_cents((invoiced - diff).to_numpy()),
                         "difference": from_cents(diff.to_numpy())})


def disputed(differences: pd.DataFrame, tolerance: float = CENT) -> pd.DataFrame:
    """Per subscription: the net amount in dispute (differences above ``tolerance``) and how
    many lines it comes from, largest first."""
    above = differences[differences["difference"].abs() > tolerance + EPSILON]
    grouped = above.assign(cents=to_cents(above["difference"])).groupby("subscription_id")
    result = pd.DataFrame({"in_dispute": from_cents(grouped["cents"].sum().to_numpy()),
                           "lines": grouped.size().to_numpy()},
                          index=grouped["cents"].sum().index).reset_index()
    return result.sort_values("in_dispute", key=np.abs, ascending=False, ignore_index=True)


def _invoiced(invoice: pd.DataFrame) -> pd.DataFrame:
    """Invoice lines summed per key (an invoice may split a line), period as text."""
    frame = invoice.assign(period=invoice["period"].astype(str),
                           cents=to_cents(invoice["amount"]))
    grouped = frame.groupby(KEYS, as_index=False).agg(
        invoiced_quantity=("quantity", "sum"), cents=("cents", "sum"),
        invoiced_price=("unit_price", "max"))
    grouped["invoiced_amount"] = from_cents(grouped.pop("cents").to_numpy())
    return grouped


def _computed(tenant: Tenant, allocation: Allocation, periods: set[str]) -> pd.DataFrame:
    """The bill's lines in ``periods``: one committed and (when there is any) one overage line
    per period, subscription and type."""
    table = costs(allocation, tenant)
    table = table[table["period"].astype(str).isin(periods)]
    base = table.assign(period=table["period"].astype(str))
    committed = pd.DataFrame({
        "period": base["period"], "subscription_id": base["subscription_id"],
        "usage_type": base["usage_type"], "charge": "committed",
        "computed_quantity": base["entitlement"], "computed_amount": base["committed_cost"],
        "computed_price": base["unit_price"]})
    overage = pd.DataFrame({
        "period": base["period"], "subscription_id": base["subscription_id"],
        "usage_type": base["usage_type"], "charge": "overage",
        "computed_quantity": base["overage"], "computed_amount": base["overage_cost"],
        "computed_price": base["overage_price"]})
    lines = pd.concat([committed[committed["computed_quantity"] > EPSILON],
                       overage[overage["computed_quantity"] > EPSILON]], ignore_index=True)
    return lines


def _differs(lines: pd.DataFrame) -> np.ndarray:
    """Lines whose amount, quantity or price differ, or that one side lacks."""
    one_sided = lines["invoiced_amount"].isna() | lines["computed_amount"].isna()
    quantity = (lines["invoiced_quantity"] - lines["computed_quantity"]).abs() > EPSILON
    price = (lines["invoiced_price"] - lines["computed_price"]).abs() > EPSILON
    return (one_sided | quantity | price | (lines["difference"] != 0)).to_numpy()


def _moved_overage(lines: pd.DataFrame) -> np.ndarray:
    """Overage lines of a period and type that only the invoice has on one subscription and
    only the computation on another: the overage went to someone other than the owner."""
    overage = lines["charge"] == "overage"
    invoice_only = overage & lines["computed_amount"].isna()
    computed_only = overage & lines["invoiced_amount"].isna()
    keys = lines["period"] + "|" + lines["usage_type"]
    both = set(keys[invoice_only]) & set(keys[computed_only])
    return ((invoice_only | computed_only) & keys.isin(both)).to_numpy()


def _full_quantity(tenant: Tenant, period: str, subscription_id: str, usage_type: str) -> float:
    """The unprorated quantity of the subscription's lines of the type in the period."""
    if subscription_id not in tenant.departments:
        return 0.0
    month = pd.Period(period, freq="M")
    first, last = month.start_time.date(), month.end_time.date()
    return float(sum(line.quantity for line in tenant.subscription(subscription_id).lines
                     if line.usage_type == usage_type and line.start <= last
                     and line.end > first))


def _prorated_differently(row: dict) -> bool:
    """A committed quantity that is a whole-day share (0 < k ≤ days) of the full quantity and
    not the computed one: the invoice and the tenant file disagree on the line's days (P2)."""
    if row["charge"] != "committed" or pd.isna(row["computed_quantity"]) or \
            pd.isna(row["invoiced_quantity"]) or not row["full_quantity"]:
        return False
    if abs(row["invoiced_quantity"] - row["computed_quantity"]) <= EPSILON:
        return False
    days = pd.Period(row["period"], freq="M").days_in_month
    share = Fraction(row["invoiced_quantity"]).limit_denominator(10_000) / Fraction(
        row["full_quantity"]).limit_denominator(10_000)
    return 0 < share <= 1 and (share * days).denominator == 1


def _last_day(period: str) -> dt.date:
    return pd.Period(period, freq="M").end_time.date()


def _owner_text(tenant: Tenant, row: dict, peaks: dict) -> str:
    return tenant.explain_owner(row["usage_type"], _last_day(row["period"]))


def _quantity_text(tenant: Tenant, row: dict, peaks: dict) -> str:
    text = (f"invoiced {row['invoiced_quantity']:g}, computed {row['computed_quantity']:g} "
            f"{row['usage_type']}")
    instant = peaks.get((row["period"], row["usage_type"]))
    if instant is not None:
        text += f"; the computed peak was set in the interval starting {instant}"
    return text


def _proration_text(tenant: Tenant, row: dict, peaks: dict) -> str:
    return (f"invoiced {row['invoiced_quantity']:g} of the line's {row['full_quantity']:g}, "
            f"the tenant file's days give {row['computed_quantity']:g} (P2)")


def _price_text(tenant: Tenant, row: dict, peaks: dict) -> str:
    return (f"invoiced at {row['invoiced_price']:g}, the tenant file says "
            f"{row['computed_price']:g} per unit")


def _fixed(text: str) -> Callable[[Tenant, dict, dict], str]:
    return lambda tenant, row, peaks: text


#: The causes, in the order they are tried: (cause, applies to the row, explanation).
CAUSES: tuple[tuple[str, Callable[[dict], bool], Callable[[Tenant, dict, dict], str]], ...] = (
    ("owner", lambda r: bool(r["moved"]), _owner_text),
    ("missing_in_tenant", lambda r: pd.isna(r["computed_amount"]),
     _fixed("invoiced, but the tenant file and the usage give no such line")),
    ("missing_on_invoice", lambda r: pd.isna(r["invoiced_amount"]),
     _fixed("computed from the tenant file and the usage, but not invoiced")),
    ("proration", _prorated_differently, _proration_text),
    ("quantity", lambda r: abs(r["invoiced_quantity"] - r["computed_quantity"]) > EPSILON,
     _quantity_text),
    ("rounding", lambda r: abs(r["difference"]) <= CENT + EPSILON
     and abs(r["invoiced_price"] - r["computed_price"]) <= EPSILON,
     _fixed("within a cent: the same quantity and price, rounded differently")),
    ("price", lambda r: True, _price_text),
)


def _classify(tenant: Tenant, row: dict, peaks: dict) -> tuple[str, str]:
    for cause, applies, explain in CAUSES:
        if applies(row):
            return cause, explain(tenant, row, peaks)
    raise AssertionError("the last cause applies to every row")  # pragma: no cover


def _peak_intervals(tenant: Tenant, usage: pd.DataFrame | None) -> dict:
    """(period, usage type) → the earliest instant at which the tenant's summed usage of a peak
    type was highest (M4): the interval that set the computed peak."""
    if usage is None or usage.empty:
        return {}
    peak_types = [name for name, kind in tenant.usage_types.items() if kind.measure == "peak"]
    rows = usage[usage["usage_type"].isin(peak_types)]
    if rows.empty:
        return {}
    stamps = pd.to_datetime(rows["timestamp"])
    if isinstance(stamps.dtype, pd.DatetimeTZDtype):
        stamps = stamps.dt.tz_convert(tenant.timezone).dt.tz_localize(None)
    summed = rows.assign(timestamp=stamps).groupby(["usage_type", "timestamp"], as_index=False)[
        "quantity"].sum()
    summed["period"] = summed["timestamp"].dt.to_period("M").astype(str)
    summed = summed.sort_values(["period", "usage_type", "quantity", "timestamp"],
                                ascending=[True, True, False, True])
    first = summed.drop_duplicates(["period", "usage_type"])
    return {(p, t): str(s) for p, t, s in zip(first["period"], first["usage_type"],
                                             first["timestamp"], strict=True)}

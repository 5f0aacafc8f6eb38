"""A FOCUS-shaped cost table (FinOps Open Cost and Usage Specification 1.2) for FinOps tools.

Each row of :func:`toolkit.finance.costs.costs` becomes up to two FOCUS charges:

- a ``Purchase`` / ``Recurring`` charge for the committed entitlement of the period
  (PricingQuantity = prorated entitlement, ListUnitPrice = the line price), and
- a ``Usage`` / ``Usage-Based`` charge for what the subscription consumed (ConsumedQuantity),
  priced on its owned overage (PricingQuantity = overage, BilledCost = overage cost; zero when
  the usage stayed inside the entitlement).

Column names follow FOCUS where they fit; our own columns carry the ``x_`` prefix the
specification reserves for extensions. The tenant file holds one negotiated price per line and
no list prices or discounts, so ListCost = ContractedCost = EffectiveCost = BilledCost; the
columns are there so FOCUS tools find them, not because the figures differ. The department is
the sub-account (SubAccountId and SubAccountName are both the department name: departments
have no separate id). Periods start at local midnight in the tenant's time zone and are
written in UTC, as FOCUS asks; ``*End`` columns are exclusive.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from toolkit.allocation import Allocation
from toolkit.finance.costs import costs
from toolkit.model import Tenant

PROVIDER = "Cisco"
SERVICE = "Webex Contact Center"
SERVICE_CATEGORY = "Business Applications"
FOCUS_COLUMNS = [
    "BillingAccountId", "BillingAccountName", "BillingCurrency",
    "BillingPeriodStart", "BillingPeriodEnd", "ChargePeriodStart", "ChargePeriodEnd",
    "ChargeCategory", "ChargeClass", "ChargeFrequency", "ChargeDescription",
    "BilledCost", "EffectiveCost", "ListCost", "ContractedCost",
    "ListUnitPrice", "ContractedUnitPrice", "PricingQuantity", "PricingUnit",
    "ConsumedQuantity", "ConsumedUnit", "ServiceName", "ServiceCategory",
    "ProviderName", "PublisherName", "InvoiceIssuerName", "SubAccountId", "SubAccountName",
    "SkuId", "x_SubscriptionId", "x_UsageType", "x_OverageOwner", "x_EntitlementQuantity",
    "x_OverageQuantity", "x_OveragePrice",
]

#: The two kinds of charge a cost row yields: FOCUS category, frequency, and how to fill it.
CHARGES = {
    "committed": ("Purchase", "Recurring"),
    "usage": ("Usage", "Usage-Based"),
}


def focus_text(frame: pd.DataFrame) -> pd.DataFrame:
    """The FOCUS table for a text format: date-times in FOCUS's own format
    (``2025-03-01T00:00:00Z``), which tools ingesting FOCUS files expect."""
    frame = frame.copy()
    for column in frame.columns:
        if isinstance(frame[column].dtype, pd.DatetimeTZDtype):
            frame[column] = frame[column].dt.tz_convert("UTC").dt.strftime(FOCUS_DATETIME)
    return frame


def focus_table(allocation: Allocation, tenant: Tenant | None = None,
                cost_table: pd.DataFrame | None = None) -> pd.DataFrame:
    """The allocation's costs as FOCUS charges, one row per charge (see module docstring)."""
    tenant = tenant or allocation.tenant
    table = costs(allocation, tenant) if cost_table is None else cost_table
    if table.empty:
        return pd.DataFrame({column: [] for column in FOCUS_COLUMNS})
    table = table.reset_index(drop=True)
    owners = _owners(allocation, table)
    parts = [
        _committed_rows(table[table["entitlement"] > 0], owners, tenant),
        _usage_rows(table[(table["usage"] > 0) | (table["overage"] > 0)], owners, tenant),
    ]
    frame = pd.concat([part for part in parts if len(part)] or parts[:1], ignore_index=True)
    frame = frame.sort_values(["BillingPeriodStart", "x_UsageType", "x_SubscriptionId",
                               "ChargeCategory"], kind="stable", ignore_index=True)
    for column in ("ChargeClass", "ConsumedUnit"):  # text columns that may be empty
        frame[column] = frame[column].astype("str")
    return frame[FOCUS_COLUMNS]


FOCUS_DATETIME = "%Y-%m-%dT%H:%M:%SZ"  # FOCUS DateTimeFormat: ISO 8601 in UTC


def _owners(allocation: Allocation, table: pd.DataFrame) -> pd.Series:
    """Who is billed for each row's type and period: the pooled owner, else the row's own."""
    pooled = allocation.pooled.set_index(["period", "usage_type"])["owner"]
    keys = pd.MultiIndex.from_frame(table[["period", "usage_type"]])
    owner = pd.Series(pooled.reindex(keys).to_numpy(), index=table.index, dtype="str")
    own = table["usage_type"].map(
        lambda t: allocation.tenant.usage_types[t].rule.owner == "self").to_numpy(bool)
    return owner.where(~own, table["subscription_id"])


def _common(rows: pd.DataFrame, owners: pd.Series, tenant: Tenant, kind: str) -> pd.DataFrame:
    category, frequency = CHARGES[kind]
    start = _utc(rows["period"].dt.start_time, tenant.timezone)
    end = _utc((rows["period"] + 1).dt.start_time, tenant.timezone)
    units = rows["usage_type"].map(lambda t: tenant.usage_types[t].unit)
    text = {
        "BillingAccountId": tenant.name, "BillingAccountName": tenant.name,
        "BillingCurrency": rows["currency"].to_numpy(),
        "BillingPeriodStart": start, "BillingPeriodEnd": end,
        "ChargePeriodStart": start, "ChargePeriodEnd": end,
        "ChargeCategory": category, "ChargeClass": pd.NA, "ChargeFrequency": frequency,
        "PricingUnit": units.to_numpy(),
        "ServiceName": SERVICE, "ServiceCategory": SERVICE_CATEGORY,
        "ProviderName": PROVIDER, "PublisherName": PROVIDER, "InvoiceIssuerName": PROVIDER,
        "SubAccountId": rows["department"].to_numpy(),
        "SubAccountName": rows["department"].to_numpy(),
        "SkuId": rows["usage_type"].to_numpy(),
        "x_SubscriptionId": rows["subscription_id"].to_numpy(),
        "x_UsageType": rows["usage_type"].to_numpy(),
        "x_OverageOwner": owners.loc[rows.index].to_numpy(),
        "x_EntitlementQuantity": rows["entitlement"].to_numpy(),
        "x_OverageQuantity": rows["overage"].to_numpy(),
        "x_OveragePrice": rows["overage_price"].to_numpy(),
    }
    return pd.DataFrame(text, index=rows.index)


def _committed_rows(rows: pd.DataFrame, owners: pd.Series, tenant: Tenant) -> pd.DataFrame:
    frame = _common(rows, owners, tenant, "committed")
    cost = rows["committed_cost"].to_numpy()
    for column in ("BilledCost", "EffectiveCost", "ListCost", "ContractedCost"):
        frame[column] = cost
    frame["ListUnitPrice"] = rows["unit_price"].to_numpy()
    frame["ContractedUnitPrice"] = rows["unit_price"].to_numpy()
    frame["PricingQuantity"] = rows["entitlement"].to_numpy()
    frame["ConsumedQuantity"] = np.nan  # FOCUS: only Usage charges carry a consumed quantity
    frame["ConsumedUnit"] = pd.NA
    frame["ChargeDescription"] = [
        f"Committed {_label(tenant, t)} on {s}: {q:g} {tenant.usage_types[t].unit} "
        f"for the period"
        for t, q, s in zip(rows["usage_type"], rows["entitlement"], rows["subscription_id"],
                           strict=True)
    ]
    return frame


def _usage_rows(rows: pd.DataFrame, owners: pd.Series, tenant: Tenant) -> pd.DataFrame:
    frame = _common(rows, owners, tenant, "usage")
    cost = rows["overage_cost"].to_numpy()
    for column in ("BilledCost", "EffectiveCost", "ListCost", "ContractedCost"):
        frame[column] = cost
    price = rows["overage_price"].to_numpy()
    frame["ListUnitPrice"] = price
    frame["ContractedUnitPrice"] = price
    frame["PricingQuantity"] = rows["overage"].to_numpy()
    frame["ConsumedQuantity"] = rows["usage"].to_numpy()
    frame["ConsumedUnit"] = frame["PricingUnit"]
    frame["ChargeDescription"] = [
        _usage_text(tenant, t, u, o, s, owner)
        for t, u, o, s, owner in zip(rows["usage_type"], rows["usage"], rows["overage"],
                                     rows["subscription_id"], frame["x_OverageOwner"],
                                     strict=True)
    ]
    return frame


def _usage_text(tenant: Tenant, usage_type, usage, overage, sub_id, owner) -> str:
    unit = tenant.usage_types[usage_type].unit
    text = f"{_label(tenant, usage_type)} used by {sub_id}: {usage:g} {unit}"
    if overage > 0:
        return f"{text}; overage {overage:g} {unit} billed to {sub_id}"
    if isinstance(owner, str) and owner != sub_id:
        return f"{text}; any overage of the type is billed to {owner}"
    return text


def _label(tenant: Tenant, usage_type: str) -> str:
    return tenant.usage_types[usage_type].label or usage_type


def _utc(stamps: pd.Series, timezone: str):
    local = pd.DatetimeIndex(stamps).tz_localize(timezone)
    return local.tz_convert("UTC").array

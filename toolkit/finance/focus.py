"""A FOCUS 1.2 cost and usage table (FinOps Open Cost and Usage Specification) for FinOps tools.

Each row of :func:`toolkit.finance.costs.costs` (a subscription's line of a usage type in a
billing period: the **resource**, ``ResourceId`` ``Sub-1/ai_agent``, type ``Subscription
Line``) becomes up to two charges, as FOCUS models a committed license:

- a ``Purchase`` / ``Recurring`` charge for the period's committed entitlement: BilledCost =
  the committed cost (what the invoice says), **EffectiveCost 0** because the purchase covers
  the period's usage (FOCUS amortises it onto the usage it covers), PricingQuantity = prorated
  entitlement at the line's unit price, no consumed quantity;
- a ``Usage`` / ``Usage-Based`` charge for what the subscription consumed: ConsumedQuantity =
  its attributed usage, PricingQuantity = the overage it owns at the owner's overage price
  (P4), BilledCost = the overage cost, EffectiveCost = the overage cost plus the purchase it
  amortises. So Σ BilledCost = Σ EffectiveCost = the invoice, per period and per sub-account.

Money comes from the costs table, so BilledCost adds up to the chargeback to the cent. The
tenant file holds negotiated prices only, so List* = Contracted* (``PricingCategory``
``Standard``). The department is the sub-account. Billing and charge periods are the tenant's
own billing periods (local midnight in its time zone) written in UTC, as FOCUS requires; the
``*End`` columns are exclusive, so each period ends where the next starts. ``InvoiceId`` is null
(no invoice is known when the export is made). FOCUS strings are ASCII; our own columns carry
the ``x_`` prefix. Each column's meaning for Webex is in ``docs/focus.md``.
"""

from __future__ import annotations

import json
import unicodedata

import numpy as np
import pandas as pd
import pandera.pandas as pa

from toolkit.allocation import Allocation
from toolkit.finance.costs import costs
from toolkit.frames import shaped
from toolkit.model import Tenant
from toolkit.periods import local_midnights

PROVIDER = "Cisco"
SERVICE = "Webex Contact Center"
SERVICE_CATEGORY = "Business Applications"
SERVICE_SUBCATEGORY = "Productivity and Collaboration"
RESOURCE_TYPE = "Subscription Line"
PRICING_CATEGORY = "Standard"
UTC = pd.DatetimeTZDtype(tz="UTC")


#: :func:`focus_table`: one FOCUS 1.2 charge per row (meanings in ``docs/focus.md``).
FOCUS_SCHEMA = pa.DataFrameSchema({
    "BillingAccountId": pa.Column(str),
    "BillingAccountName": pa.Column(str),
    "BillingCurrency": pa.Column(str),
    "BillingPeriodStart": pa.Column(UTC),
    "BillingPeriodEnd": pa.Column(UTC),
    "ChargePeriodStart": pa.Column(UTC),
    "ChargePeriodEnd": pa.Column(UTC),
    "ChargeCategory": pa.Column(str),
    "ChargeClass": pa.Column(str, nullable=True),
    "ChargeFrequency": pa.Column(str),
    "ChargeDescription": pa.Column(str),
    "BilledCost": pa.Column(float),
    "EffectiveCost": pa.Column(float),
    "ListCost": pa.Column(float),
    "ContractedCost": pa.Column(float),
    "ListUnitPrice": pa.Column(float),
    "ContractedUnitPrice": pa.Column(float),
    "PricingCategory": pa.Column(str),
    "PricingQuantity": pa.Column(float),
    "PricingUnit": pa.Column(str),
    "ConsumedQuantity": pa.Column(float, nullable=True),
    "ConsumedUnit": pa.Column(str, nullable=True),
    "CommitmentDiscountStatus": pa.Column(str, nullable=True),
    "InvoiceId": pa.Column(str, nullable=True),
    "ServiceName": pa.Column(str),
    "ServiceCategory": pa.Column(str),
    "ServiceSubcategory": pa.Column(str),
    "ProviderName": pa.Column(str),
    "PublisherName": pa.Column(str),
    "InvoiceIssuerName": pa.Column(str),
    "SubAccountId": pa.Column(str),
    "SubAccountName": pa.Column(str),
    "ResourceId": pa.Column(str),
    "ResourceName": pa.Column(str),
    "ResourceType": pa.Column(str),
    "SkuId": pa.Column(str),
    "SkuPriceId": pa.Column(str),
    "SkuMeter": pa.Column(str),
    "SkuPriceDetails": pa.Column(str, nullable=True),
    "x_SubscriptionId": pa.Column(str),
    "x_UsageType": pa.Column(str),
    "x_OverageOwner": pa.Column(str, nullable=True),
    "x_EntitlementQuantity": pa.Column(float),
    "x_OverageQuantity": pa.Column(float),
    "x_OveragePrice": pa.Column(float, nullable=True),
    "x_PriceSource": pa.Column(str),
})


FOCUS_COLUMNS = list(FOCUS_SCHEMA.columns)
#: FOCUS string columns that must hold ASCII text (FOCUS StringHandling).
ASCII_COLUMNS = ["BillingAccountId", "BillingAccountName", "ChargeDescription",
                 "SubAccountId", "SubAccountName", "ResourceId", "ResourceName", "PricingUnit",
                 "ConsumedUnit", "SkuId", "SkuPriceId", "SkuMeter"]
#: The two kinds of charge a cost row yields: FOCUS category and frequency.
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
    """The allocation's costs as FOCUS charges, one row per charge (see module docstring).

    FOCUS charges belong to billing periods, and a quarter or a year is never one (P1a): for
    such an allocation the charges are its billing months', so the file adds up to the same
    money whatever period was asked for.
    """
    tenant = tenant or allocation.tenant
    if allocation.months is not None:
        monthly = cost_table if cost_table is not None and cost_table["period"].dtype == \
            allocation.months.by_subscription["period"].dtype else None
        return focus_table(allocation.months, tenant, monthly)
    table = costs(allocation, tenant) if cost_table is None else cost_table
    if table.empty:
        return shaped(FOCUS_SCHEMA)
    table = table.reset_index(drop=True)
    owners = _owners(allocation, table)
    parts = [
        _committed_rows(table[table["entitlement"] > 0], owners, tenant),
        _usage_rows(table, owners, tenant),
    ]
    frame = pd.concat([part for part in parts if len(part)] or parts[:1], ignore_index=True)
    frame = frame.sort_values(["BillingPeriodStart", "x_UsageType", "x_SubscriptionId",
                               "ChargeCategory"], kind="stable", ignore_index=True)
    for column in ASCII_COLUMNS:
        frame[column] = frame[column].map(_ascii, na_action="ignore")
    return shaped(FOCUS_SCHEMA, frame)


def _ascii(text: str) -> str:
    """FOCUS strings are ASCII: accents are dropped (Zürich → Zurich), other signs removed."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


FOCUS_DATETIME = "%Y-%m-%dT%H:%M:%SZ"  # FOCUS DateTimeFormat: ISO 8601 in UTC


def _owners(allocation: Allocation, table: pd.DataFrame) -> pd.Series:
    """Who is billed for each row's type and period: the pooled owner, else the row's own."""
    pooled = allocation.pooled.set_index(["period", "usage_type"])["owner"]
    keys = pd.MultiIndex.from_frame(table[["period", "usage_type"]])
    owner = pd.Series(pooled.reindex(keys).to_numpy(), index=table.index, dtype="str")
    own = table["usage_type"].map(
        lambda t: allocation.tenant.usage_types[t].rule.per_subscription).to_numpy(bool)
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
        "PricingCategory": PRICING_CATEGORY, "PricingUnit": units.to_numpy(),
        "CommitmentDiscountStatus": pd.NA, "InvoiceId": pd.NA,
        "ServiceName": SERVICE, "ServiceCategory": SERVICE_CATEGORY,
        "ServiceSubcategory": SERVICE_SUBCATEGORY,
        "ProviderName": PROVIDER, "PublisherName": PROVIDER, "InvoiceIssuerName": PROVIDER,
        "SubAccountId": rows["department"].to_numpy(),
        "SubAccountName": rows["department"].to_numpy(),
        "ResourceId": (rows["subscription_id"] + "/" + rows["usage_type"]).to_numpy(),
        "ResourceName": [f"{_label(tenant, t)} on {s}" for t, s in
                         zip(rows["usage_type"], rows["subscription_id"], strict=True)],
        "ResourceType": RESOURCE_TYPE,
        "x_SubscriptionId": rows["subscription_id"].to_numpy(),
        "x_UsageType": rows["usage_type"].to_numpy(),
        "x_OverageOwner": owners.loc[rows.index].to_numpy(),
        "x_EntitlementQuantity": rows["entitlement"].to_numpy(),
        "x_OverageQuantity": rows["overage"].to_numpy(),
        "x_OveragePrice": rows["overage_price"].to_numpy(),
        "x_PriceSource": rows["price_source"].to_numpy(),
    }
    return pd.DataFrame(text, index=rows.index)


def _committed_rows(rows: pd.DataFrame, owners: pd.Series, tenant: Tenant) -> pd.DataFrame:
    """Purchase charges: the committed entitlement, billed now, effective on the usage rows."""
    frame = _common(rows, owners, tenant, "committed")
    cost = rows["committed_cost"].to_numpy()
    for column in ("BilledCost", "ListCost", "ContractedCost"):
        frame[column] = cost
    frame["EffectiveCost"] = 0.0  # the purchase covers the period's usage (amortised there)
    price = rows["unit_price"].to_numpy()
    frame["ListUnitPrice"] = price
    frame["ContractedUnitPrice"] = price
    frame["PricingQuantity"] = rows["entitlement"].to_numpy()
    frame["ConsumedQuantity"] = np.nan  # FOCUS: only Usage charges carry a consumed quantity
    frame["ConsumedUnit"] = pd.NA
    _sku(frame, rows, tenant, "", price)
    frame["SkuPriceDetails"] = pd.NA
    frame["ChargeDescription"] = [
        f"Committed {_label(tenant, t)} on {s}: {q:g} {tenant.usage_types[t].unit} "
        f"for the period"
        for t, q, s in zip(rows["usage_type"], rows["entitlement"], rows["subscription_id"],
                           strict=True)
    ]
    return frame


def _usage_rows(rows: pd.DataFrame, owners: pd.Series, tenant: Tenant) -> pd.DataFrame:
    """Usage charges: what was consumed, the overage billed, and the purchase amortised."""
    frame = _common(rows, owners, tenant, "usage")
    cost = rows["overage_cost"].to_numpy()
    for column in ("BilledCost", "ListCost", "ContractedCost"):
        frame[column] = cost
    frame["EffectiveCost"] = cost + rows["committed_cost"].to_numpy()
    # Nothing over the entitlement and no overage price: the usage costs nothing more.
    price = np.nan_to_num(rows["overage_price"].to_numpy(dtype=float), nan=0.0)
    frame["ListUnitPrice"] = price
    frame["ContractedUnitPrice"] = price
    frame["PricingQuantity"] = rows["overage"].to_numpy()
    frame["ConsumedQuantity"] = rows["usage"].to_numpy()
    frame["ConsumedUnit"] = frame["PricingUnit"]
    _sku(frame, rows, tenant, "-overage", price)
    frame["SkuPriceDetails"] = [json.dumps({"x_PriceSource": source}) if source else pd.NA
                                for source in rows["price_source"]]
    frame["ChargeDescription"] = [
        _usage_text(tenant, t, u, o, s, owner)
        for t, u, o, s, owner in zip(rows["usage_type"], rows["usage"], rows["overage"],
                                     rows["subscription_id"], frame["x_OverageOwner"],
                                     strict=True)
    ]
    return frame


def _sku(frame: pd.DataFrame, rows: pd.DataFrame, tenant: Tenant, suffix: str,
         price: np.ndarray) -> None:
    """SkuId per usage type (and charge kind); SkuPriceId per SKU and price, so each price id
    names exactly one SKU; SkuMeter the type's readable name."""
    sku = rows["usage_type"].to_numpy(dtype=object) + suffix
    frame["SkuId"] = sku
    frame["SkuPriceId"] = [f"{s}@{p:.6g}" for s, p in zip(sku, price, strict=True)]
    meter = " overage" if suffix else ""
    frame["SkuMeter"] = [f"{_label(tenant, t)}{meter}" for t in rows["usage_type"]]


def _usage_text(tenant: Tenant, usage_type, usage, overage, subscription_id, owner) -> str:
    unit = tenant.usage_types[usage_type].unit
    text = f"{_label(tenant, usage_type)} used by {subscription_id}: {usage:g} {unit}"
    if overage > 0:
        return f"{text}; overage {overage:g} {unit} billed to {subscription_id}"
    if isinstance(owner, str) and owner != subscription_id:
        return f"{text}; any overage of the type is billed to {owner}"
    return text


def _label(tenant: Tenant, usage_type: str) -> str:
    return tenant.usage_types[usage_type].label or usage_type


def _utc(stamps: pd.Series, timezone: str):
    """Period starts (local midnights) in UTC; an ambiguous or missing midnight is resolved
    by :func:`toolkit.periods.local_midnights`, like everywhere else."""
    return local_midnights(stamps, timezone).tz_convert("UTC").array

"""The FOCUS-shaped export: column names, allowed values, totals, and formula safety."""

import pandas as pd

from builders import D, march_usage, priced_subscription, priced_tenant
from toolkit import Tenant, allocate
from toolkit.finance.costs import costs
from toolkit.finance.focus import FOCUS_COLUMNS, focus_table
from toolkit.finance.money import to_cents
from toolkit.present.export import write_focus

REQUIRED = ["BillingPeriodStart", "BillingPeriodEnd", "ChargePeriodStart", "ChargePeriodEnd",
            "BilledCost", "EffectiveCost", "ListCost", "ChargeCategory", "ChargeFrequency",
            "ChargeDescription", "ConsumedQuantity", "ConsumedUnit", "PricingQuantity",
            "PricingUnit", "ListUnitPrice", "SubAccountId", "SubAccountName", "BillingCurrency",
            "ServiceName", "ProviderName", "PublisherName", "InvoiceIssuerName",
            "x_SubscriptionId", "x_OverageOwner", "x_EntitlementQuantity", "x_OverageQuantity",
            "PricingCategory", "CommitmentDiscountStatus", "InvoiceId", "ServiceSubcategory",
            "ResourceId", "ResourceName", "ResourceType", "SkuPriceId", "SkuMeter",
            "SkuPriceDetails"]


def test_columns_and_allowed_values():
    frame = focus_table(allocate(priced_tenant(), march_usage()))
    assert list(frame.columns) == FOCUS_COLUMNS
    assert set(REQUIRED) <= set(frame.columns)
    assert all(c.startswith("x_") for c in frame.columns if c not in REQUIRED + [
        "BillingAccountId", "BillingAccountName", "ChargeClass", "ContractedCost",
        "ContractedUnitPrice", "ServiceCategory", "SkuId"])
    assert set(zip(frame["ChargeCategory"], frame["ChargeFrequency"], strict=True)) == {
        ("Purchase", "Recurring"), ("Usage", "Usage-Based")}
    assert frame["ConsumedQuantity"].isna().eq(frame["ChargeCategory"] == "Purchase").all()
    assert set(frame["ProviderName"]) == set(frame["InvoiceIssuerName"]) == {"Cisco"}
    assert set(frame["BillingCurrency"]) == {"EUR"}
    assert frame["BillingPeriodStart"].iloc[0] == pd.Timestamp("2025-03-01", tz="UTC")
    assert frame["BillingPeriodEnd"].iloc[0] == pd.Timestamp("2025-04-01", tz="UTC")


def test_charges_reproduce_the_costs_to_the_cent():
    result = allocate(priced_tenant(), march_usage())
    frame = focus_table(result)
    assert to_cents(frame["BilledCost"]).sum() == to_cents(costs(result)["total_cost"]).sum()
    usage_rows = frame[frame["ChargeCategory"] == "Usage"].set_index(
        ["x_UsageType", "x_SubscriptionId"])
    agents_a = usage_rows.loc[("cc_standard_agent", "Sub-A")]
    assert (agents_a.ConsumedQuantity, agents_a.PricingQuantity, agents_a.ListUnitPrice,
            agents_a.BilledCost) == (12.0, 3.0, 150.0, 450.0)
    agents_b = usage_rows.loc[("cc_standard_agent", "Sub-B")]
    assert (agents_b.BilledCost, agents_b.x_OverageOwner, agents_b.SubAccountName) == (
        0.0, "Sub-A", "Support")
    assert "billed to Sub-A" in agents_b.ChargeDescription


def test_periods_start_at_local_midnight_written_in_utc():
    t = Tenant("Rome", "EUR", priced_tenant().subscriptions, timezone="Europe/Rome")
    frame = focus_table(allocate(t, march_usage()))
    assert frame["BillingPeriodStart"].iloc[0] == pd.Timestamp("2025-02-28T23:00", tz="UTC")
    assert frame["BillingPeriodEnd"].iloc[0] == pd.Timestamp("2025-03-31T22:00", tz="UTC")


def test_exports_are_formula_safe_and_readable(tmp_path):
    evil = "=HYPERLINK(\"http://x\",\"pay\")"
    a = priced_subscription("Sub-A", evil, D(2024, 1, 1), D(2026, 1, 1),
                            ("ai_agent", 100, 1.0, 2.0))
    frame = focus_table(allocate(Tenant("@tenant", "EUR", (a,)), march_usage().iloc[3:4]))
    csv = pd.read_csv(write_focus(frame, tmp_path / "focus.csv"))
    assert list(csv.columns) == FOCUS_COLUMNS
    assert set(csv["SubAccountName"]) == {"'" + evil}
    assert set(csv["BillingAccountId"]) == {"'@tenant"}
    xlsx = pd.read_excel(write_focus(frame, tmp_path / "focus.xlsx"))
    assert set(xlsx["SubAccountId"]) == {"'" + evil}
    parquet = pd.read_parquet(write_focus(frame, tmp_path / "focus.parquet"))
    assert list(parquet.columns) == FOCUS_COLUMNS
    assert parquet["BilledCost"].sum() == frame["BilledCost"].sum() == 100.0 + 700 * 2.0


def test_written_dates_use_the_focus_date_time_format(tmp_path):
    frame = focus_table(allocate(priced_tenant(), march_usage()))
    for suffix in (".csv", ".xlsx"):
        path = write_focus(frame, tmp_path / f"focus{suffix}")
        back = (pd.read_csv(path, dtype="str") if suffix == ".csv"
                else pd.read_excel(path, dtype="str"))
        assert back["BillingPeriodStart"].iloc[0] == "2025-03-01T00:00:00Z"
        assert back["ChargePeriodEnd"].iloc[0] == "2025-04-01T00:00:00Z"
    parquet = pd.read_parquet(write_focus(frame, tmp_path / "focus.parquet"))
    assert parquet["BillingPeriodStart"].iloc[0] == pd.Timestamp("2025-03-01", tz="UTC")

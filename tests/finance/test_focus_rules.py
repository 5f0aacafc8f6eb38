"""FOCUS 1.2 rules the export implements for a SaaS license provider, checked one by one
(the validator skips several of them), and the FinOps Foundation's validator itself when it
is available (``FOCUS_VALIDATOR_PYTHON``: a Python with ``focus-validator`` 2.x installed)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from builders import TESTS, D, march_usage, priced_subscription, priced_tenant
from toolkit import Tenant, allocate
from toolkit.commands.cli import main
from toolkit.finance.focus import focus_table, focus_text
from toolkit.finance.money import to_cents
from toolkit.resources import sample_dir

#: The applicability criteria of a SaaS license provider (the validator's ids).
SAAS_CRITERIA = ("USAGE_MEASUREMENT_SUPPORTED,UNIT_PRICING_SUPPORTED,SUB_ACCOUNT_SUPPORTED,"
                 "NEGOTIATED_PRICING_SUPPORTED,ACCOUNT_NAMING_SUPPORTED,"
                 "BILLING_BASED_ON_PROVISIONED_RESOURCES_SUPPORTED,"
                 "RESOURCE_TYPE_ASSIGNMENT_SUPPORTED")
#: The validator encodes InvoiceId-C-004-C (MUST be null) and -C-005-C (MUST NOT be null)
#: without their conditions, so one always fails; with no invoice known, ours are all null.
VALIDATOR_QUIRKS = {"InvoiceId-C-005-C"}


@pytest.fixture(scope="module")
def sample_focus() -> pd.DataFrame:
    from toolkit.workspace import Workspace

    data = Workspace.open(sample_dir(), "M")
    return focus_table(data.allocation, data.tenant)


def test_purchases_are_billed_now_and_effective_on_the_usage_they_cover(sample_focus):
    frame = sample_focus
    purchase = frame["ChargeCategory"] == "Purchase"
    assert (frame.loc[purchase, "EffectiveCost"] == 0).all()  # EffectiveCost-C-005-C
    assert (frame.loc[purchase, "ChargeFrequency"] != "Usage-Based").all()  # ChargeFrequency-C-004
    keys = ["BillingPeriodStart", "SubAccountId"]
    billed = frame.groupby(keys)["BilledCost"].agg(lambda x: to_cents(x).sum())
    effective = frame.groupby(keys)["EffectiveCost"].agg(lambda x: to_cents(x).sum())
    assert billed.tolist() == effective.tolist()


def test_consumed_quantity_only_and_always_on_usage(sample_focus):
    frame = sample_focus
    usage = frame["ChargeCategory"] == "Usage"
    assert frame.loc[usage, "ConsumedQuantity"].notna().all()  # ConsumedQuantity-C-006-C
    assert frame.loc[~usage, "ConsumedQuantity"].isna().all()  # ConsumedQuantity-C-004-C
    assert frame["ConsumedUnit"].isna().eq(frame["ConsumedQuantity"].isna()).all()


def test_costs_are_unit_price_times_pricing_quantity_to_the_cent(sample_focus):
    frame = sample_focus
    for cost, price in (("ListCost", "ListUnitPrice"), ("ContractedCost", "ContractedUnitPrice")):
        assert frame[price].notna().all() and (frame[price] >= 0).all()
        gap = (frame[cost] - frame[price] * frame["PricingQuantity"]).abs()
        assert (gap <= 0.005 + 1e-9).all(), cost
    for column in ("PricingQuantity", "PricingUnit", "SkuId", "SkuPriceId", "PricingCategory"):
        assert frame[column].notna().all(), column


def test_resources_skus_and_services_are_consistent(sample_focus):
    frame = sample_focus
    assert frame["ResourceId"].notna().all()
    assert (frame["ResourceType"] == "Subscription Line").all()
    assert (frame["ResourceName"] != frame["ResourceId"]).all()
    assert (frame.groupby("SkuPriceId")["SkuId"].nunique() == 1).all()  # SkuPriceId-C-008-M
    assert frame.groupby("ServiceName")[["ServiceCategory", "ServiceSubcategory"]].nunique(
    ).eq(1).all().all()
    assert frame["SkuMeter"].notna().all()
    details = frame["SkuPriceDetails"].dropna().map(json.loads)
    assert len(details) and all(isinstance(d, dict) and all(k.startswith("x_") for k in d)
                                for d in details)
    assert frame["InvoiceId"].isna().all() and frame["ChargeClass"].isna().all()
    assert frame["CommitmentDiscountStatus"].isna().all()
    assert set(frame["ProviderName"]) == set(frame["InvoiceIssuerName"])  # BilledCost-C-005


def test_billing_periods_are_the_tenants_own_months_in_utc_back_to_back():
    # Europe/Rome: March 2025 is [2025-02-28T23:00Z, 2025-03-31T22:00Z) (summer time from the
    # 30th), April starts exactly where March ends.
    t = Tenant("Rome", "EUR", priced_tenant().subscriptions, timezone="Europe/Rome")
    april = march_usage().assign(timestamp=lambda f: f["timestamp"].str.replace("-03-", "-04-"))
    frame = focus_text(focus_table(allocate(t, pd.concat([march_usage(), april]))))
    periods = frame[["BillingPeriodStart", "BillingPeriodEnd"]].drop_duplicates().values.tolist()
    assert periods == [["2025-02-28T23:00:00Z", "2025-03-31T22:00:00Z"],
                       ["2025-03-31T22:00:00Z", "2025-04-30T22:00:00Z"]]
    assert (frame["ChargePeriodStart"] == frame["BillingPeriodStart"]).all()


def test_focus_strings_are_ascii():
    a = priced_subscription("Sub-Z", "Zürich Kundendienst", D(2024, 1, 1), D(2026, 1, 1),
                            ("ai_agent", 1000, 0.5, 0.8))
    frame = focus_table(allocate(Tenant("Société Générale", "EUR", (a,)), march_usage().iloc[3:4]))
    assert set(frame["SubAccountName"]) == {"Zurich Kundendienst"}
    assert set(frame["BillingAccountName"]) == {"Societe Generale"}
    text = frame.select_dtypes("str")
    assert all(value.isascii() for column in text if not column.startswith("x_")
               for value in text[column].dropna())


def _validator_python() -> str:
    python = os.environ.get("FOCUS_VALIDATOR_PYTHON", "")
    if not python or not Path(python).exists():
        pytest.skip("set FOCUS_VALIDATOR_PYTHON to a Python with focus-validator 2.x installed "
                    "(see docs/focus.md)")
    return python


def test_the_finops_validator_accepts_the_sample_export(tmp_path):
    python = _validator_python()
    out = tmp_path / "focus.csv"
    assert main(["focus", str(sample_dir()), "--out", str(out)]) == 0
    runner = (TESTS / "focus_validator_run.py")
    done = subprocess.run([python, str(runner), str(out), SAAS_CRITERIA], capture_output=True,
                          text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["passed"] > 150  # the rules did run
    assert set(report["failed"]) <= VALIDATOR_QUIRKS, report["failed"]


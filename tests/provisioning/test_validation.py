"""Provisioning and access validation (rules.md §5): the seed's remap story and each rule V1–V7."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from builders import seed_provisioning_tenant, subscription, tenant, term
from toolkit.provisioning.validation import FINDING_COLUMNS, RULES, latest_date, validate

D = dt.date
STD, PREM = "cc_standard_agent", "cc_premium_agent"


def users(*rows, columns=("user_id", "role", "license", "subscription_id", "department",
                          "email", "start", "end")):
    """A users frame shaped like load_users' result; missing trailing fields are NA."""
    padded = [tuple(row) + (None,) * (len(columns) - len(row)) for row in rows]
    frame = pd.DataFrame(padded, columns=list(columns))
    for column in columns[:6]:
        frame[column] = frame[column].astype("str")
    for column in ("start", "end"):
        frame[column] = pd.to_datetime(frame[column]).dt.tz_localize("UTC")
    return frame


SEED_USERS = users(("Customer Admin 1", "admin", None, "Sub-1"),
                   ("Agent 1", "agent", STD, "Sub-1"))


def clean_tenant(care=None, sales=None, care_lines=(), sales_lines=(), sales_terms=None):
    """Two Flex subscriptions, both concurrent, Webex Connect only on the primary (Sub-1)."""
    sales_terms = sales_terms or (term(D(2025, 6, 1), D(2027, 6, 1), (PREM, 5), *sales_lines),)
    return tenant(
        subscription("Sub-1", term(D(2025, 1, 1), D(2027, 1, 1), (STD, 10),
                                   ("webex_connect", 1000), *care_lines),
                     **{"department": "Care", **(care or {})}),
        subscription("Sub-2", *sales_terms,
                     **{"department": "Sales", "offer": "flex3", **(sales or {})}),
    )


CLEAN_USERS = users(
    ("admin1", "admin", None, "Sub-1", "Care"),
    ("agent1", "agent", STD, "Sub-1", "Care"),
    ("agent2", "agent", PREM, "Sub-2", "Sales"),
    ("agent2", "agent", "wfo", "Sub-2", "Sales"),
    ("sup1", "supervisor", None, None, "Sales"),  # supervisors need not be mapped
)
ON = D(2025, 12, 1)


def rules_of(findings):
    return sorted(findings["rule"])


# --- the seed's example ----------------------------------------------------------------------

def test_seed_example_at_risk_before_expiry_names_subscription_2():
    findings = validate(seed_provisioning_tenant(), SEED_USERS, on=D(2025, 12, 1))
    assert list(findings.columns) == FINDING_COLUMNS
    assert findings["rule"].tolist() == ["access-at-risk", "access-at-risk"]
    assert findings["severity"].tolist() == ["warning", "warning"]
    assert sorted(findings["subject"]) == ["Agent 1", "Customer Admin 1"]
    for message in findings["message"]:
        assert "mapped to Sub-1" in message
        assert "whose last day is 2025-12-31 (it ends in 31 days" in message
        assert "Remap them before 2026-01-01 to Sub-2" in message


def test_seed_example_cut_off_after_expiry():
    findings = validate(seed_provisioning_tenant(), SEED_USERS, on=D(2026, 1, 15))
    assert findings["rule"].tolist() == ["user-on-inactive-subscription"] * 2
    assert set(findings["severity"]) == {"error"}
    assert sorted(findings["subject"]) == ["Agent 1", "Customer Admin 1"]
    admin = findings.set_index("subject").loc["Customer Admin 1", "message"]
    assert admin == (
        "Admin Customer Admin 1 is mapped to Sub-1, which is not active on 2026-01-15 (its last "
        "day was 2025-12-31). They have lost access to Control Hub, Connect and Engage, "
        "whatever else is active in the tenant (active: Sub-2). Remap them to Sub-2 (a "
        "subscription of the Care department, active through 2026-10-31)."
    )


@pytest.mark.parametrize(("on", "expected"), [
    (D(2025, 11, 1), []),  # Sub-1 ends in 61 days: outside the 60-day horizon
    (D(2025, 11, 2), ["access-at-risk"] * 2),  # exactly 60 days left
    (D(2025, 12, 31), ["access-at-risk"] * 2),  # last active day
    (D(2026, 1, 1), ["user-on-inactive-subscription"] * 2),  # half-open: end day is lost
])
def test_horizon_and_expiry_boundaries(on, expected):
    assert validate(seed_provisioning_tenant(), SEED_USERS, on=on)["rule"].tolist() == expected


def test_seamless_renewal_is_not_at_risk_but_a_gap_is():
    renewed = tenant(subscription("Sub-1", term(D(2025, 1, 1), D(2026, 1, 1), (STD, 1)),
                                  term(D(2026, 1, 1), D(2027, 1, 1), (STD, 1))))
    assert validate(renewed, SEED_USERS, on=D(2025, 12, 1)).empty
    gap = tenant(subscription("Sub-1", term(D(2025, 1, 1), D(2026, 1, 1), (STD, 1)),
                              term(D(2026, 2, 1), D(2027, 1, 1), (STD, 1))))
    findings = validate(gap, SEED_USERS, on=D(2025, 12, 1))
    assert findings["rule"].tolist() == ["access-at-risk"] * 2
    assert all("Its next term only starts on 2026-02-01." in m for m in findings["message"])
    cut = validate(gap, SEED_USERS, on=D(2026, 1, 10))
    assert all("its last day was 2025-12-31; its next term starts on 2026-02-01" in m
               for m in cut["message"])


# --- each rule on a minimal case, none on a clean tenant -------------------------------------

def test_clean_tenant_has_no_findings():
    assert validate(clean_tenant(), CLEAN_USERS, on=ON).empty
    assert validate(clean_tenant(), None, on=ON).empty


def test_v1_mixed_license_model():
    findings = validate(clean_tenant(sales={"license_model": "named"}), CLEAN_USERS, on=ON)
    assert rules_of(findings) == ["mixed-license-model"]
    row = findings.iloc[0]
    assert (row["severity"], row["subject"]) == ("error", "Test tenant")
    assert "concurrent (Sub-1) and named (Sub-2)" in row["message"]


def test_v1_ignores_subscriptions_without_agent_or_ivr_lines_and_expired_ones():
    wfo_only = tenant(
        subscription("Sub-1", term(D(2025, 1, 1), D(2027, 1, 1), (STD, 10))),
        subscription("Sub-2", term(D(2025, 1, 1), D(2027, 1, 1), ("wfo", 5)),
                     license_model="named"),
        subscription("Sub-3", term(D(2024, 1, 1), D(2025, 1, 1), (STD, 5)),
                     license_model="named"),
    )
    assert validate(wfo_only, on=ON).empty


def test_v2_unmapped_admin_or_agent_but_not_supervisor():
    people = pd.concat([CLEAN_USERS, users(("agent3", "agent", STD, None, "Care"))],
                       ignore_index=True)
    findings = validate(clean_tenant(), people, on=ON)
    assert findings[["rule", "severity", "subject"]].values.tolist() == [
        ["user-unmapped", "error", "agent3"]]
    assert "Map them to Sub-1 (a subscription of the Care department" in \
        findings["message"].iloc[0]


def test_v2_mapping_window_decides_who_is_mapped():
    windowed = users(("agent1", "agent", STD, "Sub-1", "Care", None, "2025-01-01", "2025-11-01"))
    assert rules_of(validate(clean_tenant(), windowed, on=ON)) == ["user-unmapped"]
    assert validate(clean_tenant(), windowed, on=D(2025, 10, 31)).empty


def test_v3_user_on_inactive_subscription_even_with_others_active():
    ended = clean_tenant(sales_terms=(term(D(2025, 1, 1), D(2025, 11, 1), (PREM, 5)),))
    findings = validate(ended, CLEAN_USERS, on=ON)
    assert rules_of(findings) == ["user-on-inactive-subscription"] * 2
    assert set(findings["subject"]) == {"agent2"}
    assert all("its last day was 2025-10-31" in m and "(active: Sub-1)" in m
               for m in findings["message"])


def test_v3_says_what_each_license_mapping_gave_access_to():
    ended = clean_tenant(sales_terms=(term(D(2025, 1, 1), D(2025, 11, 1), (PREM, 5)),))
    findings = validate(ended, CLEAN_USERS, on=ON)
    wfo = [m for m in findings["message"] if "Workforce Optimization license" in m]
    agent = [m for m in findings["message"] if "Contact Center Premium agent license" in m]
    assert len(wfo) == len(agent) == 1
    assert "They have lost access to the Agent Desktop" in agent[0]
    assert "They have lost access to Workforce Optimization through that mapping" in wfo[0]


def test_v3_unknown_subscription():
    stray = users(("agent1", "agent", STD, "Sub-9", "Care"))
    findings = validate(clean_tenant(), stray, on=ON)
    assert rules_of(findings) == ["user-on-inactive-subscription"]
    assert "it is not a subscription of this tenant" in findings["message"].iloc[0]


def test_v4_access_at_risk_within_custom_horizon():
    findings = validate(clean_tenant(), CLEAN_USERS, on=D(2026, 12, 1), horizon_days=31)
    assert rules_of(findings) == ["access-at-risk"] * 2
    assert set(findings["subject"]) == {"admin1", "agent1"}
    assert validate(clean_tenant(), CLEAN_USERS, on=D(2026, 12, 1), horizon_days=30).empty


def test_v5_unusable_entitlement_on_a_non_primary_subscription():
    findings = validate(clean_tenant(sales_lines=[("webex_connect", 500)]), CLEAN_USERS, on=ON)
    assert findings[["rule", "severity", "subject"]].values.tolist() == [
        ["unusable-entitlement", "warning", "Sub-2"]]
    message = findings["message"].iloc[0]
    assert "Sub-2 has 500 automated interactions of Webex Connect" in message
    assert "primary for only 151 of the line's 730 days" in message  # 2027-01-01 → 2027-06-01


def test_v5_never_usable():
    never = clean_tenant(sales_terms=(term(D(2025, 6, 1), D(2026, 6, 1), (PREM, 5),
                                           ("webex_connect", 500)),))
    findings = validate(never, CLEAN_USERS, on=ON)
    assert rules_of(findings) == ["unusable-entitlement"]
    assert "the entitlement can never be consumed" in findings["message"].iloc[0]


def test_v6_duplicate_agent_license():
    both = pd.concat([CLEAN_USERS, users(("agent1", "agent", PREM, "Sub-2", "Care"))],
                     ignore_index=True)
    findings = validate(clean_tenant(), both, on=ON)
    assert findings[["rule", "severity", "subject"]].values.tolist() == [
        ["duplicate-agent-license", "warning", "agent1"]]
    assert findings["message"].iloc[0] == (
        "Agent agent1 holds both a Contact Center Standard agent license (Sub-1) and a Contact "
        "Center Premium agent license (Sub-2). Contact Center Premium agent applies, so the "
        "Contact Center Standard agent license is wasted: remove it."
    )


def test_v7_unsupported_offer_only_with_several_subscriptions():
    findings = validate(clean_tenant(sales={"offer": "ea"}), CLEAN_USERS, on=ON)
    assert findings[["rule", "severity", "subject"]].values.tolist() == [
        ["unsupported-offer", "error", "Sub-2"]]
    assert "Enterprise Agreement" in findings["message"].iloc[0]
    alone = tenant(subscription("Sub-1", term(D(2025, 1, 1), D(2027, 1, 1), (STD, 1)),
                                offer="ea"))
    assert validate(alone, on=ON).empty


def test_findings_sorted_errors_first():
    messy = clean_tenant(sales={"offer": "ea"}, sales_lines=[("webex_connect", 1)])
    people = pd.concat([CLEAN_USERS, users(("agent3", "agent", STD, None))], ignore_index=True)
    findings = validate(messy, people, on=ON)
    assert findings["rule"].tolist() == ["user-unmapped", "unsupported-offer",
                                         "unusable-entitlement"]
    assert findings["severity"].tolist() == ["error", "error", "warning"]


def test_rules_table_holds_each_spec_rule_once():
    assert [(r.spec, r.id, r.severity) for r in RULES] == [
        ("V1", "mixed-license-model", "error"),
        ("V2", "user-unmapped", "error"),
        ("V3", "user-on-inactive-subscription", "error"),
        ("V4", "access-at-risk", "warning"),
        ("V5", "unusable-entitlement", "warning"),
        ("V6", "duplicate-agent-license", "warning"),
        ("V7", "unsupported-offer", "error"),
    ]


# --- the evaluation day ----------------------------------------------------------------------

def test_default_day_is_latest_start_in_the_data():
    assert latest_date(seed_provisioning_tenant()) == D(2025, 11, 1)
    windowed = users(("agent1", "agent", STD, "Sub-1", None, None, "2025-12-03", None))
    assert latest_date(seed_provisioning_tenant(), windowed) == D(2025, 12, 3)
    assert validate(seed_provisioning_tenant(), SEED_USERS).empty  # 2025-11-01: 61 days left
    assert rules_of(validate(seed_provisioning_tenant(), windowed)) == ["access-at-risk"]


def test_negative_horizon_is_refused():
    with pytest.raises(ValueError, match="horizon_days"):
        validate(clean_tenant(), CLEAN_USERS, on=ON, horizon_days=-1)


@settings(max_examples=60, deadline=None)
@given(st.dates(D(2024, 6, 1), D(2027, 12, 31)), st.integers(0, 400))
def test_lost_access_is_always_an_error_and_at_risk_a_warning(on, horizon):
    findings = validate(seed_provisioning_tenant(), SEED_USERS, on=on, horizon_days=horizon)
    days_left = (D(2026, 1, 1) - on).days
    expected = ("user-on-inactive-subscription" if not D(2025, 1, 1) <= on < D(2026, 1, 1)
                else "access-at-risk" if days_left <= horizon else None)
    assert findings["rule"].tolist() == ([expected] * 2 if expected else [])
    severities = {"user-on-inactive-subscription": "error", "access-at-risk": "warning"}
    assert (findings["severity"] == findings["rule"].map(severities)).all()

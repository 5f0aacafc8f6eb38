"""The remap plan: where each user at risk or cut off should go, and its two exports."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from test_validation import PREM, SEED_USERS, STD, users

from builders import seed_provisioning_tenant, subscription, tenant, term
from toolkit.present.export import plan_to_csv
from toolkit.provisioning.remap import (
    PLAN_COLUMNS,
    license_operations,
    plan_to_patch_bodies,
    remap_plan,
)

D = dt.date


def test_seed_plan_moves_both_users_to_subscription_2_before_expiry():
    plan = remap_plan(seed_provisioning_tenant(), SEED_USERS, D(2025, 12, 1))
    assert list(plan.columns) == PLAN_COLUMNS
    assert plan[["user_id", "status", "from_subscription", "to_subscription"]].values.tolist() == [
        ["Agent 1", "at risk", "Sub-1", "Sub-2"],
        ["Customer Admin 1", "at risk", "Sub-1", "Sub-2"],
    ]
    assert (plan["access_ends"] == pd.Timestamp(2026, 1, 1)).all()
    assert (plan["to_active_until"] == pd.Timestamp(2026, 11, 1)).all()


def test_seed_plan_after_expiry_cut_off_users_go_to_subscription_2():
    plan = remap_plan(seed_provisioning_tenant(), SEED_USERS, D(2026, 1, 15))
    assert plan[["user_id", "status", "to_subscription"]].values.tolist() == [
        ["Agent 1", "cut off", "Sub-2"], ["Customer Admin 1", "cut off", "Sub-2"]]


def test_nobody_to_move_gives_an_empty_plan():
    plan = remap_plan(seed_provisioning_tenant(), SEED_USERS, D(2025, 6, 1))
    assert plan.empty and list(plan.columns) == PLAN_COLUMNS


def preference_tenant():
    """Care's Sub-A lapses; Care has Sub-B (ending soon) and Sub-C (lasting, no Premium);
    Sub-P (HQ) is the primary; Sub-S (Sales) carries Premium too."""
    return tenant(
        subscription("Sub-P", term(D(2024, 1, 1), D(2028, 1, 1), (STD, 5)), department="HQ"),
        subscription("Sub-A", term(D(2025, 1, 1), D(2026, 1, 1), (STD, 5), (PREM, 5)),
                     department="Care"),
        subscription("Sub-B", term(D(2025, 1, 1), D(2026, 1, 20), (STD, 5)), department="Care"),
        subscription("Sub-C", term(D(2025, 1, 1), D(2027, 1, 1), (STD, 5)), department="Care"),
        subscription("Sub-S", term(D(2025, 1, 1), D(2027, 1, 1), (PREM, 5)), department="Sales"),
    )


def test_target_preferences():
    people = users(
        ("std", "agent", STD, "Sub-A", "Care"),  # Care's lasting Sub-C beats Care's Sub-B
        ("prem", "agent", PREM, "Sub-A", "Care"),  # nothing in Care or the primary: none
        ("ops", "agent", STD, "Sub-A", "Ops"),  # Ops has no other: the primary
        ("admin", "admin", None, None, "Care"),  # unmapped admin: any lasting Care subscription
    )
    plan = remap_plan(preference_tenant(), people, D(2025, 12, 1)).set_index("user_id")
    assert plan["to_subscription"].fillna("none").to_dict() == {
        "std": "Sub-C", "prem": "none", "ops": "Sub-P", "admin": "Sub-C"}
    assert plan.loc["prem", "reason"] == (
        "no other subscription of the Care department, nor the primary (Sub-P), is active on "
        "2025-12-01 and lasts beyond 2025-12-31 with Contact Center Premium agent licenses; "
        "Sub-S (Sales) would fit if another department may be charged")
    assert plan.loc["ops", "reason"] == (
        "the primary subscription, active through 2027-12-31, with Contact Center Standard agent "
        "licenses; the Ops department has none that fits")
    assert plan.loc["admin", "status"] == "unmapped"
    assert pd.isna(plan.loc["admin", "from_subscription"])


def test_a_department_subscription_ending_soon_is_used_when_nothing_lasts():
    shorter = tenant(*[s for s in preference_tenant().subscriptions if s.id != "Sub-C"])
    people = users(("std", "agent", STD, "Sub-A", "Care"))
    plan = remap_plan(shorter, people, D(2025, 12, 1))
    assert plan["to_subscription"].tolist() == ["Sub-B"]
    assert "though its last day too is 2026-01-19, within 60 days" in plan["reason"].iloc[0]


def test_plan_csv_is_a_formula_safe_worklist(tmp_path):
    people = users(("=HYPERLINK(1)", "agent", STD, "Sub-1", None, "a@example.com"))
    plan = remap_plan(seed_provisioning_tenant(), people, D(2025, 12, 1))
    path = plan_to_csv(plan, tmp_path / "plan.csv")
    written = pd.read_csv(path, dtype="str")
    assert list(written.columns) == ["user", "email", "from", "to", "license", "status",
                                     "access_ends", "reason"]
    assert written.iloc[0][["user", "email", "from", "to", "license", "access_ends"]].tolist() == [
        "'=HYPERLINK(1)", "a@example.com", "Sub-1", "Sub-2", STD, "2026-01-01"]


LICENSES = pd.DataFrame({
    "license_id": ["L-STD-1", "L-STD-2", "L-PREM-2a", "L-PREM-2b"],
    "name": ["Contact Center Standard Agent"] * 2 + ["Contact Center Premium Agent"] * 2,
    "usage_type": [STD, STD, PREM, PREM],
    "subscription_id": ["Sub-1", "Sub-2", "Sub-2", "Sub-2"],
    "total_units": [10.0, 10.0, 5.0, 5.0],
    "consumed_units": [1.0, 0.0, 0.0, 0.0],
})


def test_patch_bodies_add_the_target_license_and_remove_the_old():
    people = pd.concat([SEED_USERS, users(("p1", "agent", STD, "Sub-1", None, "p1@example.com"))],
                       ignore_index=True)
    plan = remap_plan(seed_provisioning_tenant(), people, D(2025, 12, 1))
    bodies = plan_to_patch_bodies(plan, LICENSES, org_id="ORG-1")
    assert bodies == [
        {"personId": "Agent 1", "orgId": "ORG-1", "licenses": [
            {"id": "L-STD-2", "operation": "add"}, {"id": "L-STD-1", "operation": "remove"}]},
        {"email": "p1@example.com", "orgId": "ORG-1", "licenses": [
            {"id": "L-STD-2", "operation": "add"}, {"id": "L-STD-1", "operation": "remove"}]},
    ]
    notes = license_operations(plan, LICENSES).set_index("user_id")["note"]
    assert notes["Customer Admin 1"] == (
        "no body: the row has no license type; remap the user in Control Hub")
    assert notes[["Agent 1", "p1"]].isna().all()


def test_patch_bodies_never_guess_between_licenses_or_drop_silently():
    people = users(("p", "agent", PREM, "Sub-1", None, "p@example.com"))
    premium = tenant(*(subscription(sub_id, term(D(2025, 1, 1), end, (PREM, 1)), department="Care")
                       for sub_id, end in (("Sub-1", D(2026, 1, 1)), ("Sub-2", D(2027, 1, 1)))))
    plan = remap_plan(premium, people, D(2025, 12, 1))
    assert plan_to_patch_bodies(plan, LICENSES) == []
    note = license_operations(plan, LICENSES)["note"].iloc[0]
    assert note.startswith("no body: 2 cc_premium_agent licenses on Sub-2")
    add_only = LICENSES[LICENSES["license_id"] != "L-STD-1"]
    plan = remap_plan(seed_provisioning_tenant(), SEED_USERS, D(2025, 12, 1))
    assert plan_to_patch_bodies(plan, add_only) == [
        {"personId": "Agent 1", "licenses": [{"id": "L-STD-2", "operation": "add"}]}]
    assert license_operations(plan, add_only)["note"].str.startswith("add only").sum() == 1


@settings(max_examples=40, deadline=None)
@given(st.dates(D(2024, 12, 1), D(2026, 12, 1)), st.integers(0, 120))
def test_every_plan_target_is_active_and_carries_the_license(on, horizon):
    people = users(("std", "agent", STD, "Sub-A", "Care"), ("prem", "agent", PREM, "Sub-A", "Care"),
                   ("adm", "admin", None, "Sub-B", "Care"), ("ops", "agent", STD, "Sub-A", "Ops"))
    tenant_ = preference_tenant()
    plan = remap_plan(tenant_, people, on, horizon)
    for row in plan.dropna(subset=["to_subscription"]).itertuples():
        target = tenant_.subscription(row.to_subscription)
        assert target.active_on(on) and row.to_subscription != row.from_subscription
        assert pd.isna(row.license) or target.holds(row.license, on)
        assert target.department == row.department or target.id == tenant_.primary(on)
    assert plan["reason"].notna().all()

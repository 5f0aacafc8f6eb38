"""Ownership rules are behaviour held by the policy table: a new rule is a row, not a branch."""

from __future__ import annotations

import datetime as dt

import pytest

import toolkit.policy as policy
from builders import D, subscription, tenant, term
from toolkit.policy import OwnershipRule, UsageType


def _latest_holder(subscription, usage_type: str) -> tuple:
    """A toy rule: the holder that took the type up most recently owns it."""
    return (-subscription.first_held(usage_type).toordinal(), subscription.id)


def _explain_latest(tenant, row, on: dt.date) -> str:
    return f"On {on} {tenant.overage_owner(row.name, on)} took {row.name} up last."


@pytest.fixture
def latest_holder_policy(monkeypatch):
    rule = OwnershipRule(pooled=True, owner="latest_holder", explain=_explain_latest,
                         rank=_latest_holder)
    monkeypatch.setattr(policy, "POLICIES", {**policy.POLICIES, "pooled_latest_holder": rule})
    return UsageType("toy_bot", "pooled_latest_holder", "sum", "sessions", label="Toy bot")


def test_a_new_rule_in_the_policy_table_drives_timeline_owner_and_explanation(
        latest_holder_policy):
    toy = tenant(
        subscription("Sub-A", term(D(2024, 1, 1), D(2027, 1, 1), ("toy_bot", 10))),
        subscription("Sub-B", term(D(2024, 6, 1), D(2027, 1, 1), ("toy_bot", 10))),
        usage_types={**policy.DEFAULT_USAGE_TYPES, "toy_bot": latest_holder_policy},
    )
    assert toy.overage_owner("toy_bot", D(2024, 3, 1)) == "Sub-A"
    assert toy.overage_owner("toy_bot", D(2024, 7, 1)) == "Sub-B"
    assert toy.explain_owner("toy_bot", D(2024, 7, 1)) == \
        "On 2024-07-01 Sub-B took toy_bot up last."


def test_the_rules_say_whether_they_have_a_tenant_wide_owner():
    per = {name: rule.per_subscription for name, rule in policy.POLICIES.items()}
    assert per == {"pooled_primary": False, "pooled_first_holder": False,
                   "primary_only": False, "per_subscription": True}

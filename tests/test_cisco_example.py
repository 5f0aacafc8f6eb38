"""Cisco's pooling example: Sub 1 has 10 agents, Sub 2 has 15; overage only above 25 combined,
billed to the primary (the oldest active subscription)."""

import pytest

from builders import cisco_agents_tenant, usage
from toolkit import allocate


@pytest.mark.parametrize("part_1, part_2, overage", [
    (10, 15, 0), (20, 5, 0), (0, 25, 0), (12, 14, 1), (30, 0, 5), (16, 17, 8),
])
def test_overage_only_above_25_and_billed_to_primary(part_1, part_2, overage):
    frame = usage(("2025-03-03T10:00", "cc_standard_agent", part_1, "Sub-1"),
                  ("2025-03-03T10:00", "cc_standard_agent", part_2, "Sub-2"))
    result = allocate(cisco_agents_tenant(), frame)
    pooled = result.pooled.iloc[0]
    assert (pooled.usage, pooled.entitlement, pooled.overage, pooled.owner) == (
        part_1 + part_2, 25, overage, "Sub-1")
    by_sub = result.by_subscription.set_index("subscription_id")
    assert by_sub.loc["Sub-1", "overage"] == overage
    assert by_sub.loc["Sub-2", "overage"] == 0
    assert by_sub["usage"].to_dict() == {"Sub-1": part_1, "Sub-2": part_2}
    assert by_sub["entitlement"].to_dict() == {"Sub-1": 10, "Sub-2": 15}


def test_coincident_peak_takes_each_share_at_the_tenant_peak():
    # Sub-2 peaks alone at 11:00 (20) but the tenant peaks at 10:00 (12 + 16 = 28).
    frame = usage(("2025-03-03T10:00", "cc_standard_agent", 12, "Sub-1"),
                  ("2025-03-03T10:00", "cc_standard_agent", 16, "Sub-2"),
                  ("2025-03-03T11:00", "cc_standard_agent", 5, "Sub-1"),
                  ("2025-03-03T11:00", "cc_standard_agent", 20, "Sub-2"),
                  ("2025-03-20T11:00", "cc_standard_agent", 28, "Sub-1"))  # tie: earliest wins
    result = allocate(cisco_agents_tenant(), frame)
    assert result.pooled[["usage", "overage", "owner"]].values.tolist() == [[28, 3, "Sub-1"]]
    assert result.by_subscription.set_index("subscription_id")["usage"].to_dict() == {
        "Sub-1": 12, "Sub-2": 16}


def test_named_model_counts_distinct_users():
    rows = [(f"2025-03-0{1 + i % 5}T10:00", "cc_standard_agent", 1,
             "Sub-1" if i < 14 else "Sub-2", f"user{i}") for i in range(27)]
    rows.append(("2025-03-09T10:00", "cc_standard_agent", 1, "Sub-1", "user0"))  # seen twice
    result = allocate(cisco_agents_tenant("named"), usage(*rows))
    assert result.license_model == "named"
    assert result.pooled[["usage", "entitlement", "overage", "owner"]].values.tolist() == [
        [27, 25, 2, "Sub-1"]]
    assert result.by_subscription.set_index("subscription_id")["usage"].to_dict() == {
        "Sub-1": 14, "Sub-2": 13}


def test_primary_moves_when_the_oldest_expires_and_overage_follows():
    from builders import D, subscription, tenant, term

    t = tenant(
        subscription("Sub-1", term(D(2024, 1, 1), D(2025, 3, 15), ("cc_standard_agent", 10))),
        subscription("Sub-2", term(D(2024, 6, 1), D(2027, 1, 1), ("cc_standard_agent", 15))),
    )
    frame = usage(("2025-03-03T10:00", "cc_standard_agent", 10, "Sub-1"),
                  ("2025-03-03T10:00", "cc_standard_agent", 15, "Sub-2"),
                  ("2025-03-20T10:00", "cc_standard_agent", 30, "Sub-2"))
    result = allocate(t, frame)
    pooled = result.pooled.iloc[0]
    # Entitlement prorated: 10 × 14/31 + 15; the owner is the primary on the period's last day.
    assert pooled.entitlement == pytest.approx(10 * 14 / 31 + 15)
    assert pooled.usage == 30
    assert pooled.overage == pytest.approx(30 - (10 * 14 / 31 + 15))
    assert pooled.owner == "Sub-2"

"""Committed and overage cost per period, type and subscription (P2–P4), to the cent.

The hand-computed case used across the finance tests: in March 2025 Sub-A (Sales, since
2024-01-01) and Sub-B (Support, since 2024-06-01) both hold Standard agents and AI Agent.

| | Sub-A | Sub-B |
|---|---|---|
| cc_standard_agent | 10 × 100.00, overage 150.00 | 15 × 90.00, overage 140.00 |
| ai_agent | 1000 × 0.50, overage 0.80 | 500 × 0.55, overage 0.85 |
| agents at the tenant's peak | 12 | 16 |
| AI Agent sessions | 800 | 900 |

Agents: 28 used, 25 entitled → 3 over, owned by the primary A → 3 × 150.00 = 450.00.
AI Agent: 1700 used, 1500 entitled → 200 over, owned by the first holder A → 200 × 0.80 = 160.00.
Committed: A 1000.00 + 500.00 = 1500.00; B 1350.00 + 275.00 = 1625.00.
"""

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from builders import D, march_usage, priced_subscription, priced_tenant, usage
from toolkit import InputError, Line, Subscription, Tenant, Term, allocate
from toolkit.finance.costs import costs, unowned_overage
from toolkit.finance.money import to_cents
from toolkit.policy import DEFAULT_USAGE_TYPES


def test_hand_computed_two_subscription_month():
    table = costs(allocate(priced_tenant(), march_usage())).set_index(
        ["usage_type", "subscription_id"])
    expected = {  # committed, overage, overage cost, total
        ("cc_standard_agent", "Sub-A"): (1000.00, 3.0, 450.00, 1450.00),
        ("cc_standard_agent", "Sub-B"): (1350.00, 0.0, 0.00, 1350.00),
        ("ai_agent", "Sub-A"): (500.00, 200.0, 160.00, 660.00),
        ("ai_agent", "Sub-B"): (275.00, 0.0, 0.00, 275.00),
    }
    for key, (committed, overage, overage_cost, total) in expected.items():
        row = table.loc[key]
        assert (row.committed_cost, row.overage, row.overage_cost, row.total_cost) == (
            committed, overage, overage_cost, total), key
    assert set(table["currency"]) == {"EUR"}
    assert to_cents(table["total_cost"]).sum() == to_cents(3735.00)


def test_lines_of_one_type_with_different_prices_are_prorated_one_by_one():
    # 31 agents all March, 10.00 for the first 15 days, 20.00 from the 16th:
    # 31 × 15/31 × 10.00 + 31 × 16/31 × 20.00 = 150.00 + 320.00 = 470.00
    sub = Subscription("Sub-A", "Sales", "concurrent", "flex", "cloud", (Term(
        D(2025, 1, 1), D(2026, 1, 1), (
            Line("cc_standard_agent", 31, 10.0, D(2025, 1, 1), D(2025, 3, 16), 50.0),
            Line("cc_standard_agent", 31, 20.0, D(2025, 3, 16), D(2026, 1, 1), 50.0),
        )),))
    result = allocate(Tenant("T", "USD", (sub,)), usage(
        ("2025-03-05T10:00", "cc_standard_agent", 30, "Sub-A")))
    row = costs(result).iloc[0]
    assert row.entitlement == pytest.approx(31.0)
    assert row.committed_cost == 470.00
    assert row.unit_price == pytest.approx(470 / 31)
    assert row.currency == "USD"


def test_overage_price_falls_back_to_the_tenant_price():
    a = priced_subscription("Sub-A", "Sales", D(2024, 1, 1), D(2026, 1, 1),
                            ("ai_agent", 100, 1.0, None))
    t = Tenant("T", "EUR", (a,), overage_prices={"ai_agent": 0.25})
    row = costs(allocate(t, usage(("2025-03-12T09:00", "ai_agent", 113, "Sub-A")))).iloc[0]
    assert (row.overage, row.overage_price, row.overage_cost) == (13.0, 0.25, 3.25)


def test_a_missing_overage_price_is_reported_not_taken_as_zero():
    a = priced_subscription("Sub-A", "Sales", D(2024, 1, 1), D(2026, 1, 1),
                            ("ai_agent", 100, 1.0, None), ("ai_assistant", 10, 1.0, None))
    result = allocate(Tenant("T", "EUR", (a,)), usage(
        ("2025-03-12T09:00", "ai_agent", 113, "Sub-A"),
        ("2025-03-12T09:00", "ai_assistant", 11, "Sub-A"),
        ("2025-04-12T09:00", "ai_agent", 50, "Sub-A"),  # no overage: no price needed
    ))
    with pytest.raises(InputError) as error:
        costs(result)
    message = str(error.value)
    assert "2 problems" in message
    assert "overage price for ai_agent" in message and "owns 13 units" in message
    assert "overage price for ai_assistant" in message and "2025-03" in message


def test_a_period_nobody_owns_is_billed_to_the_primary_flagged_owner_fallback():
    # Sub-A (primary) names AI usage but holds no AI line: nobody holds the type, so P3 bills
    # the 7 sessions to the primary of March's last active day, at the tenant's price 2.00.
    a = priced_subscription("Sub-A", "Sales", D(2024, 1, 1), D(2026, 1, 1),
                            ("cc_standard_agent", 1, 1.0, 1.0))
    result = allocate(Tenant("T", "EUR", (a,), overage_prices={"ai_agent": 2.0}),
                      usage(("2025-03-12T09:00", "ai_agent", 7, "Sub-A")))
    assert result.pooled.set_index("usage_type").loc["ai_agent", "owner"] == "Sub-A"
    row = costs(result).set_index("usage_type").loc["ai_agent"]
    assert (row.overage, row.overage_price, row.price_source, row.overage_cost) == (
        7.0, 2.0, "owner_fallback", 14.00)
    assert unowned_overage(result).empty


def test_the_fallback_owner_without_any_price_is_an_input_error():
    a = priced_subscription("Sub-A", "Sales", D(2024, 1, 1), D(2026, 1, 1),
                            ("cc_standard_agent", 1, 1.0, 1.0))
    result = allocate(Tenant("T", "EUR", (a,)), usage(("2025-03-12T09:00", "ai_agent", 7,
                                                       "Sub-A")))
    with pytest.raises(InputError, match="overage price for ai_agent.*owns 7 units"):
        costs(result)


def test_an_allocation_of_another_tenant_is_refused_not_priced_with_wrong_lines():
    result = allocate(priced_tenant(), march_usage())
    a, _ = priced_tenant().subscriptions
    other = Tenant("Other", "EUR", (a, priced_subscription(
        "Sub-X", "Legal", D(2024, 1, 1), D(2026, 1, 1), ("cc_standard_agent", 1, 1.0, 1.0))),
        usage_types={n: row for n, row in DEFAULT_USAGE_TYPES.items() if n != "ai_agent"})
    with pytest.raises(ValueError) as error:
        costs(result, other)
    assert str(error.value) == (
        "the allocation does not belong to tenant 'Other': it has subscription(s) Sub-B; "
        "usage type(s) ai_agent that the tenant does not know (price an allocation with the "
        "tenant it was allocated for)")
    with pytest.raises(ValueError, match="subscription\\(s\\) Sub-B that"):
        costs(result, Tenant("Other", "EUR", (a,)))


def test_an_allocation_without_usage_costs_nothing():
    table = costs(allocate(priced_tenant(), usage()))
    assert table.empty and "committed_cost" in table


@settings(max_examples=40, deadline=None)
@given(prices=st.lists(st.floats(0.01, 999.99), min_size=2, max_size=2),
       quantities=st.lists(st.integers(1, 97), min_size=2, max_size=2),
       cut=st.integers(1, 30))
def test_committed_parts_add_up_to_the_rounded_period_total(prices, quantities, cut):
    """Odd prices and a mid-month line change: the rows still add up to the period's total."""
    start, change = D(2025, 1, 1), D(2025, 3, 1) + dt.timedelta(days=cut)
    subs = tuple(
        Subscription(f"Sub-{i}", f"Dept {i}", "concurrent", "flex", "cloud", (Term(
            start, D(2026, 1, 1), (
                Line("cc_standard_agent", q, p, start, change, 1.0),
                Line("cc_standard_agent", q + 1, p / 3, change, D(2026, 1, 1), 1.0),
            )),))
        for i, (p, q) in enumerate(zip(prices, quantities, strict=True)))
    result = allocate(Tenant("T", "EUR", subs), usage(
        ("2025-03-05T10:00", "cc_standard_agent", 1, "Sub-0")))
    table = costs(result)
    days = (change - D(2025, 3, 1)).days
    exact = sum(q * days / 31 * p + (q + 1) * (31 - days) / 31 * (p / 3)
                for p, q in zip(prices, quantities, strict=True))
    assert to_cents(table["committed_cost"]).sum() == to_cents(exact)

"""P3, P4 and M5 as the SPEC settles them, pinned by hand-computed tenants, and the properties
that make the money reconcile: exact department amounts rounded once, views that agree, and a
FOCUS export whose BilledCost adds up to the invoice."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction
from math import ceil, floor

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from builders import D, usage
from toolkit import Line, Subscription, Tenant, Term, allocate
from toolkit.finance.chargeback import chargeback
from toolkit.finance.costs import costs
from toolkit.finance.focus import focus_table
from toolkit.finance.money import to_cents

AGENTS = "cc_standard_agent"


def sub(sub_id, department, *terms):
    return Subscription(sub_id, department, "concurrent", "flex", "cloud", tuple(terms))


def test_a_renewal_price_never_prices_an_earlier_term():
    # Sub-A is primary from 2024 but buys agents only in its 2026 renewal (overage 100.00).
    # March 2025: 12 agents on Sub-B's 10 → 2 over, owned by the primary A, which has no agent
    # line that month: the tenant's price 1.00 applies → 2.00 (the renewal's 100 would be 200).
    # March 2026: 14 agents on A's 5 + B's 10 → 0 over; April 2026: 18 → 3 over × 100.00.
    a = sub("Sub-A", "Sales",
            Term(D(2024, 1, 1), D(2026, 1, 1), (Line("ivr_port", 1, 1.0, D(2024, 1, 1),
                                                      D(2026, 1, 1)),)),
            Term(D(2026, 1, 1), D(2027, 1, 1), (Line(AGENTS, 5, 50.0, D(2026, 1, 1),
                                                      D(2027, 1, 1), 100.0),)))
    b = sub("Sub-B", "Support", Term(D(2024, 6, 1), D(2027, 6, 1), (
        Line(AGENTS, 10, 90.0, D(2024, 6, 1), D(2027, 6, 1), 140.0),)))
    tenant = Tenant("T", "EUR", (a, b), overage_prices={AGENTS: 1.0})
    result = allocate(tenant, usage(("2025-03-10T10:00", AGENTS, 12, "Sub-B"),
                                    ("2026-03-10T10:00", AGENTS, 14, "Sub-B"),
                                    ("2026-04-10T10:00", AGENTS, 18, "Sub-B")))
    table = costs(result).set_index(["period", "usage_type", "subscription_id"])
    march = table.loc[(pd.Period("2025-03", "M"), AGENTS, "Sub-A")]
    assert (march.overage, march.overage_price, march.price_source, march.overage_cost) == (
        2.0, 1.0, "tenant", 2.00)
    april = table.loc[(pd.Period("2026-04", "M"), AGENTS, "Sub-A")]
    assert (april.overage, april.overage_price, april.price_source, april.overage_cost) == (
        3.0, 100.0, "owner line", 300.00)


def test_a_line_ending_mid_month_keeps_its_own_price_not_last_years():
    # A's 2025 agent line (10 at 100.00, overage 150.00) ends 2025-03-16; its 2024 line had
    # overage 999.00. March: A 10 × 15/31 + B 10 = 460/31 entitled, 25 used (B's sample) →
    # 315/31 over × 150.00 = 47250/31 = 1524.1935… → 1524.19; A's committed
    # 10 × 15/31 × 100.00 = 15000/31 = 483.870… → 483.87; B's 10 × 90.00 = 900.00.
    a = sub("Sub-A", "Sales",
            Term(D(2024, 1, 1), D(2025, 1, 1), (Line(AGENTS, 5, 100.0, D(2024, 1, 1),
                                                      D(2025, 1, 1), 999.0),)),
            Term(D(2025, 1, 1), D(2026, 1, 1), (Line(AGENTS, 10, 100.0, D(2025, 1, 1),
                                                      D(2025, 3, 16), 150.0),)))
    b = sub("Sub-B", "Support", Term(D(2024, 6, 1), D(2026, 6, 1), (
        Line(AGENTS, 10, 90.0, D(2024, 6, 1), D(2026, 6, 1), 140.0),)))
    result = allocate(Tenant("T", "EUR", (a, b)), usage(("2025-03-20T10:00", AGENTS, 25,
                                                         "Sub-B")))
    table = costs(result).set_index("subscription_id")
    assert (table.loc["Sub-A", "overage_price"], table.loc["Sub-A", "price_source"]) == (
        150.0, "owner line")
    assert table.loc["Sub-A", "overage_cost"] == 1524.19
    assert table.loc["Sub-A", "committed_cost"] == 483.87
    assert table.loc["Sub-B", "committed_cost"] == 900.00
    billed = chargeback(result).set_index("department")
    assert billed.loc["Sales", "total_cost"] == 2008.06
    assert to_cents(billed["total_cost"]).sum() == 290806


def test_three_departments_ending_in_half_cents_share_by_largest_remainder():
    # Committed 1.005 (Sales), 2.015 (Support), 3.025 (Ops): total 6.045 → 6.05 (half away
    # from zero); floors 1.00 + 2.01 + 3.02 = 6.03, the 2 missing cents go to the largest
    # remainders — all .5, so ties go to the earlier department: Ops, then Sales.
    def one(sub_id, department, price):
        return sub(sub_id, department, Term(D(2025, 1, 1), D(2026, 1, 1), (
            Line("ai_agent", 1, price, D(2025, 1, 1), D(2026, 1, 1), 1.0),)))

    tenant = Tenant("T", "EUR", (one("Sub-A", "Sales", 1.005), one("Sub-B", "Support", 2.015),
                                 one("Sub-C", "Ops", 3.025)))
    result = allocate(tenant, usage(("2025-03-10T10:00", "ai_agent", 1, "Sub-A")))
    for method in ("billed", "caused"):
        frame = chargeback(result, method=method).set_index("department")
        assert frame["committed_cost"].to_dict() == {"Ops": 3.03, "Sales": 1.01,
                                                     "Support": 2.01}
    table = costs(result)
    assert to_cents(table["committed_cost"]).sum() == 605
    assert focus_table(result)["BilledCost"].map(to_cents).sum() == 605


def test_overage_nobody_owns_goes_to_the_primary_of_the_last_active_day():
    # Nobody holds ai_agent. A (primary, Sales) ends 2025-03-20; B (Support) runs from
    # 2025-03-10: on March's last active day (the 31st) B is primary, so B's department pays
    # the 10 sessions × the tenant's 3.00 = 30.00, flagged owner_fallback.
    a = sub("Sub-A", "Sales", Term(D(2024, 1, 1), D(2025, 3, 20), (
        Line(AGENTS, 1, 10.0, D(2024, 1, 1), D(2025, 3, 20), 1.0),)))
    b = sub("Sub-B", "Support", Term(D(2025, 3, 10), D(2026, 1, 1), (
        Line(AGENTS, 1, 10.0, D(2025, 3, 10), D(2026, 1, 1), 1.0),)))
    result = allocate(Tenant("T", "EUR", (a, b), overage_prices={"ai_agent": 3.0}),
                      usage(("2025-03-12T10:00", "ai_agent", 10, "Sub-A")))
    row = costs(result).set_index(["usage_type", "subscription_id"]).loc[("ai_agent", "Sub-B")]
    assert (row.overage, row.price_source, row.overage_cost) == (10.0, "owner_fallback", 30.00)
    for method in ("billed", "caused"):
        frame = chargeback(result, method=method).set_index("department")
        assert to_cents(frame["total_cost"]).sum() == to_cents(costs(result)["total_cost"]).sum()
    billed = chargeback(result).set_index("department")
    assert billed.loc["Support", "overage_cost"] == 30.00


def test_unnamed_usage_on_a_dead_day_is_unallocated_like_a_named_row():
    # A ends 2025-03-10, B starts 2025-03-20: on 2025-03-15 nobody is active.
    a = sub("Sub-A", "Sales", Term(D(2024, 1, 1), D(2025, 3, 10), (
        Line("ai_agent", 100, 1.0, D(2024, 1, 1), D(2025, 3, 10), 1.0),)))
    b = sub("Sub-B", "Support", Term(D(2025, 3, 20), D(2026, 1, 1), (
        Line("ai_agent", 100, 1.0, D(2025, 3, 20), D(2026, 1, 1), 1.0),)))
    result = allocate(Tenant("T", "EUR", (a, b)), usage(
        ("2025-03-15T10:00", "ai_agent", 7),
        ("2025-03-15T11:00", "ai_agent", 5, "Sub-A")))
    reasons = result.unallocated.set_index("quantity")["reason"].to_dict()
    assert reasons == {7.0: "no active subscription on that day",
                       5.0: "subscription not active on that day"}
    assert result.by_subscription["usage"].sum() == 0


# --- properties -------------------------------------------------------------------------

START = D(2025, 1, 1)
DAYS = 120  # January to April 2025


@st.composite
def tenants_and_usage(draw):
    n = draw(st.integers(2, 4))
    departments = draw(st.lists(st.sampled_from(["Ops", "Sales", "Support"]), min_size=n,
                                max_size=n))
    subs = []
    for i in range(n):
        lo = draw(st.integers(0, DAYS - 10))
        hi = draw(st.integers(lo + 1, DAYS + 30))
        start, end = START + dt.timedelta(lo), START + dt.timedelta(hi)
        lines = tuple(
            Line(t, draw(st.integers(0, 50)), draw(st.integers(0, 100_000)) / 1000, start, end)
            for t in ("ai_agent", AGENTS))
        subs.append(sub(f"Sub-{i}", departments[i], Term(start, end, lines)))
    prices = {t: draw(st.integers(1, 100_000)) / 1000 for t in ("ai_agent", AGENTS)}
    tenant = Tenant("T", "EUR", tuple(subs), overage_prices=prices)
    rows = [
        ((START + dt.timedelta(draw(st.integers(0, DAYS - 1)))).isoformat() + "T10:00",
         "ai_agent", draw(st.integers(0, 40)), f"Sub-{draw(st.integers(0, n - 1))}")
        for _ in range(draw(st.integers(1, 12)))
    ]
    return tenant, usage(*rows)


def _exact_committed(tenant: Tenant, period: pd.Period) -> dict[str, Fraction]:
    """Σ quantity × active days ÷ days × unit price per department, in Fractions."""
    first = period.start_time.date()
    days = period.days_in_month
    last = first + dt.timedelta(days)
    amounts: dict[str, Fraction] = {}
    for s in tenant.subscriptions:
        for line in s.lines:
            overlap = max(0, (min(line.end, last) - max(line.start, first)).days)
            amounts[s.department] = amounts.get(s.department, Fraction(0)) + Fraction(
                repr(line.quantity)) * Fraction(overlap, days) * Fraction(repr(line.unit_price))
    return amounts


def _exact_overage(tenant: Tenant, result, period: pd.Period) -> dict[str, Fraction]:
    """The AI overage of the period (no line prices: the tenant's price), to its owner."""
    first = period.start_time.date()
    days = period.days_in_month
    last = first + dt.timedelta(days)
    entitled = sum((Fraction(repr(line.quantity)) * Fraction(
        max(0, (min(line.end, last) - max(line.start, first)).days), days)
        for s in tenant.subscriptions for line in s.lines if line.usage_type == "ai_agent"),
        Fraction(0))
    used = result.by_subscription
    used = used[(used["period"] == period) & (used["usage_type"] == "ai_agent")]
    over = max(Fraction(0), Fraction(int(round(used["usage"].sum()))) - entitled)
    if not over:
        return {}
    pooled = result.pooled.set_index(["period", "usage_type"])
    owner = pooled.loc[(period, "ai_agent"), "owner"]
    price = Fraction(repr(tenant.overage_prices["ai_agent"]))
    return {tenant.departments[owner]: over * price}


def _half_away(amount: Fraction) -> int:
    cents = amount * 100
    return floor(cents + Fraction(1, 2))


@settings(max_examples=40, deadline=None)
@given(tenants_and_usage())
def test_departments_are_exact_amounts_rounded_once_and_add_up_everywhere(case):
    tenant, frame = case
    result = allocate(tenant, frame)
    billed = chargeback(result, method="billed")
    caused = chargeback(result, method="caused")
    grand = 0
    for period, rows in billed.groupby("period"):
        exact = {"committed_cost": _exact_committed(tenant, period),
                 "overage_cost": _exact_overage(tenant, result, period)}
        for column, amounts in exact.items():
            got = dict(zip(rows["department"], to_cents(rows[column]), strict=True))
            for department, amount in amounts.items():
                cents = got.get(department, 0)
                assert cents in (floor(amount * 100), ceil(amount * 100)), (column, department)
            assert sum(got.values()) == _half_away(sum(amounts.values(), Fraction(0)))
        period_total = to_cents(rows["total_cost"]).sum()
        caused_rows = caused[caused["period"] == period]
        assert to_cents(caused_rows["total_cost"]).sum() == period_total
        assert to_cents(caused_rows["committed_cost"]).tolist() == to_cents(
            rows["committed_cost"]).tolist()
        grand += period_total
    table = costs(result)
    assert to_cents(table["total_cost"]).sum() == grand
    by_department = table.groupby(["period", "department"])["total_cost"].agg(
        lambda x: to_cents(x).sum())
    assert by_department.tolist() == to_cents(billed["total_cost"]).tolist()
    assert to_cents(focus_table(result)["BilledCost"]).sum() == grand

"""Run-rate forecast to each subscription's term end, with a band from the last months.

History (priced tenant of test_costs): agents at the peak A/B = 9/14 in January, 12/16 in
February, 11/15 in March; Sub-B's AI Agent sessions 700, 1000, 900.
Run rate over 3 months: A 32/3 agents (band 9–12), B 15 (14–16); B's AI 2600/3 (700–1000).
Projected agents overage = pooled usage − 25, billed to the primary A at 150.00:
mid (32/3 + 15 − 25) × 150 = 100.00; low 0 (9 + 14 < 25); high (12 + 16 − 25) × 150 = 450.00.
AI Agent stays inside the pooled 1500 sessions in every scenario.

Renewals (``renewal_tenant``): Sub-A's first term ends 2025-07-01 and its renewal runs
[2025-07-01, 2026-07-01), 10 agents at 100.00, overage 150.00; Sub-B has 15 agents
[2024-06-01, 2026-06-01). Run rates A 12, B 20 → April 2025 to May 2026 (A's renewal
included) pooled 32 − 25 = 7 over, owned by the primary A: 7 × 150.00 = 1050.00 a month; June
2026 A alone: 12 − 10 = 2 → 300.00. A's renewal is committed at 10 × 100.00 = 1000.00 a month.
"""

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from builders import D, priced_line, priced_subscription, priced_tenant, usage
from toolkit import Subscription, Tenant, Term, allocate
from toolkit.finance.forecast import FORECAST_COLUMNS, forecast

HISTORY = [(1, 9, 14, 700), (2, 12, 16, 1000), (3, 11, 15, 900)]


def history(tenant=None):
    rows = []
    for month, a, b, ai in HISTORY:
        stamp = f"2025-{month:02d}-10T10:00"
        rows += [(stamp, "cc_standard_agent", a, "Sub-A"), (stamp, "cc_standard_agent", b, "Sub-B"),
                 (f"2025-{month:02d}-12T10:00", "ai_agent", ai, "Sub-B")]
    return allocate(tenant or priced_tenant(), usage(*rows))


def test_run_rate_band_and_cost_by_hand():
    frame = forecast(history(), "2025-03")
    assert list(frame.columns) == FORECAST_COLUMNS
    april = frame[frame["period"] == pd.Period("2025-04", "M")].set_index(
        ["usage_type", "subscription_id"])
    a = april.loc[("cc_standard_agent", "Sub-A")]
    assert (a.usage_low, a.usage, a.usage_high) == (9, 10.666667, 12)  # 32 / 3 to 6 places
    assert (a.overage_cost_low, a.overage_cost, a.overage_cost_high) == (0.0, 100.00, 450.00)
    assert (a.committed_cost, a.total_cost, a.history_periods) == (1000.00, 1100.00, 3)
    ai = april.loc[("ai_agent", "Sub-B")]
    assert (ai.usage_low, ai.usage_high, ai.overage_cost_high) == (700, 1000, 0.0)
    assert april.loc[("ai_agent", "Sub-A"), "usage"] == 0  # held, never used


def test_each_subscription_is_projected_to_its_own_term_end():
    frame = forecast(history(), "2025-03")
    last = frame.groupby("subscription_id")["period"].max().astype(str).to_dict()
    assert last == {"Sub-A": "2025-12", "Sub-B": "2026-05"}  # terms end 2026-01-01 / 2026-06-01
    assert frame["period"].min() == pd.Period("2025-04", "M")
    after_a = frame[(frame["period"] >= pd.Period("2026-01", "M"))
                    & (frame["usage_type"] == "cc_standard_agent")]
    # With A gone, B (15 agents, run rate 15) is inside its own entitlement: no overage.
    assert after_a["overage"].tolist() == [0.0] * 5


def test_the_band_never_inverts_and_a_shorter_lookback_narrows_it():
    for lookback in (1, 2, 3):
        frame = forecast(history(), "2025-03", lookback=lookback)
        assert (frame["usage_low"] <= frame["usage"] + 1e-9).all()
        assert (frame["usage"] <= frame["usage_high"] + 1e-9).all()
        assert (frame["total_cost_low"] <= frame["total_cost_high"]).all()
    one = forecast(history(), "2025-03", lookback=1)
    assert (one["usage_low"] == one["usage_high"]).all()
    assert set(one["history_periods"]) == {1}


def test_a_subscription_starting_later_adds_its_entitlement():
    c = priced_subscription("Sub-C", "Claims", D(2025, 6, 1), D(2026, 6, 1),
                            ("cc_standard_agent", 5, 80.0, 120.0))
    t = Tenant("Priced", "EUR", (*priced_tenant().subscriptions, c))
    frame = forecast(history(t), "2025-03")
    rows = frame[frame["subscription_id"] == "Sub-C"]
    assert rows["period"].min() == pd.Period("2025-06", "M")
    assert (rows["usage"] == 0).all() and (rows["history_periods"] == 0).all()
    june = frame[(frame["period"] == pd.Period("2025-06", "M"))
                 & (frame["usage_type"] == "cc_standard_agent")]
    assert june["overage_high"].sum() == 0  # 28 agents at most, 30 entitled with C


def test_lookback_must_be_positive():
    with pytest.raises(ValueError, match="lookback"):
        forecast(history(), "2025-03", lookback=0)


def agents_term(start, end, quantity, price, overage):
    return Term(start, end, (priced_line("cc_standard_agent", quantity, price, overage, start,
                                         end),))


def renewal_tenant(renewal=None, gap_days=0):
    """Sub-A renews at ``renewal`` (default 2025-07-01; after ``gap_days`` without a term);
    Sub-B runs on."""
    renewal = renewal or D(2025, 7, 1)
    a = Subscription("Sub-A", "Sales", "concurrent", "flex", "cloud", (
        agents_term(D(2024, 1, 1), renewal, 10, 100.0, 150.0),
        agents_term(renewal + pd.Timedelta(days=gap_days).to_pytimedelta(), D(2026, 7, 1), 10,
                    100.0, 150.0)))
    b = Subscription("Sub-B", "Support", "concurrent", "flex", "cloud", (
        agents_term(D(2024, 6, 1), D(2026, 6, 1), 15, 90.0, 140.0),))
    return Tenant("Renewing", "EUR", (a, b))


def agents_history(tenant, a=12, b=20):
    rows = []
    for month in (1, 2, 3):
        stamp = f"2025-{month:02d}-10T10:00"
        rows += [(stamp, "cc_standard_agent", a, "Sub-A"), (stamp, "cc_standard_agent", b, "Sub-B")]
    return allocate(tenant, usage(*rows))


def assert_owned_overage_is_on_the_owners_row(frame, tenant):
    """Invariant: per period and pooled type, the pooled overage of every scenario lies, whole,
    on the row of the subscription owning it that period."""
    for (period, usage_type), rows in frame.groupby(["period", "usage_type"]):
        if not tenant.usage_types[usage_type].rule.pooled:
            continue
        owner = tenant.overage_owner(usage_type, period.end_time.date())
        assert owner in set(rows["subscription_id"]), (period, usage_type)
        mine = rows["subscription_id"] == owner
        for suffix in ("_low", "", "_high"):
            over = max(0.0, rows[f"usage{suffix}"].sum() - rows["entitlement"].sum())
            assert rows.loc[mine, f"overage{suffix}"].sum() == pytest.approx(over)
            assert rows.loc[~mine, f"overage{suffix}"].sum() == 0


def test_a_renewal_is_projected_with_its_committed_cost_and_owns_its_overage():
    tenant = renewal_tenant()
    frame = forecast(agents_history(tenant), "2025-03")
    assert frame.groupby("subscription_id")["period"].max().astype(str).to_dict() == {
        "Sub-A": "2026-06", "Sub-B": "2026-05"}
    a = frame[frame["subscription_id"] == "Sub-A"]
    a = a.set_index(a["period"].astype(str))
    assert a.loc["2025-06", "term_end"] == D(2025, 7, 1)
    assert a.loc["2025-07", "term_end"] == D(2026, 7, 1)  # the renewal
    assert (a["committed_cost"] == 1000.00).all() and len(a) == 15  # 2025-04 .. 2026-06
    assert (a["usage"] == 12).all() and (a["history_periods"] == 3).all()
    owned = a["overage_cost"].to_dict()
    assert owned == {**{str(p): 1050.00 for p in pd.period_range("2025-04", "2026-05", freq="M")},
                     "2026-06": 300.00}
    b = frame[frame["subscription_id"] == "Sub-B"]
    assert (b["overage_cost"] == 0).all() and (b["committed_cost"] == 1350.00).all()
    assert_owned_overage_is_on_the_owners_row(frame, tenant)


def test_a_gap_between_terms_has_no_row_for_the_lapsed_subscription():
    # A lapses [2025-07-01, 2025-09-01): no A row in July and August; B is primary then and
    # owns 20 − 15 = 5 × 140.00 = 700.00; from September A is back and owns 7 × 150.00 again.
    tenant = renewal_tenant(gap_days=62)
    frame = forecast(agents_history(tenant), "2025-03")
    a_periods = set(frame.loc[frame["subscription_id"] == "Sub-A", "period"].astype(str))
    assert {"2025-07", "2025-08"} & a_periods == set() and "2025-09" in a_periods
    cost = frame.groupby(frame["period"].astype(str))["overage_cost"].sum()
    assert cost[["2025-06", "2025-07", "2025-08", "2025-09"]].tolist() == [
        1050.00, 700.00, 700.00, 1050.00]
    assert_owned_overage_is_on_the_owners_row(frame, tenant)


def test_an_owner_without_a_line_or_history_of_the_type_gets_a_row_for_its_overage():
    # The oldest, A, holds only Webex Connect and lapsed over the whole history (no row of
    # agents); back from 2025-06-01 it is primary and owns the agents overage of B's 20 over
    # its 15: 5 × the tenant's 200.00 (A has no agents price) = 1000.00 a month until A ends
    # 2026-01-01. Before and after, B is primary and owns it at its 140.00 = 700.00.
    def connect(start, end):
        return Term(start, end, (priced_line("webex_connect", 1000, 0.1, 0.2, start, end),))

    a = Subscription("Sub-A", "Sales", "concurrent", "flex", "cloud", (
        connect(D(2024, 1, 1), D(2024, 12, 1)), connect(D(2025, 6, 1), D(2026, 1, 1))))
    b = priced_subscription("Sub-B", "Support", D(2024, 6, 1), D(2026, 6, 1),
                            ("cc_standard_agent", 15, 90.0, 140.0))
    tenant = Tenant("T", "EUR", (a, b), overage_prices={"cc_standard_agent": 200.0})
    rows = [(f"2025-0{m}-10T10:00", "cc_standard_agent", 20, "Sub-B") for m in (1, 2, 3)]
    frame = forecast(allocate(tenant, usage(*rows)), "2025-03")
    agents = frame[frame["usage_type"] == "cc_standard_agent"]
    a_rows = agents[agents["subscription_id"] == "Sub-A"]
    assert a_rows["period"].astype(str).tolist() == [f"2025-{m:02d}" for m in range(6, 13)]
    assert (a_rows[["entitlement", "usage", "committed_cost", "history_periods"]] == 0).all().all()
    assert (a_rows["overage_cost"] == 1000.00).all()
    assert (a_rows["term_end"] == D(2026, 1, 1)).all()
    b_owned = agents[agents["subscription_id"] == "Sub-B"].set_index("period")["overage_cost"]
    assert b_owned[b_owned > 0].index.astype(str).tolist() == [
        "2025-04", "2025-05", *(f"2026-0{m}" for m in range(1, 6))]
    assert (b_owned[b_owned > 0] == 700.00).all()
    assert_owned_overage_is_on_the_owners_row(frame, tenant)


@settings(max_examples=25, deadline=None)
@given(renewal_day=st.integers(0, 260), gap_days=st.integers(0, 90),
       a=st.integers(0, 30), b=st.integers(0, 30))
def test_owned_overage_always_lands_on_a_projected_row(renewal_day, gap_days, a, b):
    tenant = renewal_tenant(D(2025, 4, 15) + pd.Timedelta(days=renewal_day).to_pytimedelta(),
                            gap_days)
    frame = forecast(agents_history(tenant, a, b), "2025-03")
    assert not frame.duplicated(["period", "usage_type", "subscription_id"]).any()
    assert_owned_overage_is_on_the_owners_row(frame, tenant)

"""Run-rate forecast to each subscription's term end, with a band from the last months.

History (priced tenant of test_costs): agents at the peak A/B = 9/14 in January, 12/16 in
February, 11/15 in March; Sub-B's AI Agent sessions 700, 1000, 900.
Run rate over 3 months: A 32/3 agents (band 9–12), B 15 (14–16); B's AI 2600/3 (700–1000).
Projected agents overage = pooled usage − 25, billed to the primary A at 150.00:
mid (32/3 + 15 − 25) × 150 = 100.00; low 0 (9 + 14 < 25); high (12 + 16 − 25) × 150 = 450.00.
AI Agent stays inside the pooled 1500 sessions in every scenario.
"""

import pandas as pd
import pytest
from test_costs import priced_subscription, priced_tenant

from builders import D, usage
from toolkit import Tenant, allocate
from toolkit.forecast import FORECAST_COLUMNS, forecast

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
    assert (a.usage_low, a.usage, a.usage_high) == pytest.approx((9, 32 / 3, 12))
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

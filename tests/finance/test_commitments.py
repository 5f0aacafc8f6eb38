"""Commitments and unused committed cost (T3, P6), hand-computed.

March 2025, the priced tenant of ``test_costs`` plus Sub-C (Ops, WFO 10 × 40.00):

| | Sub-A (Sales) | Sub-B (Support) | pool |
|---|---|---|---|
| cc_standard_agent, entitled | 10 × 100.00 | 15 × 90.00 | 25 |
| agents at the tenant's peak | 8 | 12 | 20 → 5 unused |
| ai_agent, entitled | 1000 × 0.50 | 500 × 0.55 | 1500 |
| AI Agent sessions | 400 | 200 | 600 → 900 unused |

Pooled types share the pool's unused entitlement by entitlement share: agents A 5 × 10/25 = 2
(× 100.00 = 200.00), B 3 (× 90.00 = 270.00); AI Agent A 900 × 1000/1500 = 600 (× 0.50 =
300.00), B 300 (× 0.55 = 165.00). WFO is measured on its own subscription: 7 named users of 10,
3 × 40.00 = 120.00. Unused per department: Sales 500.00, Support 435.00, Ops 120.00.

Terms: A 2024-01-01..2026-01-01 (24 months), B 2024-06-01..2026-06-01 (24), C 2025-01-01..
2026-01-01 (12). Projection from March (the only period) at its run rate: A's agents 8 used +
8 × 9 months (April–December) = 80 of 240; B's 12 + 12 × 14 = 180 of 360.
"""

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from builders import ops_wfo_tenant, usage
from toolkit import allocate, chargeback, commitments
from toolkit.finance.commitments import line_usage, renewal_candidates
from toolkit.finance.money import to_cents

tenant = ops_wfo_tenant


def march() -> pd.DataFrame:
    wfo = [("2025-03-05T10:00", "wfo", 1, "Sub-C", f"u{i}") for i in range(7)]
    return usage(
        ("2025-03-10T10:00", "cc_standard_agent", 8, "Sub-A"),
        ("2025-03-10T10:00", "cc_standard_agent", 12, "Sub-B"),
        ("2025-03-12T09:00", "ai_agent", 400, "Sub-A"),
        ("2025-03-13T09:00", "ai_agent", 200, "Sub-B"),
        *wfo)


def test_commitments_per_line_hand_computed():
    t = tenant()
    result = commitments(t, allocate(t, march()))
    assert list(result.columns) == ["subscription_id", "department", "usage_type",
                                    "line_start", "line_end", "committed_unit_months",
                                    "used_unit_months", "projected_unit_months", "unused_cost"]
    rows = result.set_index(["subscription_id", "usage_type"])
    assert rows.loc[("Sub-A", "cc_standard_agent")][
        ["committed_unit_months", "used_unit_months", "projected_unit_months",
         "unused_cost"]].tolist() == [240.0, 8.0, 80.0, 200.0]
    assert rows.loc[("Sub-B", "cc_standard_agent")][
        ["committed_unit_months", "used_unit_months", "projected_unit_months",
         "unused_cost"]].tolist() == [360.0, 12.0, 180.0, 270.0]
    assert rows.loc[("Sub-A", "ai_agent"), "unused_cost"] == 300.0
    assert rows.loc[("Sub-B", "ai_agent"), "unused_cost"] == 165.0
    assert rows.loc[("Sub-C", "wfo")][["committed_unit_months", "used_unit_months",
                                       "unused_cost"]].tolist() == [120.0, 7.0, 120.0]
    assert str(rows.loc[("Sub-C", "wfo"), "line_end"]) == "2026-01-01"


def test_chargeback_unused_cost_is_part_of_committed_cost():
    t = tenant()
    allocation = allocate(t, march())
    for method in ("billed", "caused"):
        result = chargeback(allocation, t, method).set_index("department")
        assert result["unused_cost"].to_dict() == {"Ops": 120.0, "Sales": 500.0,
                                                   "Support": 435.0}
        assert result.loc["Sales", "committed_cost"] == 1500.0
        assert (result["total_cost"] == result["committed_cost"] + result["overage_cost"]).all()


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 40), st.integers(0, 40), st.integers(0, 3000), st.integers(0, 3000),
       st.integers(0, 12))
def test_used_plus_unused_is_committed(agents_a, agents_b, ai_a, ai_b, wfo):
    t = tenant()
    rows = [("2025-03-10T10:00", "cc_standard_agent", agents_a, "Sub-A"),
            ("2025-03-10T10:00", "cc_standard_agent", agents_b, "Sub-B"),
            ("2025-03-12T09:00", "ai_agent", ai_a, "Sub-A"),
            ("2025-03-13T09:00", "ai_agent", ai_b, "Sub-B"),
            *[("2025-03-05T10:00", "wfo", 1, "Sub-C", f"u{i}") for i in range(wfo)]]
    allocation = allocate(t, usage(*rows))
    grid = line_usage(t, allocation)
    assert (grid["unused"] >= 0).all() and (grid["used"] >= -1e-9).all()
    assert ((grid["used"] + grid["unused"] - grid["entitlement"]).abs() < 1e-9).all()
    money = grid["used"] * grid["unit_price"] + grid["unused_cost"]
    assert ((money - grid["entitlement"] * grid["unit_price"]).abs() < 1e-6).all()
    # a pool inside its entitlement uses what it used; one above it leaves nothing unused
    agents = grid[grid["usage_type"] == "cc_standard_agent"]
    assert abs(agents["used"].sum() - min(25, agents_a + agents_b)) < 1e-9
    billed = chargeback(allocation, t)
    assert (to_cents(billed["unused_cost"]) <= to_cents(billed["committed_cost"])).all()


def test_renewal_candidates_are_lines_under_60_percent_all_year():
    t = tenant()
    months = pd.period_range("2025-01", "2025-12", freq="M")
    rows = []
    for month in months:
        day = f"{month}-10T10:00"
        rows += [(day, "cc_standard_agent", 10, "Sub-A"), (day, "cc_standard_agent", 14, "Sub-B")]
        users = 5 if str(month) != "2025-06" else 7  # 50% all year but June at 70%
        rows += [(day, "wfo", 1, "Sub-C", f"u{i}") for i in range(users)]
        rows.append((day, "ai_agent", 1400, "Sub-A"))
    candidates = renewal_candidates(t, allocate(t, usage(*rows)))
    # agents 24 of 25 and AI Agent 1400 of 1500 are used; WFO's June reached 70%
    assert candidates.empty
    rows = [row for row in rows if not (row[1] == "wfo" and row[0].startswith("2025-06")
                                        and row[4] in ("u5", "u6"))]
    candidates = renewal_candidates(t, allocate(t, usage(*rows)))
    assert candidates[["subscription_id", "usage_type"]].values.tolist() == [["Sub-C", "wfo"]]
    assert candidates["used_share"].tolist() == [0.5]

"""Department chargeback, billed and caused (P5), on the hand-computed month of
test_costs: committed Sales 1500.00, Support 1625.00; overage agents 450.00 and AI 160.00,
both owned by Sub-A (Sales).

caused: agents above own entitlement: Sales 12 − 10 = 2, Support 16 − 15 = 1 → 450.00 split
2 : 1 = 300.00 / 150.00. AI: Sales used 800 of 1000 (inside: pays none), Support 900 of 500
→ Support pays all 160.00.
"""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from builders import D, march_usage, priced_subscription, priced_tenant, usage
from toolkit import Tenant, allocate
from toolkit.finance.chargeback import CHARGEBACK_COLUMNS, METHODS, chargeback
from toolkit.finance.costs import costs
from toolkit.finance.money import to_cents


def figures(frame):
    return {row.department: (row.committed_cost, row.overage_cost, row.total_cost)
            for row in frame.itertuples()}


def test_billed_follows_the_invoice_the_owner_pays_the_overage():
    frame = chargeback(allocate(priced_tenant(), march_usage()), method="billed")
    assert list(frame.columns) == CHARGEBACK_COLUMNS
    assert frame["period"].astype(str).unique().tolist() == ["2025-03"]
    assert figures(frame) == {"Sales": (1500.00, 610.00, 2110.00),
                              "Support": (1625.00, 0.00, 1625.00)}


def test_caused_charges_the_departments_above_their_own_entitlement():
    frame = chargeback(allocate(priced_tenant(), march_usage()), method="caused")
    assert figures(frame) == {"Sales": (1500.00, 300.00, 1800.00),
                              "Support": (1625.00, 310.00, 1935.00)}


def test_both_views_have_the_same_total():
    result = allocate(priced_tenant(), march_usage())
    totals = {m: to_cents(chargeback(result, method=m)["total_cost"]).sum() for m in METHODS}
    assert totals == {"billed": 373500, "caused": 373500}


def test_an_uneven_caused_split_still_adds_up_to_the_cent():
    # Overage 1 agent × 100.00 caused by three departments 1 : 1 : 1 → 33.34 + 33.33 + 33.33.
    subs = tuple(priced_subscription(f"Sub-{n}", f"Dept {n}", D(2024, 1, n + 1), D(2026, 1, 1),
                                     ("cc_standard_agent", 1, 10.0, 100.0)) for n in range(3))
    t = Tenant("T", "EUR", subs)
    inside = usage(*(("2025-03-10T10:00", "cc_standard_agent", 1, f"Sub-{n}") for n in range(3)))
    assert chargeback(allocate(t, inside), method="caused")["overage_cost"].sum() == 0
    over = usage(*(("2025-03-10T10:00", "cc_standard_agent", 4 / 3, f"Sub-{n}")
                   for n in range(3)))
    frame = chargeback(allocate(t, over), method="caused")
    assert sorted(frame["overage_cost"].tolist()) == [33.33, 33.33, 33.34]
    assert to_cents(frame["overage_cost"]).sum() == 10000


def test_an_unknown_method_is_refused():
    with pytest.raises(ValueError, match="billed, caused"):
        chargeback(allocate(priced_tenant(), march_usage()), method="split")


@settings(max_examples=40, deadline=None)
@given(agents=st.lists(st.integers(0, 40), min_size=2, max_size=2),
       sessions=st.lists(st.integers(0, 3000), min_size=2, max_size=2))
def test_views_agree_per_period_and_inside_departments_pay_no_overage(agents, sessions):
    rows = [("2025-03-10T10:00", "cc_standard_agent", q, s)
            for q, s in zip(agents, ("Sub-A", "Sub-B"), strict=True)]
    rows += [("2025-03-12T09:00", "ai_agent", q, s)
             for q, s in zip(sessions, ("Sub-A", "Sub-B"), strict=True)]
    result = allocate(priced_tenant(), usage(*rows))
    table = costs(result)
    billed = chargeback(result, method="billed", table=table)
    caused = chargeback(result, method="caused", table=table)
    for frame in (billed, caused):
        assert (to_cents(frame["committed_cost"]) + to_cents(frame["overage_cost"])
                == to_cents(frame["total_cost"])).all()
    per_period = [to_cents(f.set_index("department")["total_cost"]).sum()
                  for f in (billed, caused)]
    assert per_period[0] == per_period[1] == to_cents(table["total_cost"]).sum()
    split = result.by_subscription.groupby(["department", "usage_type"])[
        ["usage", "entitlement"]].sum()
    above = (split["usage"] > split["entitlement"]).groupby("department").any()
    inside = above.index[~above]
    assert (caused.set_index("department").loc[inside, "overage_cost"] == 0).all()


@pytest.mark.parametrize("method", sorted(METHODS))
def test_an_allocation_without_usage_has_an_empty_chargeback_of_the_usual_types(method):
    full = chargeback(allocate(priced_tenant(), march_usage()), method=method)
    empty = chargeback(allocate(priced_tenant(), usage()), method=method)
    assert empty.empty and list(empty.columns) == CHARGEBACK_COLUMNS
    assert empty.dtypes.astype(str).tolist() == full.dtypes.astype(str).tolist() == [
        "period[M]", "str", "float64", "float64", "float64", "float64"]

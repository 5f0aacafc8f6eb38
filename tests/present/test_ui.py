"""The dashboards, driven headlessly: set a widget's value (observers fire synchronously) and
check what the callback produced: the selected rows, the tables, the charts, the costs."""

import datetime as dt
from dataclasses import replace

import pandas as pd
import pytest

from builders import D, cisco_agents_tenant, seed_tenant, usage
from toolkit.finance import whatif
from toolkit.present import ui


@pytest.fixture
def cisco_explorer():
    frame = usage(("2025-01-15T10:00", "cc_standard_agent", 12, "Sub-1"),
                  ("2025-01-15T10:00", "cc_standard_agent", 18, "Sub-2"),
                  ("2025-02-10T10:00", "cc_standard_agent", 10, "Sub-1"),
                  ("2025-02-10T10:00", "cc_standard_agent", 10, "Sub-2"),
                  ("2025-02-10T10:00", "ivr_port", 3, "Sub-1"))
    tenant = replace(cisco_agents_tenant(), overage_prices={"cc_standard_agent": 120.0,
                                                            "ivr_port": 48.0})
    return ui.explorer(tenant, frame)


MONEY = ["committed_cost", "overage_cost", "total_cost"]


def test_explorer_without_prices_shows_quantities_and_says_why_no_money():
    frame = usage(("2025-01-15T10:00", "cc_standard_agent", 30, "Sub-1"))
    e = ui.explorer(cisco_agents_tenant(), frame)
    assert e.selection[MONEY].isna().all().all()
    assert "peak of the monthly peaks 30 agents" in e.summary.value
    assert "Cost: no costs:" in e.summary.value and "cc_standard_agent" in e.summary.value


@pytest.fixture(scope="module")
def sample(sample_data):
    return sample_data


def test_explorer_starts_on_the_first_type_and_all_subscriptions(cisco_explorer):
    e = cisco_explorer
    assert e.usage_type.value == "cc_standard_agent"
    assert e.usage_type.options[0] == ("Contact Center Standard agent (cc_standard_agent)",
                                       "cc_standard_agent")
    assert e.subscription.value == ui.ALL
    assert e.periods.value == ("2025-01", "2025-02")
    assert e.selection[["subscription_id", "usage"]].values.tolist() == [
        ["Sub-1", 12], ["Sub-2", 18], ["Sub-1", 10], ["Sub-2", 10]]
    assert "Sub-1 (Dept Sub-1)" in e.split_view.value
    assert "Sub-2 (Dept Sub-2)" in e.split_view.value
    # Peaks are never added across months: 30 agents in January, not "50 agents".
    # Money: 10 + 15 agents at 1.00 per month committed; 5 agents over in January at 120.00.
    assert e.summary.value == (
        "<b>(all subscriptions)</b>, Contact Center Standard agent (cc_standard_agent), "
        "2025-01 to 2025-02: peak of the monthly peaks 30 agents (in 2025-01), entitlement 25 "
        "agents that period, overage owned in 1 of 2 periods, at most 5 agents. Cost: "
        "committed EUR 50.00, overage EUR 600.00, total EUR 650.00 (4 rows)")
    assert e.selection[MONEY].values.tolist() == [[10.0, 600.0, 610.0], [15.0, 0.0, 15.0],
                                                  [10.0, 0.0, 10.0], [15.0, 0.0, 15.0]]
    assert "total (EUR)" in e.table_view.value and "610.00" in e.table_view.value


def test_choosing_a_subscription_filters_table_and_chart(cisco_explorer):
    e = cisco_explorer
    pooled_before = e.pooled_view.value
    e.subscription.value = "Sub-2"
    assert e.selection[["period", "usage", "entitlement", "overage"]].astype(
        {"period": "str"}).values.tolist() == [["2025-01", 18, 15, 0], ["2025-02", 10, 15, 0]]
    assert "Sub-2" in e.table_view.value and "Sub-1" not in e.table_view.value
    assert "Sub-2 (Dept Sub-2)" in e.split_view.value
    assert "Sub-1 (Dept Sub-1)" not in e.split_view.value
    assert e.pooled_view.value == pooled_before  # pooled figures do not depend on it
    assert ("peak of the monthly peaks 18 agents (in 2025-01), entitlement 15 agents that "
            "period, no overage owned. Cost: committed EUR 30.00, overage EUR 0.00, total "
            "EUR 30.00 (2 rows)") in e.summary.value


def test_period_range_and_usage_type_redraw_everything(cisco_explorer):
    e = cisco_explorer
    e.periods.value = ("2025-02", "2025-02")
    assert e.selection["period"].astype("str").unique().tolist() == ["2025-02"]
    assert "overage (none)" in e.pooled_view.value
    e.usage_type.value = "ivr_port"
    assert e.selection[["subscription_id", "usage"]].values.tolist() == [["Sub-1", 3]]
    assert "IVR port (ivr_port): pooled usage vs pooled entitlement" in e.pooled_view.value
    assert "(concurrent IVR sessions)" in e.pooled_view.value
    assert e.table_view.value.count("</tr>") == 2  # the header and Sub-1's one row


def test_widgets_carry_stable_css_hooks(cisco_explorer):
    e = cisco_explorer
    assert "multisub-explorer" in e._dom_classes
    hooks = {w: f"multisub-{h}" for w, h in [
        (e.usage_type, "usage-type"), (e.subscription, "subscription"), (e.periods, "periods"),
        (e.pooled_view, "pooled-chart"), (e.split_view, "subscription-chart"),
        (e.table_view, "table")]}
    for widget, hook in hooks.items():
        assert hook in widget._dom_classes


def test_explorer_on_the_sample_matches_the_allocation(sample):
    e = ui.explorer(sample.tenant, sample.usage, sample.users)
    e.usage_type.value = "ai_agent"
    e.subscription.value = "Sub-1004"
    e.periods.value = ("2026-01", "2026-03")
    split = e.allocation.by_subscription
    expected = split[(split.usage_type == "ai_agent") & (split.subscription_id == "Sub-1004")
                     & (split.period >= pd.Period("2026-01", "M"))
                     & (split.period <= pd.Period("2026-03", "M"))]
    assert e.selection["usage"].tolist() == expected["usage"].tolist()
    assert len(e.selection) == 3


# --- what-if ---------------------------------------------------------------------------------

def priced_seed():
    return replace(seed_tenant(), overage_prices={"ai_agent": 2.0, "ai_assistant": 1.0,
                                                  "ivr_outbound_campaign": 0.5})


SEED_USAGE = usage(("2025-12-10T10:00", "ai_agent", 150, "Sub-A"),
                   ("2026-02-10T10:00", "ai_agent", 250, "Sub-B"),
                   ("2026-02-10T10:00", "ai_agent", 50, "Sub-C"),
                   ("2026-03-10T10:00", "ai_agent", 120, "Sub-B"))


@pytest.fixture
def seed_whatif():
    return ui.ownership_whatif(priced_seed(), SEED_USAGE, start="2025-06-01", end="2026-06-01")


def test_whatif_expire_shifts_ownership_and_costs(seed_whatif):
    w = seed_whatif
    w.subscription.value = "Sub-B"
    w.on.value = D(2026, 2, 1)
    assert w.after is not None and not w.after.subscription("Sub-B").active_on(D(2026, 2, 1))
    pd.testing.assert_frame_equal(w.shifts, whatif.ownership_shifts(w.tenant, w.after))
    # Feb: B (250) is cut off; C's 50 stays inside its 100. Before: 300 vs 200 → 100 × 2.0 to B.
    # B's committed cost: ai_agent 100 + ai_assistant 100 at 1.0, in February and March.
    costs = w.costs.set_index("department")
    assert costs.loc["Dept Sub-B", "before_cost"] == 2 * 200 + 100 * 2.0
    assert costs.loc["Dept Sub-B", "after_cost"] == 0.0
    assert costs.loc["Dept Sub-C", "change"] == 0.0
    # B's 250 (Feb) + 120 (Mar) ai_agent sessions still happen but find no subscription: they
    # are priced at the tenant's ai_agent overage price 2.0, never counted as a saving.
    assert w.uncovered.values.tolist() == [[pd.Period("2026-02", "M"), "ai_agent", 250.0, 2.0,
                                            500.0],
                                           [pd.Period("2026-03", "M"), "ai_agent", 120.0, 2.0,
                                            240.0]]
    assert costs.loc[whatif.UNCOVERED, ["before_cost", "after_cost", "change"]].tolist() == [
        0.0, 740.0, 740.0]
    assert costs.loc["total", "change"] == -600.0 + 740.0
    assert "Sub-B expires on 2026-02-01" in w.message.value
    assert "2 more usage rows than before would find no subscription" in w.message.value
    assert "EUR 740.00" in w.message.value and "not a saving" in w.message.value
    assert "Dept Sub-B" in w.cost_view.value and "ai_agent" in w.shifts_view.value


def test_whatif_costs_equal_a_full_compare(sample):
    w = ui.ownership_whatif(sample.tenant, sample.usage, sample.users, start="2024-01-01",
                            end="2028-07-01", as_of="2026-10-31")
    w.subscription.value = "Sub-1002"
    w.on.value = D(2026, 2, 1)
    full = whatif.compare(sample.tenant, w.after, sample.usage, sample.users)
    since = full.cost_change[full.cost_change["period"] >= pd.Period("2026-02", "M")]
    expected = since.groupby("department")[["before_cost", "after_cost", "change"]].sum()
    got = w.costs.set_index("department").drop(index=["total", whatif.UNCOVERED],
                                               errors="ignore")
    pd.testing.assert_frame_equal(got.round(2), expected.round(2), check_names=False)
    uncovered = w.uncovered["cost"].sum()
    assert w.costs.iloc[-1]["change"] == round(expected["change"].sum() + uncovered, 2)


def test_whatif_renew_that_overlaps_says_so(seed_whatif):
    w = seed_whatif
    w.action.value = "renew"
    w.subscription.value = "Sub-B"
    assert w.after is None
    assert "cannot be shown" in w.message.value and "overlap" in w.message.value
    assert w.after_view.value == ""
    assert (w.costs["change"] == 0).all()


def test_whatif_add_puts_a_new_subscription_in_the_after_timeline(seed_whatif):
    w = seed_whatif
    w.action.value = "add"
    w.subscription.value = "Sub-C"
    w.on.value = D(2025, 8, 1)
    added = w.after.subscription(whatif.WHATIF_ID)
    assert added.department == "Dept Sub-C"
    assert (added.terms[0].start, added.terms[0].end) == (D(2025, 8, 1), D(2026, 8, 1))
    assert "after: primary and overage owners" in w.after_view.value
    # It holds ivr_outbound_campaign from 2025-08-01, before Sub-C (2026-02-01): it owns it.
    outbound = w.shifts[w.shifts["usage_type"] == "ivr_outbound_campaign"]
    assert outbound["after_owner"].tolist()[0] == whatif.WHATIF_ID


def test_scenario_renew_copies_the_latest_term():
    tenant = priced_seed()
    after = whatif.scenario(tenant, "renew", "Sub-B", D(2027, 6, 1), months=24)
    terms = after.subscription("Sub-B").terms
    assert [(t.start, t.end) for t in terms] == [(D(2024, 6, 1), D(2027, 6, 1)),
                                                 (D(2027, 6, 1), D(2029, 6, 1))]
    assert [(ln.usage_type, ln.quantity) for ln in terms[1].lines] == [
        ("ai_agent", 100), ("ai_assistant", 100)]
    assert after.overage_owner("ai_agent", dt.date(2028, 7, 1)) == "Sub-B"
    with pytest.raises(ValueError, match="unknown what-if action"):
        whatif.scenario(tenant, "merge", "Sub-B", D(2027, 6, 1))


def test_cost_difference_adds_a_total_to_the_cent():
    period = pd.PeriodIndex(["2026-01", "2026-01", "2026-02"], freq="M")
    before = pd.DataFrame({"period": period, "department": ["A", "B", "A"],
                           "total_cost": [10.10, 20.20, 0.01]})
    after = pd.DataFrame({"period": period[:2], "department": ["A", "C"],
                          "total_cost": [5.05, 30.33]})
    got = whatif.cost_difference(before, after)
    assert got.values.tolist() == [["A", 10.11, 5.05, -5.06], ["B", 20.2, 0.0, -20.2],
                                   ["C", 0.0, 30.33, 30.33], ["total", 30.31, 35.38, 5.07]]


def test_whatif_that_leaves_an_owner_without_a_price_explains_instead_of_failing():
    from dataclasses import replace as swap

    from builders import seed_tenant

    seed = seed_tenant()
    priced_a = swap(seed.subscriptions[0], terms=tuple(
        swap(t, lines=tuple(swap(line, overage_price=2.0) for line in t.lines))
        for t in seed.subscriptions[0].terms))
    tenant = swap(seed, subscriptions=(priced_a, *seed.subscriptions[1:]))
    usage_b = usage(("2025-12-10T10:00", "ai_agent", 250, "Sub-B"))
    w = ui.ownership_whatif(tenant, usage_b, start="2025-06-01", end="2026-06-01")
    w.subscription.value = "Sub-A"
    w.on.value = D(2025, 12, 1)  # Sub-B now owns ai_agent overage, and has no overage price
    assert w.after is None and w.after_view.value == ""
    assert "cannot be shown" in w.message.value and "Sub-B" in w.message.value
    assert (w.costs["change"] == 0).all()


def test_explorer_refuses_empty_usage_with_a_clear_message():
    with pytest.raises(ValueError, match="nothing to explore"):
        ui.explorer(cisco_agents_tenant(), usage())


def test_whatif_expiring_the_primary_on_the_sample_is_not_a_saving(sample):
    """The issue's case: expiring Sub-1001 on 2026-04-01 once showed a saving of
    EUR 154,249.34 because its 1,787 usage rows became unallocated and were not priced."""
    w = ui.ownership_whatif(sample.tenant, sample.usage, sample.users, start="2024-01-01",
                            end="2028-07-01", as_of=sample.as_of())
    w.subscription.value = "Sub-1001"
    w.on.value = D(2026, 4, 1)
    costs = w.costs.set_index("department")
    # figures of the sample whose October agent usage is measured from its raw pages
    assert costs.loc[whatif.UNCOVERED, "after_cost"] == 188943.04
    assert costs.loc["total", "change"] == 33938.70
    # agents are priced by the month's peak, not by adding up samples
    october = w.uncovered[(w.uncovered["period"] == pd.Period("2026-10", "M"))
                          & (w.uncovered["usage_type"] == "cc_standard_agent")]
    assert october[["quantity", "cost"]].values.tolist() == [[78.0, 9360.0]]
    assert "4,995 more usage rows than before would find no subscription" in w.message.value


def test_shifts_table_names_types_and_keeps_explanations_whole(sample):
    from toolkit.explain import owner_changes_explained

    shifts = owner_changes_explained(sample.tenant, "2024-01-01", "2028-07-01")
    table = ui.shifts_table(sample.tenant, shifts).data
    assert table.count("</tr>") == len(shifts) + 1
    assert "<td>IVR outbound campaign (ivr_outbound_campaign)</td>" in table
    assert "<td>nobody</td>" in table  # the first owner of a type had no predecessor
    assert shifts["explanation"].iloc[1] in table  # whole, not cut


def test_explorer_summary_as_plain_text(cisco_explorer):
    text = cisco_explorer.summary_text(width=60)
    assert " ".join(text.split()).startswith(
        "(all subscriptions), Contact Center Standard agent (cc_standard_agent), 2025-01 to "
        "2025-02: peak of the monthly peaks 30 agents")
    assert max(map(len, text.splitlines())) <= 60 and "<b>" not in text


def test_whatif_defaults_to_the_as_of_day_of_the_data(seed_whatif):
    assert seed_whatif.as_of == D(2026, 3, 31)  # SEED_USAGE ends in March 2026
    assert "as of 2026-03-31" in seed_whatif.before_view.value

"""What-if transforms return new tenants; compare reports ownership shifts and cost changes.

Expiring Sub-A (the oldest) on 2025-03-15 in the priced tenant of test_costs makes Sub-B the
primary from that day, so every primary-owned type (agents, IVR ports, Webex Connect) and the
AI Agent first-holder ownership move from A to B. March costs by hand (billed view):
Sales pays A's 14 days: (10 × 100.00 + 1000 × 0.50) × 14/31 = 451.61 + 225.81 = 677.42.
Support: committed 1625.00; agents 28 − (10 × 14/31 + 15) = 8.4839 over × 140.00 = 1187.74;
AI 1700 − (1000 × 14/31 + 500) = 748.39 over × 0.85 = 636.13 → 3448.87.
"""

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from builders import (
    AI,
    D,
    march_usage,
    priced_subscription,
    priced_tenant,
    seed_tenant,
    subscription,
    tenant,
    term,
)
from toolkit import InputError, Line, Subscription, Term, allocate
from toolkit.finance.whatif import (
    add,
    change_quantity,
    checked,
    compare,
    expire,
    ownership_shifts,
    renew,
)

PRIMARY_TYPES = ("cc_standard_agent", "cc_premium_agent", "ivr_port", "webex_connect")


def test_expiring_the_oldest_moves_primary_owned_types_to_the_next_oldest_from_that_day():
    before = priced_tenant()
    after = expire(before, "Sub-A", D(2025, 3, 15))
    assert before.subscription("Sub-A").terms[0].end == D(2026, 1, 1)  # the original is intact
    for usage_type in PRIMARY_TYPES:
        assert before.overage_owner(usage_type, D(2025, 3, 14)) == "Sub-A"
        assert after.overage_owner(usage_type, D(2025, 3, 14)) == "Sub-A"
        assert after.overage_owner(usage_type, D(2025, 3, 15)) == "Sub-B"
    line_ends = {line.end for line in after.subscription("Sub-A").lines}
    assert line_ends == {D(2025, 3, 15)}


def test_compare_reports_the_shift_and_the_cost_change():
    before = priced_tenant()
    result = compare(before, expire(before, "Sub-A", D(2025, 3, 15)), march_usage())
    shifts = result.shifts.set_index("usage_type")
    for usage_type in ("(primary)", *PRIMARY_TYPES, "ai_agent"):
        row = shifts.loc[usage_type]
        assert (row.start, row.end, row.before_owner, row.after_owner) == (
            pd.Timestamp("2025-03-15"), pd.Timestamp("2026-01-01"), "Sub-A", "Sub-B"), usage_type
    assert "wfo" not in shifts.index  # per-subscription: no tenant-wide owner to shift
    change = result.cost_change.set_index("department")
    assert change.loc["Sales", ["before_cost", "after_cost", "change"]].tolist() == [
        2110.00, 677.42, -1432.58]
    assert change.loc["Support", ["before_cost", "after_cost", "change"]].tolist() == [
        1625.00, 3448.87, 1823.87]
    assert result.after.unallocated.empty  # the usage all falls before the 15th or on B


def test_a_renewal_keeps_seniority_and_takes_ownership_back():
    expired = expire(priced_tenant(), "Sub-A", D(2025, 3, 15))
    renewed = renew(expired, "Sub-A", D(2025, 6, 1), D(2027, 6, 1), [
        {"type": "cc_standard_agent", "quantity": 12, "unit_price": 95.0, "overage_price": 150.0},
    ])
    assert renewed.primary(D(2025, 5, 31)) == "Sub-B"
    assert renewed.primary(D(2025, 6, 1)) == "Sub-A"  # older first start than B
    shifts = compare(expired, renewed, march_usage()).shifts
    primary = shifts[shifts["usage_type"] == "(primary)"]
    assert primary["start"].tolist() == [pd.Timestamp("2025-06-01"), pd.Timestamp("2026-06-01")]
    assert primary["end"].tolist() == [pd.Timestamp("2026-06-01"), pd.Timestamp("2027-06-01")]
    assert primary["after_owner"].tolist() == ["Sub-A", "Sub-A"]
    assert primary["before_owner"].iloc[0] == "Sub-B"
    assert pd.isna(primary["before_owner"].iloc[1])  # after B ends there was no primary at all
    with pytest.raises(InputError) as error:
        renew(renewed, "Sub-A", D(2027, 1, 1), D(2028, 1, 1), [])
    assert str(error.value) == (
        "1 problem in the input:\n  - what-if tenant, Sub-A.terms[2], column 'start': found "
        "2027-01-01; expected terms of one subscription that do not overlap: terms[1] runs "
        "[2025-06-01, 2027-06-01) (a renewal is a new term starting on or after the end)")


def test_change_quantity_splits_the_line_and_keeps_history():
    changed = change_quantity(priced_tenant(), "Sub-B", "cc_standard_agent", 20, D(2025, 3, 16))
    lines = [ln for ln in changed.subscription("Sub-B").lines
             if ln.usage_type == "cc_standard_agent"]
    assert [(ln.start, ln.end, ln.quantity) for ln in lines] == [
        (D(2024, 6, 1), D(2025, 3, 16), 15), (D(2025, 3, 16), D(2026, 6, 1), 20.0)]
    # March entitlement 10 + 15 × 15/31 + 20 × 16/31 = 27.58: overage 0.42 instead of 3.
    pooled = allocate(changed, march_usage()).pooled.set_index("usage_type")
    assert pooled.loc["cc_standard_agent", "overage"] == pytest.approx(28 - (10 + 545 / 31))
    with pytest.raises(ValueError, match="no ivr_port line"):
        change_quantity(priced_tenant(), "Sub-B", "ivr_port", 3, D(2025, 3, 16))


def test_adding_a_subscription_and_its_guards():
    c = priced_subscription("Sub-C", "Claims", D(2025, 3, 1), D(2026, 3, 1),
                            ("cc_standard_agent", 5, 80.0, 120.0))
    bigger = add(priced_tenant(), c)
    assert [s.id for s in bigger.subscriptions] == ["Sub-A", "Sub-B", "Sub-C"]
    result = compare(priced_tenant(), bigger, march_usage())
    assert result.shifts.empty  # the newest subscription owns nothing
    change = result.cost_change.set_index("department")
    assert change.loc["Claims", "change"] == 400.00  # 5 × 80.00 committed
    assert change.loc["Sales", "change"] == -450.00  # 30 agents entitled now: no overage
    with pytest.raises(ValueError, match="already has"):
        add(bigger, c)
    with pytest.raises(InputError, match="inside the term"):
        renew(priced_tenant(), "Sub-A", D(2026, 1, 1), D(2027, 1, 1),
              [Line("ai_agent", 1, 1.0, D(2025, 1, 1), D(2027, 1, 1))])


def test_expiring_before_the_start_removes_the_subscription():
    gone = expire(priced_tenant(), "Sub-B", D(2024, 6, 1))
    assert [s.id for s in gone.subscriptions] == ["Sub-A"]


def test_shifts_in_the_seed_example_include_stretches_with_no_owner():
    # docs/rules.md §2: C (2026-02-01) holds outbound first; A adds outbound on renewal 2026-06-01.
    # Without C after 2026-03-01 nobody holds outbound until A's renewal, and after A's term
    # ends (2028-06-01) nobody does until C's would have ended (2029-02-01).
    before = seed_tenant()
    shifts = ownership_shifts(before, expire(before, "Sub-C", D(2026, 3, 1)))
    outbound = shifts[shifts["usage_type"] == "ivr_outbound_campaign"]
    assert outbound["start"].dt.date.tolist() == [D(2026, 3, 1), D(2026, 6, 1), D(2028, 6, 1)]
    assert outbound["end"].dt.date.tolist() == [D(2026, 6, 1), D(2028, 6, 1), D(2029, 2, 1)]
    assert outbound["before_owner"].tolist() == ["Sub-C"] * 3
    assert outbound["after_owner"].isna().tolist() == [True, False, True]
    assert outbound["after_owner"].iloc[1] == "Sub-A"
    primary = shifts[shifts["usage_type"] == "(primary)"]  # C was primary only after A and B
    assert primary[["start", "end"]].map(lambda x: x.date()).values.tolist() == [
        [D(2028, 6, 1), D(2029, 2, 1)]]


def problems_of(call) -> list[str]:
    """The problems (place, column, value, expected) an InputError lists, one string each."""
    with pytest.raises(InputError) as error:
        call()
    return [str(problem) for problem in error.value.problems]


def test_add_refuses_overlapping_terms_and_lines_outside_their_term_listing_both():
    bad = Subscription("Sub-C", "Claims", "concurrent", "flex", "cloud", (
        Term(D(2025, 1, 1), D(2026, 1, 1), (
            Line("cc_standard_agent", 5, 80.0, D(2024, 1, 1), D(2027, 1, 1), 120.0),)),
        Term(D(2025, 6, 1), D(2026, 6, 1), ())))
    assert problems_of(lambda: add(priced_tenant(), bad)) == [
        "what-if tenant, Sub-C.terms[1], column 'start': found 2025-06-01; expected terms of "
        "one subscription that do not overlap: terms[0] runs [2025-01-01, 2026-01-01) (a "
        "renewal is a new term starting on or after the end)",
        "what-if tenant, Sub-C.terms[0], column 'lines'; expected lines inside the term "
        "[2025-01-01, 2026-01-01); outside: lines[0]",
    ]


def test_add_refuses_an_unknown_usage_type_a_negative_quantity_and_no_terms():
    typo = priced_subscription("Sub-D", "Claims", D(2025, 1, 1), D(2026, 1, 1),
                               ("typo_agent", 5, 80.0, 120.0), ("ai_agent", -1, 0.5, 0.8))
    found = problems_of(lambda: add(priced_tenant(), typo))
    assert len(found) == 2
    assert found[0].startswith("what-if tenant, Sub-D.terms[0].lines[0], column 'type': found "
                               "'typo_agent'; expected a known usage type (ai_agent, ")
    assert found[1] == ("what-if tenant, Sub-D.terms[0].lines[1], column 'quantity': found "
                        "-1; expected a finite number from 0 to 10^12")
    empty = Subscription("Sub-E", "Claims", "concurrent", "flex", "cloud", ())
    assert problems_of(lambda: add(priced_tenant(), empty)) == [
        "what-if tenant, Sub-E, column 'terms': found []; expected at least one item"]


def test_change_quantity_refuses_a_negative_quantity():
    assert problems_of(lambda: change_quantity(
        priced_tenant(), "Sub-B", "cc_standard_agent", -5, D(2025, 3, 1))) == [
        "what-if tenant, Sub-B.terms[0].lines[1], column 'quantity': found -5.0; expected a "
        "finite number from 0 to 10^12"]


def test_renew_refuses_an_unknown_type_and_a_term_ending_before_it_starts():
    assert problems_of(lambda: renew(priced_tenant(), "Sub-A", D(2027, 1, 1), D(2026, 6, 1), [
        {"type": "typo_agent", "quantity": 1, "unit_price": 1.0}])) == [
        "what-if tenant, Sub-A.terms[1], column 'end': found 2026-06-01; expected an end "
        "after start 2027-01-01, found end 2026-06-01",
        "what-if tenant, Sub-A.terms[1].lines[0], column 'type': found 'typo_agent'; expected "
        "a known usage type (ai_agent, ai_assistant, cc_premium_agent, cc_standard_agent, "
        "ivr_outbound_campaign, ivr_port, webex_connect, wfo)",
    ]


def test_a_valid_tenant_passes_the_check_unchanged():
    t = priced_tenant()
    assert checked(t) is t


OWNED_TYPES = (*PRIMARY_TYPES, *AI, "ivr_outbound_campaign")
START = D(2024, 1, 1)


@st.composite
def random_tenant(draw):
    """Up to three subscriptions of one or two terms each, holding random owned types."""
    subs = []
    for name in ("Sub-A", "Sub-B", "Sub-C")[:draw(st.integers(1, 3))]:
        terms, day = [], draw(st.integers(0, 400))
        for _ in range(draw(st.integers(1, 2))):
            length = draw(st.integers(30, 700))
            types = draw(st.sets(st.sampled_from(OWNED_TYPES), max_size=3))
            begin, end = START + dt.timedelta(days=day), START + dt.timedelta(days=day + length)
            terms.append(term(begin, end, *((t, 1) for t in sorted(types))))
            day += length + draw(st.integers(0, 200))
        subs.append(subscription(name, *terms))
    return tenant(*subs)


@settings(max_examples=30, deadline=None)
@given(before=random_tenant(), cut=st.integers(0, 1500), which=st.integers(0, 2))
def test_shifts_cover_exactly_the_days_on_which_the_owners_differ(before, cut, which):
    """Checked day by day against the tenants' own point queries, around every change."""
    sub = before.subscriptions[which % len(before.subscriptions)]
    after = expire(before, sub.id, START + dt.timedelta(days=cut))
    shifts = ownership_shifts(before, after)
    days = {d for t in (before, after) for s in t.subscriptions for tm in s.terms
            for ln in (tm, *tm.lines) for d in (ln.start, ln.end)}
    days |= {d - dt.timedelta(days=1) for d in days}
    for key in ("(primary)", *OWNED_TYPES):
        rows = shifts[shifts["usage_type"] == key]
        for day in sorted(days):
            if key == "(primary)":
                owners = (before.primary(day), after.primary(day))
            else:
                owners = (before.overage_owner(key, day), after.overage_owner(key, day))
            stamp = pd.Timestamp(day)
            inside = rows[(rows["start"] <= stamp)
                          & (rows["end"].isna() | (stamp < rows["end"]))]
            if owners[0] == owners[1]:
                assert inside.empty, (key, day)
            else:
                assert len(inside) == 1, (key, day)
                shown = [None if pd.isna(v) else v
                         for v in inside[["before_owner", "after_owner"]].iloc[0]]
                assert tuple(shown) == owners, (key, day)


# --- usage a scenario leaves without a subscription ------------------------------------------

def _left_over(rows, tenant_, license_model="concurrent"):
    """An Allocation whose only content is its unallocated rows (what uncovered_usage reads)."""
    from toolkit.allocation import Allocation

    frame = pd.DataFrame(rows, columns=["timestamp", "period", "usage_type", "user_id",
                                        "quantity"])
    frame["period"] = pd.PeriodIndex(frame["period"], freq="M")
    frame["timestamp"] = pd.to_datetime(frame["timestamp"])
    return Allocation(pd.DataFrame(), pd.DataFrame(), frame, tenant_, "M", license_model)


def test_uncovered_usage_is_measured_by_each_types_measure_and_priced():
    from dataclasses import replace

    from toolkit.finance.whatif import uncovered_usage

    priced = replace(seed_tenant(), overage_prices={"cc_standard_agent": 120.0, "wfo": 55.0,
                                                    "ai_agent": 0.5})
    before = _left_over([("2026-03-02T10:00", "2026-03", "ai_agent", None, 10.0)], priced)
    after = _left_over([
        # agents: 30 + 12 at 10:00 is the peak (42), never 30 + 12 + 20 = 62
        ("2026-03-02T10:00", "2026-03", "cc_standard_agent", None, 30.0),
        ("2026-03-02T10:00", "2026-03", "cc_standard_agent", None, 12.0),
        ("2026-03-02T11:00", "2026-03", "cc_standard_agent", None, 20.0),
        # WFO: distinct users, u1 counted once
        ("2026-03-02T10:00", "2026-03", "wfo", "u1", 1.0),
        ("2026-03-09T10:00", "2026-03", "wfo", "u1", 1.0),
        ("2026-03-09T10:00", "2026-03", "wfo", "u2", 1.0),
        # sessions add up; the 10 already unallocated before are not the scenario's doing
        ("2026-03-02T10:00", "2026-03", "ai_agent", None, 10.0),
        ("2026-03-05T10:00", "2026-03", "ai_agent", None, 25.0),
    ], priced)
    got = uncovered_usage(before, after, priced)
    assert got[["usage_type", "quantity", "overage_price", "cost"]].values.tolist() == [
        ["ai_agent", 25.0, 0.5, 12.5], ["cc_standard_agent", 42.0, 120.0, 5040.0],
        ["wfo", 2.0, 55.0, 110.0]]
    assert uncovered_usage(after, after, priced).empty


def test_uncovered_usage_without_a_tenant_price_is_an_input_error():
    from toolkit.finance.whatif import uncovered_usage

    tenant_ = seed_tenant()  # no overage_prices at all
    after = _left_over([("2026-03-02T10:00", "2026-03", "ai_agent", None, 5.0)], tenant_)
    empty = _left_over([], tenant_)
    with pytest.raises(InputError, match="ai_agent"):
        uncovered_usage(empty, after, tenant_)

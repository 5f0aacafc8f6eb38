"""P4a: several lines of one type in effect on the price day name one overage price.

Sub-A (Sales) holds AI Agent in 2026 on two lines: a base line of 100 sessions for the whole
year and a top-up of 50 from 15 March to year end. In April both are in effect: entitlement
150, usage 200 → 50 sessions of overage, owned by Sub-A (the only holder). The tenant's list
price for AI Agent is 5.00, so which price applies is visible in the money:

- top-up names no price, base names 2.00 → the top-up takes 2.00: overage 50 × 2.00 = 100.00
  (before P4a the latest-starting line, the top-up, won and its missing price fell back to the
  tenant's 5.00: 250.00);
- both name 2.00 → 100.00;
- base 2.00, top-up 3.00 → an input error naming Sub-A, ai_agent, 2026-03-15 to 2026-12-31
  (the days they overlap) and both prices.

Committed cost in April: 150 × 1.00 = 150.00 in every case.
"""

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from builders import D, usage
from toolkit import InputError, Line, Subscription, Tenant, Term, allocate
from toolkit.finance.costs import costs, overage_price
from toolkit.periods import day_number

YEAR = (D(2026, 1, 1), D(2027, 1, 1))
TOP_UP = (D(2026, 3, 15), D(2027, 1, 1))


def two_lines(base_price, top_up_price, top_up_first=False) -> Tenant:
    base = Line("ai_agent", 100, 1.0, *YEAR, base_price)
    top_up = Line("ai_agent", 50, 1.0, *TOP_UP, top_up_price)
    lines = (top_up, base) if top_up_first else (base, top_up)
    sub = Subscription("Sub-A", "Sales", "concurrent", "flex", "cloud", (Term(*YEAR, lines),))
    return Tenant("Lines", "EUR", (sub,), overage_prices={"ai_agent": 5.0})


APRIL = usage(("2026-04-10 10:00", "ai_agent", 200, "Sub-A"))


def april(tenant: Tenant):
    table = costs(allocate(tenant, APRIL))
    assert len(table) == 1
    return table.iloc[0]


@pytest.mark.parametrize("top_up_first", [False, True])
def test_a_line_naming_no_price_takes_its_priced_sibling(top_up_first):
    row = april(two_lines(2.0, None, top_up_first))
    assert (row["entitlement"], row["usage"], row["overage"]) == (150.0, 200.0, 50.0)
    assert row["overage_price"] == 2.0 and row["price_source"] == "owner line"
    assert (row["committed_cost"], row["overage_cost"], row["total_cost"]) == (150.0, 100.0,
                                                                              250.0)


def test_lines_naming_the_same_price_agree():
    row = april(two_lines(2.0, 2.0))
    assert (row["overage_price"], row["overage_cost"]) == (2.0, 100.0)


def test_no_line_names_a_price_the_tenant_list_applies():
    row = april(two_lines(None, None))
    assert (row["overage_price"], row["price_source"], row["overage_cost"]) == (
        5.0, "tenant", 250.0)


def test_different_prices_are_an_input_error_naming_everything():
    with pytest.raises(InputError) as caught:
        april(two_lines(2.0, 3.0))
    [problem] = caught.value.problems
    message = str(caught.value)
    assert problem.where == "subscription Sub-A" and problem.column == "overage_price"
    assert problem.value == "2 and 3"
    for part in ("ai_agent", "from 2026-03-15 to 2026-12-31", "2 on the line 2026-01-01 to "
                 "2026-12-31", "3 on the line 2026-03-15 to 2026-12-31"):
        assert part in message


def test_before_the_top_up_only_the_base_line_is_in_effect():
    """In February the top-up has not started: its different price is not in effect, so the
    base line's price applies and nothing conflicts."""
    tenant = two_lines(2.0, 3.0)
    price = overage_price(tenant, "Sub-A", "ai_agent", day_number(D(2026, 2, 1)),
                          day_number(D(2026, 3, 1)))
    assert price == (2.0, "owner line")


def test_every_conflict_is_reported_at_once():
    """Two months priced, one conflict each time: the problem is listed once (same lines,
    same days), and the public lookup raises it too."""
    tenant = two_lines(2.0, 3.0)
    both = usage(("2026-04-10 10:00", "ai_agent", 200, "Sub-A"),
                 ("2026-05-10 10:00", "ai_agent", 200, "Sub-A"))
    with pytest.raises(InputError) as caught:
        costs(allocate(tenant, both))
    assert len(caught.value.problems) == 1
    with pytest.raises(InputError):
        overage_price(tenant, "Sub-A", "ai_agent", day_number(D(2026, 4, 1)),
                      day_number(D(2026, 5, 1)))


@settings(max_examples=40, deadline=None)
@given(st.sampled_from([None, 0.5, 2.0, 7.25]), st.sampled_from([None, 0.5, 2.0, 7.25]),
       st.booleans(), st.integers(151, 5000))
def test_the_order_of_the_lines_never_changes_the_price(base, top_up, top_up_first, used):
    """Whatever the order in the tenant file: one price when the named ones agree, an error
    when they differ; the overage cost is overage × that price."""
    frame = usage(("2026-04-10 10:00", "ai_agent", used, "Sub-A"))
    named = {p for p in (base, top_up) if p is not None}
    tenant = two_lines(base, top_up, top_up_first)
    if len(named) > 1:
        with pytest.raises(InputError):
            costs(allocate(tenant, frame))
        return
    row = costs(allocate(tenant, frame)).iloc[0]
    price = named.pop() if named else 5.0
    assert row["overage_price"] == price
    assert round(row["overage_cost"] * 100) == round((used - 150) * price * 100)


def rule_by_hand(tenant: Tenant, subscription_id: str, usage_type: str, start: int, end: int):
    """P4/P4a read literally for one cell: the oracle of the price cube."""
    spans = [(day_number(line.start), day_number(line.end), line)
             for line in tenant.subscription(subscription_id).lines
             if line.usage_type == usage_type and day_number(line.start) < end
             and day_number(line.end) > start]
    if spans:
        last_day = max(min(hi, end) - 1 for _, hi, _ in spans)
        named = {line.overage_price for lo, hi, line in spans
                 if lo <= last_day < hi and line.overage_price is not None}
        if len(named) > 1:
            return "conflict"
        if named:
            return named.pop(), "owner line"
    if usage_type in tenant.overage_prices:
        return tenant.overage_prices[usage_type], "tenant"
    return None, ""


LINE_DAYS = st.tuples(st.integers(0, 120), st.integers(1, 90))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["ai_agent", "wfo"]), LINE_DAYS,
                          st.sampled_from([None, 0.5, 2.0, 7.25])), min_size=1, max_size=6),
       st.sampled_from([{}, {"ai_agent": 5.0}, {"ai_agent": 5.0, "wfo": 0.25}]),
       st.lists(LINE_DAYS, min_size=1, max_size=5))
def test_the_price_cube_is_the_rule_cell_by_cell(lines, tenant_prices, periods):
    """Overlapping lines, gaps, lines starting after or ending before a period, priced or not:
    every cell of the cube (and the public one-cell lookup) is what the rule says."""
    from toolkit.finance.costs import SOURCES, _Prices

    start = D(2026, 1, 1)
    built = tuple(Line(t, 10, 1.0, start + dt.timedelta(lo), start + dt.timedelta(lo + n), p)
                  for t, (lo, n), p in lines)
    term = Term(start, start + dt.timedelta(max(lo + n for _, (lo, n), _ in lines)), built)
    tenant = Tenant("Cube", "EUR", (Subscription("Sub-A", "Sales", "concurrent", "flex",
                                                 "cloud", (term,)),),
                    overage_prices=tenant_prices)
    names = ["ai_agent", "wfo"]
    first = day_number(start)
    starts = np.array([first + lo for lo, _ in periods])
    ends = starts + np.array([n for _, n in periods])
    cube = _Prices([(names.index(line.usage_type), 0, line) for line in built],
                   [tenant_prices.get(name, np.nan) for name in names], starts, ends,
                   (len(periods), 2, 1))
    for p, (lo, hi) in enumerate(zip(starts.tolist(), ends.tolist(), strict=True)):
        for t, name in enumerate(names):
            expected = rule_by_hand(tenant, "Sub-A", name, lo, hi)
            if expected == "conflict":
                assert cube.conflict[p, t, 0]
                with pytest.raises(InputError):
                    overage_price(tenant, "Sub-A", name, lo, hi)
                continue
            price = cube.price[p, t, 0]
            assert (None if np.isnan(price) else price,
                    SOURCES[cube.source[p, t, 0]]) == expected
            assert not cube.conflict[p, t, 0]
            assert overage_price(tenant, "Sub-A", name, lo, hi) == expected

"""Cents: exact amounts rounded half away from zero, and largest-remainder splits that add up
exactly (P4)."""

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from toolkit.finance.money import (
    exact,
    from_cents,
    largest_remainder,
    round_half_away,
    round_nested,
    round_parts,
    to_cents,
)


def test_rounding_is_half_away_from_zero_despite_binary_noise():
    # 1.005 and 2.675 are stored just below the half cent; a finance tool must still round up.
    assert to_cents([1.005, 2.675, 0.125, -1.005, 0.004]).tolist() == [101, 268, 13, -101, 0]
    assert from_cents([1999, -5]).tolist() == [19.99, -0.05]
    assert [round_half_away(exact(v)) for v in (1.005, 2.675, -1.005, 0.004)] == [101, 268,
                                                                               -101, 0]


def test_a_float_is_read_as_the_decimal_a_person_wrote():
    assert exact(1.0005) == Fraction(10005, 10000)
    assert exact(3) == 3 and exact(Fraction(1, 3)) == Fraction(1, 3)


def test_spare_cents_go_to_the_largest_remainders_ties_to_the_earlier_part():
    third = Fraction(1, 3)
    assert largest_remainder([third, third, third], 100) == [34, 33, 33]
    assert round_parts([Fraction(1, 300)] * 3) == [1, 0, 0]  # a third of a cent each
    assert round_parts([0.005, 0.005, 0.005]) == [1, 1, 0]  # 0.015 rounds to 0.02


def test_a_total_out_of_reach_of_rounding_down_or_up_is_refused():
    with pytest.raises(ValueError, match="cannot be reached"):
        largest_remainder([0.5, 0.5], 300)


def test_nested_rounding_keeps_periods_and_departments_exact():
    # period 1: departments A (0.333 + 0.333) and B (0.334); period 2: A alone (1.005)
    cents = round_nested([0.333, 0.333, 0.334, 1.005], ["p1", "p1", "p1", "p2"],
                         ["A", "A", "B", "A"])
    assert cents.tolist() == [34, 33, 33, 101]
    assert cents[:3].sum() == 100 and cents[3] == 101


amounts = st.lists(st.decimals(0, 10**6, places=4, allow_nan=False, allow_infinity=False),
                   min_size=1, max_size=20)


@settings(max_examples=100, deadline=None)
@given(values=amounts, data=st.data())
def test_each_part_is_its_exact_cents_rounded_down_or_up_and_parts_add_up(values, data):
    outer = data.draw(st.lists(st.sampled_from("xy"), min_size=len(values),
                               max_size=len(values)))
    inner = data.draw(st.lists(st.sampled_from("abc"), min_size=len(values),
                               max_size=len(values)))
    fractions = [Fraction(v) for v in values]
    cents = round_nested(fractions, outer, inner)
    for value, part in zip(fractions, cents, strict=True):
        assert value * 100 - 1 < part < value * 100 + 1
    for period in set(outer):
        members = [i for i, o in enumerate(outer) if o == period]
        exact_total = sum((fractions[i] for i in members), Fraction(0))
        assert sum(cents[i] for i in members) == round_half_away(exact_total)
        for department in set(inner[i] for i in members):
            mine = [i for i in members if inner[i] == department]
            exact_cents = sum((fractions[i] for i in mine), Fraction(0)) * 100
            assert exact_cents - 1 < sum(cents[i] for i in mine) < exact_cents + 1

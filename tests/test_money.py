"""Cents: rounding half away from zero, and largest-remainder splits that add up exactly."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from toolkit.finance.money import (
    cents_of,
    from_cents,
    round_to_total,
    split_amount,
    split_cents,
    to_cents,
)


def test_rounding_is_half_away_from_zero_despite_binary_noise():
    # 1.005 and 2.675 are stored just below the half cent; a finance tool must still round up.
    assert to_cents([1.005, 2.675, 0.125, -1.005, 0.004]).tolist() == [101, 268, 13, -101, 0]
    assert cents_of(19.99) == 1999
    assert from_cents([1999, -5]).tolist() == [19.99, -0.05]


def test_a_split_that_does_not_divide_evenly_gives_the_spare_cents_to_the_largest_remainders():
    assert split_cents(100, [1, 1, 1]).tolist() == [34, 33, 33]
    assert split_cents(-100, [1, 1, 1]).tolist() == [-34, -33, -33]
    assert split_cents(1000, [2, 1, 0]).tolist() == [667, 333, 0]
    assert split_amount(10.00, [1, 2]).tolist() == [3.33, 6.67]
    assert split_cents(0, [0, 0]).tolist() == [0, 0]


def test_a_split_refuses_weights_it_cannot_use():
    with pytest.raises(ValueError, match="all zero"):
        split_cents(5, [0, 0])
    with pytest.raises(ValueError, match="non-negative"):
        split_cents(5, [1, -1])


def test_rounding_to_total_keeps_each_group_equal_to_its_rounded_sum():
    parts = round_to_total([0.333, 0.333, 0.334, 1.005, 2.0], groups=["a", "a", "a", "b", "b"])
    assert parts.tolist() == [33, 33, 34, 101, 200]


weights = st.lists(st.floats(0, 1e6, allow_nan=False), min_size=1, max_size=12).filter(
    lambda w: sum(w) > 0)


@settings(max_examples=100, deadline=None)
@given(total=st.integers(-10**9, 10**9), weights=weights)
def test_split_parts_always_add_up_to_the_whole(total, weights):
    parts = split_cents(total, weights)
    assert parts.sum() == total
    exact = abs(total) * np.asarray(weights) / sum(weights)
    assert (np.abs(np.abs(parts) - exact) < 1 + 1e-6).all()  # each part within a cent of its share
    assert ((np.sign(parts) == np.sign(total)) | (parts == 0)).all()


@settings(max_examples=100, deadline=None)
@given(amounts=st.lists(st.floats(0, 1e5, allow_nan=False), min_size=1, max_size=30),
       data=st.data())
def test_group_rounding_adds_up_to_each_rounded_group_total(amounts, data):
    groups = data.draw(st.lists(st.sampled_from("xyz"), min_size=len(amounts),
                                max_size=len(amounts)))
    parts = round_to_total(amounts, groups)
    for group in set(groups):
        members = [i for i, g in enumerate(groups) if g == group]
        assert parts[members].sum() == cents_of(sum(amounts[i] for i in members))
    assert (np.abs(parts - np.asarray(amounts) * 100) < 1 + 1e-6).all()

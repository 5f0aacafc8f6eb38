"""Exact money at integer speed (issue 22): the scaled-integer kernels give every figure the
Fraction path gave, to the cent, on generated tenants (odd decimals, fractional and pro-rata
usage, line and tenant overage prices, pooled, per-subscription and webex_connect types), and
the kernels themselves are exact at the edges (half cents, ties, values beyond int64)."""

from __future__ import annotations

import datetime as dt
from contextlib import ExitStack
from fractions import Fraction
from unittest import mock

import money_reference as reference
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from builders import usage
from toolkit import allocate
from toolkit.finance import chargeback as chargeback_module
from toolkit.finance import focus as focus_module
from toolkit.finance import forecast as forecast_module
from toolkit.finance.chargeback import chargeback
from toolkit.finance.costs import costs, exact_costs
from toolkit.finance.focus import focus_table
from toolkit.finance.forecast import forecast
from toolkit.finance.money import (
    decimals,
    group_sum,
    quotients,
    round_nested,
    round_scaled,
)
from toolkit.model import Line, Subscription, Tenant, Term

D = dt.date

START = dt.date(2025, 1, 1)
DAYS = 150
TYPES = ("ai_agent", "cc_standard_agent", "webex_connect", "wfo")
#: Prices and quantities as people write them, and as code computes them (p / 3).
PRICES = st.one_of(st.integers(0, 100_000).map(lambda n: n / 100),
                   st.integers(1, 10**7).map(lambda n: n / 10_000),
                   st.integers(1, 999).map(lambda n: n / 3))
QUANTITIES = st.one_of(st.integers(0, 60).map(float), st.integers(0, 600).map(lambda n: n / 4))


@st.composite
def tenants_and_usage(draw):
    n = draw(st.integers(1, 4))
    departments = draw(st.lists(st.sampled_from(["Ops", "Sales", "Support"]), min_size=n,
                                max_size=n))
    subs = []
    for i in range(n):
        lo = draw(st.integers(0, DAYS - 10))
        hi = draw(st.integers(lo + 1, DAYS + 30))
        start, end = START + dt.timedelta(lo), START + dt.timedelta(hi)
        cut = start + dt.timedelta(draw(st.integers(1, max(1, hi - lo))))
        lines = []
        for t in draw(st.lists(st.sampled_from(TYPES), min_size=1, max_size=3, unique=True)):
            price = draw(PRICES)
            over = draw(st.one_of(st.none(), PRICES))
            lines.append(Line(t, draw(QUANTITIES), price, start, min(cut, end), over))
            if cut < end:
                lines.append(Line(t, draw(QUANTITIES), draw(PRICES), cut, end,
                                  draw(st.one_of(st.none(), PRICES))))
        subs.append(Subscription(f"Sub-{i}", departments[i], "concurrent", "flex", "cloud",
                                 (Term(start, end, tuple(lines)),)))
    prices = {t: draw(PRICES) for t in TYPES}
    tenant = Tenant("T", "EUR", tuple(subs), overage_prices=prices)
    quantity = st.one_of(st.integers(0, 40), st.integers(0, 400).map(lambda q: q / 8))
    rows = [
        ((START + dt.timedelta(draw(st.integers(0, DAYS - 1)))).isoformat() + "T10:00",
         draw(st.sampled_from(TYPES)), draw(quantity),
         draw(st.one_of(st.none(), st.sampled_from([s.id for s in subs]))))
        for _ in range(draw(st.integers(1, 25)))
    ]
    return tenant, usage(*rows)


def reference_chargeback(allocation, method):
    """The chargeback computed from the Fraction costs (and the Fraction caused split)."""
    table = reference.exact_costs(allocation)
    caused = {"caused": lambda t, tenant, a: reference.caused_cents(t, tenant)}
    with mock.patch.dict(chargeback_module.METHODS, caused):
        return chargeback(allocation, method=method, table=table)


def with_reference_costs(function, *args):
    """``function`` run with the Fraction costs wherever the finance modules price a table."""
    with ExitStack() as stack:
        for module in (forecast_module, focus_module):
            stack.enter_context(mock.patch.object(module, "costs", reference.costs))
        return function(*args)


EQUIVALENCE = settings(max_examples=60, deadline=None,
                       suppress_health_check=[HealthCheck.too_slow])


@EQUIVALENCE
@given(tenants_and_usage())
def test_every_output_frame_is_the_fraction_paths_to_the_cent(case):
    tenant, frame = case
    allocation = allocate(tenant, frame)
    pd.testing.assert_frame_equal(costs(allocation), reference.costs(allocation),
                                  check_exact=True)
    for method in ("billed", "caused"):
        pd.testing.assert_frame_equal(chargeback(allocation, method=method),
                                      reference_chargeback(allocation, method),
                                      check_exact=True)
    pd.testing.assert_frame_equal(focus_table(allocation),
                                  with_reference_costs(focus_table, allocation),
                                  check_exact=True)
    if not allocation.by_subscription.empty:
        as_of = allocation.by_subscription["period"].min()
        pd.testing.assert_frame_equal(forecast(allocation, as_of),
                                      with_reference_costs(forecast, allocation, as_of),
                                      check_exact=True)


@EQUIVALENCE
@given(tenants_and_usage())
def test_the_exact_columns_are_the_fractions(case):
    """Numerator over denominator is the Fraction path's exact amount, row by row."""
    tenant, frame = case
    allocation = allocate(tenant, frame)
    new, old = exact_costs(allocation), reference.exact_costs(allocation)
    for column in reference.EXACT_COLUMNS:
        got = [Fraction(int(n), int(d)) for n, d in
               zip(new[column], new["exact_denominator"], strict=True)]
        assert got == list(old[column]), column


def test_figures_that_need_nineteen_decimal_places_are_priced_beyond_int64():
    """Found by hypothesis: 0.125 AI Agent sessions on a day whose pooled entitlement (an
    18-day line and a one-day line, prorated over January) snaps to many decimals. The
    period's denominator is 31 days × 10**19, past int64: the price check used to raise
    OverflowError on it. Now it is a Python int and the figures are the Fraction path's."""
    def sub(n, start, end, *lines):
        return Subscription(f"Sub-{n}", "Ops", "concurrent", "flex", "cloud", (Term(
            D(*start), D(*end), tuple(Line(t, q, 0.0, D(*s), D(*e)) for t, q, s, e in lines)),))
    day = ((2025, 1, 1), (2025, 1, 2))
    tenant = Tenant("T", "EUR", (
        sub(0, *day, ("ai_agent", 0.0, *day)),
        sub(1, *day, ("ai_agent", 0.0, *day)),
        sub(2, (2025, 1, 2), (2025, 1, 3), ("ai_agent", 1.0, (2025, 1, 2), (2025, 1, 3))),
        sub(3, (2025, 1, 1), (2025, 1, 19), ("ai_agent", 0.0, *day),
            ("ai_agent", 2.0, (2025, 1, 2), (2025, 1, 19))),
    ), overage_prices={"ai_agent": 0.0})
    allocation = allocate(tenant, usage(("2025-01-01T10:00", "ai_agent", 0.125, None)))
    new, old = exact_costs(allocation), reference.exact_costs(allocation)
    assert int(new["exact_denominator"].iloc[0]) == 31 * 10**19
    for column in reference.EXACT_COLUMNS:
        assert [Fraction(int(n), int(d)) for n, d in zip(
            new[column], new["exact_denominator"], strict=True)] == list(old[column]), column


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 10**20)), min_size=1,
                max_size=30),
       st.lists(st.sampled_from("ab"), min_size=30, max_size=30),
       st.lists(st.sampled_from("xyz"), min_size=30, max_size=30),
       st.sampled_from([28, 31 * 10**3, 30 * 10**19]))
def test_round_scaled_is_round_nested_on_ints_and_beyond_int64(pairs, outer, inner, den):
    """Amounts n / den (den shared by an outer group, as the costs use it) round exactly as
    the Fraction rounding does, on int64 and on Python ints alike."""
    small = [n for n, _ in pairs]
    big = [b for _, b in pairs]
    for numerators in (small, big):
        if sum(numerators) * 100 // den >= 2**62:  # cents beyond int64: refused as above 10^12
            continue
        outer_labels, inner_labels = outer[:len(pairs)], inner[:len(pairs)]
        expected = reference.round_nested([Fraction(n, den) for n in numerators],
                                          outer_labels, inner_labels)
        got = round_scaled(np.array(numerators, dtype=object if max(numerators) > 2**62
                                    else np.int64), np.full(len(pairs), den, dtype=object),
                           outer_labels, inner_labels)
        assert got.tolist() == list(expected)
        assert got.tolist() == list(round_nested([Fraction(n, den) for n in numerators],
                                                 outer_labels, inner_labels))


def test_half_cents_round_away_and_ties_go_to_the_earlier_part():
    """Three parts of 0.005: the total 0.015 rounds to 2 cents, the first two parts get them;
    one label's two parts of 0.125 and 0.125: 0.25 exactly, 13 + 12 cents to the first."""
    assert round_scaled([5, 5, 5], [1000] * 3, ["p"] * 3, ["a", "b", "c"]).tolist() == [1, 1, 0]
    assert round_scaled([125, 125], [1000] * 2, ["p"] * 2, ["a", "a"]).tolist() == [13, 12]


@pytest.mark.parametrize(("values", "numerators", "places"), [
    ([1.0, 2.5, 0.01], [100, 250, 1], 2),
    ([1.0005, 3.0], [10005, 30000], 4),
    ([0.1 + 0.2], [30000000000000004], 17),  # the float as repr writes it, not 0.3
    ([10.0**12, 0.001], [10**15, 1], 3),  # beyond the shortcut: parsed, Python ints
])
def test_decimals_are_the_numbers_as_written(values, numerators, places):
    got, got_places = decimals(values)
    assert (got.tolist(), got_places) == (numerators, places)


def test_decimals_refuse_inf_and_nan():
    with pytest.raises(ValueError, match="finite"):
        decimals([1.0, float("nan")])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2**70), st.integers(0, 2**70)), min_size=1,
                max_size=20), st.sampled_from([2**20, 2**53 - 1, 2**53, 2**70]))
def test_quotients_are_pythons_correctly_rounded_division(pairs, cap):
    """Below 2**53 one float division, above it Python ints: the same float either way, 0.0
    for a zero denominator (a row with no entitlement has no unit price)."""
    pairs = [(n % (cap + 1), d % (cap + 1)) for n, d in pairs]
    expected = [n / d if d else 0.0 for n, d in pairs]
    small = all(max(n, d) < 2**53 for n, d in pairs)
    num = np.array([n for n, _ in pairs], dtype=np.int64 if small else object)
    den = np.array([d for _, d in pairs], dtype=np.int64 if small else object)
    assert quotients(num, den).tolist() == expected


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), st.integers(-(2**62), 2**62)), min_size=1,
                max_size=40))
def test_group_sum_is_exact_on_int64_and_python_ints(pairs):
    """Sums per group code equal Python's, whether they fit int64 or not (the bound picks)."""
    codes = np.unique([g for g, _ in pairs], return_inverse=True)[1]
    values = [v for _, v in pairs]
    expected = [sum(v for c, v in zip(codes, values, strict=True) if c == g)
                for g in range(codes.max() + 1)]
    for array in (np.array(values, dtype=np.int64), np.array(values, dtype=object)):
        assert [int(x) for x in group_sum(array, codes)] == expected

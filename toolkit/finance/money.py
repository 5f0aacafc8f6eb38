"""Money in integer cents: rounding, and splits whose parts add up exactly to the whole (P4).

A finance analyst reconciles every table against the invoice, so a department's share, a
subscription's line and the grand total must agree to the cent. Amounts are computed exactly
(the decimals the tenant file states; :func:`round_scaled` does it on integer numerators over
each period's denominator, at integer speed, and gives the cents the :class:`fractions.Fraction`
functions give), each period's total is
rounded half away from zero, and every split of it uses the largest-remainder (Hamilton)
method: each part gets the floor of its exact share, and the cents still missing go, one each,
to the parts with the largest fractional remainders (ties to the earlier part). The parts then
always add up to the rounded whole, never a cent more or less. Figures already in cents are
added up as integers (:func:`to_cents`, :func:`from_cents`).
"""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache

import numpy as np
import pandas as pd

CENTS = 100
#: Tolerance (in cents) that absorbs binary noise such as 1.005 * 100 = 100.49999999999999
#: before rounding half away from zero; far below a cent, far above float error.
_NOISE = 1e-6


def to_cents(amounts) -> np.ndarray:
    """Amounts in currency units → integer cents, rounded half away from zero."""
    values = np.asarray(amounts, dtype=np.float64) * CENTS
    return (np.sign(values) * np.floor(np.abs(values) + 0.5 + _NOISE)).astype(np.int64)


def from_cents(cents) -> np.ndarray:
    """Integer cents → currency units as floats with (at most) two decimals."""
    return np.asarray(cents, dtype=np.int64) / CENTS


# Exact money (P4). Amounts are :class:`fractions.Fraction`; a float input is read as the
# decimal a person wrote (``repr`` is the shortest decimal that round-trips), so 1.0005 is
# 10005/10000 and not the binary number just below it.


def exact(value) -> Fraction:
    """The decimal value of a number as written (a float's shortest round-trip decimal)."""
    if isinstance(value, Fraction):
        return value
    if isinstance(value, int | np.integer):
        return Fraction(int(value))
    return _decimal(float(value))


@lru_cache(maxsize=65536)
def _decimal(value: float) -> Fraction:
    """Prices, quantities and usage figures repeat a lot: parse each decimal once."""
    return Fraction(repr(value))


def round_half_away(amount: Fraction) -> int:
    """An exact amount in currency units → integer cents, rounded half away from zero."""
    cents = abs(amount) * CENTS
    whole = int(cents)  # floor of a non-negative fraction
    if cents - whole >= Fraction(1, 2):
        whole += 1
    return whole if amount >= 0 else -whole


def largest_remainder(amounts, total: int) -> list[int]:
    """Cents for non-negative exact amounts that add up to ``total`` cents.

    Each part is its exact cents rounded down, and the cents still missing go one each to the
    parts with the largest remainders (ties to the earlier part). ``total`` must lie between
    the sum of the floors and the sum of the ceilings, so every part ends rounded down or up.
    """
    cents = [exact(a) * CENTS for a in amounts]
    floors = [int(c) for c in cents]
    missing = total - sum(floors)
    if not 0 <= missing <= sum(1 for c, f in zip(cents, floors, strict=True) if c != f):
        raise ValueError(f"{total} cents cannot be reached by rounding {amounts} down or up")
    order = sorted(range(len(cents)), key=lambda i: (-(cents[i] - floors[i]), i))
    for i in order[:missing]:
        floors[i] += 1
    return floors


def round_parts(amounts) -> list[int]:
    """P4's rounding of one period: the exact total rounded half away from zero, shared out
    to the parts by :func:`largest_remainder`."""
    values = [exact(a) for a in amounts]
    return largest_remainder(values, round_half_away(sum(values, Fraction(0))))


def round_nested(amounts, outer, inner) -> np.ndarray:
    """Cents of each amount so that every ``outer`` group (a period) adds up to its exact
    total rounded half away from zero, every ``inner`` group inside it (a department) is its
    exact sum rounded down or up (largest remainder), and every amount is rounded down or up
    to reach its inner group's cents. ``outer`` and ``inner`` are labels, one per amount;
    ties between inner groups go to the smaller label, between amounts to the earlier one."""
    values = [exact(a) for a in amounts]
    result = np.zeros(len(values), dtype=np.int64)
    by_outer: dict = {}
    for i, (o, n) in enumerate(zip(outer, inner, strict=True)):
        by_outer.setdefault(o, {}).setdefault(n, []).append(i)
    for groups in by_outer.values():
        members = [groups[label] for label in sorted(groups)]  # ties: the earlier label
        sums = [sum((values[i] for i in m), Fraction(0)) for m in members]
        for m, group_cents in zip(members, round_parts(sums), strict=True):
            result[m] = largest_remainder([values[i] for i in m], group_cents)
    return result


# Exact money at integer speed. The same exact amounts as above, held as integer numerators
# over a denominator shared by every amount of a period (days of the period × a power of ten
# decided from the decimals the inputs state), so that sums are integer sums, comparisons of
# remainders are integer comparisons and each rounding is one integer division. Arrays are
# int64 while a bound proves every intermediate fits, else Python ints (object arrays).

#: Numerators stay int64 while their magnitude (times what a step multiplies them by) is
#: below this; beyond it the same arithmetic runs on Python ints.
INT64_SAFE = 2**62
#: A float has at most 15 significant decimal digits that identify it uniquely, so a scaled
#: value below this is the one decimal of that many places the float can stand for.
_UNIQUE = 10**15
_MAX_PLACES = 15


def int_array(values, bound: int) -> np.ndarray:
    """``values`` as int64 when ``bound`` (a proven ceiling of their magnitude) fits, else as
    Python ints in an object array: never an overflowed figure."""
    if bound < INT64_SAFE:
        return np.asarray(values, dtype=np.int64)
    if isinstance(values, np.ndarray):  # tolist: exact Python ints, never via floats
        items, shape = [int(v) for v in values.ravel().tolist()], values.shape
    else:  # a list: numpy would read ints between 2**63 and 2**64 as floats
        items, shape = [int(v) for v in values], (len(values),)
    array = np.empty(len(items), dtype=object)
    array[:] = items
    return array.reshape(shape)


def decimals(values) -> tuple[np.ndarray, int]:
    """Numbers as written → (integer numerators, places): ``value == numerator / 10**places``
    for every value, ``places`` the fewest that state them all (floats read as :func:`exact`).

    The scaled float is rounded to an integer and checked to divide back to the same float;
    below :data:`_UNIQUE` that integer is the only decimal of so many places that does, hence
    the decimal a person wrote. Values needing more digits are parsed one by one.
    """
    v = np.asarray(values, dtype=np.float64).ravel()
    if not np.isfinite(v).all():
        raise ValueError("exact money needs finite amounts (P4: inf and NaN are input errors)")
    for places in range(_MAX_PLACES + 1):
        scaled = np.rint(v * 10.0**places)
        if (np.abs(scaled) >= _UNIQUE).any():
            break
        if (scaled / 10.0**places == v).all():
            return scaled.astype(np.int64), places
    return _parsed_decimals(v)


def _parsed_decimals(v: np.ndarray) -> tuple[np.ndarray, int]:
    """:func:`decimals` for values beyond the float shortcut: each one's exact decimal."""
    fractions = [_decimal(float(x)) for x in v]
    places = max(_places(f.denominator) for f in fractions)
    numerators = [f.numerator * (10**places // f.denominator) for f in fractions]
    return int_array(numerators, max(abs(n) for n in numerators)), places


def _places(denominator: int) -> int:
    """Decimal places of a fraction whose denominator divides a power of ten."""
    places = 0
    while 10**places % denominator:
        places += 1
    return places


def rescale(numerators: np.ndarray, factor: int) -> np.ndarray:
    """``numerators × factor`` exactly: int64 while it fits, else Python ints."""
    if factor == 1:
        return numerators
    top = max_abs(numerators) * factor
    if numerators.dtype != object and top < INT64_SAFE and factor < INT64_SAFE:
        return numerators * np.int64(factor)
    return int_array(numerators, INT64_SAFE) * factor


def times(left, right) -> np.ndarray:
    """``left × right`` elementwise and exactly: int64 when the product's bound fits, else both
    operands as Python ints (a numpy integer inside an object array would wrap silently)."""
    left, right = _integers(left), _integers(right)
    if left.dtype != object and right.dtype != object and \
            max_abs(left) * max_abs(right) < INT64_SAFE:
        return left.astype(np.int64) * right.astype(np.int64)
    return int_array(left, INT64_SAFE) * int_array(right, INT64_SAFE)


def _integers(values) -> np.ndarray:
    """Integers as int64 or object arrays: numpy reads a Python int between 2**63 and 2**64
    as uint64, whose products with int64 are floats; such values become Python ints."""
    array = np.asarray(values)
    if array.dtype == object or array.dtype == np.int64:
        return array
    if array.dtype.kind in "iub" and max_abs(array) < INT64_SAFE:
        return array.astype(np.int64)
    return int_array(array, INT64_SAFE)


def max_abs(numerators) -> int:
    """The largest magnitude of integer numerators, as a Python int (0 when empty)."""
    array = np.asarray(numerators)
    if array.size == 0:
        return 0
    if array.dtype == object:
        return max(abs(int(x)) for x in array.ravel())
    return max(abs(int(array.max())), abs(int(array.min())))


#: Integers below this magnitude convert to floats exactly.
_FLOAT_EXACT = 2**53


def quotients(numerators, denominators) -> np.ndarray:
    """``numerators / denominators`` as floats, each the correctly rounded quotient (as
    Python's int division gives it), 0.0 where the denominator is 0.

    Integers below 2**53 are exact floats, so one IEEE division rounds correctly; larger ones
    are divided as Python ints.
    """
    num, den = np.asarray(numerators), np.asarray(denominators)
    if num.dtype != object and den.dtype != object and \
            max(max_abs(num), max_abs(den)) < _FLOAT_EXACT:
        return np.divide(num.astype(np.float64), den, out=np.zeros(len(num)), where=den != 0)
    return np.array([n / d if d else 0.0 for n, d in
                     zip(num.tolist(), den.tolist(), strict=True)], dtype=np.float64)


def round_scaled(numerators, denominators, outer, inner) -> np.ndarray:
    """:func:`round_nested` of the non-negative amounts ``numerators / denominators`` (one
    denominator per ``outer`` group), with integer arithmetic: the same cents, exactly.

    Per outer group the exact total (one division) is rounded half away from zero; its cents
    go to the inner groups by largest remainder (ties to the smaller label), and each inner
    group's cents to its amounts (ties to the earlier one).
    """
    num = np.asarray(numerators)
    den = np.asarray(denominators)
    if len(num) == 0:
        return np.zeros(0, dtype=np.int64)
    if (num < 0).any():
        raise ValueError("round_scaled shares out non-negative amounts")
    outer_codes = pd.factorize(np.asarray(outer), sort=True)[0]
    inner_codes = pd.factorize(np.asarray(inner), sort=True)[0]
    groups = pd.factorize(outer_codes.astype(np.int64) * (inner_codes.max() + 1)
                          + inner_codes, sort=True)[0]
    if num.dtype != object and max_abs(num) * len(num) * 2 * CENTS + max_abs(den) >= INT64_SAFE:
        num, den = int_array(num, INT64_SAFE), int_array(den, INT64_SAFE)
    group_num = group_sum(num, groups)
    first = first_of(groups)
    group_outer, group_den = outer_codes[first], den[first]
    outer_num = group_sum(group_num, group_outer)
    outer_den = group_den[first_of(group_outer)]
    outer_cents = (outer_num * (2 * CENTS) + outer_den) // (2 * outer_den)  # half away
    group_cents = _share_out(group_num, group_den, group_outer, outer_cents)
    return np.asarray(_share_out(num, den, groups, group_cents), dtype=np.int64)


def _share_out(num: np.ndarray, den: np.ndarray, groups: np.ndarray, totals) -> np.ndarray:
    """Largest remainder: each part's floor cents, plus one for the parts with the largest
    remainders of each group until the group reaches its ``totals`` cents (ties to the
    earlier part; parts are ordered so that an earlier one comes first)."""
    cents = num * CENTS
    floors, remainders = cents // den, cents % den
    missing = np.asarray(totals - group_sum(floors, groups))
    order = np.argsort(-remainders, kind="stable")
    order = order[np.argsort(groups[order], kind="stable")]
    starts = np.searchsorted(groups[order], groups[order], side="left")
    rank = np.empty(len(num), dtype=np.int64)
    rank[order] = np.arange(len(num)) - starts
    extra = rank < missing[groups].astype(np.int64)
    if ((missing < 0) | (group_sum(remainders > 0, groups) < missing)).any():
        raise ValueError("a total that rounding the parts down or up cannot reach")
    return floors + extra


def group_sum(values: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Exact sums of ``values`` per group code (codes 0..n-1): integers stay integers."""
    values = np.asarray(values)
    if values.dtype == bool:
        values = values.astype(np.int64)
    if values.dtype != object and max_abs(values) * len(values) >= INT64_SAFE:
        values = int_array(values, INT64_SAFE)
    if values.dtype == np.int64:  # the bound above: no sum can overflow
        sums = np.zeros(int(groups.max()) + 1 if len(groups) else 0, dtype=np.int64)
        np.add.at(sums, groups, values)
        return sums
    order = np.argsort(groups, kind="stable")
    sorted_groups = groups[order]
    starts = np.flatnonzero(np.r_[True, sorted_groups[1:] != sorted_groups[:-1]])
    return np.add.reduceat(values[order], starts)


def first_of(groups: np.ndarray) -> np.ndarray:
    """Index of each group code's first member (codes 0..n-1)."""
    return np.unique(groups, return_index=True)[1]

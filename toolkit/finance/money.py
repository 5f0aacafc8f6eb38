"""Money in integer cents: rounding, and splits whose parts add up exactly to the whole (P4).

A finance analyst reconciles every table against the invoice, so a department's share, a
subscription's line and the grand total must agree to the cent. Amounts are computed exactly
(:class:`fractions.Fraction` of the decimals the tenant file states), each period's total is
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

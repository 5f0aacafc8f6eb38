"""Billing periods and the prorated entitlement of lines in them (P1–P2).

Days are integers (days since 1970-01-01) so that hot paths index arrays instead of parsing
dates; a period is a pandas Period of the chosen frequency (calendar month by default).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd

EPOCH = dt.date(1970, 1, 1)


def day_number(day: dt.date) -> int:
    return (day - EPOCH).days


def local_days(timestamps: pd.Series, timezone: str) -> np.ndarray:
    """Day numbers of the timestamps in the tenant's zone, where its days begin.

    Naive timestamps are taken as already local; aware ones are converted first.
    """
    stamps = timestamps
    if not isinstance(stamps.dtype, pd.DatetimeTZDtype):
        stamps = pd.to_datetime(stamps)
    if isinstance(stamps.dtype, pd.DatetimeTZDtype):
        if str(stamps.dt.tz) != timezone:
            stamps = stamps.dt.tz_convert(timezone)
        stamps = stamps.dt.tz_localize(None)
    # the integer count of the column's unit, floor-divided: one pass, no datetime64 copies
    return pd.DatetimeIndex(stamps).asi8 // _PER_DAY[stamps.dt.unit]


def local_midnights(midnights, timezone: str) -> pd.DatetimeIndex:
    """Naive local midnights (dates, or wall-clock starts of periods) as instants in
    ``timezone``: the one home of localising a day's or a month's start.

    Where a midnight occurs twice (America/Havana turns its clocks back from 01:00 to 00:00
    on 2026-11-01) the day begins at the first; where it does not occur (a zone that springs
    forward at midnight) the day begins at the first instant that exists. Never a guess that
    raises: every command exports such a month like any other.
    """
    wall = pd.DatetimeIndex(midnights)
    if wall.tz is not None:
        wall = wall.tz_localize(None)
    return wall.tz_localize(timezone, ambiguous=np.ones(len(wall), dtype=bool),
                            nonexistent="shift_forward")


#: Ticks of each datetime64 unit in a day.
_PER_DAY = {"s": 86_400, "ms": 86_400_000, "us": 86_400_000_000, "ns": 86_400_000_000_000}


def period_range_for_days(first_day: int, last_day: int, freq: str) -> pd.PeriodIndex:
    start = pd.Period(np.datetime64(first_day, "D"), freq=freq)
    end = pd.Period(np.datetime64(last_day, "D"), freq=freq)
    return pd.period_range(start, end, freq=freq)


def period_codes(first_day: int, last_day: int, periods: pd.PeriodIndex) -> np.ndarray:
    """For each day in ``[first_day, last_day]``, the position of its period in ``periods``."""
    days = np.arange(first_day, last_day + 1).astype("datetime64[D]")
    ordinals = pd.PeriodIndex(days, freq=periods.freq).asi8
    return ordinals - periods[0].ordinal


def period_bounds(periods: pd.PeriodIndex) -> tuple[np.ndarray, np.ndarray]:
    """First day and day after the last day of each period, as day numbers."""
    starts = periods.start_time.to_numpy().astype("datetime64[D]").astype(np.int64)
    ends = periods.end_time.to_numpy().astype("datetime64[D]").astype(np.int64) + 1
    return starts, ends


def prorated(quantity, start: int, end: int, p_starts: np.ndarray, p_ends: np.ndarray):
    """P2: quantity × active days of ``[start, end)`` in each period ÷ days in the period.

    The one home of proration. A float ``quantity`` gives floats (allocation, forecast); a
    :class:`fractions.Fraction` gives exact fractions (money, which must round exactly).
    """
    overlap = np.clip(np.minimum(end, p_ends) - np.maximum(start, p_starts), 0, None)
    days = p_ends - p_starts
    if isinstance(quantity, Fraction):
        return np.array([quantity * Fraction(int(o), int(d)) for o, d in zip(overlap, days,
                                                                             strict=True)],
                        dtype=object)
    return quantity * overlap / days


def select_periods(frame: pd.DataFrame, first=None, last=None) -> pd.DataFrame:
    """Rows whose ``period`` lies in ``[first, last]`` (inclusive; ``None`` = unbounded)."""
    if frame.empty:
        return frame
    keep = np.ones(len(frame), dtype=bool)
    freq = frame["period"].dt.freq
    if first is not None:
        keep &= (frame["period"] >= pd.Period(first, freq=freq)).to_numpy()
    if last is not None:
        keep &= (frame["period"] <= pd.Period(last, freq=freq)).to_numpy()
    return frame[keep]


def as_of_date(usage: pd.DataFrame | None, timezone: str, freq: str = "M") -> dt.date | None:
    """The one "as of" day: the last day of the last period with usage.

    Every command, notebook and dashboard defaults to this day and prints it, so that "as of"
    means the same everywhere. Why the period's last day rather than the last usage instant or
    the latest date in the tenant file: the figures are per period, a partly seen period would
    be judged on its first days, and a contract date (the latest start of a term) can lie
    months before the usage ends. ``None`` when there is no usage.
    """
    if usage is None or usage.empty:
        return None
    freq = BILLING if is_roll_up(freq) else freq  # P1a: never past the last month with data
    last = int(local_days(usage["timestamp"], timezone).max())
    return pd.Period(np.datetime64(last, "D"), freq=freq).end_time.date()


def last_complete_period(day: dt.date, freq: str) -> pd.Period:
    """The last period of ``freq`` that has ended on or before ``day``."""
    period = pd.Period(day, freq=freq)
    return period if period.end_time.date() <= day else period - 1


def review_span(freq: str) -> str:
    """The span of a default review: a quarter, or one period when ``freq`` is coarser (a
    review by year covers a year)."""
    return "Q" if months_in(freq) <= months_in("Q") else freq


def default_bounds(as_of: dt.date, freq: str = "M",
                   since: pd.Period | None = None) -> tuple[pd.Period, pd.Period]:
    """A review's default periods: the last complete quarter (or year, for yearly periods) on
    or before ``as_of``, as its first and last period of ``freq``.

    ``since`` is the first period with usage: a review never starts before it, and a tenant
    whose usage began after that quarter ended (one month pulled, measured and reported)
    reviews the periods it has, up to the one holding ``as_of``, rather than none at all.
    """
    span = last_complete_period(as_of, review_span(freq))
    first, last = pd.Period(span.start_time, freq=freq), pd.Period(span.end_time, freq=freq)
    if since is None:
        return first, last
    since = pd.Period(since.start_time, freq=freq)
    if last < since:
        last = max(since, pd.Period(as_of, freq=freq))
    return max(first, since), last


# --- P1a: reporting periods are roll-ups of billing months ---------------------------------

#: The billing period (P1): Cisco bills overage monthly.
BILLING = "M"


def is_roll_up(period: str) -> bool:
    """Whether ``period`` is a reporting period (a quarter, a year) rather than the billing
    month: P1a computes it month by month and adds the months up."""
    return pd.Period("2000-01", freq=period).freqstr != pd.Period("2000-01", freq=BILLING).freqstr


#: How a column of a per-month frame rolls up into a quarter or a year (P1a), by default:
#: amounts and quantities add up (a peak then reads as unit-months); anything else is the last
#: month's value. A table may name its own rules (``how``), e.g. ``max`` for a count.
SUM, LAST, MAX, FIRST = "sum", "last", "max", "first"


def roll_up(frame: pd.DataFrame, period: str, keys=(), how: Mapping[str, Any] | None = None,
            ) -> pd.DataFrame:
    """A per-month frame rolled up into ``period`` (P1a): the one home of the roll-up.

    Rows are grouped by their ``period`` (converted to ``period``) and ``keys``; numeric
    columns add up, other columns keep the value of the group's last month, unless ``how``
    names another rule for them (:data:`SUM`, :data:`LAST`, :data:`MAX`, :data:`FIRST`, or a
    callable over the group's values in month order). Columns of exact Fractions add up
    exactly. The rows come out in the frame's column order, sorted by period and ``keys``.
    """
    how = dict(how or {})
    keys = list(keys)
    frame = frame.sort_values("period", kind="stable")
    rolled = frame.assign(period=frame["period"].dt.asfreq(period, how="end"))
    if rolled.empty:
        return rolled.reset_index(drop=True)
    rules = {column: how.get(column, _default_rule(rolled[column]))
             for column in rolled.columns if column not in ["period", *keys]}
    grouped = rolled.groupby(["period", *keys], sort=True, dropna=False, observed=True)
    result = grouped.agg({column: _aggregator(rule) for column, rule in rules.items()})
    return result.reset_index()[list(frame.columns)]


def _default_rule(column: pd.Series) -> str:
    numeric = pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)
    if column.dtype == object and len(column) and isinstance(column.iloc[0], Fraction):
        numeric = True
    return SUM if numeric else LAST


def _aggregator(rule):
    if callable(rule):
        return rule
    if rule == SUM:
        return _exact_sum
    if rule == LAST:
        return _last
    if rule == FIRST:
        return _first
    return rule


def _exact_sum(values: pd.Series):
    """Floats add up as floats (NaN when every month is NaN); Fractions exactly."""
    if values.dtype == object:
        return sum(values, Fraction(0))
    return values.sum(min_count=1)


def _last(values: pd.Series):
    known = values.dropna()
    return known.iloc[-1] if len(known) else values.iloc[-1]


def _first(values: pd.Series):
    known = values.dropna()
    return known.iloc[0] if len(known) else values.iloc[0]


def billing_as_of(as_of: pd.Period, period: str = BILLING) -> pd.Period:
    """The last billing month of ``as_of`` (a period of any frequency)."""
    return pd.Period(as_of, freq=as_of.freqstr).asfreq(period, how="end")


def months_in(period: str) -> int:
    """How many billing months one period of ``period`` holds (1, 3, 12)."""
    first = pd.Period("2000-01", freq=period)
    return len(pd.period_range(first.start_time, first.end_time, freq=BILLING))


def freq_of(dtype: pd.PeriodDtype) -> str:
    """A period column's frequency as a Period spells it (``Q-DEC``, not the offset's
    ``QE-DEC``, which ``pd.Period`` refuses)."""
    return pd.Period("2000-01-01", freq=dtype.freq).freqstr


def last_day(end: dt.date) -> dt.date:
    """The last day inside a half-open ``[start, end)`` span: what a reader calls its end.

    The code keeps every term, line and mapping half-open (``end`` is the first day *after*
    it); every text shown to a person names the inclusive last day, through this one helper,
    so "1 July 2024 to 30 June 2026" is never "ended on 2026-07-01" elsewhere.
    """
    return end - dt.timedelta(days=1)

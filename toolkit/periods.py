"""Billing periods and the prorated entitlement of lines in them (P1–P2).

Days are integers (days since 1970-01-01) so that hot paths index arrays instead of parsing
dates; a period is a pandas Period of the chosen frequency (calendar month by default).
"""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

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
    last = int(local_days(usage["timestamp"], timezone).max())
    return pd.Period(np.datetime64(last, "D"), freq=freq).end_time.date()


def last_complete_period(day: dt.date, freq: str) -> pd.Period:
    """The last period of ``freq`` that has ended on or before ``day``."""
    period = pd.Period(day, freq=freq)
    return period if period.end_time.date() <= day else period - 1


def default_bounds(as_of: dt.date, freq: str = "M") -> tuple[pd.Period, pd.Period]:
    """A review's default periods: the last complete quarter on or before ``as_of``, as its
    first and last period of ``freq``."""
    quarter = last_complete_period(as_of, "Q")
    return pd.Period(quarter.start_time, freq=freq), pd.Period(quarter.end_time, freq=freq)

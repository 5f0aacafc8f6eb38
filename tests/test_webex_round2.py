"""Real Webex data, second round (issue 23): daily peaks across DST, real subscription ids,
agents that join, partial exports that say so, pages that are not agent sessions.

Cisco's published pages are read verbatim from ``tests/fixtures/cisco`` (see its README);
every expected figure is a brute-force count written here, never the code under test.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from toolkit.metering import measure_sessions

CISCO = Path(__file__).parent / "fixtures" / "cisco"
MINUTE = pd.Timedelta(minutes=1)


# --- brute force: the local wall-clock grid, minute by minute ----------------------------

def brute_interval_starts(first: pd.Timestamp, last: pd.Timestamp, minutes: int,
                          zone: str) -> pd.DatetimeIndex:
    """Every minute at which a new interval begins, read off the local clock one minute at
    a time: the clock reads a multiple of ``minutes`` since midnight, or the (day, slot)
    it reads differs from a minute before (the clock jumped over a grid reading)."""
    local_first = first.tz_convert(zone).tz_localize(None).normalize()
    begin = local_first.tz_localize(zone, ambiguous=True, nonexistent="shift_forward")
    stamps = pd.date_range(begin.tz_convert("UTC"), last.tz_convert("UTC") + pd.Timedelta(days=1),
                           freq="1min")
    local = stamps.tz_convert(zone)
    reading = np.asarray(local.hour * 60 + local.minute)
    day = np.asarray(local.tz_localize(None).normalize().asi8)
    slot = reading // minutes
    starts = [0] + [i for i in range(1, len(stamps))
                    if reading[i] % minutes == 0
                    or (day[i], slot[i]) != (day[i - 1], slot[i - 1])]
    return stamps[starts]


def brute_peaks(sessions: pd.DataFrame, minutes: int, zone: str) -> dict:
    """{interval start: the most distinct users logged in at one minute of the interval},
    for every interval with somebody in it (sessions on whole minutes, half-open)."""
    first, last = sessions["login"].min(), sessions["logout"].max()
    starts = brute_interval_starts(first, last, minutes, zone)
    minute = pd.date_range(starts[0], starts[-1], freq="1min", inclusive="left")
    t = minute.as_unit("us").asi8[:, None]
    logged_in = (_us(sessions["login"]) <= t) & (_us(sessions["logout"]) > t)
    users = sessions["user_id"].to_numpy()
    distinct = sum(logged_in[:, users == u].any(axis=1).astype(int) for u in set(users))
    interval = np.searchsorted(starts.as_unit("us").asi8, minute.as_unit("us").asi8,
                               side="right") - 1
    peaks = {}
    for k, count in zip(interval, distinct, strict=True):
        if count:
            peaks[starts[k]] = max(peaks.get(starts[k], 0), int(count))
    return peaks


def _us(column: pd.Series) -> np.ndarray:
    return pd.DatetimeIndex(column).as_unit("us").asi8


def measured_peaks(usage: pd.DataFrame) -> dict:
    total = usage.groupby("timestamp")["quantity"].sum()
    return {stamp.tz_convert("UTC"): int(q) for stamp, q in total.items()}


# --- 1. intervals on the local wall-clock grid across DST ---------------------------------

DST_DAYS = [  # (zone, a day with a clock change; the day before and after are plain)
    ("America/New_York", "2026-03-08"), ("America/New_York", "2026-11-01"),
    ("Europe/Rome", "2026-03-29"), ("Europe/Rome", "2026-10-25"),
    ("Australia/Lord_Howe", "2026-04-05"),  # a half-hour change
]


def _sessions_of(rows, zone, day) -> pd.DataFrame:
    origin = pd.Timestamp(day).tz_localize(zone) - pd.Timedelta(days=1)
    return pd.DataFrame({
        "user_id": [f"a{u}" for u, _, _ in rows],
        "login": [(origin + m * MINUTE).tz_convert("UTC") for _, m, _ in rows],
        "logout": [(origin + (m + n) * MINUTE).tz_convert("UTC") for _, m, n in rows],
    })


@settings(max_examples=25, deadline=None)
@given(place=st.sampled_from(DST_DAYS),
       minutes=st.sampled_from([15, 30, 60, 90, 120, 180, 1440]),
       rows=st.lists(st.tuples(st.integers(0, 4), st.integers(0, 3 * 1440 - 1),
                               st.integers(1, 600)), min_size=1, max_size=8))
def test_every_interval_that_divides_a_day_starts_on_the_local_grid(place, minutes, rows):
    zone, day = place
    sessions = _sessions_of(rows, zone, day)
    usage = measure_sessions(sessions, timezone=zone, interval=f"{minutes}min")
    assert measured_peaks(usage) == brute_peaks(sessions, minutes, zone)


@pytest.mark.parametrize("zone, day, expected", [
    ("America/New_York", "2026-03-08", 92), ("America/New_York", "2026-11-01", 100),
    ("America/New_York", "2026-06-10", 96), ("Europe/Rome", "2026-10-25", 100),
])
def test_a_days_quarter_hour_grid_has_92_96_or_100_intervals(zone, day, expected):
    start = pd.Timestamp(day).tz_localize(zone)
    end = (pd.Timestamp(day) + pd.Timedelta(days=1)).tz_localize(zone)
    sessions = pd.DataFrame({"user_id": ["a"], "login": [start], "logout": [end]})
    usage = measure_sessions(sessions, timezone=zone, max_session="48h")
    starts = brute_interval_starts(start, end, 15, zone)
    assert len(usage) == expected == ((starts >= start) & (starts < end)).sum()
    assert (usage["timestamp"].dt.minute % 15 == 0).all()


def _cisco_sessions(name: str) -> pd.DataFrame:
    """Cisco's records read here, in the test: agent, start and end (epoch ms)."""
    records = json.loads((CISCO / name).read_text())["data"]["agentSession"]["agentSessions"]
    return pd.DataFrame({
        "user_id": [r["agentId"] for r in records],
        "login": pd.to_datetime([r["startTime"] for r in records], unit="ms", utc=True),
        "logout": pd.to_datetime([r["endTime"] for r in records], unit="ms", utc=True),
    })


def test_daily_peaks_of_cisco_simple_query_begin_at_new_york_midnight_after_dst():
    """Cisco's Simple query page (Feb–Dec 2022) crosses both changes of 2022: each day's
    peak is the most distinct agents logged in at one instant of that local day."""
    sessions = _cisco_sessions("agentSession_simple_query.json")
    zone = "America/New_York"
    usage = measure_sessions(sessions, timezone=zone, interval="24h", max_session="100000h")
    local = usage["timestamp"].dt.tz_convert(zone)
    assert (local.dt.hour == 0).all() and (local.dt.minute == 0).all()
    expected = {}
    events = sorted({*sessions["login"], *sessions["logout"]})
    for t in events:  # concurrency only changes at these instants
        here = sessions[(sessions["login"] <= t) & (sessions["logout"] > t)]
        day = t.tz_convert(zone).date()
        expected[day] = max(expected.get(day, 0), here["user_id"].nunique())
    for _, row in sessions.iterrows():  # a day a session spans without an event in it
        for day in pd.date_range(row["login"].tz_convert(zone).normalize(),
                                 row["logout"].tz_convert(zone).normalize()):
            expected.setdefault(day.date(), 0)
            midnight = day.tz_localize(None).tz_localize(zone)
            if row["login"] <= midnight < row["logout"]:
                here = sessions[(sessions["login"] <= midnight) & (sessions["logout"] > midnight)]
                expected[day.date()] = max(expected[day.date()], here["user_id"].nunique())
    expected = {d: v for d, v in expected.items() if v}
    got = {t.date(): int(q) for t, q in zip(local, usage["quantity"], strict=True)}
    assert got == expected

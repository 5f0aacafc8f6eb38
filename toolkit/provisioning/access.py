"""Who keeps access, and until when: users' mappings checked against subscription terms.

The seed's sharpest warning is that an active subscription somewhere in the tenant keeps
nobody's access: each admin and agent keeps Control Hub or desktop access only while the
subscription *they are mapped to* is active. This module answers, for any set of days, the
status of every mapping row of ``users.csv``:

* ``active``   — mapped to a subscription active that day and beyond the horizon;
* ``ending``   — mapped to a subscription active that day that stops within the horizon;
* ``inactive`` — mapped to a subscription not active that day (or not in the tenant):
  access is lost;
* ``unmapped`` — the row names no subscription.

A subscription's activity is read as *coverage stretches*: its terms merged where a renewal
starts the day the previous term ends, so a seamless renewal is not reported as an ending.

Statuses only change on a term boundary, a boundary minus the horizon, or a mapping's own
``start``/``end``, so :func:`access_calendar` evaluates those few change points and spreads
the result over the days between them instead of looping over days × users.

Optional ``start``/``end`` columns of the users table bound each mapping row (half-open,
empty = open); a row outside its bounds on a day is simply not in effect that day.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from toolkit.errors import Problem, raise_if_any
from toolkit.frames import timestamps_in_zone
from toolkit.model import Tenant, as_date
from toolkit.periods import local_days

#: Row status codes, ordered so that the larger code is the worse news for a user.
NOT_IN_EFFECT, ACTIVE, ENDING, INACTIVE = 0, 1, 2, 3
UNMAPPED = -1
STATUS_NAMES = {ACTIVE: "active", ENDING: "ending", INACTIVE: "inactive", UNMAPPED: "unmapped"}
#: The statuses a user can have on a day, in the order a stacked chart shows them.
STATUSES = ("active", "ending", "inactive", "unmapped")
#: Roles that must always be mapped to an active subscription (seed). Supervisors are not
#: required to be mapped (V2 names admins and agents); when they are mapped, their mapping
#: is checked like anyone else's, because a mapping to a lapsed subscription is broken
#: whatever the role.
MUST_BE_MAPPED = {"admin": True, "agent": True, "supervisor": False}
NO_DEPARTMENT = "(none)"
#: Position in STATUSES of each user code, indexed by code + 1 (code 0 never reaches it).
_STATUS_POSITION = np.array([3, -1, 0, 1, 2])

_NEVER = np.datetime64("0001-01-01", "D")
_FOREVER = np.datetime64("9999-12-31", "D")


def coverage(tenant: Tenant) -> pd.DataFrame:
    """Stretches in which each subscription is continuously active: ``subscription_id, start,
    end`` (half-open, ``datetime64[D]``-valued). Touching terms (a renewal starting the day the
    previous term ends) merge into one stretch; a gap starts a new one."""
    rows: list[list[Any]] = []
    for sub in tenant.subscriptions:
        for term in sorted(sub.terms, key=lambda t: t.start):
            if rows and rows[-1][0] == sub.id and rows[-1][2] >= term.start:
                rows[-1][2] = max(rows[-1][2], term.end)
            else:
                rows.append([sub.id, term.start, term.end])
    frame = pd.DataFrame(rows, columns=["subscription_id", "start", "end"])
    frame["subscription_id"] = frame["subscription_id"].astype("str")
    for column in ("start", "end"):
        frame[column] = np.array(frame[column].tolist(), dtype="datetime64[D]")
    return frame


def normalize_users(users: pd.DataFrame, tenant: Tenant) -> pd.DataFrame:
    """The users table with every column this module reads, one row per mapping row.

    Fills optional columns, derives each user's department (the users table's, else that of
    the first subscription the user is mapped to, else ``(none)``) and turns the optional
    ``start``/``end`` mapping bounds into ``datetime64[D]`` with open ends as far sentinels.
    """
    missing = [column for column in ("user_id", "role") if column not in users.columns]
    raise_if_any([Problem("users", "", column, None, "this column") for column in missing])
    frame = users.reset_index(drop=True).copy()
    for column in ("license", "subscription_id", "department", "email"):
        if column not in frame.columns:
            frame[column] = pd.Series(pd.NA, index=frame.index, dtype="str")
    frame["map_start"] = _bound(frame, "start", _NEVER, tenant.timezone)
    frame["map_end"] = _bound(frame, "end", _FOREVER, tenant.timezone)
    sub_department = frame["subscription_id"].map(tenant.departments)
    own = frame["department"].fillna(sub_department)
    first = own.groupby(frame["user_id"], sort=False).transform("first")
    frame["user_department"] = first.fillna(NO_DEPARTMENT).astype("str")
    return frame


def _bound(frame: pd.DataFrame, column: str, open_value: np.datetime64,
           timezone: str) -> np.ndarray:
    """The tenant-local calendar day of each mapping bound (``open_value`` when empty).

    Days begin in the tenant's zone, whatever zone the column is stored in: a mapping that
    starts at midnight in Rome, stored in UTC (23:00 the day before), starts on the Rome day.
    Naive values are already local; a cell that is not a date-time is an InputError.
    """
    if column not in frame.columns:
        return np.full(len(frame), open_value)
    stamps, problems = timestamps_in_zone(frame[column], column, "users", timezone,
                                          required=False)
    raise_if_any(problems)
    days = local_days(stamps, timezone).astype("datetime64[D]")
    return np.where(stamps.isna().to_numpy(), open_value, days)


def row_status_codes(tenant: Tenant, users: pd.DataFrame, days: np.ndarray,
                     horizon_days: int) -> np.ndarray:
    """Status code of every (normalized) mapping row on every day: an ``N × K`` int8 matrix.

    ``days`` must be sorted ascending. Each (row, coverage stretch) pair is active on a run of
    days and ending on the run after it; the runs are located with ``searchsorted`` and
    painted with a difference array and one cumulative sum, so the cost is O(pairs · log K +
    N · K) with no Python loop and no pairs × days intermediate.
    """
    days = np.asarray(days, dtype="datetime64[D]")
    horizon = np.timedelta64(int(horizon_days), "D")
    n, k = len(users), len(days)
    mapped = users["subscription_id"].notna().to_numpy()
    pairs = (
        pd.DataFrame({"row": np.arange(n), "subscription_id": users["subscription_id"]})
        .loc[mapped]
        .merge(coverage(tenant), on="subscription_id")
    )
    a = pairs["start"].to_numpy(dtype="datetime64[D]")
    b = pairs["end"].to_numpy(dtype="datetime64[D]")
    first = np.searchsorted(days, a)
    last = np.searchsorted(days, b)
    warn = np.clip(np.searchsorted(days, b - horizon), first, last)
    rows = pairs["row"].to_numpy()
    steps = np.zeros((n, k + 1), dtype=np.int8)
    np.add.at(steps, (rows, first), ACTIVE)
    np.add.at(steps, (rows, warn), ENDING - ACTIVE)
    np.add.at(steps, (rows, last), -ENDING)
    codes = np.cumsum(steps[:, :k], axis=1, dtype=np.int8)
    codes[mapped[:, None] & (codes == NOT_IN_EFFECT)] = INACTIVE
    codes[~mapped] = UNMAPPED
    start = users["map_start"].to_numpy(dtype="datetime64[D]")
    end = users["map_end"].to_numpy(dtype="datetime64[D]")
    lo, hi = np.searchsorted(days, start), np.searchsorted(days, end)
    out = (np.arange(k)[None, :] < lo[:, None]) | (np.arange(k)[None, :] >= hi[:, None])
    codes[out] = NOT_IN_EFFECT
    return codes


def mapping_status(tenant: Tenant, users: pd.DataFrame, on, horizon_days: int = 60) -> pd.DataFrame:
    """Every mapping row's status on ``on``, with the dates an admin needs to act on it.

    Columns: the users' columns, plus ``user_department``, ``in_effect``, ``status``
    (``active``, ``ending``, ``inactive``, ``unmapped``; NA when the row is not in effect
    that day), ``access_ends`` (end of the current coverage stretch when active or ending),
    ``ended`` (the end of the latest stretch before ``on`` when inactive) and ``restarts``
    (the next stretch's start, when a later term is already booked).
    """
    day = np.datetime64(as_date(on), "D")
    frame = normalize_users(users, tenant)
    codes = row_status_codes(tenant, frame, np.array([day]), horizon_days)[:, 0]
    frame["in_effect"] = codes != NOT_IN_EFFECT
    status = pd.Series(codes).map(STATUS_NAMES)
    frame["status"] = status.astype("str")
    stretches = coverage(tenant)
    frame["access_ends"] = _stretch_date(frame, stretches, day, "current")
    frame["ended"] = _stretch_date(frame, stretches, day, "previous")
    frame["restarts"] = _stretch_date(frame, stretches, day, "next")
    return frame


def _stretch_date(frame: pd.DataFrame, stretches: pd.DataFrame, day: np.datetime64,
                  which: str) -> pd.Series:
    """Per row, the end of the stretch containing ``day`` ("current"), the latest end on or
    before it ("previous") or the earliest start after it ("next")."""
    pick = {
        "current": (lambda s: (s["start"] <= day) & (day < s["end"]), "end", "max"),
        "previous": (lambda s: s["end"] <= day, "end", "max"),
        "next": (lambda s: s["start"] > day, "start", "min"),
    }
    condition, column, how = pick[which]
    chosen = stretches.loc[condition(stretches)]
    per_sub = chosen.groupby("subscription_id")[column].agg(how).astype("datetime64[s]")
    dates = per_sub.reindex(frame["subscription_id"]).to_numpy()
    return pd.Series(dates, index=frame.index, dtype="datetime64[s]")


def unmapped_rows(status: pd.DataFrame) -> pd.DataFrame:
    """The rows of :func:`mapping_status` whose user must be mapped (admins, agents) and has no
    mapping row in effect that names a subscription: V2's "mapped to no subscription".

    One mapped license is enough to not be unmapped (a lapsed mapping is V3's business, not
    V2's). Every row of such a user is returned; callers keep one per user or per license.
    """
    mapped = status.loc[status["in_effect"] & (status["status"] != "unmapped"), "user_id"]
    must = status["role"].map(MUST_BE_MAPPED).fillna(False).astype(bool)
    return status[must & ~status["user_id"].isin(mapped)]


def user_status_codes(users: pd.DataFrame, codes: np.ndarray) -> tuple[pd.Index, np.ndarray]:
    """Per user and day, the worst status of the user's mapped rows in effect (``U × K``).

    A user none of whose rows in effect names a subscription is ``unmapped``: V2 asks whether
    the user is mapped to *any* subscription, so one mapped license is enough to not be.
    """
    user_index, uniques = pd.factorize(users["user_id"])
    order = np.argsort(user_index, kind="stable")
    bounds = np.flatnonzero(np.r_[True, np.diff(user_index[order]) != 0])
    worst = np.maximum.reduceat(codes[order], bounds, axis=0) if len(order) else codes[:0]
    worst[worst <= NOT_IN_EFFECT] = UNMAPPED
    return pd.Index(uniques, name="user_id"), worst


def access_calendar(tenant: Tenant, users: pd.DataFrame, start, end,
                    horizon_days: int = 60) -> pd.DataFrame:
    """Per day of ``[start, end)``, how many users of each role and department have each status.

    Tidy columns ``day, role, department, status, users``: one row per day × (role,
    department) group present in the users table × status (``active``, ``ending``,
    ``inactive``, ``unmapped``), zeros included, so it pivots straight into a stacked chart of
    who loses access when. A user with several licenses counts once, with the worst status of
    their mapped rows (one lapsed license is already lost access). A user's role and
    department are those of their first row (department derived as in
    :func:`normalize_users`).
    """
    first, stop = np.datetime64(as_date(start), "D"), np.datetime64(as_date(end), "D")
    if stop <= first:
        raise ValueError(f"end {as_date(end)} must be after start {as_date(start)}")
    frame = normalize_users(users, tenant)
    points = _change_points(tenant, frame, first, stop, horizon_days)
    codes = row_status_codes(tenant, frame, points, horizon_days)
    user_ids, worst = user_status_codes(frame, codes)
    firsts = frame.drop_duplicates("user_id").set_index("user_id").loc[user_ids]
    groups = pd.MultiIndex.from_arrays(
        [firsts["role"].astype("str"), firsts["user_department"]], names=["role", "department"])
    group_index, group_values = groups.factorize(sort=True)
    # codes -1 (unmapped), 1, 2, 3 → positions in STATUSES; one bincount counts them all
    status_index = _STATUS_POSITION[worst + 1]
    n_groups, n_status, n_points = len(group_values), len(STATUSES), len(points)
    cell = (group_index[:, None] * n_status + status_index) * n_points + np.arange(n_points)
    counts = np.bincount(cell.ravel(), minlength=n_groups * n_status * n_points)
    counts = counts.reshape(n_groups, n_status, n_points)
    return _spread_over_days(counts, points, first, stop, group_values)


def _change_points(tenant: Tenant, users: pd.DataFrame, first: np.datetime64,
                   stop: np.datetime64, horizon_days: int) -> np.ndarray:
    """The days in ``[first, stop)`` on which some row's status may change, ``first`` included."""
    stretches = coverage(tenant)
    ends = stretches["end"].to_numpy(dtype="datetime64[D]")
    candidates = np.concatenate([
        [first],
        stretches["start"].to_numpy(dtype="datetime64[D]"),
        ends,
        ends - np.timedelta64(int(horizon_days), "D"),
        users["map_start"].to_numpy(dtype="datetime64[D]"),
        users["map_end"].to_numpy(dtype="datetime64[D]"),
    ])
    return np.unique(candidates[(candidates >= first) & (candidates < stop)])


def _spread_over_days(counts: np.ndarray, points: np.ndarray, first: np.datetime64,
                      stop: np.datetime64, groups: pd.MultiIndex) -> pd.DataFrame:
    """Repeat each change point's counts over the days up to the next change point."""
    days = np.arange(first, stop, dtype="datetime64[D]")
    segment = np.searchsorted(points, days, side="right") - 1
    n_days, n_groups, n_status = len(days), len(groups), len(STATUSES)
    per_day = counts[:, :, segment]  # groups × statuses × days
    values = per_day.transpose(2, 0, 1).reshape(-1)
    day_col = np.repeat(days, n_groups * n_status)
    role = np.tile(np.repeat(groups.get_level_values(0).to_numpy(), n_status), n_days)
    department = np.tile(
        np.repeat(groups.get_level_values(1).to_numpy(), n_status), n_days)
    status = np.tile(np.array(STATUSES), n_days * n_groups)
    return pd.DataFrame({
        "day": pd.to_datetime(day_col).astype("datetime64[s]"),
        "role": pd.Series(role, dtype="str"),
        "department": pd.Series(department, dtype="str"),
        "status": pd.Series(status, dtype="str"),
        "users": values,
    })

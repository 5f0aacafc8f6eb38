"""Loading ``users.csv`` (SPEC §6): who is mapped to which subscription, with which license.

A user may have several rows, one per license (e.g. an agent who also holds a WFO seat), and,
with the optional ``start``/``end`` columns, one row per mapping period: an agent remapped from
one subscription to another mid-month has two rows, ``[start, end)`` each, and usage counts
toward the subscription the user was mapped to at the instant it happened. Empty ``start`` or
``end`` means "since ever" / "until further notice".

Mapping matters twice: usage carrying a user id is attributed to the user's subscription
(SPEC M5), and a user mapped to no active subscription loses access (SPEC V2–V4).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa

from toolkit.csv_input import (
    one_of,
    parse_timestamps,
    problem_rows,
    read_text_table,
    row_label,
    schema_problems,
)
from toolkit.errors import Problem, raise_if_any
from toolkit.model import Tenant
from toolkit.policy import DEFAULT_USAGE_TYPES

USER_COLUMNS = ["user_id", "role", "license", "subscription_id"]
USER_OPTIONAL = ["department", "email", "start", "end"]
ROLES = ("agent", "supervisor", "admin")
WINDOW = ("start", "end")


def users_schema(usage_types, subscription_ids=None) -> pa.DataFrameSchema:
    licenses = sorted(usage_types)
    sub_check = [] if subscription_ids is None else [
        one_of(subscription_ids, "a subscription of the tenant")]
    return pa.DataFrameSchema(
        {
            "user_id": pa.Column("str", nullable=False),
            "role": pa.Column("str", one_of(ROLES, "a role")),
            "license": pa.Column(
                "str",
                one_of(licenses, "a license type"),
                nullable=True,
            ),
            "subscription_id": pa.Column("str", sub_check, nullable=True),
        },
        strict=False,
    )


def load_users(path: str | Path, tenant: Tenant | None = None) -> pd.DataFrame:
    """Read and validate ``users.csv``; raise InputError listing every bad row.

    An empty ``subscription_id`` is allowed: an unmapped user is a provisioning finding
    (V2), not a broken file. With a ``tenant``, subscription ids must belong to it and the
    optional ``start``/``end`` mapping bounds are read in its time zone (a bare date means
    midnight there). A mapping that ends before it starts, or two rows of one user and
    license whose periods overlap, are problems: which subscription counts would be a guess.
    """
    file = str(path)
    timezone = tenant.timezone if tenant else "UTC"
    text = read_text_table(path, USER_COLUMNS, USER_OPTIONAL)
    for column in USER_OPTIONAL:
        if column not in text.columns:
            text[column] = pd.Series(pd.NA, index=text.index, dtype="str")
    frame = text.copy()
    problems: list[Problem] = []
    for column in WINDOW:
        frame[column], bad = parse_timestamps(text, column, file, timezone, required=False)
        problems += bad
    problems += _window_problems(frame, text, file, skip=problem_rows(problems))
    usage_types = tenant.usage_types if tenant else DEFAULT_USAGE_TYPES
    subscription_ids = tenant.departments.keys() if tenant else None
    frame["role"] = frame["role"].str.lower()
    problems += schema_problems(frame, users_schema(usage_types, subscription_ids), file)
    raise_if_any(sorted(problems, key=lambda p: _row_number(p.where)))
    return frame


def _row_number(where: str) -> int:
    return int(where.removeprefix("row ")) if where.startswith("row ") else 0


def _window_problems(frame: pd.DataFrame, text: pd.DataFrame, file: str, skip) -> list[Problem]:
    """Mapping periods that end before they start, or overlap another of the same license.

    Rows of one user and license (an empty license is a license of its own: an admin mapped
    to two subscriptions at once is as ambiguous as an agent) are ordered by start; a row
    overlaps an earlier one when it starts before the *latest* end seen so far in its group
    (a running maximum, so a long period is compared with every later row, not only with its
    neighbour).
    """
    start, end = frame["start"], frame["end"]
    backwards = (start.notna() & end.notna() & (end <= start)).to_numpy()
    problems = [
        Problem(file, row_label(i), "end", _cell(text, "end", i),
                f"an end after the start {_cell(text, 'start', i)} (mappings are [start, end))")
        for i in backwards.nonzero()[0] if i not in skip
    ]
    usable = ~backwards & ~np.isin(np.arange(len(frame)), list(skip))
    if not usable.any():
        return problems
    rows = np.flatnonzero(usable)
    group = pd.MultiIndex.from_arrays([
        frame["user_id"].to_numpy(dtype=object)[rows],
        frame["license"].astype("object").fillna("\0(none)").to_numpy(dtype=object)[rows],
    ]).factorize()[0]
    begins = _micros_or(start.iloc[rows], np.iinfo(np.int64).min)
    ends = _micros_or(end.iloc[rows], np.iinfo(np.int64).max)
    order = np.lexsort((begins, group))
    group, begins, ends, rows = group[order], begins[order], ends[order], rows[order]
    latest = pd.Series(ends).groupby(group).cummax().to_numpy()
    # the row holding the latest end so far: its position, carried forward within the group
    holder = pd.Series(np.where(ends == latest, np.arange(len(rows)), -1)).groupby(
        group).cummax().to_numpy()
    same = np.zeros(len(rows), dtype=bool)
    same[1:] = group[1:] == group[:-1]
    overlap = np.zeros(len(rows), dtype=bool)
    overlap[1:] = same[1:] & (begins[1:] < latest[:-1])
    for k in overlap.nonzero()[0]:
        problems.append(Problem(
            file, row_label(rows[k]), "start", _cell(text, "start", rows[k]),
            f"a mapping period that does not overlap {row_label(rows[holder[k - 1]])} of the "
            "same user and license (a user is mapped to one subscription at a time)"))
    return problems


def _cell(text: pd.DataFrame, column: str, i: int):
    """The cell as the file shows it; None when empty (so a message never says "nan")."""
    value = text[column].iloc[i]
    return None if pd.isna(value) else value


def _micros_or(stamps: pd.Series, open_value: int) -> np.ndarray:
    """Microseconds since the epoch, with ``open_value`` for an empty (open) bound."""
    values = np.asarray(pd.DatetimeIndex(stamps).as_unit("us").asi8, dtype=np.int64)
    return np.where(stamps.isna().to_numpy(), open_value, values)


def checked_users(users: pd.DataFrame, timezone: str, source: str = "users",
                  required=("user_id", "license", "subscription_id")) -> pd.DataFrame:
    """A users table built in code, held to :func:`load_users`' rules before it is used.

    Loaders check files, but a frame built in a notebook reaches the measures unchecked: a
    missing column would surface as a ``KeyError``, a bad date as a parser traceback. This
    returns a copy whose ``start``/``end`` are tz-aware in ``timezone`` (naive values, and
    strings without an offset, are local time there, as :func:`load_users` reads a file;
    missing columns are added empty), or raises InputError naming every bad row and column.
    """
    missing = [column for column in required if column not in users.columns]
    raise_if_any([Problem(source, "", column, None, "this column") for column in missing])
    frame = users.reset_index(drop=True).copy()
    problems: list[Problem] = []
    text = pd.DataFrame(index=frame.index)
    for column in WINDOW:
        if column not in frame.columns:
            frame[column] = pd.Series(pd.NaT, index=frame.index,
                                      dtype=f"datetime64[us, {timezone}]")
        frame[column], bad = timestamps_in_zone(frame[column], column, source, timezone,
                                                required=False)
        text[column] = frame[column].astype("str").where(frame[column].notna(), None)
        problems += bad
    if "license" not in frame.columns:
        frame["license"] = pd.Series(pd.NA, index=frame.index, dtype="str")
    problems += _window_problems(frame, text, source, skip=problem_rows(problems))
    raise_if_any(sorted(problems, key=lambda p: _row_number(p.where)))
    return frame


def timestamps_in_zone(values: pd.Series, column: str, source: str, timezone: str,
                       required: bool = True) -> tuple[pd.Series, list[Problem]]:
    """Timestamps of a frame built in code as tz-aware values (µs) in ``timezone``.

    Aware values are converted; naive ones are local time in ``timezone`` (the loaders' rule);
    anything else is read as ISO 8601 text, each cell that is not a date-time a problem.
    """
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        stamps = values.dt.tz_convert(timezone).dt.as_unit("us")
        problems = []
    elif pd.api.types.is_datetime64_dtype(values.dtype):
        stamps = values.dt.tz_localize(timezone, ambiguous="NaT", nonexistent="NaT")
        stamps = stamps.dt.as_unit("us")
        problems = [Problem(source, row_label(i), column, str(values.iloc[i]),
                            f"a date-time that exists in {timezone}")
                    for i in (stamps.isna() & values.notna()).to_numpy().nonzero()[0]]
    else:
        text = values.map(_as_text, na_action="ignore").astype("str")
        stamps, problems = parse_timestamps(pd.DataFrame({column: text}), column, source,
                                            timezone, required=False)
    if required:
        problems += [Problem(source, row_label(i), column, None, f"a {column}")
                     for i in values.isna().to_numpy().nonzero()[0]]
    return stamps.set_axis(values.index), problems


def _as_text(value) -> str:
    return value.isoformat() if isinstance(value, dt.datetime) else str(value)


def active_user_rows(users: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    """Pairs (row position, users-table row) where the mapping holds at the row's instant.

    ``rows`` has ``user_id`` and ``timestamp``. Returns ``pos`` (position in ``rows``),
    ``license``, ``subscription_id`` and ``order`` (position in ``users``). Without
    ``start``/``end`` every row of the user holds at every instant.
    """
    table = users.dropna(subset=["user_id"])
    columns = ["user_id", "license", "subscription_id"]
    windowed = [c for c in WINDOW if c in table.columns and table[c].notna().any()]
    right = table[columns + windowed].assign(order=np.flatnonzero(users["user_id"].notna()))
    left = pd.DataFrame({"pos": np.arange(len(rows)), "user_id": rows["user_id"].to_numpy()})
    if windowed:
        left["timestamp"] = rows["timestamp"].to_numpy()
    pairs = left.merge(right, on="user_id", how="inner", sort=False)
    if windowed:
        stamps = pd.Series(pd.DatetimeIndex(rows["timestamp"]))
        zone = stamps.dt.tz
        time = pd.DatetimeIndex(pairs["timestamp"])
        inside = np.ones(len(pairs), dtype=bool)
        if "start" in windowed:
            start = _aware(pairs["start"], zone)
            inside &= (start.isna() | (start <= time)).to_numpy()
        if "end" in windowed:
            end = _aware(pairs["end"], zone)
            inside &= (end.isna() | (time < end)).to_numpy()
        pairs = pairs[inside]
    return pairs[["pos", "license", "subscription_id", "order"]].reset_index(drop=True)


def _aware(values: pd.Series, zone) -> pd.Series:
    """Mapping bounds as tz-aware instants; naive ones (frames built in code) are local."""
    stamps = pd.to_datetime(values)
    if stamps.dt.tz is None:
        stamps = stamps.dt.tz_localize(zone or "UTC")
    return stamps


def subscriptions_of_users(users: pd.DataFrame, rows: pd.DataFrame) -> tuple[pd.Series, np.ndarray]:
    """The subscription each usage row's user is mapped to at the row's instant (M5).

    ``rows`` has ``user_id``, ``usage_type`` and ``timestamp``. Among the user's mappings that
    hold at that instant (all of them without ``start``/``end``), one whose license matches
    the usage type wins; otherwise any mapped one; ties go to the smallest subscription id,
    so the answer never depends on row order. Returns the subscription ids (NA where the user
    has none at that instant) and a mask of users found in the table at all.
    """
    keys = rows[["user_id", "usage_type", "timestamp"]]
    windowed = any(c in users.columns and users[c].notna().any() for c in WINDOW)
    if not windowed:  # the mapping does not depend on time: resolve each (user, type) once
        code, unique = pd.factorize(
            pd.MultiIndex.from_frame(keys[["user_id", "usage_type"]].astype("object")))
        distinct = unique.to_frame(index=False, name=["user_id", "usage_type"])
        distinct["timestamp"] = pd.NaT
        values = _resolve(users, distinct)
        result = np.where(code >= 0, values[np.maximum(code, 0)], None)
    else:
        result = _resolve(users, keys)
    known = rows["user_id"].isin(users["user_id"].dropna()).to_numpy()
    return pd.Series(result, index=rows.index, dtype="str"), known


def _resolve(users: pd.DataFrame, rows: pd.DataFrame) -> np.ndarray:
    """Per row, the subscription of its best mapping (object array, None when unmapped)."""
    pairs = active_user_rows(users, rows).dropna(subset=["subscription_id"])
    wanted = rows["usage_type"].to_numpy(dtype=object)[pairs["pos"].to_numpy()]
    pairs = pairs.assign(rank=np.where(pairs["license"].to_numpy(dtype=object) == wanted, 0, 1))
    best = pairs.sort_values(["pos", "rank", "subscription_id"], kind="stable")
    best = best.drop_duplicates("pos")
    mapped = np.full(len(rows), None, dtype=object)
    mapped[best["pos"].to_numpy()] = best["subscription_id"].to_numpy(dtype=object)
    return mapped

"""The frames the engine consumes: usage, agent sessions and the user → subscription mapping.

Their columns, schemas and normalisation live here, in the engine, because the same rules
hold whether a frame was read from a file (:mod:`toolkit.inputs`) or built in a notebook: a
frame built in code is held to the loaders' rules before it is used, so a missing column or a
bad date is an :class:`~toolkit.errors.InputError` naming the row, never a traceback deep in
a measure.

Timestamps are tz-aware: naive values are local time in the tenant's zone, because days and
billing months begin there.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pandera.pandas as pa

from toolkit.checks import (
    amount_check,
    missing_values,
    one_of,
    parse_timestamps,
    problem_rows,
    row_label,
    row_number,
)
from toolkit.errors import InputError, Problem, raise_if_any

USAGE_COLUMNS = ["timestamp", "usage_type", "quantity"]
USAGE_OPTIONAL = ["subscription_id", "user_id"]


def usage_schema(usage_types, subscription_ids=None) -> pa.DataFrameSchema:
    """The typed usage frame: known types, non-negative quantities, known subscriptions."""
    type_names = sorted(usage_types)
    sub_check = [] if subscription_ids is None else [
        one_of(subscription_ids, "a subscription of the tenant")]
    return pa.DataFrameSchema(
        {
            "timestamp": pa.Column(nullable=True),  # parse_timestamps reports gaps
            "usage_type": pa.Column(
                "str", one_of(type_names, "a usage type")
            ),
            "quantity": pa.Column("float64", amount_check(), nullable=False),
            "subscription_id": pa.Column("str", sub_check, nullable=True),
            "user_id": pa.Column("str", nullable=True),
        },
        strict=False,
    )


def as_usage_frame(usage: pd.DataFrame, timezone: str) -> pd.DataFrame:
    """Give a usage frame built in code the loader's shape: optional columns, tz-aware times."""
    frame = usage.copy()
    for column in USAGE_OPTIONAL:
        if column not in frame.columns:
            frame[column] = pd.Series(pd.NA, index=frame.index, dtype="str")
    stamps = pd.to_datetime(frame["timestamp"])
    if stamps.dt.tz is None:
        stamps = stamps.dt.tz_localize(timezone)
    frame["timestamp"] = stamps.dt.tz_convert(timezone)
    frame["quantity"] = frame["quantity"].astype("float64")
    return frame


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


def window_problems(frame: pd.DataFrame, text: pd.DataFrame, file: str, skip) -> list[Problem]:
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
    values = micros(stamps)
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
    problems += window_problems(frame, text, source, skip=problem_rows(problems))
    raise_if_any(sorted(problems, key=lambda p: row_number(p.where)))
    return frame


def timestamps_in_zone(values: pd.Series, column: str, source: str, timezone: str,
                       required: bool = True) -> tuple[pd.Series, list[Problem]]:
    """Timestamps of a frame built in code as tz-aware values (µs) in ``timezone``.

    Aware values are converted; naive ones are local time in ``timezone`` (the loaders' rule);
    anything else is read as ISO 8601 text, each cell that is not a date-time a problem.
    """
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        stamps = in_micros(values.dt.tz_convert(timezone))
        problems = []
    elif pd.api.types.is_datetime64_dtype(values.dtype):
        stamps = values.dt.tz_localize(timezone, ambiguous="NaT", nonexistent="NaT")
        stamps = in_micros(stamps)
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


def in_micros(stamps: pd.Series) -> pd.Series:
    """Date-times in µs; as they are when already in µs (``as_unit`` copies even then: 8
    bytes a row, 80 MB a column of ten million sessions)."""
    return stamps if stamps.dt.unit == "us" else stamps.dt.as_unit("us")


def micros(stamps: pd.Series) -> np.ndarray:
    """Microseconds since the epoch (UTC for tz-aware date-times) as int64: a view of the
    column when it is already in µs."""
    return np.asarray(in_micros(stamps).array.asi8, dtype=np.int64)


def _as_text(value) -> str:
    return value.isoformat() if isinstance(value, dt.datetime) else str(value)


SESSION_COLUMNS = ["user_id", "login", "logout"]


def checked_sessions(sessions: pd.DataFrame, timezone: str | None) -> tuple[pd.DataFrame, str]:
    """Sessions built in code, held to the loader's rules, with times in the zone used."""
    missing = [c for c in SESSION_COLUMNS if c not in sessions.columns]
    if missing:
        raise InputError([Problem("sessions", "", c, None, "this column") for c in missing])
    frame = sessions[SESSION_COLUMNS].reset_index(drop=True)
    login = frame["login"].dtype
    zone = timezone or (str(login.tz) if isinstance(login, pd.DatetimeTZDtype) else "UTC")
    problems = missing_values(frame, "user_id", "sessions", "a user_id")
    for column in ("login", "logout"):
        frame[column], bad = timestamps_in_zone(frame[column], column, "sessions", zone)
        problems += bad
    backwards = (frame["logout"] <= frame["login"]).fillna(False).to_numpy()
    problems += [Problem("sessions", row_label(i), "logout", str(frame["logout"].iloc[i]),
                         "a logout after the login (sessions are [login, logout))")
                 for i in backwards.nonzero()[0]]
    raise_if_any(sorted(problems, key=lambda p: row_number(p.where)))
    return frame, zone


def shaped(schema: pa.DataFrameSchema, frame: pd.DataFrame | None = None,
           freq: str | None = None) -> pd.DataFrame:
    """``frame`` (or an empty frame) with exactly the columns and dtypes a pandera schema declares.

    Output frames declare their shape as a ``DataFrameSchema`` in the module that produces them
    (a schema object, not a ``DataFrameModel`` class: turning a model into a schema makes
    pandera look for dask's annotation types, and with dask installed for the portfolio that
    imported ``dask.dataframe``, over a second at every command's start). This builds their
    empty results and types the full ones, so an empty result has the same columns and dtypes
    as a full one. ``freq`` sets the frequency of a ``period`` column (the schema cannot know
    whether the allocation ran by month or by quarter).
    """
    if freq is not None and "period" in schema.columns:
        schema = schema.update_column("period", dtype=pd.PeriodDtype(freq))
    columns = list(schema.columns)
    schema = schema.update_columns({column: {"coerce": True} for column in columns})
    if frame is None:
        frame = pd.DataFrame({column: [] for column in columns})
    frame = frame[columns].reset_index(drop=True)
    for column in columns:  # categoricals (read coded) to text by their codes, not cell by cell
        if isinstance(frame[column].dtype, pd.CategoricalDtype) and \
                "str" in str(schema.columns[column].dtype):
            values = frame[column].array
            frame[column] = pd.array(values.categories, dtype="str").take(
                values.codes, allow_fill=True)
    return schema.coerce_dtype(frame)

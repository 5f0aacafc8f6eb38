"""Login sessions from Webex records: checked, de-duplicated, closed and cut (docs/rules.md M3a).

Both real sources of agent sessions (Search API ``agentSession`` pages and
``/v1/agents/activities`` pages) end up as the same raw columns: where each record came from,
its session id, agent id, start and end in epoch milliseconds, and whether it was still
active. This module applies the rules they share:

* a record without the fields the measure needs, an end before its start, or an instant
  outside the plausible window (epoch *seconds* read as milliseconds land in 1970) is a
  :class:`~toolkit.errors.Problem` naming file, record, field and session; all are raised
  together, none is skipped;
* the same session saved in two pages counts once; copies that disagree on who or when are
  refused, except that a closed copy supersedes an active one (a later page saw the logout),
  which is reported;
* an active session ends at the extraction time (``as_of``; else the latest instant found in
  the records), never at the machine's clock;
* a session longer than the tenant's ``max_session`` is cut there and reported
  (:func:`toolkit.metering.cut_long_sessions`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from toolkit.errors import Problem, raise_if_any
from toolkit.findings import FINDING_COLUMNS, findings_frame
from toolkit.metering import cut_long_sessions
from toolkit.policy import PLAUSIBLE_INSTANTS, Metering

IMPORT_COLUMNS = ["user_id", "login", "logout", "session_id", "open"]
_LOW, _HIGH = ((t - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(milliseconds=1)
               for t in PLAUSIBLE_INSTANTS)  # epoch ms
_PLAUSIBLE_MS = "epoch milliseconds between 2000-01-01 and 2100-01-01 (seconds are 1000x smaller)"


@dataclass(frozen=True)
class SessionImport:
    """Sessions read from Webex records, and what was done to them on the way.

    ``sessions`` has the ``sessions.csv`` shape (``user_id, login, logout``, UTC) plus
    ``session_id`` and ``open`` (True where the record was still active and its logout is
    the extraction time). ``findings`` (``rule, severity, subject, message``) lists the
    sessions closed, cut or merged, so nothing changes silently.
    """

    sessions: pd.DataFrame
    findings: pd.DataFrame = field(default_factory=lambda: findings_frame([]))


@dataclass
class RawSessions:
    """Raw columns gathered from pages, one entry per record (see the module docstring)."""

    files: list[str] = field(default_factory=list)
    file: list[int] = field(default_factory=list)
    where: list[str] = field(default_factory=list)  # "agentSessions[3]" without the id
    session_id: list = field(default_factory=list)
    user_id: list = field(default_factory=list)
    start: list = field(default_factory=list)
    end: list = field(default_factory=list)
    active: list = field(default_factory=list)
    fields: tuple[str, str, str, str] = ("agentSessionId", "agentId", "startTime", "endTime")
    #: Optional descriptive columns (``agent_name``, ``team``, ``site``), one entry per record
    #: when a source has them: carried to the sessions where any record has a value.
    details: dict[str, list] = field(default_factory=dict)


def build_import(raw: RawSessions, problems: list[Problem], *, as_of=None,
                 metering: Metering | None = None) -> SessionImport:
    """Check, de-duplicate, close and cut raw sessions; raise every problem at once."""
    metering = metering or Metering()
    ids, users, start, end, active, bad = checked_columns(raw)
    raise_if_any(problems + bad)
    frame = pd.DataFrame({"session_id": ids, "user_id": users, "start": start,
                          "end": end, "active": active,
                          "record": np.arange(len(ids))})
    for column, values in raw.details.items():
        if any(isinstance(v, str) and v.strip() for v in values):
            frame[column] = _texts(values)
    frame, findings, problems = _deduplicated(frame, raw)
    raise_if_any(problems)
    as_of_ms = _as_of(as_of, frame)
    late = frame["active"].to_numpy() & (frame["start"].to_numpy() > as_of_ms)
    raise_if_any([_problem(raw, int(r), raw.fields[2], int(s),
                           f"a start before the extraction time {_stamp(as_of_ms)} (--as-of)",
                           i)
                  for r, s, i in frame.loc[late, ["record", "start", "session_id"]].itertuples(
                      index=False)])
    sessions = _sessions(frame, as_of_ms)
    findings += _open_findings(sessions, as_of_ms)
    if as_of is None:
        findings += _closed_at_latest(sessions, as_of_ms)
    sessions, empty = _without_empty(sessions)
    findings += empty
    sessions, cut = cut_long_sessions(sessions, metering.max_session)
    return SessionImport(sessions, findings_frame(findings).pipe(_with, cut))


def checked_columns(raw: RawSessions):
    """Session id, agent id, start and end (epoch ms; −1 while active), the active flag, and
    the problems of every record (active: ``isActive`` true, or an end of −1 or null)."""
    ids = _texts(raw.session_id)
    users = _texts(raw.user_id)
    start, start_ok = _millis(raw.start)
    end, end_ok = _millis(raw.end)
    active = np.array([a is True or a == 1 for a in raw.active], dtype=bool)
    active |= np.isin(end, (-1,)) & end_ok
    active |= np.array([e is None for e in raw.end], dtype=bool)
    problems = _record_problems(raw, ids, users, start, start_ok, end, end_ok, active)
    return ids, users, start, np.where(active, -1, end), active, problems


def _with(findings: pd.DataFrame, more: pd.DataFrame) -> pd.DataFrame:
    return pd.concat([findings, more], ignore_index=True) if len(more) else findings


def _texts(values: list) -> np.ndarray:
    """Ids as text; anything that is not a non-empty string becomes None (a problem)."""
    return np.array([v if isinstance(v, str) and v.strip() else None for v in values],
                    dtype=object)


def _millis(values: list) -> tuple[np.ndarray, np.ndarray]:
    """Epoch milliseconds as int64 and which values were integers (ints or numeric text)."""
    try:
        numbers = np.fromiter(values, dtype=np.int64, count=len(values))
        ok = np.fromiter((type(v) is int for v in values), dtype=bool, count=len(values))
        if ok.all():
            return numbers, ok
    except (TypeError, ValueError, OverflowError):
        pass
    parsed = [_integer(v) for v in values]
    ok = np.array([p is not None for p in parsed], dtype=bool)
    return np.array([p if p is not None else 0 for p in parsed], dtype=np.int64), ok


def _integer(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if abs(value) < 2**62 else None
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**62:
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return _integer(int(value.strip()))
    return None


def _record_problems(raw, ids, users, start, start_ok, end, end_ok, active) -> list[Problem]:
    id_field, user_field, start_field, end_field = raw.fields
    closed = ~active
    checks = [
        (pd.isna(ids), id_field, raw.session_id, "a session id (text)"),
        (pd.isna(users), user_field, raw.user_id, "the agent id (text)"),
        (~start_ok, start_field, raw.start, "epoch milliseconds (an integer)"),
        (start_ok & ((start < _LOW) | (start >= _HIGH)), start_field, raw.start, _PLAUSIBLE_MS),
        (closed & ~end_ok, end_field, raw.end, "epoch milliseconds, or -1 while active"),
        (closed & end_ok & ((end < _LOW) | (end >= _HIGH)), end_field, raw.end, _PLAUSIBLE_MS),
    ]
    found = []
    for bad, name, values, expected in checks:
        found += [(int(i), name, values[i], expected) for i in np.flatnonzero(bad)]
    backwards = closed & start_ok & end_ok & (end < start)
    found += [(int(i), end_field, raw.end[i],
               f"an end at or after the start {raw.start[i]} ({_stamp(int(start[i]))})")
              for i in np.flatnonzero(backwards)]
    found.sort(key=lambda f: (raw.file[f[0]], f[0]))
    return [_problem(raw, i, name, value, expected, ids[i]) for i, name, value, expected in found]


def _problem(raw: RawSessions, record: int, column: str, value, expected: str,
             session_id) -> Problem:
    where = raw.where[record]
    if session_id is not None:
        where += f" ({raw.fields[0]} {session_id})"
    shown = value if value is None or isinstance(value, str | int | float) else repr(value)
    return Problem(raw.files[raw.file[record]], where, column, shown, expected)


def _deduplicated(frame: pd.DataFrame, raw: RawSessions):
    """One row per session id. Identical copies collapse; a closed copy supersedes an active
    one (reported); copies that disagree on the agent, the start or the end are refused."""
    repeated = frame["session_id"].duplicated(keep=False).to_numpy()
    if not repeated.any():
        return frame, [], []
    copies = frame[repeated]
    distinct = copies.drop_duplicates(["session_id", "user_id", "start", "end"])
    findings, problems, drop = [], [], []
    for session_id, group in distinct.groupby("session_id", sort=True):
        if len(group) == 1:
            continue
        closed = group[~group["active"]]
        same_who = group["user_id"].nunique() == 1 and group["start"].nunique() == 1
        if same_who and closed["end"].nunique() == 1:
            findings.append(("session-updated", "info", f"{group['user_id'].iloc[0]} "
                             f"/ {session_id}", "an active copy of the session is superseded "
                             "by a later copy that has its logout; the logout is used"))
            drop += group.loc[group["active"], "record"].tolist()
            continue
        first, other = group.iloc[0], group.iloc[1]
        problems.append(_problem(
            raw, int(other["record"]), raw.fields[1] if first["user_id"] != other["user_id"]
            else raw.fields[2] if first["start"] != other["start"] else raw.fields[3],
            f"{other['user_id']} {_stamp(int(other['start']))}-{_end_text(other)}",
            f"the same agent, start and end as the copy at {raw.files[raw.file[first['record']]]}"
            f" {raw.where[int(first['record'])]}: {first['user_id']} "
            f"{_stamp(int(first['start']))}-{_end_text(first)}", session_id))
    keep = ~frame["record"].isin(drop)
    frame = frame[keep].drop_duplicates("session_id", ignore_index=True)
    return frame, findings, problems


def _end_text(row) -> str:
    return "active" if row["active"] else _stamp(int(row["end"]))


def _as_of(as_of, frame: pd.DataFrame) -> int:
    """The extraction time in epoch ms: the given one, else the latest instant recorded."""
    if as_of is not None:
        stamp = pd.Timestamp(as_of)
        if stamp.tzinfo is None:
            raise ValueError(f"as_of must carry a time zone (e.g. {stamp.isoformat()}Z), "
                             f"not {as_of!r}")
        return (stamp - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(milliseconds=1)
    if frame.empty:
        return 0
    return int(max(frame["start"].max(), frame["end"].max()))


def _sessions(frame: pd.DataFrame, as_of_ms: int) -> pd.DataFrame:
    is_open = frame["active"].to_numpy()
    end = np.where(is_open, as_of_ms, frame["end"].to_numpy())
    sessions = pd.DataFrame({
        "user_id": pd.Series(frame["user_id"].to_numpy(), dtype="str"),
        "login": _utc(frame["start"].to_numpy()),
        "logout": _utc(end),
        "session_id": pd.Series(frame["session_id"].to_numpy(), dtype="str"),
        "open": is_open,
    })
    for column in frame.columns.difference(_RAW_COLUMNS, sort=False):
        sessions[column] = pd.Series(frame[column].to_numpy(dtype=object), dtype="str")
    return sessions.sort_values(["login", "user_id", "session_id"], kind="stable",
                                ignore_index=True)


#: The columns every raw frame has; any other is a detail column (RawSessions.details).
_RAW_COLUMNS = pd.Index(["session_id", "user_id", "start", "end", "active", "record"])


def _without_empty(sessions: pd.DataFrame) -> tuple[pd.DataFrame, list[tuple]]:
    """Sessions that last no time (logout at the login) count nothing: out, and reported."""
    empty = (sessions["logout"] <= sessions["login"]).to_numpy()
    findings = [("session-empty", "info", f"{user} / {session}",
                 "logout at the login instant: lasts no time, counts nothing")
                for user, session in zip(sessions.loc[empty, "user_id"],
                                         sessions.loc[empty, "session_id"], strict=True)]
    return sessions[~empty].reset_index(drop=True), findings


def _utc(millis: np.ndarray) -> pd.Series:
    return pd.Series(pd.DatetimeIndex(millis.astype("datetime64[ms]"), tz="UTC").as_unit("us"))


def _open_findings(sessions: pd.DataFrame, as_of_ms: int) -> list[tuple]:
    opened = sessions[sessions["open"]]
    when = _stamp(as_of_ms)
    return [("session-open", "info", f"{user} / {session}",
             f"still active in the records: ends at the extraction time {when}")
            for user, session in zip(opened["user_id"], opened["session_id"], strict=True)]


def _closed_at_latest(sessions: pd.DataFrame, as_of_ms: int) -> list[tuple]:
    """One warning when still-active sessions were ended at the latest recorded instant
    (no ``as_of``, no pull state): the run succeeds, but the newest of them counts little
    or nothing, and only the extraction time would say how long they really lasted."""
    count = int(sessions["open"].sum())
    if not count:
        return []
    when = _stamp(as_of_ms)
    return [("sessions-closed-at-latest", "warning", f"{count} open session(s)",
             f"{count} session(s) still active in the records were ended at {when}, the "
             f"latest instant in the records, because no extraction time is known (no "
             f"--as-of, no pull state beside the pages): they count only up to {when}. "
             f"Pass --as-of with the time the pages were saved to count them up to then")]


def _stamp(millis: int) -> str:
    return pd.Timestamp(millis, unit="ms", tz="UTC").isoformat().replace("+00:00", "Z")


__all__ = ["FINDING_COLUMNS", "IMPORT_COLUMNS", "RawSessions", "SessionImport", "build_import",
           "checked_columns"]

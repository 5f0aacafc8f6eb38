"""Webex Contact Center Search API pages (``POST /search``, GraphQL; docs/rules.md §6, M3a).

Two record kinds are read from saved pages (one response per file, any file names):

* **Agent Session Records** (``{"data": {"agentSession": {"agentSessions": [...],
  "pageInfo": ...}}}``) → login sessions, the real source of agent concurrency:
  :func:`load_agent_sessions`. ``agentId`` is the user id, ``agentSessionId`` the session id,
  ``startTime``/``endTime`` epoch milliseconds in UTC, ``endTime`` −1 (or null) and
  ``isActive: true`` while the agent is still logged in; ``agentName``, ``teamName`` and
  ``siteName``, where the records have them, become ``agent_name``, ``team``, ``site``.
  Pages are keyed by session id, not time, so page order means nothing; Cisco's own samples
  hold sessions "active" for months and several active sessions of one agent at once (see
  :mod:`toolkit.inputs.webex.session_records` for what is done about it).
* **Contact AI Agent Session records** (``{"data": {"contactAIAgentSession": {<list>: [...],
  ...}}}``) → ``ai_agent`` usage, one unit per session on its start instant:
  :func:`load_ai_agent_sessions`. The dictionary does not name the list key, so the first
  list under the query name is read. ``agentType`` maps to a usage type through
  :data:`AI_AGENT_TYPES`, a table a caller can override; an unknown type is a problem.

Only the fields the measure needs are required; any other field Cisco adds is ignored.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pandas as pd

from toolkit.errors import Problem, raise_if_any
from toolkit.findings import findings_frame
from toolkit.frames import USAGE_COLUMNS, USAGE_OPTIONAL
from toolkit.inputs.webex.pages import describe, export_time, iter_pages, page_records
from toolkit.inputs.webex.session_records import RawSessions, SessionImport, build_import
from toolkit.policy import PLAUSIBLE_INSTANTS, Metering

AGENT_SESSION = ("agentSession", "agentSessions")
AI_AGENT_SESSION = "contactAIAgentSession"

#: AI agent ``agentType`` (compared case-insensitively) → usage type. Both kinds Cisco
#: documents (Scripted, Autonomous) are sold as the AI Agent; override per call to split them.
AI_AGENT_TYPES = MappingProxyType({"scripted": "ai_agent", "autonomous": "ai_agent"})


def load_agent_sessions(path: str | Path, *, as_of=None,
                        metering: Metering | None = None) -> SessionImport:
    """Sessions of Search API ``agentSession`` pages (a response file or a folder of pages).

    ``as_of`` (a timezone-aware timestamp) is the extraction time at which still-active
    sessions end; without it, the latest instant found in the records. ``metering`` gives
    ``max_session`` (default 24h): longer sessions are cut there and reported. Raises
    :class:`~toolkit.errors.InputError` listing every problem of every page at once.

    Parameters
    ----------
    path : str or Path
        A Search API ``agentSession`` response, or a folder of its pages.
    as_of : Timestamp, optional
        The extraction time (tz-aware) at which still-active sessions end.
    metering : Metering, optional
        The tenant's metering policy (for ``max_session``).

    Returns
    -------
    SessionImport
        ``sessions`` (``user_id, login, logout, session_id, open`` and ``agent_name, team,
        site`` where the records name them; tz-aware UTC) and ``findings`` (``rule, severity,
        subject, message``).
    """
    raw, problems, cursors = RawSessions(), [], []
    for file, payload, bad in iter_pages(path):
        problems += bad
        if payload is None:
            continue
        records, where = agent_session_records(payload)
        what, advice = not_agent_sessions(payload, records) or (describe(payload), "")
        if records is None or advice:
            problems.append(Problem(file, where, "", what,
                                    "a Search API agentSession response of raw Agent Session "
                                    "Records ({'data': {'agentSession': {'agentSessions': "
                                    "[...]}}}), which measure counts" + advice))
            continue
        problems += _add_records(raw, file, records)
        cursors.append(_page_cursor(file, payload))
    as_of = as_of if as_of is not None else export_time(path)
    imported = build_import(raw, problems, as_of=as_of, metering=metering)
    missing = findings_frame(_missing_continuations(cursors, raw.session_id))
    if missing.empty:
        return imported
    return SessionImport(imported.sessions,
                         pd.concat([missing, imported.findings], ignore_index=True))


#: The rule of a folder holding a page whose continuation is not there (issue 23.4).
PARTIAL_EXPORT = "pages-incomplete"


def not_agent_sessions(payload, records: list | None) -> tuple[str, str] | None:
    """What a Search API page that holds no Agent Session Records is, and what to do, or None.

    An aggregation response (``agentSessions`` of ``{"aggregation": [...]}`` objects: counts
    per group, not sessions) and a page of another query (``taskDetails``: contacts, not
    logins) are whole pages of the wrong kind: one problem each, not one per missing field
    of every record.
    """
    if records is not None:
        if records and all(isinstance(r, dict) and "aggregation" in r
                           and "agentSessionId" not in r for r in records):
            return ("an aggregation response",
                    "; an aggregation gives counts per group, not sessions: query "
                    "agentSession without aggregations")
        return None
    data = payload.get("data") if isinstance(payload, dict) else None
    if isinstance(data, dict) and data:
        query = str(next(iter(data)))
        if query != AGENT_SESSION[0]:
            return (f"a Search API {query} response",
                    f"; {query} records are not agent logins: query agentSession")
    return None


def _page_cursor(file: str, payload) -> tuple[str, bool, object]:
    block = payload["data"][AGENT_SESSION[0]]
    info = block.get("pageInfo") if isinstance(block.get("pageInfo"), dict) else {}
    return file, info.get("hasNextPage") is True, info.get("endCursor")


def _missing_continuations(cursors: list[tuple[str, bool, object]],
                           session_ids: list) -> list[tuple]:
    """A warning for every page that says more follows when no saved page does.

    Cisco pages Agent Session Records in session-id order and the cursor is the last id of
    the page (its published samples show it), so the next page holds ids after the cursor:
    a page whose ``endCursor`` no saved record id follows is page N of a longer result
    whose remaining pages were never saved (a pull stopped, a file went missing).
    """
    ids = sorted(i for i in session_ids if isinstance(i, str))
    rows = []
    for file, more, cursor in cursors:
        if not more:
            continue
        after = bisect.bisect_right(ids, cursor) if isinstance(cursor, str) else len(ids)
        if after < len(ids):
            continue
        rows.append((PARTIAL_EXPORT, "warning", file,
                     f"hasNextPage is true but no saved page continues after endCursor "
                     f"{cursor!r}: the records after it are missing (pull again, or save "
                     f"the page for cursor {cursor!r}), so the usage is measured without them"))
    return rows


def agent_session_records(payload) -> tuple[list | None, str]:
    """The record list of an ``agentSession`` page, or None and where the shape broke."""
    query, listing = AGENT_SESSION
    if isinstance(payload, dict) and payload.get("errors") and not payload.get("data"):
        return None, "errors"
    data = payload.get("data") if isinstance(payload, dict) else None
    block = data.get(query) if isinstance(data, dict) else None
    records = block.get(listing) if isinstance(block, dict) else None
    return (records, "") if isinstance(records, list) else (None, "")


def _add_records(raw: RawSessions, file: str, records: list) -> list[Problem]:
    problems = []
    if not all(type(r) is dict for r in records):
        for i, r in enumerate(records):
            if not isinstance(r, dict):
                problems.append(Problem(file, f"agentSessions[{i}]", "", repr(r)[:40],
                                        "an Agent Session Record (an object)"))
        records = [r if isinstance(r, dict) else {} for r in records]
    n = len(records)
    raw.files.append(file)
    raw.file.extend([len(raw.files) - 1] * n)
    raw.where.extend(f"agentSessions[{i}]" for i in range(n))
    raw.session_id.extend([r.get("agentSessionId") for r in records])
    raw.user_id.extend([r.get("agentId") for r in records])
    raw.start.extend([r.get("startTime") for r in records])
    raw.end.extend([r.get("endTime") for r in records])
    raw.active.extend([r.get("isActive") for r in records])
    for column, name in SESSION_DETAILS.items():
        raw.details.setdefault(column, []).extend([r.get(name) for r in records])
    return problems


#: Descriptive fields of Agent Session Records kept on the sessions (column → record field):
#: who and where the agent was, for T1's "who made the peak" (:mod:`toolkit.peaks`).
SESSION_DETAILS = MappingProxyType({"agent_name": "agentName", "team": "teamName",
                                    "site": "siteName"})


# --- AI Agent sessions -------------------------------------------------------------------

def load_ai_agent_sessions(path: str | Path,
                           agent_types: Mapping[str, str] | None = None) -> pd.DataFrame:
    """``ai_agent`` usage (the ``usage.csv`` shape, UTC) from Contact AI Agent Session pages.

    One row per distinct ``sessionId``: quantity 1 at ``sessionStartTime``, ``user_id`` the AI
    agent's ``agentId``. ``agent_types`` is laid over :data:`AI_AGENT_TYPES`. Records without
    a session id or a plausible start, and agent types the table does not know, are problems
    (all raised at once).

    Parameters
    ----------
    path : str or Path
        Contact AI Agent Session pages (a file or a folder).
    agent_types : mapping, optional
        ``agentType`` → usage type, laid over :data:`AI_AGENT_TYPES`.

    Returns
    -------
    DataFrame
        The ``usage.csv`` shape (UTC): one row, quantity 1 (a session), per AI Agent session.
    """
    table = {**AI_AGENT_TYPES, **{k.casefold(): v for k, v in (agent_types or {}).items()}}
    problems: list[Problem] = []
    rows = []
    expected = ("a Search API contactAIAgentSession response "
                "({'data': {'contactAIAgentSession': {...: [...]}}})")
    for file, records in page_records(path, _ai_records, expected, problems):
        for index, record in enumerate(records):
            row, bad = _ai_row(file, index, record, table)
            problems += bad
            if row:
                rows.append(row)
    raise_if_any(problems)
    frame = pd.DataFrame(rows, columns=["session_id", "start", "usage_type", "user_id"])
    frame = frame.drop_duplicates("session_id")
    usage = pd.DataFrame({
        "timestamp": pd.DatetimeIndex(frame["start"].to_numpy(dtype=np.int64)
                                      .astype("datetime64[ms]"), tz="UTC").as_unit("us"),
        "usage_type": pd.Series(frame["usage_type"].to_numpy(), dtype="str"),
        "quantity": np.ones(len(frame)),
        "subscription_id": pd.Series([None] * len(frame), dtype="str"),
        "user_id": pd.Series(frame["user_id"].to_numpy(), dtype="str"),
    })
    return usage[USAGE_COLUMNS + USAGE_OPTIONAL].sort_values(
        ["timestamp", "user_id"], kind="stable", ignore_index=True)


def _ai_records(payload) -> list | None:
    data = payload.get("data") if isinstance(payload, dict) else None
    block = data.get(AI_AGENT_SESSION) if isinstance(data, dict) else None
    if isinstance(block, list):
        return block
    if isinstance(block, dict):
        return next((v for k, v in block.items() if k != "pageInfo" and isinstance(v, list)),
                    None)
    return None


def _ai_row(file: str, index: int, record, table: Mapping[str, str]):
    where = f"{AI_AGENT_SESSION}[{index}]"
    if not isinstance(record, dict):
        return None, [Problem(file, where, "", repr(record)[:40], "an AI Agent Session record")]
    session = record.get("sessionId")
    if isinstance(session, str) and session.strip():
        where += f" (sessionId {session})"
    problems = []
    if not (isinstance(session, str) and session.strip()):
        problems.append(Problem(file, where, "sessionId", session, "a session id (text)"))
    start = record.get("sessionStartTime")
    low, high = ((t - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(milliseconds=1)
                 for t in PLAUSIBLE_INSTANTS)
    if not (type(start) is int and low <= start < high):
        problems.append(Problem(file, where, "sessionStartTime", start,
                                "epoch milliseconds between 2000-01-01 and 2100-01-01"))
    kind = record.get("agentType")
    usage_type = table.get(str(kind).casefold()) if isinstance(kind, str) else None
    if usage_type is None:
        problems.append(Problem(file, where, "agentType", kind,
                                "an AI agent type of the table: " + ", ".join(sorted(table))
                                + " (pass agent_types= to add one)"))
    if problems:
        return None, problems
    return (session, start, usage_type, record.get("agentId")), []

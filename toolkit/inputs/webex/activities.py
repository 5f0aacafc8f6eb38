"""``GET /v1/agents/activities`` pages as a second source of login sessions (docs/rules.md §6, M3a).

A page is ``{"meta": {"orgId": ...}, "data": [AgentActivity, ...]}``; each activity (idle,
available, connected, ...) belongs to one login session (``agentSessionId``), and the one
with ``isLogin`` 1 is the login itself. A session therefore runs from its login activity's
``startTime`` to the end of its last activity; while one of its activities is still ``active``
(``endTime`` −1) the session is open and ends at the extraction time, like an active Agent
Session Record. The API serves at most 24 hours per request, so a pull saves many windows
and a session that began in an earlier window than any saved has no login activity: it then
starts at its first activity, and that is reported.

The sessions then go through the same checks, de-duplication, closing and cutting as Search
API records (:mod:`toolkit.inputs.webex.session_records`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from toolkit.errors import Problem, raise_if_any
from toolkit.findings import findings_frame
from toolkit.inputs.webex.pages import export_time, page_records
from toolkit.inputs.webex.session_records import (
    RawSessions,
    SessionImport,
    build_import,
    checked_columns,
)
from toolkit.policy import Metering

FIELDS = ("agentSessionId", "agentId", "startTime", "endTime")


def activity_records(payload) -> list | None:
    """The activity list of a ``/v1/agents/activities`` page, or None."""
    if isinstance(payload, dict) and isinstance(payload.get("data"), list) \
            and isinstance(payload.get("meta"), dict):
        return payload["data"]
    return None


def load_agent_activities(path: str | Path, *, as_of=None,
                          metering: Metering | None = None) -> SessionImport:
    """Login sessions of ``/v1/agents/activities`` pages (a file or a folder of pages)."""
    problems: list[Problem] = []
    raw = RawSessions(fields=FIELDS)
    logins = []
    expected = "a /v1/agents/activities response ({'meta': {...}, 'data': [...]})"
    for file, records in page_records(path, activity_records, expected, problems):
        raw.files.append(file)
        for index, record in enumerate(records):
            if not isinstance(record, dict):
                problems.append(Problem(file, f"data[{index}]", "", repr(record)[:40],
                                        "an agent activity (an object)"))
                record = {}
            raw.file.append(len(raw.files) - 1)
            raw.where.append(f"data[{index}]")
            raw.session_id.append(record.get("agentSessionId"))
            raw.user_id.append(record.get("agentId"))
            raw.start.append(record.get("startTime"))
            raw.end.append(record.get("endTime"))
            raw.active.append(record.get("active"))
            logins.append(record.get("isLogin") in (1, True, "1"))
    ids, users, start, end, active, bad = checked_columns(raw)
    raise_if_any(problems + bad)
    sessions, findings = _sessions(raw, ids, users, start, end, active, np.array(logins, bool))
    as_of = as_of if as_of is not None else export_time(path)
    result = build_import(sessions, [], as_of=as_of, metering=metering)
    return SessionImport(result.sessions,
                         pd.concat([findings, result.findings], ignore_index=True))


def _sessions(raw, ids, users, start, end, active, login):
    """One raw record per session: login activity's start (else the first activity's), the
    last activity's end, active when any of its activities is."""
    frame = pd.DataFrame({"session_id": ids, "user_id": users, "start": start, "end": end,
                          "active": active, "login": login, "record": np.arange(len(ids))})
    frame["login_start"] = frame["start"].where(frame["login"])
    grouped = frame.groupby("session_id", sort=True)
    per = grouped.agg(user_id=("user_id", "first"), first=("start", "min"),
                      login_start=("login_start", "min"), end=("end", "max"),
                      active=("active", "any"), record=("record", "min"))
    missing = per["login_start"].isna()
    findings = findings_frame([
        ("session-login-missing", "info", f"{row.user_id} / {subscription_id}",
         "no login activity in the pages (it began before the first window saved): "
         "counted from its first activity")
        for subscription_id, row in per[missing].iterrows()])
    sessions = RawSessions(files=raw.files, fields=FIELDS)
    sessions.file = [raw.file[r] for r in per["record"]]
    sessions.where = [raw.where[r] for r in per["record"]]
    sessions.session_id = per.index.tolist()
    sessions.user_id = per["user_id"].tolist()
    sessions.start = per["login_start"].fillna(per["first"]).astype(np.int64).tolist()
    sessions.end = np.where(per["active"], -1, per["end"]).astype(np.int64).tolist()
    sessions.active = per["active"].tolist()
    return sessions, findings

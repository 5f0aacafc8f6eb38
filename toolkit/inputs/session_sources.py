"""Agent sessions from whichever source an analyst has, recognised by content (SPEC M3, M3a).

``sessions.csv`` (typed or exported), Search API ``agentSession`` pages and
``/v1/agents/activities`` pages all become a :class:`SessionImport`; the kind is read from
the files themselves, never from their names (pulled folders get renamed). Each source
applies the tenant's ``metering.max_session`` cut and reports what it changed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from toolkit.inputs.activities import activity_records, load_agent_activities
from toolkit.inputs.pages import page_files
from toolkit.inputs.search import agent_session_records, load_agent_sessions
from toolkit.inputs.session_records import SessionImport
from toolkit.inputs.sessions import load_sessions
from toolkit.metering import cut_long_sessions
from toolkit.model import Tenant

SOURCES = ("sessions.csv", "agentSession", "activities")


def session_source(path: str | Path) -> str:
    """Which of :data:`SOURCES` the file or folder holds, judged from its content.

    A file whose first character is not ``{`` or ``[`` is a CSV. For JSON, the first page
    that parses and has a known shape decides; when none does, ``agentSession`` (its loader
    then names every problem).
    """
    files = page_files(path)
    for file in files:
        head = file.read_bytes()[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
        if not head.startswith((b"{", b"[")):
            return "sessions.csv"
        try:
            payload = json.loads(file.read_bytes())
        except (json.JSONDecodeError, UnicodeDecodeError):
            continue
        if agent_session_records(payload)[0] is not None:
            return "agentSession"
        if activity_records(payload) is not None:
            return "activities"
    return "agentSession"


def load_session_source(path: str | Path, tenant: Tenant | None = None, *,
                        as_of=None) -> SessionImport:
    """Sessions (UTC for pages, the tenant's zone for a CSV) and findings from any source."""
    metering = tenant.metering if tenant is not None else None
    kind = session_source(path)
    if kind == "agentSession":
        return load_agent_sessions(path, as_of=as_of, metering=metering)
    if kind == "activities":
        return load_agent_activities(path, as_of=as_of, metering=metering)
    sessions = load_sessions(path, tenant)
    sessions = sessions.assign(session_id=pd.Series(None, index=sessions.index, dtype="str"),
                               open=False)
    cut, findings = cut_long_sessions(sessions, metering.max_session if metering else "24h")
    return SessionImport(cut, findings)

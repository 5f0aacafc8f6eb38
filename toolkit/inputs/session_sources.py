"""Agent sessions from whichever source an analyst has, recognised by content (docs/rules.md M3).

``sessions.csv`` (typed or exported), Search API ``agentSession`` pages and
``/v1/agents/activities`` pages all become a :class:`SessionImport`; the kind is read from
the files themselves, never from their names (pulled folders get renamed). Each source
applies the tenant's ``metering.max_session`` cut and reports what it changed.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pandas as pd

from toolkit.findings import findings_frame
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

    A folder of pages is recognised by all its files: when any of them starts with ``{`` or
    ``[`` it is JSON pages, and an empty or unreadable file among them is named by the
    pages' loader (not taken for a CSV). Otherwise it is a CSV. For JSON, the first page
    that parses and has a known shape decides; when none does, ``agentSession`` (its loader
    then names every problem).
    """
    files = page_files(path)
    heads = [_head(file) for file in files]
    if not any(head.startswith((b"{", b"[")) for head in heads):
        blank = Path(path).is_dir() and not any(heads)
        return "agentSession" if blank else "sessions.csv"  # a folder of empty pages: named
    for file, head in zip(files, heads, strict=True):
        if not head.startswith((b"{", b"[")):
            continue  # empty, unreadable or not JSON: its loader names it
        try:
            payload = json.loads(file.read_bytes())
        except (json.JSONDecodeError, UnicodeDecodeError):
            continue
        if agent_session_records(payload)[0] is not None:
            return "agentSession"
        if activity_records(payload) is not None:
            return "activities"
    return "agentSession"


def _head(file: Path) -> bytes:
    """The first bytes of a file past a BOM and white space (empty when unreadable)."""
    try:
        with file.open("rb") as handle:
            return handle.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    except OSError:
        return b""


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


def match_agents(imported: SessionImport, users: pd.DataFrame) -> SessionImport:
    """Sessions whose ``user_id`` is a Contact Center ``agentId`` re-keyed to ``users.csv``.

    A CC agent id is not a Webex person id: ``/v1/people`` ids are base64 of
    ``ciscospark://us/PEOPLE/<uuid>`` while CC agent ids are that bare UUID or, for older
    agents, a 20-character id of their own. An agent id matches, in this order, a
    ``user_id`` as it is, the optional ``webex_agent_id`` column (what ``import-webex``
    writes: the person id) as it is or the UUID inside it, or the UUID inside a Webex
    person id used as ``user_id`` (compared without regard to case). Agent ids that match
    nothing stay as they are (counted unmapped, M5) and are reported, one finding per agent.
    """
    sessions = imported.sessions
    known = set(users["user_id"].dropna())
    table: dict[str, str] = {}
    if "webex_agent_id" in users.columns:
        pairs = users[["webex_agent_id", "user_id"]].dropna()
        for agent, user in zip(pairs["webex_agent_id"], pairs["user_id"], strict=True):
            table[str(agent).casefold()] = user
            inner = _person_uuid(str(agent))
            if inner:
                table.setdefault(inner, user)
    for user in sorted(known):
        inner = _person_uuid(user)
        if inner:
            table.setdefault(inner, user)
    agents = pd.unique(sessions["user_id"])
    lookup = {a: a if a in known else table.get(str(a).casefold()) for a in agents}
    unmatched = sorted(a for a, u in lookup.items() if u is None)
    rekeyed = sessions.assign(user_id=sessions["user_id"].map(
        lambda a: lookup[a] or a).astype("str"))
    findings = findings_frame([
        ("agent-unmatched", "warning", agent,
         "no users row has this agent id (as user_id, webex_agent_id or inside a Webex "
         "person id): its sessions count with no subscription")
        for agent in unmatched])
    both = pd.concat([imported.findings, findings], ignore_index=True)
    return SessionImport(rekeyed, both)


def _person_uuid(person_id: str) -> str | None:
    """The UUID inside a Webex id (base64 of ``ciscospark://<region>/<TYPE>/<uuid>``)."""
    try:
        text = base64.b64decode(person_id + "=" * (-len(person_id) % 4), validate=False)
        decoded = text.decode("ascii")
    except (ValueError, UnicodeDecodeError):
        return None
    if not decoded.startswith("ciscospark://"):
        return None
    return decoded.rsplit("/", 1)[-1].casefold() or None

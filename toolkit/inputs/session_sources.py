"""Agent sessions from whichever source an analyst has, recognised by content (docs/rules.md M3).

``sessions.csv`` (typed or exported) and every registered vendor source (Webex's Search API
``agentSession`` pages and ``/v1/agents/activities`` pages) become a :class:`SessionImport`;
the kind is read from the files themselves, never from their names (pulled folders get
renamed). Each source applies the tenant's ``metering.max_session`` cut and reports what it
changed. A second vendor's export is one module with a ``detect`` and a ``load`` function and
one line in :data:`SOURCES`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from toolkit.inputs.dataset import table_file
from toolkit.inputs.sessions import load_sessions
from toolkit.inputs.webex.activities import activity_records, load_agent_activities
from toolkit.inputs.webex.agents import match_agents
from toolkit.inputs.webex.pages import page_files, read_json_file
from toolkit.inputs.webex.search import agent_session_records, load_agent_sessions
from toolkit.inputs.webex.session_records import SessionImport
from toolkit.metering import cut_long_sessions
from toolkit.model import SESSIONS_FILE, Tenant

#: Where ``multisub pull`` saves a tenant's Search API agent sessions, inside its directory.
PULLED_SESSIONS = Path("raw") / "agentSession"
#: The source name of a sessions CSV (the toolkit's own format, recognised as not JSON).
CSV_SOURCE = "sessions.csv"


@dataclass(frozen=True)
class SessionSource:
    """A vendor's session export: how to recognise one parsed page, and how to load a file
    or folder of them (``load(path, *, as_of, metering) -> SessionImport``)."""

    detect: Callable[[object], bool]
    load: Callable[..., SessionImport]


#: Registered vendor sources, in the order they are tried on a page.
SOURCES: dict[str, SessionSource] = {
    "agentSession": SessionSource(lambda page: agent_session_records(page)[0] is not None,
                                  load_agent_sessions),
    "activities": SessionSource(lambda page: activity_records(page) is not None,
                                load_agent_activities),
}
#: The source assumed when no page has a known shape: its loader then names every problem.
FALLBACK_SOURCE = "agentSession"


def session_source(path: str | Path) -> str:
    """Which source the file or folder holds (:data:`CSV_SOURCE` or a key of
    :data:`SOURCES`), judged from its content.

    A folder of pages is recognised by all its files: when any of them starts with ``{`` or
    ``[`` it is JSON pages, and an empty or unreadable file among them is named by the
    pages' loader (not taken for a CSV). Otherwise it is a CSV. For JSON, the first page
    that parses and has a known shape decides; when none does, :data:`FALLBACK_SOURCE` (its
    loader then names every problem).
    """
    files = page_files(path)
    heads = [_head(file) for file in files]
    if not any(head.startswith((b"{", b"[")) for head in heads):
        blank = Path(path).is_dir() and not any(heads)
        return FALLBACK_SOURCE if blank else CSV_SOURCE  # a folder of empty pages: named
    for file, head in zip(files, heads, strict=True):
        if not head.startswith((b"{", b"[")):
            continue  # empty, unreadable or not JSON: its loader names it
        payload, _ = read_json_file(file)  # its problems are named by the loader
        if payload is None:
            continue
        for name, source in SOURCES.items():
            if source.detect(payload):
                return name
    return FALLBACK_SOURCE


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
    if kind != CSV_SOURCE:
        return SOURCES[kind].load(path, as_of=as_of, metering=metering)
    sessions = load_sessions(path, tenant)
    sessions = sessions.assign(session_id=pd.Series(None, index=sessions.index, dtype="str"),
                               open=False)
    cut, findings = cut_long_sessions(sessions, metering.max_session if metering else "24h")
    return SessionImport(cut, findings)


def tenant_session_source(directory: str | Path) -> Path | None:
    """The sessions a tenant directory's agent usage is measured from, the one place that
    decides it (``multisub peaks``, :attr:`toolkit.Workspace.contributors`): the pulled
    ``raw/agentSession`` pages when there are any (what ``multisub pull`` saves and ``measure``
    makes the bill's agent usage of), else ``sessions.csv`` (or ``sessions.parquet``); None
    when the directory has neither. Both CSV and Parquet at once is left to the loader of
    the tenant directory, which names it."""
    directory = Path(directory)
    if directory.is_file():  # a tenant file: its folder is the tenant directory
        directory = directory.parent
    pages = directory / PULLED_SESSIONS
    if pages.is_dir() and any(p.is_file() and not p.name.startswith(".")
                              for p in pages.iterdir()):
        return pages
    found, _ = table_file(directory, SESSIONS_FILE)
    return found


def measured_sessions(source: str | Path, tenant: Tenant, users: pd.DataFrame | None, *,
                      as_of=None) -> SessionImport:
    """The sessions of ``source`` as the bill measures them: loaded with the tenant's metering
    (:func:`load_session_source`) and, for vendor pages, their agent ids matched to the
    users table (:func:`toolkit.match_agents`; a CSV is keyed by ``user_id`` already)."""
    imported = load_session_source(source, tenant, as_of=as_of)
    if users is not None and session_source(source) != CSV_SOURCE:
        imported = match_agents(imported, users)
    return imported

"""Contact Center agent ids matched to the people of ``users.csv``.

A session record names its agent by a Contact Center ``agentId``, which is not a Webex
person id: ``/v1/people`` ids are base64 of ``ciscospark://us/PEOPLE/<uuid>`` while CC agent
ids are that bare UUID or, for older agents, a 20-character id of their own.
"""

from __future__ import annotations

import base64

import pandas as pd

from toolkit.findings import findings_frame
from toolkit.inputs.webex.session_records import SessionImport


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

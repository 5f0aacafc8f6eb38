"""Loading ``ai_agents.csv``: which subscription an AI agent's sessions count toward (M5).

An AI Agent session is tenant usage, not a person's: its ``user_id`` is the AI agent's id
(``ai-claims``), which the users table never lists. Left alone it would be "user not in the
users table" and unallocated. The AI agent table says where each agent's usage goes::

    agent_id,name,subscription_id
    ai-claims,Claims assistant,Sub-1003
    ai-assist,General assistant,

``agent_id`` (required, unique) is the id the sessions carry; ``name`` (optional, unique) the
agent's name as Control Hub shows it — a usage row naming the agent by either is the agent's;
``subscription_id`` (optional) the subscription its sessions are attributed to. An agent with
no subscription, and an AI Agent session whose agent the table does not list, are **pooled pro
rata** across the subscriptions holding the type (M5, the default), never dropped.

Every problem of the file at once, each naming file, row (with the agent id), column, value and
what was expected: an empty or repeated id or name, a subscription the tenant does not have.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from toolkit.checks import beside_rows, clean_names, row_label, row_number
from toolkit.errors import Problem, raise_if_any
from toolkit.inputs.csv_input import read_text_table
from toolkit.model import Tenant

AI_AGENTS_FILE = "ai_agents.csv"
AI_AGENT_COLUMNS = ("agent_id",)
AI_AGENT_OPTIONAL = ("name", "subscription_id")


def load_ai_agents(path: str | Path, tenant: Tenant | None = None) -> pd.DataFrame:
    """Read and check ``ai_agents.csv`` (``agent_id, name, subscription_id``, text; empty
    ``name``/``subscription_id`` as NA); raise InputError listing every bad row."""
    file = str(path)
    text = read_text_table(path, AI_AGENT_COLUMNS, AI_AGENT_OPTIONAL)
    for column in AI_AGENT_OPTIONAL:
        if column not in text.columns:
            text[column] = pd.Series(pd.NA, index=text.index, dtype="str")
    problems: list[Problem] = []
    frame = pd.DataFrame(index=text.index)
    for column in ("agent_id", *AI_AGENT_OPTIONAL):
        frame[column], bad = clean_names(text, column, file)
        problems += bad
    problems += _empty_ids(frame, file)
    problems += _repeated(frame, "agent_id", file) + _repeated(frame, "name", file)
    if tenant is not None:
        problems += _unknown_subscriptions(frame, tenant, file)
    problems = sorted(problems, key=lambda p: row_number(p.where))
    raise_if_any(beside_rows(problems, text, "agent_id"))
    return frame.reset_index(drop=True)


def _empty_ids(frame: pd.DataFrame, file: str) -> list[Problem]:
    return [Problem(file, row_label(i), "agent_id", None, "the AI agent's id (ai-claims)")
            for i, value in enumerate(frame["agent_id"]) if pd.isna(value)]


def _repeated(frame: pd.DataFrame, column: str, file: str) -> list[Problem]:
    """A second row for one agent: which subscription counts would be a guess."""
    seen: dict[str, int] = {}
    problems = []
    for i, value in enumerate(frame[column]):
        if pd.isna(value):
            continue
        if value in seen:
            problems.append(Problem(file, row_label(i), column, value,
                                    f"each {column} once (also {row_label(seen[value])})"))
        seen.setdefault(value, i)
    return problems


def _unknown_subscriptions(frame: pd.DataFrame, tenant: Tenant, file: str) -> list[Problem]:
    known = ", ".join(tenant.departments)
    return [Problem(file, row_label(i), "subscription_id", value,
                    f"a subscription of the tenant ({known}), or empty to pool pro rata")
            for i, value in enumerate(frame["subscription_id"])
            if not pd.isna(value) and value not in tenant.departments]

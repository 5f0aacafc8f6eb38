"""A whole tenant directory (docs/rules.md §6) loaded at once, with every file's problems reported
together: an analyst fixing a tenant wants the full list, not one file at a time."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from toolkit.errors import InputError, Problem
from toolkit.inputs.ai_agents import AI_AGENTS_FILE, load_ai_agents
from toolkit.inputs.budgets import load_budgets
from toolkit.inputs.sessions import load_sessions
from toolkit.inputs.tenant_file import load_tenant
from toolkit.inputs.usage import load_usage
from toolkit.inputs.users import load_users
from toolkit.model import BUDGETS_FILE, SESSIONS_FILE, USAGE_FILE, USERS_FILE, Tenant
from toolkit.periods import as_of_date


@dataclass(frozen=True)
class TenantData:
    """The tenant and the optional tables found next to it (``None`` when absent)."""

    tenant: Tenant
    usage: pd.DataFrame | None
    users: pd.DataFrame | None
    directory: Path
    budgets: pd.DataFrame | None = None
    sessions: pd.DataFrame | None = None
    ai_agents: pd.DataFrame | None = None  # ai_agents.csv: AI agent → subscription (M5)

    def as_of(self, period: str = "M") -> dt.date | None:
        """The tenant's default "as of" day (:func:`toolkit.periods.as_of_date`)."""
        return as_of_date(self.usage, self.tenant.timezone, period)


def load_tenant_dir(path: str | Path) -> TenantData:
    """Load ``tenant.yaml`` and, when present, the usage, users, budgets, sessions and AI
    agent files (each a CSV or a Parquet file of the same name: ``usage.csv`` or
    ``usage.parquet``)."""
    directory = Path(path)
    if not directory.is_dir():
        directory = directory.parent
    tenant = load_tenant(path)
    tables: dict[str, pd.DataFrame] = {}
    problems: list[Problem] = []
    loaders = (("usage", USAGE_FILE, load_usage), ("users", USERS_FILE, load_users),
               ("budgets", BUDGETS_FILE, load_budgets), ("sessions", SESSIONS_FILE, load_sessions),
               ("ai_agents", AI_AGENTS_FILE, load_ai_agents))
    for name, file, loader in loaders:
        target, ambiguous = table_file(directory, file)
        problems += ambiguous
        if target is None or ambiguous:
            tables[name] = None
            continue
        try:
            tables[name] = loader(target, tenant)
        except InputError as error:
            problems += error.problems
    if problems:
        raise InputError(problems)
    return TenantData(tenant, tables["usage"], tables["users"], directory, tables["budgets"],
                      tables["sessions"], tables["ai_agents"])


def table_file(directory: Path, file: str) -> tuple[Path | None, list[Problem]]:
    """The file holding one table: ``usage.csv`` or ``usage.parquet`` (``None`` if neither).

    Both at once is a problem: which one is current would be a guess.
    """
    found = [path for path in table_files(directory, file) if path.exists()]
    if len(found) > 1:
        return None, [Problem(str(found[1]), "", "", None,
                              f"either {found[0].name} or {found[1].name}, not both")]
    return (found[0] if found else None), []


def table_files(directory: Path, file: str) -> tuple[Path, Path]:
    """The two names one table may have in ``directory``: ``usage.csv`` and ``usage.parquet``."""
    return directory / file, directory / Path(file).with_suffix(".parquet")

"""Loading ``sessions.csv`` (docs/rules.md §6): raw agent login/logout records for metering (M3).

The rows become the sessions frame of :mod:`toolkit.frames`;
:func:`toolkit.metering.measure_sessions` turns them into usage.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from toolkit.checks import (
    beside_rows,
    clean_names,
    missing_values,
    names_as_written,
    parse_timestamps,
    problem_rows,
    row_label,
    row_number,
)
from toolkit.errors import Problem, raise_if_any
from toolkit.frames import SESSION_COLUMNS
from toolkit.inputs.csv_input import read_text_table
from toolkit.inputs.typed import INSTANT, read_typed, sorted_by
from toolkit.model import Tenant
from toolkit.policy import PLAUSIBLE_INSTANTS, PLAUSIBLE_TEXT

#: The typed columns of the fast path (``user_id`` is text).
SESSION_KINDS = {"login": INSTANT, "logout": INSTANT}


def typed_session_problems(frame: pd.DataFrame, file: str) -> list[Problem]:
    """The checks typed sessions (fast path) must pass; any problem sends the file to the
    text path, which reports every one with its row and the cell as written."""
    if not names_as_written(frame, ["user_id"]):
        return [Problem(file, "", "user_id", None, "names as clean_name writes them")]
    problems = missing_values(frame, "user_id", file, "a user id")
    for column in ("login", "logout"):
        problems += missing_values(frame, column, file, "a date-time")
    problems += _implausible(frame, file)
    backwards = (frame["logout"] <= frame["login"]).fillna(False).to_numpy()
    return problems + [Problem(file, row_label(i), "logout", None, "a logout after the login")
                       for i in backwards.nonzero()[0]]


def load_sessions(path: str | Path, tenant: Tenant | None = None) -> pd.DataFrame:
    """Read and validate ``sessions.csv`` (``user_id, login, logout``); sorted by login.

    Times are read in the tenant's time zone (UTC without a tenant). A session without a
    logout, or whose logout is not after its login, is reported, never guessed: a missing
    logout could mean a crash, a still-open session or a lost record. A time outside the
    plausible window (:data:`toolkit.policy.PLAUSIBLE_INSTANTS`: a logout typed as 9999) is
    an error too; a plausible but overlong session is cut by the measure, with a finding.

    Parameters
    ----------
    path : str or Path
        ``sessions.csv`` or ``sessions.parquet``.
    tenant : Tenant, optional
        Its zone reads naive times (UTC without one).

    Returns
    -------
    DataFrame
        ``user_id, login, logout`` (tz-aware), sorted by ``login``.
    """
    file = str(path)
    timezone = tenant.timezone if tenant else "UTC"
    fast = read_typed(path, SESSION_COLUMNS, (), SESSION_KINDS, timezone, extra=())
    if fast is not None and not typed_session_problems(fast, file):
        return sorted_by(fast, ["login", "user_id"])
    text = read_text_table(path, SESSION_COLUMNS, extra=())
    text["user_id"], problems = clean_names(text, "user_id", file)
    frame = text.copy()
    problems += missing_values(text, "user_id", file, "a user id")
    frame["login"], bad = parse_timestamps(text, "login", file, timezone)
    problems += bad
    frame["logout"], bad = parse_timestamps(text, "logout", file, timezone, required=False)
    problems += bad
    problems += missing_values(text, "logout", file,
                               "a logout time (an open session is not guessed)")
    problems += _implausible(frame, file, text)
    skip = problem_rows(problems)
    backwards = (frame["logout"] <= frame["login"]).fillna(False).to_numpy()
    problems += [
        Problem(file, row_label(i), "logout", text["logout"].iloc[i],
                f"a logout after the login {text['login'].iloc[i]} (sessions are [login, logout))")
        for i in backwards.nonzero()[0] if i not in skip
    ]
    problems = sorted(problems, key=lambda p: row_number(p.where))
    raise_if_any(beside_rows(problems, text, "user_id"))
    return frame.sort_values(["login", "user_id"], kind="stable", ignore_index=True)


def _implausible(frame: pd.DataFrame, file: str,
                 text: pd.DataFrame | None = None) -> list[Problem]:
    """Times outside the plausible window; ``text`` (the cells as written) names the values."""
    low, high = PLAUSIBLE_INSTANTS
    problems = []
    for column in ("login", "logout"):
        stamps = frame[column]
        outside = ((stamps < low) | (stamps >= high)).fillna(False).to_numpy()
        problems += [Problem(file, row_label(i), column,
                             None if text is None else text[column].iloc[i], PLAUSIBLE_TEXT)
                     for i in outside.nonzero()[0]]
    return problems

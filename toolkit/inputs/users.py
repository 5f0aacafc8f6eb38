"""Loading ``users.csv`` (rules.md §6): who is mapped to which subscription, with which license.

A user may have several rows, one per license (e.g. an agent who also holds a WFO seat), and,
with the optional ``start``/``end`` columns, one row per mapping period: an agent remapped from
one subscription to another mid-month has two rows, ``[start, end)`` each, and usage counts
toward the subscription the user was mapped to at the instant it happened. Empty ``start`` or
``end`` means "since ever" / "until further notice".

Mapping matters twice: usage carrying a user id is attributed to the user's subscription
(M5), and a user mapped to no active subscription loses access (V2–V4).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from toolkit.checks import (
    beside_rows,
    clean_names,
    look_alike_problems,
    names_as_written,
    parse_timestamps,
    problem_rows,
    row_number,
    schema_problems,
)
from toolkit.errors import Problem, raise_if_any
from toolkit.frames import (
    USER_COLUMNS,
    USER_OPTIONAL,
    WINDOW,
    users_schema,
    window_problems,
)
from toolkit.inputs.csv_input import read_text_table
from toolkit.inputs.typed import INSTANT, read_typed
from toolkit.model import Tenant
from toolkit.policy import DEFAULT_USAGE_TYPES

#: The typed columns of the fast path (the others are text).
USER_KINDS = {column: INSTANT for column in WINDOW}


def typed_user_problems(frame: pd.DataFrame, file: str, tenant: Tenant | None) -> list[Problem]:
    """The checks a typed users frame (fast path) must pass, lower-casing roles as the text
    path does; any problem sends the file to the text path, which reports every one."""
    usage_types = tenant.usage_types if tenant else DEFAULT_USAGE_TYPES
    subscription_ids = tenant.departments.keys() if tenant else None
    frame["role"] = frame["role"].str.lower()
    if not names_as_written(frame, NAMES):
        return [Problem(file, "", "", None, "names as clean_name writes them")]
    return (window_problems(frame, frame, file, skip=set())
            + schema_problems(frame, users_schema(usage_types, subscription_ids), file))


#: Columns users.csv may carry that the toolkit keeps but does not check (docs/rules.md §6):
#: the Webex agent id written by ``import-webex``, which links a user to Webex sessions.
USER_EXTRA = ("webex_agent_id",)

#: Columns holding names (trimmed, NFC, refused when not a name: see ``clean_name``).
NAMES = ("user_id", "subscription_id", "department")


def load_users(path: str | Path, tenant: Tenant | None = None) -> pd.DataFrame:
    """Read and validate ``users.csv``; raise InputError listing every bad row.

    An empty ``subscription_id`` is allowed: an unmapped user is a provisioning finding
    (V2), not a broken file. With a ``tenant``, subscription ids must belong to it and the
    optional ``start``/``end`` mapping bounds are read in its time zone (a bare date means
    midnight there). A mapping that ends before it starts, or two rows of one user and
    license whose periods overlap, are problems: which subscription counts would be a guess.

    Parameters
    ----------
    path : str or Path
        ``users.csv`` or ``users.parquet``.
    tenant : Tenant, optional
        Subscription ids are checked against it; its zone reads ``start``/``end``.

    Returns
    -------
    DataFrame
        ``user_id, role, license, subscription_id, department, email, start, end`` (the
        mapping's half-open stretch, tz-aware, NaT = unbounded) and ``webex_agent_id`` when
        the file has it.
    """
    file = str(path)
    timezone = tenant.timezone if tenant else "UTC"
    fast = read_typed(path, USER_COLUMNS, USER_OPTIONAL, USER_KINDS, timezone, extra=USER_EXTRA)
    if fast is not None and not typed_user_problems(fast, file, tenant):
        return fast
    text = read_text_table(path, USER_COLUMNS, USER_OPTIONAL, extra=USER_EXTRA)
    for column in USER_OPTIONAL:
        if column not in text.columns:
            text[column] = pd.Series(pd.NA, index=text.index, dtype="str")
    problems: list[Problem] = []
    for column in NAMES:
        text[column], bad = clean_names(text, column, file)
        problems += bad
    frame = text.copy()
    for column in WINDOW:
        frame[column], bad = parse_timestamps(text, column, file, timezone, required=False)
        problems += bad
    problems += window_problems(frame, text, file, skip=problem_rows(problems))
    usage_types = tenant.usage_types if tenant else DEFAULT_USAGE_TYPES
    subscription_ids = tenant.departments.keys() if tenant else None
    frame["role"] = frame["role"].str.lower()
    problems += schema_problems(frame, users_schema(usage_types, subscription_ids), file)
    problems += look_alike_problems(text["user_id"], file, "", "user_id")
    problems = sorted(problems, key=lambda p: row_number(p.where))
    raise_if_any(beside_rows(problems, text, "user_id"))
    return frame



"""Loading ``usage.csv`` (docs/rules.md §6): what was consumed, when, and by whom.

Rows name a usage type and a quantity, and optionally the subscription or the user they
belong to; allocation uses those to attribute the usage (M5). Timestamps are read in the
tenant's time zone, because days and billing months begin there.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from toolkit.checks import (
    missing_values,
    parse_numbers,
    parse_timestamps,
    problem_rows,
    schema_problems,
    year_problems,
)
from toolkit.errors import raise_if_any
from toolkit.frames import USAGE_COLUMNS, USAGE_OPTIONAL, usage_schema
from toolkit.inputs.csv_input import read_text_table
from toolkit.inputs.typed import INSTANT, NUMBER, read_typed, sorted_by
from toolkit.model import Tenant
from toolkit.policy import DEFAULT_USAGE_TYPES

#: The typed columns of the fast path (the others are text).
USAGE_KINDS = {"timestamp": INSTANT, "quantity": NUMBER}


def typed_usage_problems(frame: pd.DataFrame, file: str, tenant: Tenant | None) -> list:
    """The checks a typed usage frame (fast path, or a chunk of a stream) must pass; any
    problem sends the file to the text path, which reports every one with its row."""
    usage_types = tenant.usage_types if tenant else DEFAULT_USAGE_TYPES
    subscription_ids = tenant.departments.keys() if tenant else None
    return (missing_values(frame, "timestamp", file, "a date-time")
            + year_problems(frame, "timestamp", file)
            + schema_problems(frame, usage_schema(usage_types, subscription_ids), file))


def load_usage(path: str | Path, tenant: Tenant | None = None) -> pd.DataFrame:
    """Read and validate ``usage.csv``; raise InputError listing every bad row.

    With a ``tenant``, timestamps are read in its time zone and usage types and subscription
    ids are checked against it; without one, against the default policy table, in UTC.

    Parameters
    ----------
    path : str or Path
        ``usage.csv`` or ``usage.parquet``.
    tenant : Tenant, optional
        Checks types and subscription ids against it; its zone reads naive times.

    Returns
    -------
    DataFrame
        ``timestamp`` (tz-aware), ``usage_type``, ``quantity`` (the type's unit: agents,
        minutes, sessions, messages), ``subscription_id``, ``user_id``.
    """
    file = str(path)
    timezone = tenant.timezone if tenant else "UTC"
    fast = read_typed(path, USAGE_COLUMNS, USAGE_OPTIONAL, USAGE_KINDS, timezone, extra=())
    if fast is not None and not typed_usage_problems(fast, file, tenant):
        return sorted_by(fast, ["timestamp"])
    text = read_text_table(path, USAGE_COLUMNS, USAGE_OPTIONAL, extra=())
    for column in USAGE_OPTIONAL:
        if column not in text.columns:
            text[column] = pd.Series(pd.NA, index=text.index, dtype="str")
    frame = text.copy()
    frame["timestamp"], problems = parse_timestamps(text, "timestamp", file, timezone)
    frame["quantity"], bad_numbers = parse_numbers(text, "quantity", file)
    problems += bad_numbers + year_problems(frame, "timestamp", file)
    usage_types = tenant.usage_types if tenant else DEFAULT_USAGE_TYPES
    subscription_ids = tenant.departments.keys() if tenant else None
    problems += schema_problems(frame, usage_schema(usage_types, subscription_ids), file,
                                skip_rows=problem_rows(bad_numbers))
    raise_if_any(problems)
    return frame.sort_values("timestamp", kind="stable", ignore_index=True)



"""Loading ``usage.csv`` (docs/rules.md §6): what was consumed, when, and by whom.

Rows name a usage type and a quantity, and optionally the subscription or the user they
belong to; allocation uses those to attribute the usage (M5). Timestamps are read in the
tenant's time zone, because days and billing months begin there.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from toolkit.checks import parse_numbers, parse_timestamps, problem_rows, schema_problems
from toolkit.errors import raise_if_any
from toolkit.frames import USAGE_COLUMNS, USAGE_OPTIONAL, usage_schema
from toolkit.inputs.csv_input import read_text_table
from toolkit.model import Tenant
from toolkit.policy import DEFAULT_USAGE_TYPES


def load_usage(path: str | Path, tenant: Tenant | None = None) -> pd.DataFrame:
    """Read and validate ``usage.csv``; raise InputError listing every bad row.

    With a ``tenant``, timestamps are read in its time zone and usage types and subscription
    ids are checked against it; without one, against the default policy table, in UTC.
    """
    file = str(path)
    timezone = tenant.timezone if tenant else "UTC"
    text = read_text_table(path, USAGE_COLUMNS, USAGE_OPTIONAL)
    for column in USAGE_OPTIONAL:
        if column not in text.columns:
            text[column] = pd.Series(pd.NA, index=text.index, dtype="str")
    frame = text.copy()
    frame["timestamp"], problems = parse_timestamps(text, "timestamp", file, timezone)
    frame["quantity"], bad_numbers = parse_numbers(text, "quantity", file)
    problems += bad_numbers
    usage_types = tenant.usage_types if tenant else DEFAULT_USAGE_TYPES
    subscription_ids = tenant.departments.keys() if tenant else None
    problems += schema_problems(frame, usage_schema(usage_types, subscription_ids), file,
                                skip_rows=problem_rows(bad_numbers))
    raise_if_any(problems)
    return frame.sort_values("timestamp", kind="stable", ignore_index=True)



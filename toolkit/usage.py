"""Loading ``usage.csv`` (SPEC §6): what was consumed, when, and by whom.

Rows name a usage type and a quantity, and optionally the subscription or the user they
belong to; allocation uses those to attribute the usage (SPEC M5). Timestamps are read in the
tenant's time zone, because days and billing months begin there.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from toolkit.csv_input import (
    one_of,
    parse_numbers,
    parse_timestamps,
    problem_rows,
    read_text_table,
    schema_problems,
)
from toolkit.errors import raise_if_any
from toolkit.model import Tenant
from toolkit.policy import DEFAULT_USAGE_TYPES

USAGE_COLUMNS = ["timestamp", "usage_type", "quantity"]
USAGE_OPTIONAL = ["subscription_id", "user_id"]


def usage_schema(usage_types, subscription_ids=None) -> pa.DataFrameSchema:
    """The typed usage frame: known types, non-negative quantities, known subscriptions."""
    type_names = sorted(usage_types)
    sub_check = [] if subscription_ids is None else [
        one_of(subscription_ids, "a subscription of the tenant")]
    return pa.DataFrameSchema(
        {
            "timestamp": pa.Column(nullable=True),  # parse_timestamps reports gaps
            "usage_type": pa.Column(
                "str", one_of(type_names, "a usage type")
            ),
            "quantity": pa.Column(
                "float64", pa.Check.ge(0, error="a quantity of at least 0"), nullable=False
            ),
            "subscription_id": pa.Column("str", sub_check, nullable=True),
            "user_id": pa.Column("str", nullable=True),
        },
        strict=False,
    )


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


def as_usage_frame(usage: pd.DataFrame, timezone: str) -> pd.DataFrame:
    """Give a usage frame built in code the loader's shape: optional columns, tz-aware times."""
    frame = usage.copy()
    for column in USAGE_OPTIONAL:
        if column not in frame.columns:
            frame[column] = pd.Series(pd.NA, index=frame.index, dtype="str")
    stamps = pd.to_datetime(frame["timestamp"])
    if stamps.dt.tz is None:
        stamps = stamps.dt.tz_localize(timezone)
    frame["timestamp"] = stamps.dt.tz_convert(timezone)
    frame["quantity"] = frame["quantity"].astype("float64")
    return frame

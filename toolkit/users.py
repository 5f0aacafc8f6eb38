"""Loading ``users.csv`` (SPEC §6): who is mapped to which subscription, with which license.

A user may have several rows, one per license (e.g. an agent who also holds a WFO seat).
Mapping matters twice: usage carrying a user id is attributed to the user's subscription
(SPEC M5), and a user mapped to no active subscription loses access (SPEC V2–V4).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from toolkit.csv_input import read_text_table, schema_problems
from toolkit.errors import raise_if_any
from toolkit.model import Tenant
from toolkit.policy import DEFAULT_USAGE_TYPES

USER_COLUMNS = ["user_id", "role", "license", "subscription_id"]
USER_OPTIONAL = ["department", "email"]
ROLES = ("agent", "supervisor", "admin")


def users_schema(usage_types, subscription_ids=None) -> pa.DataFrameSchema:
    licenses = sorted(usage_types)
    sub_check = (
        [pa.Check.isin(sorted(subscription_ids),
                       error="a subscription of the tenant: " + ", ".join(sorted(subscription_ids)))]
        if subscription_ids is not None else []
    )
    return pa.DataFrameSchema(
        {
            "user_id": pa.Column("str", nullable=False),
            "role": pa.Column("str", pa.Check.isin(ROLES, error="a role: " + ", ".join(ROLES))),
            "license": pa.Column(
                "str",
                pa.Check.isin(licenses, error="a license type: " + ", ".join(licenses)),
                nullable=True,
            ),
            "subscription_id": pa.Column("str", sub_check, nullable=True),
        },
        strict=False,
    )


def load_users(path: str | Path, tenant: Tenant | None = None) -> pd.DataFrame:
    """Read and validate ``users.csv``; raise InputError listing every bad row.

    An empty ``subscription_id`` is allowed: an unmapped user is a provisioning finding
    (V2), not a broken file. With a ``tenant``, subscription ids must belong to it.
    """
    frame = read_text_table(path, USER_COLUMNS, USER_OPTIONAL)
    for column in USER_OPTIONAL:
        if column not in frame.columns:
            frame[column] = pd.Series(pd.NA, index=frame.index, dtype="str")
    usage_types = tenant.usage_types if tenant else DEFAULT_USAGE_TYPES
    subscription_ids = tenant.departments.keys() if tenant else None
    frame["role"] = frame["role"].str.lower()
    problems = schema_problems(frame, users_schema(usage_types, subscription_ids), str(path))
    raise_if_any(problems)
    return frame


def subscriptions_of_users(users: pd.DataFrame, rows: pd.DataFrame) -> tuple[pd.Series, "np.ndarray"]:
    """The subscription each usage row's user is mapped to (M5).

    ``rows`` has ``user_id`` and ``usage_type`` (and ``timestamp``). A user's row whose license
    matches the usage type wins; otherwise the user's first mapped row. Returns the
    subscription ids (NA where the user has none) and a mask of users found in the table.
    """
    import numpy as np

    table = users.dropna(subset=["user_id"])
    by_license = table.dropna(subset=["subscription_id"]).drop_duplicates(["user_id", "license"])
    by_user = table.sort_values("subscription_id", na_position="last", kind="stable")
    by_user = by_user.drop_duplicates("user_id")
    keys = pd.MultiIndex.from_frame(rows[["user_id", "usage_type"]])
    matched = by_license.set_index(["user_id", "license"])["subscription_id"].reindex(keys)
    fallback = by_user.set_index("user_id")["subscription_id"].reindex(rows["user_id"])
    mapped = pd.Series(matched.to_numpy(), index=rows.index, dtype="str")
    mapped = mapped.fillna(pd.Series(fallback.to_numpy(), index=rows.index, dtype="str"))
    known = rows["user_id"].isin(table["user_id"]).to_numpy()
    return mapped, known

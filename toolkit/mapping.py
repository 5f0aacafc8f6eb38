"""Which subscription a user is mapped to at an instant: the one home of that rule (M5, V2–V4).

A user may have several rows in the users table, one per license and, with the optional
``start``/``end`` columns, one per mapping period. Usage carrying a user id is attributed to
the subscription the user was mapped to at the instant it happened; allocation, metering and
the access calendar all ask this module, so they can never disagree about a user.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from toolkit.frames import WINDOW


def active_user_rows(users: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    """Pairs (row position, users-table row) where the mapping holds at the row's instant.

    ``rows`` has ``user_id`` and ``timestamp``. Returns ``pos`` (position in ``rows``),
    ``license``, ``subscription_id`` and ``order`` (position in ``users``). Without
    ``start``/``end`` every row of the user holds at every instant.
    """
    table = users.dropna(subset=["user_id"])
    columns = ["user_id", "license", "subscription_id"]
    windowed = [c for c in WINDOW if c in table.columns and table[c].notna().any()]
    right = table[columns + windowed].assign(order=np.flatnonzero(users["user_id"].notna()))
    left = pd.DataFrame({"pos": np.arange(len(rows)), "user_id": rows["user_id"].to_numpy()})
    if windowed:
        left["timestamp"] = rows["timestamp"].to_numpy()
    pairs = left.merge(right, on="user_id", how="inner", sort=False)
    if windowed:
        stamps = pd.Series(pd.DatetimeIndex(rows["timestamp"]))
        zone = stamps.dt.tz
        time = pd.DatetimeIndex(pairs["timestamp"])
        inside = np.ones(len(pairs), dtype=bool)
        if "start" in windowed:
            start = _aware(pairs["start"], zone)
            inside &= (start.isna() | (start <= time)).to_numpy()
        if "end" in windowed:
            end = _aware(pairs["end"], zone)
            inside &= (end.isna() | (time < end)).to_numpy()
        pairs = pairs[inside]
    return pairs[["pos", "license", "subscription_id", "order"]].reset_index(drop=True)


def _aware(values: pd.Series, zone) -> pd.Series:
    """Mapping bounds as tz-aware instants; naive ones (frames built in code) are local."""
    stamps = pd.to_datetime(values)
    if stamps.dt.tz is None:
        stamps = stamps.dt.tz_localize(zone or "UTC")
    return stamps


def subscriptions_of_users(users: pd.DataFrame, rows: pd.DataFrame) -> tuple[pd.Series, np.ndarray]:
    """The subscription each usage row's user is mapped to at the row's instant (M5).

    ``rows`` has ``user_id``, ``usage_type`` and ``timestamp``. Among the user's mappings that
    hold at that instant (all of them without ``start``/``end``), one whose license matches
    the usage type wins; otherwise any mapped one; ties go to the smallest subscription id,
    so the answer never depends on row order. Returns the subscription ids (NA where the user
    has none at that instant) and a mask of users found in the table at all.
    """
    keys = rows[["user_id", "usage_type", "timestamp"]]
    windowed = any(c in users.columns and users[c].notna().any() for c in WINDOW)
    if not windowed:  # the mapping does not depend on time: resolve each (user, type) once
        code, unique = pd.factorize(
            pd.MultiIndex.from_frame(keys[["user_id", "usage_type"]].astype("object")))
        distinct = unique.to_frame(index=False, name=["user_id", "usage_type"])
        distinct["timestamp"] = pd.NaT
        values = _resolve(users, distinct)
        result = values[np.maximum(code, 0)].astype(object)
        result[code < 0] = None
    else:
        result = _resolve(users, keys)
    known = rows["user_id"].isin(users["user_id"].dropna()).to_numpy()
    return pd.Series(result, index=rows.index, dtype="str"), known


def _resolve(users: pd.DataFrame, rows: pd.DataFrame) -> np.ndarray:
    """Per row, the subscription of its best mapping (object array, None when unmapped)."""
    pairs = active_user_rows(users, rows).dropna(subset=["subscription_id"])
    wanted = rows["usage_type"].to_numpy(dtype=object)[pairs["pos"].to_numpy()]
    pairs = pairs.assign(rank=np.where(pairs["license"].to_numpy(dtype=object) == wanted, 0, 1))
    best = pairs.sort_values(["pos", "rank", "subscription_id"], kind="stable")
    best = best.drop_duplicates("pos")
    mapped = np.full(len(rows), None, dtype=object)
    mapped[best["pos"].to_numpy()] = best["subscription_id"].to_numpy(dtype=object)
    return mapped


#: Usage types whose ``user_id`` names an AI agent, not a person of the users table (an AI
#: Agent session is the tenant's usage): :func:`ai_agent_subscriptions` maps them (M5).
AI_AGENT_USAGE_TYPES = frozenset({"ai_agent"})


def ai_agent_subscriptions(agents: pd.DataFrame | None, user_ids: pd.Series) -> pd.Series:
    """The subscription of each row's AI agent (matched on ``agent_id``, then ``name``); NA
    where the agent is pooled (no subscription) or not listed."""
    if agents is None or agents.empty:
        return pd.Series(pd.NA, index=user_ids.index, dtype="str")
    by_id = dict(zip(agents["agent_id"], agents["subscription_id"], strict=True))
    named = agents.dropna(subset=["name"])
    by_name = dict(zip(named["name"], named["subscription_id"], strict=True))
    found = user_ids.map(lambda u: by_id.get(u, by_name.get(u)) if isinstance(u, str) else None)
    return found.astype("str").where(found.notna(), pd.NA)

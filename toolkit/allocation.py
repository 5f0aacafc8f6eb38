"""Splitting a tenant's usage across its subscriptions and charging overage (M1–M6, P3).

The hot path works on integer codes: every usage row gets a period, usage-type and
subscription code, rows that cannot be attributed get a reason code, and the measures are
computed with ``np.bincount`` over the combined key. Everything the rules need per day
(which subscription is active, who is primary) is a small lookup table indexed by day, built
from the timelines once. That keeps ``allocate`` linear in the number of rows.

Nothing is lost (M6): every row is either measured and attributed to a subscription, or
listed in ``unallocated`` with its reason.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pandera.pandas as pa

from toolkit.frames import as_usage_frame, shaped
from toolkit.mapping import AI_AGENT_USAGE_TYPES, ai_agent_subscriptions, subscriptions_of_users
from toolkit.model import Tenant, tenant_license_model
from toolkit.periods import (
    BILLING,
    day_number,
    is_roll_up,
    local_days,
    period_bounds,
    period_codes,
    period_range_for_days,
    prorated,
    roll_up,
)
from toolkit.policy import OwnershipRule
from toolkit.timeline import PRIMARY

#: Why a row (or a period's leftover) could not be attributed; index = reason code.
REASONS = (
    "",
    "unknown usage type",
    "unknown subscription",
    "user not in the users table",
    "user mapped to no subscription",
    "subscription not active on that day",
    "no active subscription on that day",
    "per-subscription usage names no subscription",
    "a distinct measure needs a user_id",
    "no subscription holds the type with an entitlement in the period",
)
(OK, UNKNOWN_TYPE, UNKNOWN_SUB, USER_UNKNOWN, USER_UNMAPPED, SUB_INACTIVE, NO_PRIMARY,
 UNNAMED_OWN, NO_USER, NO_HOLDER) = range(len(REASONS))


#: ``Allocation.pooled``: per period and usage type, the tenant's usage, its usable
#: entitlement, the overage (P3) and the subscription that owns it (null when none).
POOLED_SCHEMA = pa.DataFrameSchema({
    "period": pa.Column(pd.PeriodDtype(freq="M")),  # frequency per run
    "usage_type": pa.Column(str),
    "usage": pa.Column(float),
    "entitlement": pa.Column(float),
    "overage": pa.Column(float),
    "owner": pa.Column(str, nullable=True),
})


#: ``Allocation.by_subscription``: each subscription's attributed usage, prorated
#: entitlement (P2) and the overage it owns (P3), per period and usage type.
BY_SUBSCRIPTION_SCHEMA = pa.DataFrameSchema({
    "period": pa.Column(pd.PeriodDtype(freq="M")),
    "usage_type": pa.Column(str),
    "subscription_id": pa.Column(str),
    "department": pa.Column(str),
    "usage": pa.Column(float),
    "entitlement": pa.Column(float),
    "overage": pa.Column(float),
})


#: ``Allocation.unallocated``: every usage row (or period leftover, without a timestamp)
#: that could not be attributed, with its reason (M6).
UNALLOCATED_SCHEMA = pa.DataFrameSchema({
    "timestamp": pa.Column(None, nullable=True),
    "period": pa.Column(pd.PeriodDtype(freq="M")),
    "usage_type": pa.Column(str),
    "subscription_id": pa.Column(str, nullable=True),
    "user_id": pa.Column(str, nullable=True),
    "quantity": pa.Column(float),
    "reason": pa.Column(str),
})


POOLED_COLUMNS = list(POOLED_SCHEMA.columns)
UNALLOCATED_COLUMNS = list(UNALLOCATED_SCHEMA.columns)


@dataclass(frozen=True)
class Allocation:
    """The result of :func:`allocate`: pooled figures, the split per subscription, leftovers."""

    pooled: pd.DataFrame
    by_subscription: pd.DataFrame
    unallocated: pd.DataFrame
    tenant: Tenant
    period: str
    license_model: str
    #: For a quarter or a year (P1a): the per-month allocation this one adds up; ``None`` for
    #: the billing month itself. Money is computed on it, month by month, then summed.
    months: Allocation | None = None

    @property
    def billing(self) -> Allocation:
        """The allocation by billing month (itself, or :attr:`months` for a roll-up)."""
        return self if self.months is None else self.months


@dataclass(frozen=True)
class _Codes:
    """Per-row integer codes of one usage frame."""

    period: np.ndarray
    type: np.ndarray
    sub: np.ndarray  # n_subs = not attributed to a named subscription (pro rata later)
    reason: np.ndarray
    day: np.ndarray
    measure: np.ndarray  # MEASURE_CODES of each row's type


def allocate(tenant: Tenant, usage: pd.DataFrame, users: pd.DataFrame | None = None,
             period: str = "M", ai_agents: pd.DataFrame | None = None) -> Allocation:
    """Allocate ``usage`` (the ``usage.csv`` shape) to the tenant's subscriptions.

    ``period`` is a pandas Period frequency (``"M"`` calendar month, ``"Q"``, …), in the
    tenant's time zone. A quarter or a year is a roll-up of billing months (P1a): usage,
    entitlement and overage are computed per month and added up (a peak then reads as
    unit-months), and the monthly allocation is kept as :attr:`Allocation.months`. See the
    module docstring for how the rules are applied.
    ``ai_agents`` (``ai_agents.csv``, :func:`toolkit.inputs.ai_agents.load_ai_agents`) maps
    AI Agent sessions to subscriptions by agent; an AI agent's session is never "user not in
    the users table": unlisted agents, and agents listed without a subscription, are pooled
    pro rata (M5).

    Parameters
    ----------
    tenant : Tenant
        The subscriptions, their terms and lines (:func:`toolkit.load_tenant`).
    usage : DataFrame
        The ``usage.csv`` shape: ``timestamp``, ``usage_type``, ``quantity`` (in the type's
        unit: agents, minutes, sessions, messages) and optional ``subscription_id``,
        ``user_id``.
    users : DataFrame, optional
        The ``users.csv`` shape, which attributes a user's usage to their subscription.
    period : str
        ``"M"`` (the billing month), ``"Q"`` or ``"Y"`` (roll-ups of billing months, P1a).
    ai_agents : DataFrame, optional
        ``ai_agents.csv``: AI agent id → subscription.

    Returns
    -------
    Allocation
        ``pooled`` (``period, usage_type, usage, entitlement, overage, owner``),
        ``by_subscription`` (``period, usage_type, subscription_id, department, usage,
        entitlement, overage``) and ``unallocated`` (``…, quantity, reason``); quantities in
        the type's unit (unit-months for a peak type over a quarter or a year).
    """
    if is_roll_up(period):
        return rolled_up(allocate(tenant, usage, users, BILLING, ai_agents), period)
    license_model = tenant_license_model(tenant)
    if usage.empty:
        return _empty(tenant, period, license_model)
    usage, codes, periods, types, subs = _coded(tenant, usage, users, period, ai_agents)
    shape = (len(periods), len(types), len(subs) + 1)
    measured = _measure(usage, codes, shape)
    entitled = _entitlements(tenant, periods, types, subs)
    leftover = _pro_rata(tenant, measured, entitled, types)
    pooled, by_sub = charge(tenant, periods, measured[:, :, :-1], entitled)
    unallocated = _unallocated(usage, codes, leftover, periods, types, subs)
    return Allocation(pooled, by_sub, unallocated, tenant, period, license_model)


def _coded(tenant: Tenant, usage: pd.DataFrame, users, period: str, ai_agents=None):
    """The usage (typed), each row's codes, the periods, the types and the subscriptions."""
    if not pd.api.types.is_datetime64_any_dtype(usage["timestamp"]):
        usage = as_usage_frame(usage, tenant.timezone)
    types = list(tenant.usage_types)
    subs = [sub.id for sub in tenant.subscriptions]
    days = local_days(usage["timestamp"], tenant.timezone)
    first_day, last_day = int(days.min()), int(days.max())
    periods = period_range_for_days(first_day, last_day, period)
    codes = _row_codes(tenant, usage, users, days, first_day, last_day, periods, types, subs,
                       ai_agents)
    return usage, codes, periods, types, subs


#: The columns of :func:`counted_rows`.
COUNTED_COLUMNS = ["period", "usage_type", "timestamp", "subscription_id", "user_id", "quantity"]


def counted_rows(tenant: Tenant, usage: pd.DataFrame, users: pd.DataFrame | None = None,
                 period: str = "M", ai_agents: pd.DataFrame | None = None) -> pd.DataFrame:
    """The usage rows that :func:`allocate` counts into each ``peak`` and ``distinct`` figure.

    For a ``peak`` type, the rows of the tenant's coincident peak sample of each period (M4,
    the earliest on ties); for a ``distinct`` type, each user's latest row of the period (the
    subscription that user counts for). Rows a rule refused (they are in ``unallocated``) are
    not here, so the quantities add up exactly to the measured figure of each period, type and
    subscription (``subscription_id`` null: attributed pro rata, M5). This is how T1 asks the
    allocation, not a second copy of its rules, which sample and which users were billed.
    """
    if usage.empty:
        return pd.DataFrame({c: [] for c in COUNTED_COLUMNS})
    usage, codes, periods, _, _ = _coded(tenant, usage, users, period, ai_agents)
    ok = codes.reason == OK
    peak = np.flatnonzero(ok & (codes.measure == MEASURE_CODES["peak"]))
    distinct = np.flatnonzero(ok & (codes.measure == MEASURE_CODES["distinct"]))
    rows = np.concatenate([peak[_at_coincident_peak(usage, codes, peak)],
                           distinct[_latest_per_user(usage, codes, distinct)]])
    rows.sort()
    picked = usage.iloc[rows].reset_index(drop=True)
    frame = pd.DataFrame({
        "period": periods[codes.period[rows]],
        "usage_type": picked["usage_type"],
        "timestamp": picked["timestamp"],
        "subscription_id": picked.get("subscription_id", pd.Series(None, index=picked.index,
                                                                   dtype="str")),
        "user_id": picked.get("user_id", pd.Series(None, index=picked.index, dtype="str")),
        "quantity": picked["quantity"].to_numpy(dtype=np.float64),
    })
    return frame[COUNTED_COLUMNS]


MEASURE_CODES = {"sum": 0, "peak": 1, "distinct": 2}


def _type_table(tenant: Tenant, types: list[str], license_model: str) -> dict[str, np.ndarray]:
    """Per-type rule flags as arrays indexed by type code; the last slot (code -1) stands for
    unknown types. Rules stay data: the hot path looks them up, it never branches on names."""
    rows = [tenant.usage_types[t] for t in types]
    return {
        "to_primary": np.array([r.rule.usage_to_primary for r in rows] + [False]),
        "pooled": np.array([r.rule.pooled for r in rows] + [False]),
        "measure": np.array([MEASURE_CODES[r.measure_for(license_model)] for r in rows] + [0],
                            dtype=np.int8),
    }


def _row_codes(tenant, usage, users, days, first_day, last_day, periods, types, subs,
               ai_agents=None) -> _Codes:
    day_index = days - first_day
    period = period_codes(first_day, last_day, periods)[day_index]
    type_code = _codes(usage["usage_type"], types)
    table = _type_table(tenant, types, tenant_license_model(tenant))
    named = usage.get("subscription_id")
    sub = _sub_codes(named, subs, len(usage))
    reason = np.where(type_code < 0, UNKNOWN_TYPE, OK).astype(np.int8)
    if named is not None:
        reason[(sub < 0) & (reason == OK) & named.notna().to_numpy()] = UNKNOWN_SUB
    if "user_id" in usage:
        sub, reason, agent = _map_ai_agents(usage, users, ai_agents, subs, sub, reason)
        if users is not None:
            sub, reason = _map_users(usage, users, subs, sub, reason, ~agent)

    to_primary = table["to_primary"][type_code]
    if to_primary.any():
        primary = _primary_by_day(tenant, first_day, last_day)[day_index]
        sub = np.where(to_primary & (reason == OK), primary, sub)
        reason[to_primary & (sub < 0) & (reason == OK)] = NO_PRIMARY

    attributed = (sub >= 0) & (reason == OK)
    active = _active_by_day(tenant, first_day, last_day)
    reason[attributed & ~active[sub, day_index]] = SUB_INACTIVE
    unnamed = (sub < 0) & (reason == OK)
    # M5: unnamed usage on a day nobody is active is refused exactly like a named row would be.
    someone_active = np.asarray(active.any(axis=0))
    reason[unnamed & ~someone_active[day_index]] = NO_PRIMARY
    unnamed &= reason == OK
    reason[unnamed & ~table["pooled"][type_code]] = UNNAMED_OWN
    distinct = table["measure"][type_code] == MEASURE_CODES["distinct"]
    if distinct.any():
        no_user = usage["user_id"].isna().to_numpy() if "user_id" in usage else True
        reason[distinct & no_user & (reason == OK)] = NO_USER
    sub[sub < 0] = len(subs)
    return _Codes(period, type_code, sub, reason, days, table["measure"][type_code])


def _sub_codes(named: pd.Series | None, subs: list[str], n: int) -> np.ndarray:
    if named is None:
        return np.full(n, -1, dtype=np.int64)
    return _codes(named, subs)


def _codes(values: pd.Series, labels: list[str]) -> np.ndarray:
    """Position of each value in ``labels``; -1 for missing or unknown values.

    The column is factorized first (fast on Arrow strings; free on a categorical, whose codes
    are taken as they are) so only its few distinct values are looked up.
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes, uniques = values.cat.codes.to_numpy(), values.cat.categories
    else:
        codes, uniques = pd.factorize(values)
    lookup = np.append(pd.Index(labels, dtype="str").get_indexer(uniques), -1).astype(np.int64)
    return lookup[codes]  # the few distinct values are cast, not the millions of rows


def _map_ai_agents(usage, users, agents, subs, sub, reason):
    """AI Agent sessions that name no subscription take their agent's (``ai_agents.csv``), or
    stay unnamed to be pooled pro rata (M5); returns the codes and the mask of such rows,
    which the users table is not asked about (an AI agent is not a person of it)."""
    user = usage["user_id"]
    agent = (usage["usage_type"].isin(AI_AGENT_USAGE_TYPES).to_numpy() & (sub < 0)
             & (reason == OK) & user.notna().to_numpy())
    if users is not None and agent.any():
        agent &= ~user.isin(users["user_id"].dropna()).to_numpy()
    if agents is None or not agent.any():
        return sub, reason, agent
    mapped = _codes(ai_agent_subscriptions(agents, user[agent]), subs)
    sub = sub.copy()
    sub[np.flatnonzero(agent)] = mapped
    return sub, reason, agent


def _map_users(usage, users, subs, sub, reason, eligible=True):
    """Rows that name a user but no subscription take the user's subscription (M5)."""
    wanted = (sub < 0) & (reason == OK) & usage["user_id"].notna().to_numpy() & eligible
    if not wanted.any():
        return sub, reason
    rows = usage.loc[wanted, ["user_id", "usage_type", "timestamp"]]
    mapped, known = subscriptions_of_users(users, rows)
    codes = _codes(mapped, subs)
    sub, reason = sub.copy(), reason.copy()
    positions = wanted.nonzero()[0]
    sub[positions] = codes
    reason[positions[~known]] = USER_UNKNOWN
    reason[positions[known & (codes < 0)]] = USER_UNMAPPED
    return sub, reason


def _active_by_day(tenant: Tenant, first_day: int, last_day: int) -> np.ndarray:
    """active[s, d]: subscription s has a term containing day first_day + d (R1)."""
    active = np.zeros((len(tenant.subscriptions), last_day - first_day + 1), dtype=bool)
    for s, sub in enumerate(tenant.subscriptions):
        for term in sub.terms:
            lo = max(day_number(term.start) - first_day, 0)
            hi = max(day_number(term.end) - first_day, 0)
            active[s, lo:hi] = True
    return active


def _primary_by_day(tenant: Tenant, first_day: int, last_day: int) -> np.ndarray:
    """primary[d]: code of the primary subscription on day first_day + d, -1 when none (R2)."""
    primary = np.full(last_day - first_day + 1, -1, dtype=np.int64)
    position = {sub.id: s for s, sub in enumerate(tenant.subscriptions)}
    changes = tenant.timelines.changes(PRIMARY)
    bounds = [day_number(day) - first_day for day, _ in changes] + [len(primary)]
    for (_, subscription_id), lo, hi in zip(changes, bounds, bounds[1:], strict=False):
        code = -1 if subscription_id is None else position.get(subscription_id, -1)
        primary[max(lo, 0):max(hi, 0)] = code
    return primary


def _measure(usage: pd.DataFrame, codes: _Codes, shape) -> np.ndarray:
    """usage[p, t, s] by each type's measure (M2); s = n_subs collects unnamed pooled usage."""
    n_p, n_t, n_s = shape
    ok = codes.reason == OK
    key = (codes.period * n_t + codes.type) * n_s + codes.sub
    quantity = usage["quantity"].to_numpy(dtype=np.float64)
    total = np.zeros(n_p * n_t * n_s)
    summed = ok & (codes.measure == MEASURE_CODES["sum"])
    total += np.bincount(key[summed], weights=quantity[summed], minlength=total.size)
    peak = np.flatnonzero(ok & (codes.measure == MEASURE_CODES["peak"]))
    if len(peak):
        at = peak[_at_coincident_peak(usage, codes, peak)]
        total += np.bincount(key[at], weights=quantity[at], minlength=total.size)
    distinct = np.flatnonzero(ok & (codes.measure == MEASURE_CODES["distinct"]))
    if len(distinct):
        latest = distinct[_latest_per_user(usage, codes, distinct)]
        total += np.bincount(key[latest], minlength=total.size).astype(np.float64)
    return total.reshape(shape)


def _at_coincident_peak(usage, codes, rows: np.ndarray) -> np.ndarray:
    """M2/M4: which of ``rows`` (positions) are at the tenant's peak sample of their period.

    Samples are grouped by (usage type, instant); the instant with the largest tenant-wide
    total in each (period, type) is the peak (the earliest on ties), and each subscription's
    samples at that instant are its part, so the parts add up to the pooled peak.
    """
    if len(rows) == 0:
        return np.zeros(0, dtype=bool)
    quantity = usage["quantity"].to_numpy(dtype=np.float64)
    stamps = pd.DatetimeIndex(usage["timestamp"]).asi8[rows]
    n_types = int(codes.type.max()) + 2
    instant, instants = pd.factorize(stamps * n_types + codes.type[rows])
    sample = quantity[rows]
    tenant_total = np.bincount(instant, weights=sample)
    group_period = np.zeros(len(instants), dtype=np.int64)
    group_period[instant] = codes.period[rows]
    group_type = instants % n_types
    group_time = instants // n_types
    order = np.lexsort((group_time, -tenant_total, group_type, group_period))
    slot = group_period[order] * n_types + group_type[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = slot[1:] != slot[:-1]
    is_peak = np.zeros(len(instants), dtype=bool)
    is_peak[order[first]] = True
    return is_peak[instant]


def _latest_per_user(usage, codes, rows: np.ndarray) -> np.ndarray:
    """M2: which of ``rows`` (positions) count for a distinct measure: per (period, type) a
    user counts once, by their latest row in the period (its subscription takes them; a user
    remapped mid-period is not counted twice)."""
    if len(rows) == 0:
        return np.zeros(0, dtype=bool)
    frame = pd.DataFrame({
        "slot": codes.period[rows] * (int(codes.type.max()) + 2) + codes.type[rows],
        "user": usage["user_id"].to_numpy()[rows],
        "time": pd.DatetimeIndex(usage["timestamp"]).asi8[rows],
    })
    latest = frame.sort_values("time", kind="stable").drop_duplicates(["slot", "user"], keep="last")
    chosen = np.zeros(len(rows), dtype=bool)
    chosen[latest.index.to_numpy()] = True
    return chosen


def _entitlements(tenant: Tenant, periods: pd.PeriodIndex, types, subs) -> np.ndarray:
    """entitlement[p, t, s]: prorated quantities of the lines (P2)."""
    starts, ends = period_bounds(periods)
    entitled = np.zeros((len(periods), len(types), len(subs)))
    type_index = {t: i for i, t in enumerate(types)}
    for s, sub in enumerate(tenant.subscriptions):
        for line in sub.lines:
            lo, hi = day_number(line.start), day_number(line.end)
            entitled[:, type_index[line.usage_type], s] += prorated(line.quantity, lo, hi,
                                                                    starts, ends)
    return entitled


def _pro_rata(tenant: Tenant, measured: np.ndarray, entitled: np.ndarray, types) -> np.ndarray:
    """M5: unnamed pooled usage split by the holders' entitlements; returns what has no holder.

    Works in place on ``measured``; the returned [p, t] array is usage nobody could take.
    """
    unnamed = measured[:, :, -1].copy()
    weights = entitled.sum(axis=2)
    pooled = np.array([tenant.usage_types[t].rule.pooled for t in types])
    can_split = (weights > 0) & pooled[None, :]
    share = np.divide(entitled, weights[:, :, None], out=np.zeros_like(entitled),
                      where=can_split[:, :, None])
    measured[:, :, :-1] += unnamed[:, :, None] * share
    measured[:, :, -1] = 0
    return np.where(can_split, 0.0, unnamed)


def charge(tenant: Tenant, periods: pd.PeriodIndex, usage: np.ndarray,
           entitled: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    """P3 for every period and type: the ``pooled`` and ``by_subscription`` frames.

    ``usage`` and ``entitled`` are [period, type, subscription] cubes over the tenant's usage
    types and subscriptions (in the tenant's order). The one place that turns usage and
    entitlement into owned overage: :func:`allocate` calls it on actuals, the forecast on
    projections, so both charge by the same rule.
    """
    types = list(tenant.usage_types)
    subs = [sub.id for sub in tenant.subscriptions]
    owned = np.zeros_like(entitled)
    pooled_rows = []
    starts, ends = period_bounds(periods)
    position = {subscription_id: s for s, subscription_id in enumerate(subs)}
    for t, name in enumerate(types):
        rule = tenant.usage_types[name].rule
        for p, per in enumerate(periods):
            u, e = usage[p, t], entitled[p, t]
            if not u.any() and not e.any():
                continue
            owner, _ = period_owner(tenant, name, int(starts[p]), int(ends[p]), u.sum() > e.sum())
            usable = e[_primaries_in(tenant, subs, starts[p], ends[p])].sum() \
                if rule.usage_to_primary else e.sum()
            place = None if owner is None else position[owner]
            over, owned[p, t] = overage_split(rule, u, e, place)
            pooled_rows.append((per, name, u.sum(), usable, over, owner))
    pooled = pd.DataFrame(pooled_rows, columns=POOLED_COLUMNS)
    by_sub = _by_subscription(tenant, periods, types, subs, usage, entitled, owned)
    return _typed(pooled, periods.freq, POOLED_SCHEMA), by_sub


def overage_split(rule: OwnershipRule, usage: np.ndarray, entitlement: np.ndarray,
                  owner: int | None):
    """P3 for one period and type: (the type's overage, the overage each subscription owns).

    Pooled types compare the tenant's usage with the tenant's entitlement and the owner (a
    position in the vectors) owns all of it; other types compare each subscription's usage with
    its own entitlement. Works on float vectors and on object vectors of exact fractions (the
    money uses the same rule, exactly).
    """
    zero = usage.sum() * 0
    owned = np.maximum(usage - entitlement, zero) if not rule.pooled else usage * 0
    if not rule.pooled:
        return owned.sum(), owned
    over = max(zero, usage.sum() - entitlement.sum())
    if owner is not None:
        owned[owner] = over
    return over, owned


def period_owner(tenant: Tenant, usage_type: str, start: int, end: int,
                 has_overage: bool = True) -> tuple[str | None, bool]:
    """Who owns the type's overage of the period ``[start, end)`` (P3), and whether by fallback.

    The owner (R4/R5) on the last day of the period that has one; when nobody owns the type
    in the period and there is overage to bill, the primary of the period's last active day
    answers for it (``True``: the costs flag it ``owner_fallback``). Per-subscription types
    have no single owner (``None``).
    """
    if tenant.usage_types[usage_type].rule.per_subscription:
        return None, False
    owner = last_owner(tenant, usage_type, start, end)
    if owner is not None or not has_overage:
        return owner, False
    primary = last_owner(tenant, PRIMARY, start, end)
    return primary, primary is not None


def last_owner(tenant: Tenant, usage_type: str, start: int, end: int) -> str | None:
    """The owner on the last day of [start, end) that has one (P3)."""
    changes = tenant.timelines.changes(usage_type)
    bounds = [day_number(day) for day, _ in changes] + [end]
    for (_, owner), lo, hi in zip(reversed(changes), reversed(bounds[:-1]), reversed(bounds[1:]),
                                  strict=True):
        if lo < end and hi > start and owner is not None:
            return owner
        if hi <= start:
            break
    return None


def _primaries_in(tenant: Tenant, subs: list[str], start: int, end: int) -> list[int]:
    """Positions of the subscriptions that were primary on some day of [start, end)."""
    changes = tenant.timelines.changes(PRIMARY)
    bounds = [day_number(day) for day, _ in changes] + [end]
    return sorted({
        subs.index(subscription_id)
        for (_, subscription_id), lo, hi in zip(changes, bounds, bounds[1:], strict=False)
        if subscription_id is not None and lo < end and hi > start
    })


def _by_subscription(tenant, periods, types, subs, usage, entitled, owned) -> pd.DataFrame:
    p, t, s = np.nonzero((usage > 0) | (entitled > 0) | (owned > 0))
    frame = pd.DataFrame({
        "period": periods[p],
        "usage_type": np.array(types, dtype=object)[t],
        "subscription_id": np.array(subs, dtype=object)[s],
        "usage": usage[p, t, s],
        "entitlement": entitled[p, t, s],
        "overage": owned[p, t, s],
    })
    frame.insert(3, "department", frame["subscription_id"].map(tenant.departments))
    return _typed(frame, periods.freq, BY_SUBSCRIPTION_SCHEMA)


def _unallocated(usage, codes: _Codes, leftover, periods, types, subs) -> pd.DataFrame:
    """Rows refused by a rule, plus period-level usage no holder could take (M6)."""
    rejected = np.nonzero(codes.reason != OK)[0]
    rows = usage.iloc[rejected].reset_index(drop=True)
    parts = [pd.DataFrame({
        "timestamp": rows["timestamp"],
        "period": periods[codes.period[rejected]],
        "usage_type": rows["usage_type"],
        "subscription_id": rows.get("subscription_id"),
        "user_id": rows.get("user_id"),
        "quantity": rows["quantity"].to_numpy(dtype=np.float64),
        "reason": np.array(REASONS, dtype=object)[codes.reason[rejected]],
    })]
    p, t = np.nonzero(leftover > 0)
    if len(p):
        parts.append(pd.DataFrame({
            "timestamp": pd.NaT, "period": periods[p],
            "usage_type": np.array(types, dtype=object)[t], "subscription_id": None,
            "user_id": None, "quantity": leftover[p, t], "reason": REASONS[NO_HOLDER],
        }))
    frame = pd.concat([part for part in parts if len(part)] or parts, ignore_index=True)
    return _typed(frame, periods.freq, UNALLOCATED_SCHEMA)


def _typed(frame: pd.DataFrame, freq, schema: pa.DataFrameSchema) -> pd.DataFrame:
    """The frame in its declared shape (``schema``), sorted by period, type and subscription."""
    frame = shaped(schema, frame, freq)
    return frame.sort_values(
        [c for c in ("period", "usage_type", "subscription_id") if c in frame], kind="stable",
        ignore_index=True,
    )


def rolled_up(months: Allocation, period: str) -> Allocation:
    """A monthly allocation added up into quarters or years (P1a).

    Usage, entitlement and overage add up per type (and subscription); a pooled type's owner
    is the last owner of the months (each month's overage stays with that month's owner in
    ``by_subscription``); unallocated rows keep their quantities, under their quarter.
    """
    pooled = roll_up(months.pooled, period, ["usage_type"])
    split = roll_up(months.by_subscription, period, ["usage_type", "subscription_id"])
    left = months.unallocated.assign(
        period=months.unallocated["period"].dt.asfreq(period, how="end"))
    freq = pd.Period("2000-01", freq=period).freqstr
    return Allocation(_typed(pooled, freq, POOLED_SCHEMA),
                      _typed(split, freq, BY_SUBSCRIPTION_SCHEMA),
                      _typed(left, freq, UNALLOCATED_SCHEMA), months.tenant, period,
                      months.license_model, months)


def _empty(tenant: Tenant, period: str, license_model: str) -> Allocation:
    return Allocation(shaped(POOLED_SCHEMA, freq=period),
                      shaped(BY_SUBSCRIPTION_SCHEMA, freq=period),
                      shaped(UNALLOCATED_SCHEMA, freq=period), tenant, period, license_model)

"""Who is primary, and who owns each type's overage, over time (R2–R6).

State only changes where a term or a line starts or ends, so the timelines are computed by
sweeping those change points in date order, never by looping over days. A heap per question
keeps the current winner: the oldest active subscription for the primary (R2), and per
first-holder type the earliest first-held holder (R4). Entries of subscriptions that stopped
being eligible are dropped lazily when they reach the top, so the sweep costs
O(E log E) for E change points: linear in the number of lines, up to the log factor.
"""

from __future__ import annotations

import bisect
import datetime as dt
import heapq
from collections import defaultdict
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from toolkit.policy import seniority

if TYPE_CHECKING:  # the model asks the timelines; they only read it
    from toolkit.model import Tenant

PRIMARY = "__primary__"


class Timelines:
    """Change points of the primary and of every owned usage type, with point lookups."""

    def __init__(self, tenant: Tenant):
        self.tenant = tenant
        #: Usage type → its rule, for the types with one tenant-wide owner (R4–R6).
        self.owner_rule = {name: row.rule for name, row in tenant.usage_types.items()
                           if not row.rule.per_subscription}
        self._stretches = _sweep(tenant, [t for t, rule in self.owner_rule.items() if rule.rank])

    def changes(self, key: str) -> list[tuple[dt.date, str | None]]:
        """(date, value) pairs from which ``key`` (PRIMARY or a usage type) takes ``value``."""
        rule = self.owner_rule.get(key)
        if rule is not None and rule.follows_primary:
            key = PRIMARY
        return self._stretches.get(key, [])

    def value_on(self, key: str, day: dt.date) -> str | None:
        changes = self.changes(key)
        index = bisect.bisect_right(changes, day, key=lambda pair: pair[0]) - 1
        return changes[index][1] if index >= 0 else None

    def primary_on(self, day: dt.date) -> str | None:
        return self.value_on(PRIMARY, day)

    def owner_on(self, usage_type: str, day: dt.date) -> str | None:
        if usage_type not in self.tenant.usage_types:
            known = ", ".join(sorted(self.tenant.usage_types))
            raise ValueError(f"unknown usage type {usage_type!r}; known: {known}")
        if usage_type not in self.owner_rule:
            return None
        return self.value_on(usage_type, day)

    def stretches(self, key: str) -> list[tuple[dt.date, dt.date | None, str]]:
        """The ``(start, end, value)`` stretches of ``key`` that have a value."""
        changes = self.changes(key)
        if not changes:  # never held by anyone
            return []
        ends = [day for day, _ in changes[1:]] + [None]
        return [(start, end, value) for (start, value), end in zip(changes, ends, strict=True)
                if value is not None]

    def frame(self, rows: list[tuple], columns: list[str]) -> pd.DataFrame:
        """Stretch rows as a frame with day-resolution timestamps and text labels."""
        frame = pd.DataFrame(rows, columns=columns)
        for column in ("start", "end"):
            frame[column] = pd.to_datetime(frame[column]).astype("datetime64[us]")
        for column in columns:
            if column not in ("start", "end"):
                frame[column] = frame[column].astype("str")
        return frame

    @cached_property
    def primary_frame(self) -> pd.DataFrame:
        return self.frame(self.stretches(PRIMARY), ["start", "end", "subscription_id"])

    @cached_property
    def ownership_frame(self) -> pd.DataFrame:
        rows = [(usage_type, *stretch) for usage_type in sorted(self.owner_rule)
                for stretch in self.stretches(usage_type)]
        return self.frame(rows, ["usage_type", "start", "end", "owner"])


def _sweep(tenant: Tenant, first_holder_types: list[str]) -> dict[str, list]:
    """One pass over all change points; returns key → [(date, value), …] at every change."""
    events: dict[dt.date, list[tuple[str, str, int]]] = defaultdict(list)
    wanted = set(first_holder_types)
    for sub in tenant.subscriptions:
        for term in sub.terms:
            events[term.start].append((PRIMARY, sub.id, +1))
            events[term.end].append((PRIMARY, sub.id, -1))
        for line in sub.lines:
            if line.usage_type in wanted:
                events[line.start].append((line.usage_type, sub.id, +1))
                events[line.end].append((line.usage_type, sub.id, -1))

    ranked, position = _ranks(tenant, events)
    counts: dict[tuple[str, str], int] = defaultdict(int)
    heaps: dict[str, list[int]] = defaultdict(list)
    current: dict[str, str | None] = {}
    changes: dict[str, list] = defaultdict(list)
    for day in sorted(events):
        touched = set()
        for key, subscription_id, step in events[day]:
            counts[key, subscription_id] += step
            if step > 0 and counts[key, subscription_id] == 1:
                heapq.heappush(heaps[key], position[key, subscription_id])
            touched.add(key)
        for key in sorted(touched):
            heap = heaps[key]
            while heap and counts[key, ranked[key][heap[0]]] <= 0:
                heapq.heappop(heap)
            winner = ranked[key][heap[0]] if heap else None
            if current.get(key) != winner or key not in current:
                current[key] = winner
                changes[key].append((day, winner))
    return dict(changes)


def _ranks(tenant: Tenant, events) -> tuple[dict[str, list[str]], dict[tuple[str, str], int]]:
    """Per key, the subscriptions taking part in order of precedence (R2 seniority or R4 rank)
    and each one's position: the heaps then compare small integers, not tuples of dates,
    which keeps the sweep's constant small at 10,000 subscriptions."""
    subs = {sub.id: sub for sub in tenant.subscriptions}
    taking_part: dict[str, set[str]] = defaultdict(set)
    for happening in events.values():
        for key, subscription_id, _ in happening:
            taking_part[key].add(subscription_id)

    def precedence(key: str, subscription_id: str) -> tuple:
        sub = subs[subscription_id]
        if key == PRIMARY:
            return seniority(sub)
        rank = tenant.usage_types[key].rule.rank
        assert rank is not None  # only ranked types are swept
        return rank(sub, key)

    ranked = {key: _in_order(list(members), [precedence(key, member) for member in members])
              for key, members in taking_part.items()}
    position = {(key, member): i for key, members in ranked.items()
                for i, member in enumerate(members)}
    return ranked, position


def _in_order(items: list[str], keys: list[tuple]) -> list[str]:
    """``items`` sorted by their key tuples (dates and text), in one vectorised sort.

    Python's sort compares the tuples element by element through ``date`` objects, which at
    10,000 subscriptions made this the sweep's largest cost; numpy sorts the columns (dates as
    day numbers) in compiled code.
    """
    columns = [np.array([v.toordinal() if isinstance(v, dt.date) else v for v in column])
               for column in zip(*keys, strict=True)]
    order = np.lexsort(columns[::-1]) if columns else np.arange(len(items))
    return [items[i] for i in order]


def primary_timeline(tenant: Tenant) -> pd.DataFrame:
    """Stretches with a primary subscription: ``start, end, subscription_id`` (half-open).

    ``end`` is NaT while the stretch is still open. Days with no active subscription at all
    appear as gaps between rows.

    Parameters
    ----------
    tenant : Tenant

    Returns
    -------
    DataFrame
        ``start, end`` (datetime64, day resolution, ``end`` exclusive) and ``subscription_id``.
    """
    return tenant.timelines.primary_frame.copy()


def ownership_timeline(tenant: Tenant) -> pd.DataFrame:
    """One row per stretch in which a usage type's overage has an owner (R4–R6).

    Columns ``usage_type, start, end, owner``, sorted by type and start; a gap between a
    type's rows is a stretch with no owner (e.g. nobody holds the type). Per-subscription
    types (``wfo``) have no tenant-wide owner and do not appear.

    Parameters
    ----------
    tenant : Tenant

    Returns
    -------
    DataFrame
        ``usage_type, start, end, owner``; ``start``/``end`` datetime64 at day resolution,
        ``end`` exclusive and NaT while open.
    """
    return tenant.timelines.ownership_frame.copy()


#: The first row of an ownership view: the primary subscription itself (R2).
PRIMARY_LABEL = "primary subscription"


def owned_types(tenant: Tenant, usage_types=None) -> list[str]:
    """Usage types with one tenant-wide overage owner (R4–R6), in the tenant's order."""
    owned = tenant.timelines.owner_rule
    return [t for t in (usage_types or tenant.usage_types) if t in owned]


def owner_changes(tenant: Tenant, key: str) -> list[tuple[dt.date, str | None]]:
    """(day, owner) change points of the primary (``PRIMARY_LABEL``) or of a usage type.

    Read straight from the tenant's timelines (the same change points behind
    :func:`~toolkit.timeline.ownership_timeline`): plain lists are an order of magnitude
    cheaper than frames, and the what-if dashboard redraws this chart on every change.
    """
    return tenant.timelines.changes(PRIMARY if key == PRIMARY_LABEL else key)


def ownership_rows(tenant: Tenant, start, end, usage_types=None) -> pd.DataFrame:
    """The bars of the ownership chart: ``row, start, end, owner`` clipped to ``[start, end)``.

    The first row is the primary subscription (R2); then one row per usage type with a
    tenant-wide owner (R4–R6), in the tenant's usage-type order. Stretches are half-open, as in
    :func:`~toolkit.timeline.ownership_timeline`.
    """
    lo, hi = pd.Timestamp(start).date(), pd.Timestamp(end).date()
    rows = []
    for key in [PRIMARY_LABEL, *owned_types(tenant, usage_types)]:
        stretches = tenant.timelines.stretches(PRIMARY if key == PRIMARY_LABEL else key)
        for day, until, owner in stretches:
            until = hi if until is None else until
            if day < hi and until > lo:
                rows.append((key, max(day, lo), min(until, hi), owner))
    frame = pd.DataFrame(rows, columns=["row", "start", "end", "owner"])
    for column in ("start", "end"):
        frame[column] = pd.to_datetime(frame[column]).astype("datetime64[us]")
    return frame.astype({"row": "str", "owner": "str"})


def owner_change_points(tenant: Tenant, start, end, usage_types=None) -> list[tuple]:
    """(day, usage_type, from_owner, to_owner) for every owner change inside (start, end)."""
    lo, hi = pd.Timestamp(start).date(), pd.Timestamp(end).date()
    points = []
    for usage_type in owned_types(tenant, usage_types):
        previous = None
        for day, owner in owner_changes(tenant, usage_type):
            if lo < day < hi and owner != previous:
                points.append((day, usage_type, previous or "", owner or ""))
            previous = owner
    order = {t: i for i, t in enumerate(tenant.usage_types)}
    return sorted(points, key=lambda p: (p[0], order[p[1]]))

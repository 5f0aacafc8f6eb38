"""What-if scenarios: pure transforms that return a NEW tenant, and a comparison of two tenants.

The model is frozen, so a scenario can never change the tenant the analyst loaded; each
transform builds the changed subscription with :func:`dataclasses.replace` and returns a new
:class:`~toolkit.model.Tenant`. :func:`compare` then answers the two questions a renewal
meeting asks: whose overage moves where, from when (from the ownership timelines of both
tenants), and what each department pays before and after (allocating the same usage to both).
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

import pandas as pd

from toolkit.allocation import Allocation, allocate
from toolkit.chargeback import chargeback
from toolkit.model import Line, Subscription, Tenant, Term
from toolkit.money import from_cents, to_cents
from toolkit.timeline import ownership_timeline, primary_timeline

SHIFT_COLUMNS = ["usage_type", "start", "end", "before_owner", "after_owner"]
PRIMARY_ROW = "(primary)"


def expire(tenant: Tenant, sub_id: str, on: dt.date) -> Tenant:
    """The subscription ends on ``on`` (exclusive): later terms and lines are cut at that day.

    A subscription whose every term starts on or after ``on`` never existed in the scenario
    and is removed from the tenant.
    """
    sub = tenant.subscription(sub_id)
    terms = tuple(_cut_term(term, on) for term in sub.terms if term.start < on)
    if not terms:
        return replace(tenant, subscriptions=tuple(s for s in tenant.subscriptions
                                                   if s.id != sub_id))
    return _with_subscription(tenant, replace(sub, terms=terms))


def _cut_term(term: Term, on: dt.date) -> Term:
    if term.end <= on:
        return term
    lines = tuple(replace(line, end=min(line.end, on)) for line in term.lines if line.start < on)
    return replace(term, end=on, lines=lines)


def renew(tenant: Tenant, sub_id: str, start: dt.date, end: dt.date,
          lines: Iterable[Line | Mapping]) -> Tenant:
    """A new term ``[start, end)`` of the same subscription (it keeps its seniority, R2).

    ``lines`` are :class:`Line` values or mappings with ``usage_type`` (or ``type``),
    ``quantity``, ``unit_price`` and optionally ``overage_price``, ``start``, ``end`` (default:
    the term's bounds). Raises ValueError when the term overlaps an existing one.
    """
    if end <= start:
        raise ValueError(f"renewal end {end} must be after its start {start}")
    sub = tenant.subscription(sub_id)
    clashes = [t for t in sub.terms if t.start < end and start < t.end]
    if clashes:
        found = ", ".join(f"[{t.start}, {t.end})" for t in clashes)
        raise ValueError(f"renewal [{start}, {end}) of {sub_id} overlaps its term(s) {found}")
    term = Term(start, end, tuple(_as_line(line, start, end, tenant) for line in lines))
    terms = tuple(sorted((*sub.terms, term), key=lambda t: t.start))
    return _with_subscription(tenant, replace(sub, terms=terms))


def _as_line(line: Line | Mapping, start: dt.date, end: dt.date, tenant: Tenant) -> Line:
    if not isinstance(line, Line):
        data = dict(line)
        usage_type = data.pop("usage_type", None) or data.pop("type")
        line = Line(usage_type, float(data["quantity"]), float(data["unit_price"]),
                    data.get("start") or start, data.get("end") or end,
                    data.get("overage_price"))
    if line.usage_type not in tenant.usage_types:
        raise ValueError(f"unknown usage type {line.usage_type!r}")
    if not (start <= line.start < line.end <= end):
        raise ValueError(f"line {line.usage_type} [{line.start}, {line.end}) must lie inside "
                         f"the term [{start}, {end})")
    return line


def add(tenant: Tenant, subscription: Subscription) -> Tenant:
    """The tenant with one more subscription; its id must be new."""
    if subscription.id in tenant.departments:
        raise ValueError(f"the tenant already has a subscription {subscription.id!r}")
    if not subscription.terms:
        raise ValueError(f"subscription {subscription.id!r} needs at least one term")
    return replace(tenant, subscriptions=(*tenant.subscriptions, subscription))


def change_quantity(tenant: Tenant, sub_id: str, usage_type: str, quantity: float,
                    from_date: dt.date) -> Tenant:
    """From ``from_date`` on, the subscription's lines of the type carry ``quantity``.

    A line running across ``from_date`` is split in two at that day (old quantity before, new
    after), so history is unchanged. Raises ValueError when no line of the type is active on or
    after ``from_date`` (add one with :func:`renew` or :func:`add` instead).
    """
    sub = tenant.subscription(sub_id)
    changed = False
    terms = []
    for term in sub.terms:
        lines = []
        for line in term.lines:
            if line.usage_type != usage_type or line.end <= from_date:
                lines.append(line)
                continue
            changed = True
            if line.start < from_date:
                lines.append(replace(line, end=from_date))
            lines.append(replace(line, start=max(line.start, from_date), quantity=float(quantity)))
        terms.append(replace(term, lines=tuple(lines)))
    if not changed:
        raise ValueError(f"{sub_id} has no {usage_type} line active on or after {from_date}")
    return _with_subscription(tenant, replace(sub, terms=tuple(terms)))


def _with_subscription(tenant: Tenant, changed: Subscription) -> Tenant:
    return replace(tenant, subscriptions=tuple(
        changed if sub.id == changed.id else sub for sub in tenant.subscriptions))


@dataclass(frozen=True)
class Comparison:
    """What changes between two tenants: ownership shifts and cost per department."""

    shifts: pd.DataFrame  # usage_type, start, end, before_owner, after_owner
    cost_change: pd.DataFrame  # period, department, before_cost, after_cost, change
    before: Allocation
    after: Allocation


def compare(before: Tenant, after: Tenant, usage: pd.DataFrame,
            users: pd.DataFrame | None = None, *, method: str = "billed",
            period: str = "M") -> Comparison:
    """Ownership shifts between the two tenants and the cost difference per department.

    ``shifts`` has one row per stretch in which a type's overage owner differs (``(primary)``
    rows for the primary subscription itself); ``end`` NaT = still open, an owner NA = none.
    ``cost_change`` allocates the same ``usage`` to both tenants and compares the ``method``
    chargeback (``billed`` or ``caused``) per period and department. Usage the after-tenant can
    no longer attribute (e.g. it names an expired subscription) shows in
    ``after.unallocated``, not in the costs.
    """
    shifts = ownership_shifts(before, after)
    first = allocate(before, usage, users, period=period)
    second = allocate(after, usage, users, period=period)
    cost_change = _cost_change(chargeback(first, before, method),
                               chargeback(second, after, method))
    return Comparison(shifts, cost_change, first, second)


def ownership_shifts(before: Tenant, after: Tenant) -> pd.DataFrame:
    """Stretches in which the primary or a type's overage owner differs between two tenants.

    Derived from :func:`~toolkit.timeline.primary_timeline` (rows ``(primary)``) and
    :func:`~toolkit.timeline.ownership_timeline` of both tenants.
    """
    old = _stretches(before)
    new = _stretches(after)
    rows = []
    for key in [PRIMARY_ROW, *sorted((set(old) | set(new)) - {PRIMARY_ROW})]:
        rows += _differences(key, old.get(key, []), new.get(key, []))
    frame = pd.DataFrame(rows, columns=SHIFT_COLUMNS)
    for column in ("start", "end"):
        frame[column] = pd.to_datetime(frame[column]).astype("datetime64[us]")
    for column in ("usage_type", "before_owner", "after_owner"):
        frame[column] = frame[column].astype("str")
    return frame


def _stretches(tenant: Tenant) -> dict[str, list[tuple[dt.date, str | None]]]:
    """Key → (day, owner) change points; an owner of None starts a stretch with no owner."""
    primary = primary_timeline(tenant).assign(usage_type=PRIMARY_ROW).rename(
        columns={"subscription_id": "owner"})
    frame = pd.concat([primary, ownership_timeline(tenant)], ignore_index=True)
    result = {}
    for key, rows in frame.groupby("usage_type", sort=False):
        points: dict[dt.date, str | None] = {}
        for start, end, owner in rows.sort_values("start")[["start", "end", "owner"]].itertuples(
                index=False):
            points[start.date()] = owner
            if pd.notna(end):
                points.setdefault(end.date(), None)
        result[key] = sorted(points.items())
    return result


def _differences(key: str, a: list, b: list) -> list[tuple]:
    """Merged stretches where the owner in ``a`` differs from the owner in ``b``.

    ``a`` and ``b`` are (day, owner) change points: the owner holds from that day on.
    """
    points = sorted({day for day, _ in a} | {day for day, _ in b})
    rows: list[list] = []
    for start, end in zip(points, [*points[1:], None], strict=False):
        owners = (_value_on(a, start), _value_on(b, start))
        if owners[0] == owners[1]:
            continue
        if rows and rows[-1][2] == start and tuple(rows[-1][3:]) == owners:
            rows[-1][2] = end
        else:
            rows.append([key, start, end, *owners])
    return [tuple(row) for row in rows]


def _value_on(changes: list, day: dt.date) -> str | None:
    index = bisect.bisect_right(changes, day, key=lambda pair: pair[0]) - 1
    return changes[index][1] if index >= 0 else None


def _cost_change(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    merged = pd.merge(before[["period", "department", "total_cost"]],
                      after[["period", "department", "total_cost"]],
                      on=["period", "department"], how="outer", suffixes=("_before", "_after"))
    result = pd.DataFrame({
        "period": merged["period"],
        "department": merged["department"].astype("str"),
        "before_cost": merged["total_cost_before"].fillna(0.0),
        "after_cost": merged["total_cost_after"].fillna(0.0),
    })
    result["change"] = from_cents(to_cents(result["after_cost"]) - to_cents(result["before_cost"]))
    return result.sort_values(["period", "department"], ignore_index=True)

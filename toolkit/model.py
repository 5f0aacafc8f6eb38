"""The domain model: Tenant → Subscription → Term → Line, immutable.

Values are frozen so that what-if scenarios can build new tenants without ever changing the
one an analyst loaded. Dates are ``datetime.date``; every interval is half-open ``[start, end)``
so that a term ending on 2026-01-01 and a renewal starting that day never overlap.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType

from toolkit.explain import explain_owner
from toolkit.policy import DEFAULT_USAGE_TYPES, Metering, UsageType
from toolkit.timeline import Timelines

#: The files of a tenant directory (docs/rules.md §6), named once for the loaders and for the
#: messages that point a reader to the file to fix.
TENANT_FILE = "tenant.yaml"
USAGE_FILE = "usage.csv"
USERS_FILE = "users.csv"
SESSIONS_FILE = "sessions.csv"
BUDGETS_FILE = "budgets.csv"


@dataclass(frozen=True)
class Line:
    """An entitlement inside a term: ``quantity`` of a usage type per billing period."""

    usage_type: str
    quantity: float
    unit_price: float
    start: dt.date
    end: dt.date
    overage_price: float | None = None

    def active_on(self, day: dt.date) -> bool:
        return self.start <= day < self.end


@dataclass(frozen=True)
class Term:
    """One purchase or renewal period of a subscription."""

    start: dt.date
    end: dt.date
    lines: tuple[Line, ...] = ()

    def active_on(self, day: dt.date) -> bool:
        return self.start <= day < self.end


@dataclass(frozen=True)
class Subscription:
    """A commercial agreement owned by one department."""

    id: str
    department: str
    license_model: str
    offer: str
    deployment: str
    terms: tuple[Term, ...]

    @property
    def first_start(self) -> dt.date:
        """Seniority: a renewal keeps the date the subscription first started (R2)."""
        return min(term.start for term in self.terms)

    @cached_property
    def lines(self) -> tuple[Line, ...]:
        """Every line of every term, built once: the timelines ask each subscription for its
        lines once per usage type."""
        return tuple(line for term in self.terms for line in term.lines)

    def active_on(self, day: dt.date) -> bool:
        """R1: active when one of its terms contains the day."""
        return any(term.active_on(day) for term in self.terms)

    def holds(self, usage_type: str, day: dt.date) -> bool:
        """R3: it has an active line of the type that day."""
        return any(line.usage_type == usage_type and line.active_on(day) for line in self.lines)

    def first_held(self, usage_type: str) -> dt.date | None:
        """R3: the earliest start of any of its lines of the type, ever."""
        starts = [line.start for line in self.lines if line.usage_type == usage_type]
        return min(starts) if starts else None


@dataclass(frozen=True)
class Tenant:
    """One customer organization and its subscriptions."""

    name: str
    currency: str
    subscriptions: tuple[Subscription, ...]
    timezone: str = "UTC"
    overage_prices: Mapping[str, float] = field(default_factory=dict)
    usage_types: Mapping[str, UsageType] = field(default_factory=lambda: DEFAULT_USAGE_TYPES)
    metering: Metering = field(default_factory=Metering)  # how sessions become usage (M3)

    def __post_init__(self) -> None:
        object.__setattr__(self, "overage_prices", MappingProxyType(dict(self.overage_prices)))
        object.__setattr__(self, "usage_types", MappingProxyType(dict(self.usage_types)))

    def subscription(self, subscription_id: str) -> Subscription:
        for sub in self.subscriptions:
            if sub.id == subscription_id:
                return sub
        raise KeyError(f"no subscription {subscription_id!r} in tenant {self.name!r}")

    @cached_property
    def departments(self) -> dict[str, str]:
        """Subscription id → owning department."""
        return {sub.id: sub.department for sub in self.subscriptions}

    def active_on(self, day: dt.date) -> list[Subscription]:
        return [sub for sub in self.subscriptions if sub.active_on(day)]

    @cached_property
    def timelines(self) -> Timelines:
        """Who is primary and who owns each type, as change points (:mod:`toolkit.timeline`).

        The rule queries below answer from them, so a point query, a chart and an allocation
        can never disagree.
        """
        return Timelines(self)

    def primary(self, on: dt.date | str) -> str | None:
        """R2: the oldest active subscription on the day, or ``None``.

        Parameters
        ----------
        on : date or ISO text
            The day asked about (a calendar day in the tenant's zone).

        Returns
        -------
        str or None
            The primary subscription's id; ``None`` when no subscription is active that day.
        """
        return self.timelines.primary_on(as_date(on))

    def overage_owner(self, usage_type: str, on: dt.date | str) -> str | None:
        """R4/R5/R6/R7: the subscription billed for the type's overage on the day, or ``None``.

        For per-subscription types (``wfo``) each subscription owns its own overage, so there
        is no single tenant-wide owner and this returns ``None``.

        Parameters
        ----------
        usage_type : str
            A usage type of the tenant's policy table (ValueError naming the known ones
            otherwise).
        on : date or ISO text
            The day asked about.

        Returns
        -------
        str or None
            The owning subscription's id; ``None`` when nobody owns the type that day.
        """
        return self.timelines.owner_on(usage_type, as_date(on))

    def explain_owner(self, usage_type: str, on: dt.date | str) -> str:
        """A plain-language sentence: who owns the type's overage that day, and why.

        Parameters
        ----------
        usage_type : str
            A usage type of the tenant's policy table.
        on : date or ISO text
            The day asked about.

        Returns
        -------
        str
            One sentence naming the owner, the rule and the competitors it beat.
        """
        return explain_owner(self, usage_type, as_date(on))


def as_date(value) -> dt.date:
    """A calendar day from a date, datetime, Timestamp or ISO string: the one helper behind
    every "on" and "as of" argument (a datetime gives its own date, as written)."""
    if isinstance(value, dt.datetime):  # pandas Timestamps are datetimes too
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def tenant_license_model(tenant: Tenant) -> str:
    """The license model that decides agent measures (M2).

    All subscriptions should share one model (V1 reports when they do not); when they are
    mixed, the oldest subscription's model is used so that allocation still runs.
    """
    oldest = min(tenant.subscriptions, key=lambda sub: (sub.first_start, sub.id))
    return oldest.license_model

"""The usage-type policy table (docs/rules.md §1): rules as data.

Every behaviour that differs between usage types — whether usage is pooled across the tenant,
who owns the overage, how usage is measured — is read from this table, so a tenant file can
add a usage type or override a row without touching code.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import pandas as pd


def seniority(sub) -> tuple:
    """R2 ordering key: earliest first-term start, then smallest id."""
    return (sub.first_start, sub.id)


def holder_rank(sub, usage_type: str) -> tuple:
    """R4 ordering key: earliest first-held date, then earlier first-term start, then id."""
    return (sub.first_held(usage_type), sub.first_start, sub.id)


@dataclass(frozen=True)
class OwnershipRule:
    """How one policy pools usage and picks the subscription that pays the overage.

    The rule carries its behaviour, so the timelines, the explanations, the allocation and the
    FOCUS export ask it rather than compare its name: a new rule is a new row here.

    * ``follows_primary``: the owner is the primary subscription (R5, R6); the type's owner
      timeline is the primary's.
    * ``rank``: among the subscriptions holding the type on a day, the one ranked first owns
      it (R4); the type gets an owner timeline of its own, swept over its holders.
    * neither: no tenant-wide owner; each subscription pays its own overage (R7).
    * ``explain(tenant, usage_type_row, day)``: the plain-language sentence of who owns the
      type's overage that day and why.
    """

    pooled: bool
    owner: str  # the rule's name in files and tables: "primary", "first_holder" or "self"
    explain: Callable[[Any, Any, dt.date], str]
    follows_primary: bool = False
    rank: Callable[[Any, str], tuple] | None = None
    usage_to_primary: bool = False  # all usage is attributed to the primary (R6)
    description: str = ""

    @property
    def per_subscription(self) -> bool:
        """No single owner: each subscription pays its own overage."""
        return not self.follows_primary and self.rank is None


def _primary_reason(tenant, on: dt.date) -> tuple[str | None, str]:
    active = sorted(tenant.active_on(on), key=seniority)
    if not active:
        return None, f"no subscription is active on {on}"
    primary, others = active[0], active[1:]
    reason = (
        f"{primary.id} ({primary.department}) is the primary subscription: the oldest active one, "
        f"first started {primary.first_start}"
    )
    if others:
        beaten = ", ".join(f"{s.id} ({s.first_start})" for s in others)
        reason += f", older than {beaten}"
    return primary.id, reason


def _explain_primary(tenant, row, on: dt.date) -> str:
    primary, reason = _primary_reason(tenant, on)
    name = row.label or row.name
    if primary is None:
        return f"On {on} nobody owns {name} ({row.name}) overage: {reason}."
    if row.rule.usage_to_primary:
        return (
            f"On {on} all {name} ({row.name}) usage is allocated to {primary}, and {primary} pays "
            f"any overage against its own entitlement, because {reason}."
        )
    return (
        f"On {on} {primary} owns {name} ({row.name}) overage: usage is pooled across the tenant "
        f"and overage is billed to the primary subscription, and {reason}."
    )


def _explain_first_holder(tenant, row, on: dt.date) -> str:
    name, t = row.label or row.name, row.name
    ever = [sub for sub in tenant.subscriptions if sub.first_held(t) is not None]
    holding = sorted((sub for sub in ever if sub.holds(t, on)), key=lambda s: holder_rank(s, t))
    lapsed = sorted(
        (sub for sub in ever if not sub.holds(t, on)), key=lambda s: holder_rank(s, t)
    )
    if not holding:
        return f"On {on} no subscription holds {name} ({t}), so nobody owns its overage."
    owner, beaten = holding[0], holding[1:]
    text = (
        f"On {on} {owner.id} ({owner.department}) owns {name} ({t}) overage: among the "
        f"subscriptions holding {t} that day it has held it first, since {owner.first_held(t)}"
    )
    if beaten:
        text += ", before " + ", ".join(f"{s.id} (since {s.first_held(t)})" for s in beaten)
    else:
        text += ", and it is the only one holding it"
    earlier = [s for s in lapsed if holder_rank(s, t) < holder_rank(owner, t)]
    if earlier:
        text += ". " + "; ".join(
            f"{s.id} held {t} earlier (since {s.first_held(t)}) but holds no active {t} line "
            f"on {on}" for s in earlier
        )
    return text + "."


def _explain_self(tenant, row, on: dt.date) -> str:
    name = row.label or row.name
    return (
        f"{name} ({row.name}) usage is split by subscription: on {on}, as on any day, each "
        f"subscription pays its own overage, so there is no tenant-wide owner."
    )


POLICIES = MappingProxyType(
    {
        "pooled_primary": OwnershipRule(
            pooled=True,
            owner="primary",
            explain=_explain_primary,
            follows_primary=True,
            description="pooled across the tenant; overage billed to the primary subscription",
        ),
        "pooled_first_holder": OwnershipRule(
            pooled=True,
            owner="first_holder",
            explain=_explain_first_holder,
            rank=holder_rank,
            description=(
                "pooled across the subscriptions holding the type; overage billed to the one "
                "that held the type first and still holds it"
            ),
        ),
        "primary_only": OwnershipRule(
            pooled=False,
            owner="primary",
            explain=_explain_primary,
            follows_primary=True,
            usage_to_primary=True,
            description=(
                "all usage allocated to the primary subscription, against its own entitlement"
            ),
        ),
        "per_subscription": OwnershipRule(
            pooled=False,
            owner="self",
            explain=_explain_self,
            description="split by subscription; each pays its own overage",
        ),
    }
)

MEASURES = ("sum", "peak", "distinct")
LICENSE_MODELS = ("concurrent", "named")


@dataclass(frozen=True)
class UsageType:
    """One row of the policy table."""

    name: str
    policy: str  # a key of POLICIES
    measure: str  # measure under the concurrent model (and the only one for non-agent types)
    unit: str
    named_measure: str | None = None  # measure under the named model, when it differs
    license_bound: bool = False  # its lines follow the concurrent/named license model (V1)
    label: str = ""

    @property
    def rule(self) -> OwnershipRule:
        return POLICIES[self.policy]

    def measure_for(self, license_model: str) -> str:
        """The measure that applies under a license model (M2)."""
        if license_model == "named" and self.named_measure:
            return self.named_measure
        return self.measure


DEFAULT_USAGE_TYPES = MappingProxyType(
    {
        t.name: t
        for t in (
            UsageType("cc_standard_agent", "pooled_primary", "peak", "agents", "distinct", True,
                      "Contact Center Standard agent"),
            UsageType("cc_premium_agent", "pooled_primary", "peak", "agents", "distinct", True,
                      "Contact Center Premium agent"),
            UsageType("ivr_port", "pooled_primary", "peak", "concurrent IVR sessions", None, True,
                      "IVR port"),
            UsageType("ai_agent", "pooled_first_holder", "sum", "sessions", label="AI Agent"),
            UsageType("ai_assistant", "pooled_first_holder", "sum", "sessions",
                      label="AI Assistant"),
            UsageType("ivr_outbound_campaign", "pooled_first_holder", "sum", "campaign minutes",
                      label="IVR outbound campaign"),
            UsageType("webex_connect", "primary_only", "sum", "automated interactions",
                      label="Webex Connect"),
            UsageType("wfo", "per_subscription", "distinct", "named users",
                      label="Workforce Optimization"),
        )
    }
)

#: Offers a tenant may carry. Only Flex and Flex 3 support several subscriptions in one
#: tenant (seed); ``ea`` (Enterprise Agreement) is accepted so that validation can flag it (V7).
OFFERS = ("flex", "flex3", "ea")
MULTI_SUBSCRIPTION_OFFERS = ("flex", "flex3")
DEPLOYMENTS = ("cloud", "hybrid")


@dataclass(frozen=True)
class Metering:
    """How agent sessions become concurrency (docs/rules.md M3, M3a): the metering policy as data.

    Cisco publishes no sampling interval or minimum duration for concurrent agents, and its
    peers differ (Cisco CCE: a level must be held 15 minutes; Genesys: peaks held under 30
    minutes in the month are ignored; NICE: the highest daily peak), so a tenant states its
    own in ``tenant.yaml`` (``metering: {interval, min_duration, max_session}``):

    * ``interval``: the sampling interval; each interval's value is its highest concurrency.
    * ``min_duration``: a concurrency level counts only when held at least this long
      (``0min``: every instant counts).
    * ``max_session``: a session longer than this is cut at login + ``max_session`` and
      reported; real exports hold sessions "active" for months (a lost logout).
    """

    interval: str = "15min"
    min_duration: str = "0min"
    max_session: str = "24h"

    def __post_init__(self) -> None:
        for name, minimum in (("interval", 1), ("min_duration", 0), ("max_session", 1)):
            value = duration(getattr(self, name), name)
            if value < pd.Timedelta(minimum, "us"):
                least = "positive" if minimum else "zero or more"
                raise ValueError(f"metering {name} must be {least}, not {getattr(self, name)!r}")


def duration(text: object, name: str) -> pd.Timedelta:
    """A fixed duration such as ``15min`` or ``24h`` (ValueError naming ``name`` otherwise)."""
    try:
        value = pd.Timedelta(str(text))
    except ValueError:
        value = pd.NaT
    if pd.isna(value):
        raise ValueError(f"metering {name} must be a fixed duration such as '15min' or "
                         f"'24h', not {text!r}")
    return value


#: Instants outside this window are input errors, not sessions: epoch seconds read as
#: milliseconds land in January 1970, and a logout typed as 9999 or 2125 is a typo, not a
#: session to sweep interval by interval.
PLAUSIBLE_INSTANTS = (pd.Timestamp("2000-01-01", tz="UTC"), pd.Timestamp("2100-01-01", tz="UTC"))
PLAUSIBLE_TEXT = "a date-time between 2000-01-01 and 2100-01-01"

#: Agent license types in order of precedence: a user holding both counts as Premium
#: (Webex applies the Premium license; V6 reports the wasted Standard one).
AGENT_LICENSES = ("cc_premium_agent", "cc_standard_agent")
#: The type counted for a user whose agent license is not known.
DEFAULT_AGENT_TYPE = "cc_standard_agent"

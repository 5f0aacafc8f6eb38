"""Provisioning and access validation (docs/rules.md §5, rules V1–V7).

Each rule is a row of :data:`RULES` — stable id, severity, its docs/rules.md rule and a
check function — so adding or re-grading a rule is a data change, not a new branch. A check
takes the evaluation :class:`Context` and yields ``(subject, message)`` pairs; messages are
written for a finance analyst or a Control Hub admin: who, which subscription, which date,
and what to do.

Evaluation day. ``validate`` never reads the machine's clock: without ``on`` it uses
:func:`latest_date`, the latest day on which something recorded in the data *began* — a
term, a line, or a user mapping's ``start``. The data cannot describe a moment before that
day, and any later day would be a guess. End dates are not used: contracts and planned
mapping changes routinely end in the future.

Scope choices, all documented to the user:

* Supervisors need not be mapped (V2 names admins and agents, as the seed does); a supervisor
  who *is* mapped is checked by V3/V4 like anyone, since a mapping to a lapsed subscription is
  broken whatever the role.
* V1 and V7 look at the subscriptions still live on the evaluation day (active or booked to
  start later): an expired subscription no longer constrains provisioning.
* V3/V4 are reported per mapping row (one per license), because each license is remapped on
  its own in Control Hub. They judge the mappings in effect on the day (``start``/``end``
  columns, a mapping starting during a day counts for that day); a later mapping already
  recorded does not silence V4, since the move it records has not happened yet on that day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pandas as pd

from toolkit.findings import FINDING_COLUMNS, SEVERITIES, by_severity, findings_frame
from toolkit.model import Tenant, as_date, tenant_license_model
from toolkit.periods import last_day
from toolkit.policy import MULTI_SUBSCRIPTION_OFFERS
from toolkit.provisioning.access import mapping_status, normalize_users, unmapped_rows
from toolkit.provisioning.remap import Candidate, Target, candidates, target_finder
from toolkit.timeline import primary_timeline

#: What a mapping gives each role (seed: admins reach Control Hub/Connect/Engage, agents the
#: Agent Desktop).
ROLE_ACCESS = {
    "admin": "Control Hub, Connect and Engage",
    "agent": "the Agent Desktop",
    "supervisor": "the supervisor views of the Agent Desktop",
}
#: License pairs of which holding both wastes the first: (wasted, applies) [cisco].
SUPERSEDED_LICENSES = (("cc_standard_agent", "cc_premium_agent"),)
OFFER_NAMES = {"flex": "Flex", "flex3": "Flex 3", "ea": "Enterprise Agreement"}


@dataclass(frozen=True)
class Context:
    """Everything a check may read: the tenant, the day, and the users' mapping status."""

    tenant: Tenant
    on: dt.date
    horizon_days: int
    status: pd.DataFrame | None  # access.mapping_status, None without a users table
    pool: list[Candidate]  # subscriptions active on ``on``, as remap targets
    find_target: Callable  # remap.target_finder for the day

    def live_subscriptions(self):
        """Subscriptions active on ``on`` or booked to start later."""
        return [s for s in self.tenant.subscriptions if any(t.end > self.on for t in s.terms)]

    def label(self, usage_type) -> str:
        row = self.tenant.usage_types.get(usage_type)
        return (row.label or row.name) if row else str(usage_type)

    def suggestion(self, row, needed_until: dt.date) -> Target:
        return self.find_target(row.license, row.subscription_id, row.user_department,
                                needed_until)


Check = Callable[[Context], Iterable[tuple[str, str]]]


@dataclass(frozen=True)
class Rule:
    id: str
    severity: str
    spec: str
    check: Check


def validate(tenant: Tenant, users: pd.DataFrame | None = None, on=None,
             horizon_days: int = 60) -> pd.DataFrame:
    """Findings of rules V1–V7 on ``on``: DataFrame ``rule, severity, subject, message``.

    ``users`` is a ``load_users`` table (optional ``start``/``end`` bound each mapping row;
    the rows in effect on ``on`` count). Without users only the tenant rules (V1, V5, V7)
    run. Rows are sorted by severity (errors first), then rule order, then subject.

    Parameters
    ----------
    tenant : Tenant
    users : DataFrame, optional
        The users table (:func:`toolkit.load_users`).
    on : date or ISO text, optional
        The evaluation day (default: the latest date the tenant file and the users name).
    horizon_days : int
        Days ahead in which a subscription's end puts its users' access at risk (V4).

    Returns
    -------
    DataFrame
        ``rule, severity, subject, message``: one row per finding.
    """
    if horizon_days < 0:
        raise ValueError(f"horizon_days must be at least 0, got {horizon_days}")
    day = as_date(on) if on is not None else latest_date(tenant, users)
    status = mapping_status(tenant, users, day, horizon_days) if users is not None else None
    context = Context(tenant, day, horizon_days, status, candidates(tenant, day),
                      target_finder(tenant, day, horizon_days))
    rows = [
        (order, rule.id, rule.severity, subject, message)
        for order, rule in enumerate(RULES)
        for subject, message in rule.check(context)
    ]
    frame = findings_frame(rows, ["order", *FINDING_COLUMNS])
    return by_severity(frame, "order", "subject")[FINDING_COLUMNS]


def latest_date(tenant: Tenant, users: pd.DataFrame | None = None) -> dt.date:
    """The default evaluation day: the latest start of a term, a line or a user mapping."""
    starts = [t.start for s in tenant.subscriptions for t in s.terms]
    starts += [line.start for s in tenant.subscriptions for line in s.lines]
    if users is not None and "start" in users.columns:
        bounds = normalize_users(users, tenant)["map_start"]
        starts += [d.date() for d in bounds[bounds > pd.Timestamp("0001-01-01")]]
    return max(starts)


# --- the checks -----------------------------------------------------------------------------

def _mixed_license_model(ctx: Context) -> Iterable[tuple[str, str]]:
    """V1: subscriptions with agent or IVR lines must all be concurrent or all named."""
    bound = {name for name, row in ctx.tenant.usage_types.items() if row.license_bound}
    by_model: dict[str, list[str]] = {}
    for sub in ctx.live_subscriptions():
        if any(line.usage_type in bound and line.end > ctx.on for line in sub.lines):
            by_model.setdefault(sub.license_model, []).append(sub.id)
    if len(by_model) > 1:
        mix = " and ".join(f"{model} ({', '.join(sorted(ids))})"
                           for model, ids in sorted(by_model.items()))
        yield ctx.tenant.name, (
            f"The subscriptions with agent or IVR licenses mix license models: {mix}. Webex "
            f"provisioning requires them to be all concurrent or all named. Until this is "
            f"fixed, agent usage is measured with the oldest subscription's model "
            f"({tenant_license_model(ctx.tenant)})."
        )


def _user_unmapped(ctx: Context) -> Iterable[tuple[str, str]]:
    """V2: an admin or agent mapped to no subscription on the day."""
    if ctx.status is None:
        return
    status = ctx.status
    lost = unmapped_rows(status).drop_duplicates("user_id")
    for row in lost.itertuples(index=False):
        target = ctx.suggestion(row, ctx.on)
        yield row.user_id, (
            f"{_who(row)} is not mapped to any subscription on {ctx.on}, so they have no "
            f"access to {ROLE_ACCESS.get(row.role, 'Webex Contact Center')}. "
            f"{_advice(target, 'Map them to')}"
        )


def _access_of(ctx: Context, row) -> str:
    """What a mapping row gives access to: the role's tools for an agent license (or none),
    the licensed product itself for any other license (a WFO seat gives WFO, not the desktop)."""
    policy = ctx.tenant.usage_types.get(row.license) if isinstance(row.license, str) else None
    if policy is None or policy.license_bound:
        return ROLE_ACCESS.get(row.role, "Webex Contact Center")
    return f"{ctx.label(row.license)} through that mapping"


def _mappings_in_effect(ctx: Context, status: str) -> pd.DataFrame:
    """The user mappings in effect on the day whose subscription has ``status``."""
    table = ctx.status
    assert table is not None  # only called by checks that run with a users table
    return table[table["in_effect"] & (table["status"] == status)]


def _user_on_inactive(ctx: Context) -> Iterable[tuple[str, str]]:
    """V3: mapped to a subscription that is not active on the day: access is lost."""
    if ctx.status is None:
        return
    rows = _mappings_in_effect(ctx, "inactive")
    active = ", ".join(c.id for c in ctx.pool) or "none"
    for row in rows.itertuples(index=False):
        target = ctx.suggestion(row, ctx.on)
        yield row.user_id, (
            f"{_who(row)} is mapped to {row.subscription_id}{_for(ctx, row)}, which is not "
            f"active on {ctx.on} ({_inactive_because(ctx, row)}). They have lost access to "
            f"{_access_of(ctx, row)}, whatever else is active in "
            f"the tenant (active: {active}). {_advice(target, 'Remap them to')}"
        )


def _access_at_risk(ctx: Context) -> Iterable[tuple[str, str]]:
    """V4: mapped to a subscription that ends within the horizon; names where to remap."""
    if ctx.status is None:
        return
    rows = _mappings_in_effect(ctx, "ending")
    for row in rows.itertuples(index=False):
        ends = row.access_ends.date()
        target = ctx.suggestion(row, ends)
        gap = (f" Its next term only starts on {row.restarts.date()}."
               if pd.notna(row.restarts) else "")
        yield row.user_id, (
            f"{_who(row)} is mapped to {row.subscription_id}{_for(ctx, row)}, whose last day is "
            f"{last_day(ends)} (it ends in {(ends - ctx.on).days} days, within the "
            f"{ctx.horizon_days}-day "
            f"horizon); from then on they lose access to "
            f"{_access_of(ctx, row)}.{gap} "
            f"{_advice(target, f'Remap them before {ends} to')}"
        )


def _unusable_entitlement(ctx: Context) -> Iterable[tuple[str, str]]:
    """V5: a primary-only entitlement (Webex Connect) on a subscription that is not primary
    while the line runs: all such usage goes to the primary, so it cannot be consumed."""
    stretches = [
        (row.subscription_id, row.start.date(),
         row.end.date() if pd.notna(row.end) else dt.date.max)
        for row in primary_timeline(ctx.tenant).itertuples(index=False)
    ]
    for sub in ctx.tenant.subscriptions:
        for line in sub.lines:
            row = ctx.tenant.usage_types[line.usage_type]
            if not row.rule.usage_to_primary or line.end <= ctx.on or line.quantity <= 0:
                continue
            usable = sum(max(0, (min(e, line.end) - max(s, line.start)).days)
                         for subscription_id, s, e in stretches if subscription_id == sub.id)
            total = (line.end - line.start).days
            if usable < total:
                yield sub.id, _unusable_message(ctx, sub.id, line, row, usable, total)


def _unusable_message(ctx: Context, subscription_id: str, line, row, usable: int,
                      total: int) -> str:
    label = row.label or row.name
    head = (f"{subscription_id} has {line.quantity:g} {row.unit} of {label} from {line.start} to "
            f"{line.end}, but all {label} usage is allocated to the primary subscription")
    if usable == 0:
        return (f"{head}, and {subscription_id} is never the primary while this line runs: the "
                f"entitlement can never be consumed. Buy it on the primary subscription instead.")
    return (f"{head}, and {subscription_id} is the primary for only {usable} of the line's {total} "
            f"days: on the other {total - usable} days the entitlement cannot be consumed.")


def _duplicate_agent_license(ctx: Context) -> Iterable[tuple[str, str]]:
    """V6: a user holding both licenses of a superseded pair (Standard and Premium agent)."""
    if ctx.status is None:
        return
    held = ctx.status[ctx.status["in_effect"] & ctx.status["license"].notna()]
    for wasted, applies in SUPERSEDED_LICENSES:
        pair = held[held["license"].isin([wasted, applies])]
        kinds = pair.groupby("user_id")["license"].nunique()
        for user_id in sorted(kinds.index[kinds == 2]):
            rows = held[held["user_id"] == user_id]
            where = {t: _subs(rows, t) for t in (wasted, applies)}
            yield user_id, (
                f"{_who(rows.iloc[0])} holds both a {ctx.label(wasted)} license ({where[wasted]}) "
                f"and a {ctx.label(applies)} license ({where[applies]}). {ctx.label(applies)} "
                f"applies, so the {ctx.label(wasted)} license is wasted: remove it."
            )


def _unsupported_offer(ctx: Context) -> Iterable[tuple[str, str]]:
    """V7: an offer other than Flex or Flex 3 in a tenant with several live subscriptions."""
    live = ctx.live_subscriptions()
    if len(live) < 2:
        return
    supported = " and ".join(OFFER_NAMES.get(o, o) for o in MULTI_SUBSCRIPTION_OFFERS)
    for sub in live:
        if sub.offer not in MULTI_SUBSCRIPTION_OFFERS:
            yield sub.id, (
                f"{sub.id} ({sub.department}) is on the {OFFER_NAMES.get(sub.offer, sub.offer)} "
                f"offer, but only {supported} support several subscriptions in one tenant, and "
                f"this tenant has {len(live)}. Move it to a supported offer or to its own tenant."
            )


RULES: tuple[Rule, ...] = (
    Rule("mixed-license-model", "error", "V1", _mixed_license_model),
    Rule("user-unmapped", "error", "V2", _user_unmapped),
    Rule("user-on-inactive-subscription", "error", "V3", _user_on_inactive),
    Rule("access-at-risk", "warning", "V4", _access_at_risk),
    Rule("unusable-entitlement", "warning", "V5", _unusable_entitlement),
    Rule("duplicate-agent-license", "warning", "V6", _duplicate_agent_license),
    Rule("unsupported-offer", "error", "V7", _unsupported_offer),
)


# --- message parts ---------------------------------------------------------------------------

def _who(row) -> str:
    email = getattr(row, "email", None)
    contact = f" <{email}>" if isinstance(email, str) else ""
    return f"{str(row.role).capitalize()} {row.user_id}{contact}"


def _for(ctx: Context, row) -> str:
    return f" for their {ctx.label(row.license)} license" if pd.notna(row.license) else ""


def _inactive_because(ctx: Context, row) -> str:
    if row.subscription_id not in ctx.tenant.departments:
        return "it is not a subscription of this tenant"
    ended = (f"its last day was {last_day(row.ended.date())}" if pd.notna(row.ended)
             else "it has not started")
    booked = f"; its next term starts on {row.restarts.date()}" if pd.notna(row.restarts) else ""
    return ended + booked


def _advice(target: Target, verb: str) -> str:
    if target.subscription_id is None:
        return f"There is no subscription to move them to: {target.reason}."
    return f"{verb} {target.subscription_id} ({target.reason})."


def _subs(rows: pd.DataFrame, license_type: str) -> str:
    subs = rows.loc[rows["license"] == license_type, "subscription_id"]
    names = sorted(set(subs.dropna()))
    return ", ".join(names) if names else "no subscription"


__all__ = ["FINDING_COLUMNS", "RULES", "SEVERITIES", "Rule", "latest_date", "validate"]

"""A remap plan: where to move each user who is about to lose access, or already has.

For every mapping row at risk (its subscription ends within the horizon) or cut off (its
subscription is not active), and every admin or agent mapped nowhere, the plan names a target
subscription, chosen by these preferences, best first:

1. an active subscription of the user's own department that carries the user's license type
   and stays active beyond the horizon (a move that will not need redoing soon);
2. such a subscription of the department that ends within the horizon but outlasts the
   current one;
3. the primary subscription, when it carries the license type (every tenant has one while
   anything is active, and its department already pays pooled overage);
4. none, with the reason — naming other departments' subscriptions that would fit, because
   charging another department is a decision for people, not for this toolkit.

"Carries the license type" means an active line of that usage type on the day; a row with no
license (typically an admin) fits any active subscription. The plan can be exported as a CSV
an admin works through in Control Hub, or as request bodies for Webex's
``PATCH /v1/licenses/users`` (add the target license, remove the old one). Nothing is sent:
the toolkit only writes files.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd

from toolkit.model import Tenant, as_date
from toolkit.periods import last_day
from toolkit.policy import seniority
from toolkit.provisioning.access import NO_DEPARTMENT, coverage, mapping_status, unmapped_rows

#: What the plan calls each row status that needs a move.
PLAN_STATUS = {"ending": "at risk", "inactive": "cut off", "unmapped": "unmapped"}
PLAN_COLUMNS = ["user_id", "email", "role", "department", "license", "status",
                "from_subscription", "access_ends", "to_subscription", "to_active_until",
                "reason"]
CSV_COLUMNS = {"user_id": "user", "email": "email", "from_subscription": "from",
               "to_subscription": "to", "license": "license", "status": "status",
               "access_ends": "access_ends", "reason": "reason"}


@dataclass(frozen=True)
class Candidate:
    """A subscription active on the evaluation day, seen as a possible remap target."""

    id: str
    department: str
    until: dt.date  # end of its current coverage stretch
    primary: bool
    rank: tuple  # seniority, the final tie-break

    def carries(self, tenant: Tenant, license_type, on: dt.date) -> bool:
        if pd.isna(license_type):
            return True
        return tenant.subscription(self.id).holds(license_type, on)


@dataclass(frozen=True)
class Target:
    subscription_id: str | None
    until: dt.date | None
    reason: str


def candidates(tenant: Tenant, on: dt.date) -> list[Candidate]:
    """Every subscription active on ``on``, with the end of its current stretch."""
    day = np.datetime64(on, "D")
    stretches = coverage(tenant)
    current = stretches[(stretches["start"] <= day) & (day < stretches["end"])]
    until = dict(zip(current["subscription_id"], current["end"].dt.date, strict=True))
    primary = tenant.primary(on)
    return [
        Candidate(sub.id, sub.department, until[sub.id], sub.id == primary, seniority(sub))
        for sub in tenant.active_on(on)
    ]


def choose_target(tenant: Tenant, pool: list[Candidate], *, license_type, current,
                  department: str, needed_until: dt.date, on: dt.date,
                  horizon_days: int) -> Target:
    """The best subscription to move one mapping row to (see the module docstring).

    ``needed_until`` is the day access must continue past: the current subscription's end
    for a row at risk, ``on`` for a row already cut off. Preferences are a sort key, not an
    if-chain: own department first, then lasting beyond the horizon, then the primary, then
    seniority.
    """
    horizon_end = on + dt.timedelta(days=int(horizon_days))
    fitting = [
        c for c in pool
        if c.id != current and c.until > needed_until and c.carries(tenant, license_type, on)
    ]
    eligible = [c for c in fitting if c.department == department or c.primary]
    if not eligible:
        return Target(None, None, _no_target_reason(tenant, pool, fitting, license_type,
                                                    department, needed_until, on))
    best = min(eligible, key=lambda c: (c.department != department, c.until <= horizon_end,
                                        not c.primary, c.rank))
    return Target(best.id, best.until, _target_reason(tenant, best, license_type, department,
                                                      horizon_end, horizon_days))


def target_finder(tenant: Tenant, on: dt.date, horizon_days: int):
    """``find(license_type, current, department, needed_until) -> Target`` for one day, cached:
    thousands of users share a handful of (license, subscription, department) situations."""
    pool = candidates(tenant, on)

    @cache
    def cached(license_type, current, department, needed_until) -> Target:
        return choose_target(tenant, pool, license_type=license_type, current=current,
                             department=department, needed_until=needed_until, on=on,
                             horizon_days=horizon_days)

    def find(license_type, current, department, needed_until) -> Target:
        return cached(*(None if pd.isna(v) else v
                        for v in (license_type, current, department, needed_until)))

    return find


def _license_text(tenant: Tenant, license_type) -> str:
    if pd.isna(license_type):
        return ""
    row = tenant.usage_types.get(license_type)
    return f"{row.label or row.name if row else license_type} licenses"


def _department_text(department: str) -> str:
    return ("the user's department (unknown)" if department == NO_DEPARTMENT
            else f"the {department} department")


def _target_reason(tenant: Tenant, best: Candidate, license_type, department: str,
                   horizon_end: dt.date, horizon_days: int) -> str:
    """Why this target, phrased to follow "move them to Sub-X (…)"."""
    own = best.department == department
    why = f"a subscription of {_department_text(department)}" if own else "the primary subscription"
    lasting = (f", active through {last_day(best.until)}" if best.until > horizon_end
               else f", though its last day too is {last_day(best.until)}, within "
                    f"{horizon_days} days")
    licenses = _license_text(tenant, license_type)
    fallback = "" if own else f"; {_department_text(department)} has none that fits"
    return why + lasting + (f", with {licenses}" if licenses else "") + fallback


def _no_target_reason(tenant: Tenant, pool: list[Candidate], fitting: list[Candidate],
                      license_type, department: str, needed_until: dt.date,
                      on: dt.date) -> str:
    primary = next((c.id for c in pool if c.primary), None)
    lasting = f" and lasts beyond {last_day(needed_until)}" if needed_until > on else ""
    licenses = _license_text(tenant, license_type)
    reason = (f"no other subscription of {_department_text(department)}, nor the primary "
              f"({primary or 'none'}), is active on {on}{lasting}"
              + (f" with {licenses}" if licenses else ""))
    elsewhere = [c for c in fitting if c.department != department and not c.primary]
    if elsewhere:
        names = ", ".join(f"{c.id} ({c.department})" for c in sorted(elsewhere, key=lambda c: c.id))
        reason += f"; {names} would fit if another department may be charged"
    return reason


def remap_plan(tenant: Tenant, users: pd.DataFrame, on, horizon_days: int = 60) -> pd.DataFrame:
    """Every user at risk or cut off on ``on``, and the subscription to move them to.

    One row per mapping row that needs a move (a user with two licenses on a lapsing
    subscription gets two rows, possibly with different targets), plus one row per license of
    each admin or agent mapped nowhere. Columns: ``user_id, email, role, department, license,
    status`` (``at risk``, ``cut off``, ``unmapped``), ``from_subscription, access_ends`` (when
    access ends or ended; NaT when unknown), ``to_subscription, to_active_until`` (NA when
    nothing fits) and ``reason``. Sorted by ``access_ends`` then user, so the most urgent come
    first.
    """
    on = as_date(on)
    rows = moves_needed(mapping_status(tenant, users, on, horizon_days))
    find = target_finder(tenant, on, horizon_days)
    targets = [
        find(row.license, row.subscription_id, row.user_department, _needed_until(row, on))
        for row in rows.itertuples(index=False)
    ]
    plan = pd.DataFrame({
        "user_id": rows["user_id"].astype("str"),
        "email": rows["email"].astype("str"),
        "role": rows["role"].astype("str"),
        "department": rows["user_department"].astype("str"),
        "license": rows["license"].astype("str"),
        "status": rows["status"].map(PLAN_STATUS).astype("str"),
        "from_subscription": rows["subscription_id"].astype("str"),
        "access_ends": rows["access_ends"].fillna(rows["ended"]),
        "to_subscription": pd.Series([t.subscription_id for t in targets], dtype="str"),
        "to_active_until": pd.to_datetime(pd.Series([t.until for t in targets],
                                                    dtype="object")).astype("datetime64[s]"),
        "reason": pd.Series([t.reason for t in targets], dtype="str"),
    }, columns=PLAN_COLUMNS)
    return plan.sort_values(["access_ends", "user_id", "license"], na_position="last",
                            kind="stable", ignore_index=True)


def moves_needed(status: pd.DataFrame) -> pd.DataFrame:
    """The mapping rows a plan must move: rows at risk or cut off, and the rows of admins and
    agents with no mapping in effect (one per distinct license they hold)."""
    lapsing = status[status["status"].isin(["ending", "inactive"])]
    unmapped = unmapped_rows(status).drop_duplicates(["user_id", "license"]).assign(
        status="unmapped", subscription_id=pd.NA,
        access_ends=pd.NaT, ended=pd.NaT).astype({"access_ends": "datetime64[s]",
                                                  "ended": "datetime64[s]",
                                                  "subscription_id": "str"})
    return pd.concat([lapsing, unmapped], ignore_index=True)


def _needed_until(row, on: dt.date) -> dt.date:
    return row.access_ends.date() if row.status == "ending" else on


def plan_worklist(plan: pd.DataFrame) -> pd.DataFrame:
    """The plan as the worklist an admin follows in Control Hub: ``user, email, from, to,
    license, status, access_ends, reason``, dates as text (written by
    :func:`toolkit.present.export.plan_to_csv`)."""
    table = plan[list(CSV_COLUMNS)].rename(columns=CSV_COLUMNS)
    table["access_ends"] = table["access_ends"].dt.strftime("%Y-%m-%d")
    return table


def license_operations(plan: pd.DataFrame, licenses: pd.DataFrame) -> pd.DataFrame:
    """Per plan row, the Webex license ids to add and remove, and any gap that stops it.

    ``licenses`` follows ``load_webex_licenses``' contract (``license_id, usage_type,
    subscription_id, …``). A row needs exactly one license of its type on the target
    subscription; several are ambiguous and none is a gap. The old license is removed when
    it is found; an expired subscription's license may be gone from the export, and then only
    the add is made (noted in ``note``).
    """
    ids = licenses.dropna(subset=["usage_type", "subscription_id"])
    found = ids.groupby(["usage_type", "subscription_id"])["license_id"].agg(list)
    ops = plan[["user_id", "email", "license", "from_subscription", "to_subscription"]].copy()
    adds = [_lookup(found, row.license, row.to_subscription) for row in ops.itertuples()]
    removes = [_lookup(found, row.license, row.from_subscription) for row in ops.itertuples()]
    ops["add_id"] = pd.Series([a if isinstance(a, str) else pd.NA for a in adds], dtype="str")
    ops["remove_id"] = pd.Series([r if isinstance(r, str) else pd.NA for r in removes],
                                 dtype="str")
    ops["note"] = pd.Series(
        [_note(row, add, remove) for row, add, remove in zip(ops.itertuples(), adds, removes,
                                                             strict=True)], dtype="str")
    return ops


def _lookup(found: pd.Series, license_type, subscription_id) -> str | list | None:
    """The single license id for the type on the subscription, a list when ambiguous, else
    None."""
    if pd.isna(license_type) or pd.isna(subscription_id):
        return None
    matches = found.get((license_type, subscription_id), [])
    return matches[0] if len(matches) == 1 else (matches or None)


def _note(row, add, remove) -> str | None:
    if pd.isna(row.to_subscription):
        return "no body: no target subscription"
    if pd.isna(row.license):
        return "no body: the row has no license type; remap the user in Control Hub"
    if isinstance(add, list):
        return (f"no body: {len(add)} {row.license} licenses on {row.to_subscription} in the "
                f"Webex import ({', '.join(add)}); choose one by hand")
    if add is None:
        return f"no body: no {row.license} license of {row.to_subscription} in the Webex import"
    if pd.notna(row.from_subscription) and not isinstance(remove, str):
        return (f"add only: the {row.license} license of {row.from_subscription} is not "
                "(uniquely) in the Webex import; remove it by hand if it is still assigned")
    return None


def plan_to_patch_bodies(plan: pd.DataFrame, licenses: pd.DataFrame,
                         org_id: str | None = None) -> list[dict]:
    """JSON bodies for Webex ``PATCH /v1/licenses/users``, one per user in the plan.

    Each body identifies the user by ``email`` when known, else by ``personId`` (users
    imported from ``/v1/people`` carry the person id as ``user_id``), adds ``orgId`` when
    given, and lists ``licenses`` operations: ``add`` the target license, ``remove`` the old
    one. Rows that cannot become an operation are listed by :func:`license_operations`'
    ``note`` column, never dropped silently. Nothing is sent.
    """
    ops = license_operations(plan, licenses)
    usable = ops[ops["add_id"].notna()]
    bodies = []
    for user_id, rows in usable.groupby("user_id", sort=True):
        body = _identity(user_id, rows["email"].dropna())
        if org_id:
            body["orgId"] = org_id
        adds = [{"id": i, "operation": "add"} for i in dict.fromkeys(rows["add_id"])]
        removes = [{"id": i, "operation": "remove"}
                   for i in dict.fromkeys(rows["remove_id"].dropna())]
        body["licenses"] = adds + removes
        bodies.append(body)
    return bodies


def _identity(user_id: str, emails: pd.Series) -> dict:
    return {"email": emails.iloc[0]} if len(emails) else {"personId": user_id}

"""What-if scenarios: pure transforms that return a NEW tenant, and a comparison of two tenants.

The model is frozen, so a scenario can never change the tenant the analyst loaded; each
transform builds the changed subscription with :func:`dataclasses.replace` and returns a new
:class:`~toolkit.model.Tenant`. :func:`compare` then answers the two questions a renewal
meeting asks: whose overage moves where, from when (from the ownership timelines of both
tenants), and what each department pays before and after (allocating the same usage to both).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

import pandas as pd

from toolkit.allocation import Allocation, allocate
from toolkit.errors import Problem, raise_if_any
from toolkit.finance.chargeback import chargeback
from toolkit.finance.money import from_cents, to_cents
from toolkit.invariants import tenant_problems
from toolkit.model import Line, Subscription, Tenant, Term
from toolkit.timeline import PRIMARY, Timelines

SHIFT_COLUMNS = ["usage_type", "start", "end", "before_owner", "after_owner"]
PRIMARY_ROW = "(primary)"
#: The "file" that problems of a scenario tenant name.
SCENARIO = "what-if tenant"
#: ``subscriptions[2]`` in a problem's place is shown as that subscription's id.


def expire(tenant: Tenant, subscription_id: str, on: dt.date) -> Tenant:
    """The subscription ends on ``on`` (exclusive): later terms and lines are cut at that day.

    A subscription whose every term starts on or after ``on`` never existed in the scenario
    and is removed from the tenant.
    """
    sub = tenant.subscription(subscription_id)
    terms = tuple(_cut_term(term, on) for term in sub.terms if term.start < on)
    if not terms:
        return replace(tenant, subscriptions=tuple(s for s in tenant.subscriptions
                                                   if s.id != subscription_id))
    return _with_subscription(tenant, replace(sub, terms=terms))


def _cut_term(term: Term, on: dt.date) -> Term:
    if term.end <= on:
        return term
    lines = tuple(replace(line, end=min(line.end, on)) for line in term.lines if line.start < on)
    return replace(term, end=on, lines=lines)


def renew(tenant: Tenant, subscription_id: str, start: dt.date, end: dt.date,
          lines: Iterable[Line | Mapping]) -> Tenant:
    """A new term ``[start, end)`` of the same subscription (it keeps its seniority, R2).

    ``lines`` are :class:`Line` values or mappings with ``usage_type`` (or ``type``),
    ``quantity``, ``unit_price`` and optionally ``overage_price``, ``start``, ``end`` (default:
    the term's bounds). Raises :class:`~toolkit.errors.InputError` when the result breaks a
    tenant-file rule (see :func:`checked`), e.g. the term overlaps an existing one.
    """
    sub = tenant.subscription(subscription_id)
    term = Term(start, end, tuple(_as_line(line, start, end) for line in lines))
    terms = tuple(sorted((*sub.terms, term), key=lambda t: t.start))
    return checked(_with_subscription(tenant, replace(sub, terms=terms)))


def _as_line(line: Line | Mapping, start: dt.date, end: dt.date) -> Line:
    if isinstance(line, Line):
        return line
    data = dict(line)
    usage_type = data.pop("usage_type", None) or data.pop("type")
    return Line(usage_type, float(data["quantity"]), float(data["unit_price"]),
                data.get("start") or start, data.get("end") or end, data.get("overage_price"))


def add(tenant: Tenant, subscription: Subscription) -> Tenant:
    """The tenant with one more subscription; its id must be new, and the result must pass the
    tenant-file rules (:func:`checked`)."""
    if subscription.id in tenant.departments:
        raise ValueError(f"the tenant already has a subscription {subscription.id!r}")
    return checked(replace(tenant, subscriptions=(*tenant.subscriptions, subscription)))


def change_quantity(tenant: Tenant, subscription_id: str, usage_type: str, quantity: float,
                    from_date: dt.date) -> Tenant:
    """From ``from_date`` on, the subscription's lines of the type carry ``quantity``.

    A line running across ``from_date`` is split in two at that day (old quantity before, new
    after), so history is unchanged. Raises ValueError when no line of the type is active on or
    after ``from_date`` (add one with :func:`renew` or :func:`add` instead), and
    :class:`~toolkit.errors.InputError` when the result breaks a tenant-file rule (e.g. a
    negative quantity; see :func:`checked`).
    """
    sub = tenant.subscription(subscription_id)
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
        raise ValueError(f"{subscription_id} has no {usage_type} line active on or after "
                         f"{from_date}")
    return checked(_with_subscription(tenant, replace(sub, terms=tuple(terms))))


def checked(tenant: Tenant) -> Tenant:
    """The tenant, if it would load from a ``tenant.yaml``; else InputError listing every problem.

    A scenario tenant must obey the same rules as a loaded one (terms that do not overlap,
    lines inside their term, known usage types, quantities and prices of at least 0, …), or
    allocation fails later with an error far from its cause. The rules are the domain's own
    (:mod:`toolkit.invariants`), the ones the tenant file loader applies.
    """
    raise_if_any(tenant_problems(tenant, SCENARIO))
    return tenant


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

    Read from both tenants' timelines (:class:`~toolkit.timeline.Timelines`: the change points
    behind :func:`~toolkit.timeline.primary_timeline` and
    :func:`~toolkit.timeline.ownership_timeline`); rows ``(primary)`` are the primary itself.
    """
    old, new = before.timelines, after.timelines
    types = sorted(set(old.owner_rule) | set(new.owner_rule))
    rows = []
    for key in [PRIMARY, *types]:
        label = PRIMARY_ROW if key == PRIMARY else key
        rows += _differences(label, key, old, new)
    frame = pd.DataFrame(rows, columns=SHIFT_COLUMNS)
    for column in ("start", "end"):
        frame[column] = pd.to_datetime(frame[column]).astype("datetime64[us]")
    for column in ("usage_type", "before_owner", "after_owner"):
        frame[column] = frame[column].astype("str")
    return frame


def _differences(label: str, key: str, old: Timelines, new: Timelines) -> list[tuple]:
    """Merged stretches where the owner of ``key`` in ``old`` differs from that in ``new``.

    Owners only change at the change points of either timeline, so comparing them there is
    enough; an owner of None is a stretch with no owner.
    """
    points = sorted({day for day, _ in old.changes(key)} | {day for day, _ in new.changes(key)})
    rows: list[list] = []
    for start, end in zip(points, [*points[1:], None], strict=False):
        owners = (old.value_on(key, start), new.value_on(key, start))
        if owners[0] == owners[1]:
            continue
        if rows and rows[-1][2] == start and tuple(rows[-1][3:]) == owners:
            rows[-1][2] = end
        else:
            rows.append([label, start, end, *owners])
    return [tuple(row) for row in rows]


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


def scenario(tenant: Tenant, action: str, subscription_id: str, on: dt.date,
             months: int = 12) -> Tenant:
    """The tenant after one what-if ``action`` taken on day ``on``.

    - ``expire``: ``subscription_id`` ends on ``on`` (:func:`toolkit.finance.whatif.expire`);
    - ``renew``: ``subscription_id`` gets a new term of ``months`` from ``on`` with the lines of its
      latest term (same quantities and prices), :func:`toolkit.finance.whatif.renew`;
    - ``add``: a new subscription ``Sub-WHATIF`` of ``subscription_id``'s department, license
      model and offer, with those same lines for ``months`` from ``on``
      (:func:`toolkit.finance.whatif.add`).
    Raises ValueError when the action does not fit the tenant (e.g. a renewal that overlaps).
    """
    if action == "expire":
        return expire(tenant, subscription_id, on)
    sub = tenant.subscription(subscription_id)
    latest = max(sub.terms, key=lambda term: term.start)
    end = (pd.Timestamp(on) + pd.DateOffset(months=months)).date()
    lines = [{"usage_type": line.usage_type, "quantity": line.quantity,
              "unit_price": line.unit_price, "overage_price": line.overage_price}
             for line in latest.lines]
    if action == "renew":
        return renew(tenant, subscription_id, on, end, lines)
    if action == "add":
        term = Term(on, end, tuple(replace(line, start=on, end=end) for line in latest.lines))
        new = Subscription(WHATIF_ID, sub.department, sub.license_model, sub.offer,
                           sub.deployment, (term,))
        return add(tenant, new)
    raise ValueError(f"unknown what-if action {action!r}; use one of {', '.join(ACTIONS)}")


def cost_difference(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Per department: total cost before and after, and the change, to the cent.

    ``before`` and ``after`` are chargeback frames over the same periods.
    """
    totals = pd.concat({"before_cost": before.groupby("department")["total_cost"].sum(),
                        "after_cost": after.groupby("department")["total_cost"].sum()},
                       axis=1).fillna(0.0).sort_index()
    before_cents, after_cents = to_cents(totals["before_cost"]), to_cents(totals["after_cost"])
    result = pd.DataFrame({
        "department": totals.index.astype("str"),
        "before_cost": from_cents(before_cents),
        "after_cost": from_cents(after_cents),
        "change": from_cents(after_cents - before_cents),
    })
    total = pd.DataFrame({"department": ["total"], "before_cost": [from_cents(
        before_cents.sum())], "after_cost": [from_cents(after_cents.sum())],
        "change": [from_cents(after_cents.sum() - before_cents.sum())]})
    return pd.concat([result, total], ignore_index=True)


ACTIONS = ("expire", "renew", "add")


WHATIF_ID = "Sub-WHATIF"


#: The cost-table row of usage a scenario leaves without a subscription.
UNCOVERED = "no subscription would cover this"
UNCOVERED_COLUMNS = ["period", "usage_type", "quantity", "overage_price", "cost"]


def uncovered_usage(before: Allocation, after: Allocation, tenant: Tenant,
                    first: pd.Period | None = None) -> pd.DataFrame:
    """Usage the scenario leaves unallocated beyond what was already unallocated, priced.

    Why: expiring a subscription does not make its users stop working; their usage simply
    finds no subscription to land on. Left unpriced, it would show as a saving. Here it is
    measured per period and usage type by the type's own measure (a peak is the largest
    tenant-wide sample, never a sum of rows; distinct users are counted once), minus what the
    original tenant already left unallocated, and priced at the tenant's ``overage_prices``
    for the type: what the tenant would pay with no subscription to absorb it. A type with no
    tenant overage price is an input error naming the type (P4), never a silent zero.
    """
    quantity = _measured(after, tenant, first).sub(_measured(before, tenant, first),
                                                   fill_value=0.0).clip(lower=0.0)
    frame = quantity[quantity > 0].rename("quantity").reset_index()
    missing = sorted(set(frame["usage_type"]) - set(tenant.overage_prices))
    raise_if_any([Problem(SCENARIO, "overage_prices", t, None,
                          "a tenant overage price, to price usage no subscription would cover")
                  for t in missing])
    frame["overage_price"] = frame["usage_type"].map(dict(tenant.overage_prices)).astype(float)
    frame["cost"] = from_cents(to_cents(frame["quantity"] * frame["overage_price"]))
    frame["usage_type"] = frame["usage_type"].astype("str")
    return frame[UNCOVERED_COLUMNS]


def _measured(allocation: Allocation, tenant: Tenant, first: pd.Period | None) -> pd.Series:
    """Unallocated usage per ``period, usage_type`` by each type's measure (M2), computed for
    every measure at once (three group-bys) and then picked per type, so that a dashboard
    change stays cheap."""
    rows = allocation.unallocated
    if first is not None:
        rows = rows[rows["period"] >= first]
    keys = ["period", "usage_type"]
    by_instant = rows.groupby([*keys, "timestamp"], dropna=False, observed=True)["quantity"].sum()
    measured = pd.DataFrame({
        "sum": rows.groupby(keys, observed=True)["quantity"].sum(),
        "peak": by_instant.groupby(level=keys, observed=True).max(),
        "distinct": rows.groupby(keys, observed=True)["user_id"].nunique(),
    })
    measure = [tenant.usage_types[str(t)].measure_for(allocation.license_model)
               for t in measured.index.get_level_values("usage_type")]
    picked = [measured.at[key, m] for key, m in zip(measured.index, measure, strict=True)]
    return pd.Series(picked, index=measured.index, dtype=float)


def with_uncovered(table: pd.DataFrame, uncovered: pd.DataFrame) -> pd.DataFrame:
    """:func:`cost_difference`'s table with the uncovered usage's cost as its own row (before
    0, after its cost) just above the total, and the total including it."""
    if uncovered.empty:
        return table
    cents = int(to_cents(uncovered["cost"]).sum())
    body, total = table.iloc[:-1], table.iloc[-1]
    amount = float(from_cents(cents))
    row = pd.DataFrame({"department": [UNCOVERED], "before_cost": [0.0],
                        "after_cost": [amount], "change": [amount]})
    after = int(to_cents([total["after_cost"]])[0]) + cents
    change = after - int(to_cents([total["before_cost"]])[0])
    last = pd.DataFrame({"department": ["total"], "before_cost": [total["before_cost"]],
                         "after_cost": [float(from_cents(after))],
                         "change": [float(from_cents(change))]})
    return pd.concat([body, row, last], ignore_index=True)

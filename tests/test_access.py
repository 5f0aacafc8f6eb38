"""The access calendar: who is mapped to an active, ending or inactive subscription, per day."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_validation import SEED_USERS, STD, seed_provisioning_tenant, users

from builders import subscription, tenant, term
from toolkit.errors import InputError
from toolkit.provisioning.access import (
    STATUSES,
    access_calendar,
    coverage,
    mapping_status,
    unmapped_rows,
)

D = dt.date
PEOPLE = pd.concat([SEED_USERS, users(
    ("Agent 2", "agent", STD, "Sub-2", "Sales"),
    ("Supervisor 1", "supervisor", None, None, "Sales"),
)], ignore_index=True)


def counts(calendar, day):
    """{(role, status): users} on a day, zeros left out."""
    rows = calendar[(calendar["day"] == pd.Timestamp(day)) & (calendar["users"] > 0)]
    return rows.groupby(["role", "status"])["users"].sum().to_dict()


def test_calendar_shape_is_tidy_and_complete():
    calendar = access_calendar(seed_provisioning_tenant(), PEOPLE, D(2025, 10, 31), D(2026, 1, 3))
    assert list(calendar.columns) == ["day", "role", "department", "status", "users"]
    groups = [("admin", "Care"), ("agent", "Care"), ("agent", "Sales"), ("supervisor", "Sales")]
    assert len(calendar) == 64 * len(groups) * len(STATUSES)  # [start, end) has 64 days
    assert calendar["day"].min() == pd.Timestamp(2025, 10, 31)
    assert calendar["day"].max() == pd.Timestamp(2026, 1, 2)  # end is excluded
    assert (calendar.groupby("day")["users"].sum() == 4).all()  # every user counted once a day


def test_calendar_counts_on_boundary_days():
    calendar = access_calendar(seed_provisioning_tenant(), PEOPLE, D(2025, 10, 31), D(2026, 1, 3))
    # Sub-2 starts 2025-11-01: Agent 2 is mapped to a subscription not yet active the day before.
    assert counts(calendar, D(2025, 10, 31)) == {
        ("admin", "active"): 1, ("agent", "active"): 1, ("agent", "inactive"): 1,
        ("supervisor", "unmapped"): 1}
    assert counts(calendar, D(2025, 11, 1)) == {
        ("admin", "active"): 1, ("agent", "active"): 2, ("supervisor", "unmapped"): 1}
    # Sub-1 ends 2026-01-01: from 2025-11-02 it ends within 60 days.
    ending = {("admin", "ending"): 1, ("agent", "ending"): 1, ("agent", "active"): 1,
              ("supervisor", "unmapped"): 1}
    assert counts(calendar, D(2025, 11, 2)) == ending
    assert counts(calendar, D(2025, 12, 31)) == ending
    # Half-open terms: the end day itself is already lost.
    assert counts(calendar, D(2026, 1, 1)) == {
        ("admin", "inactive"): 1, ("agent", "inactive"): 1, ("agent", "active"): 1,
        ("supervisor", "unmapped"): 1}


def test_calendar_groups_by_department():
    calendar = access_calendar(seed_provisioning_tenant(), PEOPLE, D(2026, 1, 1), D(2026, 1, 2))
    by_department = calendar[calendar["users"] > 0].groupby(["department", "status"])["users"]
    assert by_department.sum().to_dict() == {
        ("Care", "inactive"): 2, ("Sales", "active"): 1, ("Sales", "unmapped"): 1}


def test_user_with_several_licenses_counts_once_with_the_worst_status():
    agent = users(("a", "agent", STD, "Sub-2", "Care"), ("a", "agent", "wfo", "Sub-1", "Care"))
    calendar = access_calendar(seed_provisioning_tenant(), agent, D(2025, 12, 1), D(2025, 12, 2))
    assert counts(calendar, D(2025, 12, 1)) == {("agent", "ending"): 1}


def test_mapping_windows_switch_subscription_on_their_day():
    moved = users(("a", "agent", STD, "Sub-1", "Care", None, None, "2025-12-15"),
                  ("a", "agent", STD, "Sub-2", "Care", None, "2025-12-15", None))
    calendar = access_calendar(seed_provisioning_tenant(), moved, D(2025, 12, 14), D(2025, 12, 16))
    assert counts(calendar, D(2025, 12, 14)) == {("agent", "ending"): 1}
    assert counts(calendar, D(2025, 12, 15)) == {("agent", "active"): 1}


def test_coverage_merges_seamless_renewals_only():
    sub = subscription("Sub-1", term(D(2024, 1, 1), D(2025, 1, 1)), term(D(2025, 1, 1),
                       D(2026, 1, 1)), term(D(2026, 3, 1), D(2027, 1, 1)))
    frame = coverage(tenant(sub))
    assert frame[["start", "end"]].astype("str").values.tolist() == [
        ["2024-01-01", "2026-01-01"], ["2026-03-01", "2027-01-01"]]


def test_mapping_status_dates():
    status = mapping_status(seed_provisioning_tenant(), PEOPLE, D(2025, 12, 1))
    row = status.set_index("user_id").loc["Agent 1"]
    assert (row["status"], row["access_ends"]) == ("ending", pd.Timestamp(2026, 1, 1))
    assert status.set_index("user_id").loc["Supervisor 1", "status"] == "unmapped"


def test_empty_window_is_refused():
    with pytest.raises(ValueError, match="after start"):
        access_calendar(seed_provisioning_tenant(), PEOPLE, D(2026, 1, 1), D(2026, 1, 1))


def test_mapping_bounds_are_days_in_the_tenants_zone():
    # a mapping that starts at midnight in Rome on 15 March, stored in UTC (14 March, 23:00)
    rome = tenant(subscription("Sub-1", term(D(2025, 1, 1), D(2027, 1, 1), (STD, 1))),
                  timezone="Europe/Rome")
    stored_utc = users(("a", "agent", STD, "Sub-1"))
    stored_utc["start"] = pd.Series([pd.Timestamp("2025-03-15", tz="Europe/Rome")]).dt.tz_convert(
        "UTC")
    for day, in_effect in ((D(2025, 3, 14), False), (D(2025, 3, 15), True)):
        status = mapping_status(rome, stored_utc, day)
        assert status["in_effect"].tolist() == [in_effect]
    assert status["map_start"].tolist() == [pd.Timestamp("2025-03-15")]
    naive = stored_utc.assign(start=[pd.Timestamp("2025-03-15 00:00")])  # local as written
    assert mapping_status(rome, naive, D(2025, 3, 14))["in_effect"].tolist() == [False]


def test_users_built_in_code_without_a_role_or_with_bad_bounds_are_input_errors():
    with pytest.raises(InputError) as caught:
        mapping_status(seed_provisioning_tenant(), SEED_USERS.drop(columns="role"), D(2025, 12, 1))
    assert [(p.column, p.expected) for p in caught.value.problems] == [("role", "this column")]
    bad = SEED_USERS.assign(end=pd.Series(["later", None], dtype=object))
    with pytest.raises(InputError) as caught:
        mapping_status(seed_provisioning_tenant(), bad, D(2025, 12, 1))
    assert [(p.where, p.column, p.value) for p in caught.value.problems] == [
        ("row 2", "end", "later")]


def test_unmapped_rows_are_admins_and_agents_with_no_mapping_in_effect():
    people = users(("a", "agent", STD, None), ("a", "agent", "wfo", "Sub-1"),   # one is enough
                   ("b", "admin", None, None), ("b", "admin", "wfo", None),
                   ("c", "supervisor", None, None),                             # not required
                   ("d", "agent", STD, "Sub-9"),                                # lapsed: V3
                   ("e", "agent", STD, "Sub-1", None, None, None, "2025-06-01"))
    status = mapping_status(seed_provisioning_tenant(), people, D(2025, 12, 1))
    found = unmapped_rows(status)
    assert list(zip(found["user_id"], found["license"].fillna("-"), strict=True)) == [
        ("b", "-"), ("b", "wfo"), ("e", STD)]


# --- invariant: the change-point calendar equals a naive day-by-day evaluation ----------------

@st.composite
def small_tenants(draw):
    subs = []
    for index in range(draw(st.integers(1, 3))):
        start = D(2025, 1, 1) + dt.timedelta(days=draw(st.integers(0, 60)))
        terms = []
        for _ in range(draw(st.integers(1, 3))):
            end = start + dt.timedelta(days=draw(st.integers(1, 40)))
            terms.append(term(start, end, (STD, 1)))
            start = end + dt.timedelta(days=draw(st.sampled_from([0, 0, 1, 5, 20])))
        subs.append(subscription(f"Sub-{index}", *terms))
    return tenant(*subs)


def naive_status(sub, day, horizon):
    """Worst-news status of one mapping on one day, from Subscription.active_on alone."""
    if sub is None or not sub.active_on(day):
        return "inactive"
    lapses = any(not sub.active_on(day + dt.timedelta(days=k)) for k in range(1, horizon + 1))
    return "ending" if lapses else "active"


@settings(max_examples=40, deadline=None)
@given(small_tenants(), st.lists(st.tuples(st.integers(0, 3), st.sampled_from(
    ["Sub-0", "Sub-1", "Sub-2", "Sub-9", None])), min_size=1, max_size=6),
    st.integers(0, 30))
def test_calendar_matches_naive_evaluation(tenant_, rows, horizon):
    people = users(*[(f"u{user}", "agent", STD, sub) for user, sub in rows])
    start, end = D(2024, 12, 20), D(2025, 6, 1)
    calendar = access_calendar(tenant_, people, start, end, horizon_days=horizon)
    totals = calendar.groupby(["day", "status"])["users"].sum()
    subs = {s.id: s for s in tenant_.subscriptions}
    rank = {"active": 0, "ending": 1, "inactive": 2}
    day = start
    while day < end:
        expected = dict.fromkeys(STATUSES, 0)
        for user in sorted({user for user, _ in rows}):
            mapped = [sub for u, sub in rows if u == user and sub is not None]
            statuses = [naive_status(subs.get(sub), day, horizon) for sub in mapped]
            expected[max(statuses, key=rank.get) if statuses else "unmapped"] += 1
        assert totals.loc[pd.Timestamp(day)].to_dict() == expected, day
        day += dt.timedelta(days=7)

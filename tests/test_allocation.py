"""Allocation rules beyond pooling: Webex Connect, pro rata, per-subscription types,
first-holder ownership, proration, time zones and the unallocated table."""

import pandas as pd
import pytest

from builders import D, seed_tenant, subscription, tenant, term, usage
from toolkit import allocate


def by_sub(result, usage_type):
    frame = result.by_subscription
    return frame[frame.usage_type == usage_type].set_index("subscription_id")


def test_webex_connect_goes_to_the_primary_of_each_day():
    t = tenant(
        subscription("Sub-1", term(D(2024, 1, 1), D(2025, 3, 16), ("webex_connect", 100))),
        subscription("Sub-2", term(D(2024, 6, 1), D(2027, 1, 1), ("webex_connect", 50))),
    )
    frame = usage(("2025-03-10T10:00", "webex_connect", 80, "Sub-2"),  # named, still primary's
                  ("2025-03-20T10:00", "webex_connect", 70))
    result = allocate(t, frame)
    connect = by_sub(result, "webex_connect")
    assert connect["usage"].to_dict() == {"Sub-1": 80, "Sub-2": 70}
    # Each primary's usage against its own prorated entitlement.
    assert connect.loc["Sub-1", "overage"] == pytest.approx(80 - 100 * 15 / 31)
    assert connect.loc["Sub-2", "overage"] == pytest.approx(70 - 50)
    pooled = result.pooled.iloc[0]
    assert pooled.owner == "Sub-2"
    assert pooled.overage == pytest.approx(connect["overage"].sum())


def test_unnamed_pooled_usage_is_split_pro_rata_to_entitlements():
    t = tenant(
        subscription("Sub-1", term(D(2024, 1, 1), D(2027, 1, 1), ("ai_agent", 300))),
        subscription("Sub-2", term(D(2024, 1, 1), D(2027, 1, 1), ("ai_agent", 100))),
        subscription("Sub-3", term(D(2024, 1, 1), D(2027, 1, 1), ("ivr_port", 5))),
    )
    frame = usage(("2025-03-10T10:00", "ai_agent", 200), ("2025-03-11T10:00", "ai_agent", 40,
                                                           "Sub-2"))
    result = allocate(t, frame)
    assert by_sub(result, "ai_agent")["usage"].to_dict() == {"Sub-1": 150, "Sub-2": 90}
    assert result.unallocated.empty


def test_first_holder_owns_pooled_overage_on_the_periods_last_day():
    result = allocate(seed_tenant(), usage(
        ("2026-01-15T10:00", "ai_agent", 500, "Sub-B"),
        ("2026-02-15T10:00", "ivr_outbound_campaign", 130, "Sub-C"),
        ("2025-12-15T10:00", "ai_agent", 250, "Sub-A"),
    ))
    pooled = result.pooled.set_index(["period", "usage_type"])
    assert pooled.loc[(pd.Period("2025-12"), "ai_agent"), "owner"] == "Sub-A"
    assert pooled.loc[(pd.Period("2025-12"), "ai_agent"), "overage"] == 50
    assert pooled.loc[(pd.Period("2026-01"), "ai_agent"), "owner"] == "Sub-B"
    assert pooled.loc[(pd.Period("2026-01"), "ai_agent"), "overage"] == 400
    assert pooled.loc[(pd.Period("2026-02"), "ivr_outbound_campaign"), "owner"] == "Sub-C"
    assert pooled.loc[(pd.Period("2026-02"), "ivr_outbound_campaign"), "overage"] == 30


def test_wfo_is_per_subscription_and_counts_distinct_users():
    t = tenant(
        subscription("Sub-1", term(D(2024, 1, 1), D(2027, 1, 1), ("wfo", 2))),
        subscription("Sub-2", term(D(2024, 1, 1), D(2027, 1, 1), ("wfo", 5))),
    )
    rows = [(f"2025-03-0{d}", "wfo", 1, "Sub-1", u) for d in (1, 2) for u in "abc"]
    rows += [("2025-03-05", "wfo", 1, "Sub-2", u) for u in "de"]
    result = allocate(t, usage(*rows))
    wfo = by_sub(result, "wfo")
    assert wfo["usage"].to_dict() == {"Sub-1": 3, "Sub-2": 2}
    assert wfo["overage"].to_dict() == {"Sub-1": 1, "Sub-2": 0}
    assert result.pooled[["usage", "overage"]].values.tolist() == [[5, 1]]
    assert result.pooled["owner"].isna().all()


def test_users_table_maps_usage_to_subscriptions():
    t = tenant(
        subscription("Sub-1", term(D(2024, 1, 1), D(2027, 1, 1), ("wfo", 5))),
        subscription("Sub-2", term(D(2024, 1, 1), D(2027, 1, 1), ("wfo", 5))),
    )
    users = pd.DataFrame({"user_id": ["a", "b", "c"], "role": "agent",
                          "license": ["wfo", "wfo", "wfo"],
                          "subscription_id": ["Sub-1", "Sub-2", None]})
    frame = usage(("2025-03-01", "wfo", 1, None, "a"), ("2025-03-01", "wfo", 1, None, "b"),
                  ("2025-03-01", "wfo", 1, None, "c"), ("2025-03-01", "wfo", 1, None, "zz"))
    result = allocate(t, frame, users)
    assert by_sub(result, "wfo")["usage"].to_dict() == {"Sub-1": 1, "Sub-2": 1}
    assert result.unallocated[["user_id", "reason"]].values.tolist() == [
        ["c", "user mapped to no subscription"], ["zz", "user not in the users table"]]


def test_every_refused_row_is_listed_with_its_reason():
    t = tenant(
        subscription("Sub-1", term(D(2025, 1, 1), D(2025, 3, 10), ("ivr_port", 5), ("wfo", 1))),
        subscription("Sub-2", term(D(2025, 4, 1), D(2026, 1, 1), ("ai_agent", 5))),
    )
    frame = usage(
        ("2025-03-01T10:00", "teleport", 3, "Sub-1"),
        ("2025-03-01T10:00", "ivr_port", 4, "Sub-9"),
        ("2025-03-20T10:00", "ivr_port", 2, "Sub-1"),
        ("2025-03-21T10:00", "webex_connect", 7),
        ("2025-03-01T10:00", "wfo", 1, None, "u1"),
        ("2025-03-02T10:00", "wfo", 1, "Sub-1"),
        ("2025-03-03T10:00", "ai_agent", 9),
        ("2025-03-04T10:00", "ivr_port", 1, "Sub-1"),
    )
    result = allocate(t, frame)
    refused = result.unallocated.sort_values(["usage_type", "quantity", "reason"])
    assert refused[["usage_type", "quantity", "reason"]].values.tolist() == [
        ["ai_agent", 9, "no subscription holds the type with an entitlement in the period"],
        ["ivr_port", 2, "subscription not active on that day"],
        ["ivr_port", 4, "unknown subscription"],
        ["teleport", 3, "unknown usage type"],
        ["webex_connect", 7, "no active subscription on that day"],
        ["wfo", 1, "a distinct measure needs a user_id"],
        ["wfo", 1, "per-subscription usage names no subscription"],
    ]
    # The one good row is measured, the rest are accounted for.
    assert result.pooled.set_index("usage_type").loc["ivr_port", "usage"] == 1


def test_days_and_months_begin_in_the_tenants_time_zone():
    t = tenant(subscription("Sub-1", term(D(2024, 1, 1), D(2027, 1, 1), ("ai_agent", 10))),
               timezone="Europe/Rome")
    # 23:30 UTC on 31 March is already 1 April in Rome (UTC+2).
    frame = usage(("2025-03-31T23:30:00Z", "ai_agent", 4, "Sub-1"),
                  ("2025-03-31T20:00:00", "ai_agent", 6, "Sub-1"))
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], format="ISO8601", utc=True)
    frame.loc[1, "timestamp"] = pd.Timestamp("2025-03-31T20:00:00", tz="Europe/Rome")
    result = allocate(t, frame)
    assert result.pooled.set_index("period")["usage"].to_dict() == {
        pd.Period("2025-03"): 6, pd.Period("2025-04"): 4}


def test_quarterly_periods_and_empty_usage():
    t = tenant(subscription("Sub-1", term(D(2024, 1, 1), D(2027, 1, 1), ("ai_agent", 10))))
    result = allocate(t, usage(("2025-01-10", "ai_agent", 35, "Sub-1")), period="Q")
    assert result.pooled[["usage", "entitlement", "overage"]].values.tolist() == [[35, 10, 25]]
    empty = allocate(t, usage())
    assert empty.pooled.empty and empty.by_subscription.empty and empty.unallocated.empty
    assert list(empty.by_subscription.columns) == ["period", "usage_type", "subscription_id",
                                                   "department", "usage", "entitlement",
                                                   "overage"]

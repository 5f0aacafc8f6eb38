"""Users mapped to subscriptions over time (users.csv ``start``/``end``)."""

from __future__ import annotations

import pandas as pd
import pytest

from builders import D, subscription, tenant, term
from toolkit import allocate
from toolkit.errors import InputError
from toolkit.inputs.users import load_users
from toolkit.mapping import subscriptions_of_users
from toolkit.metering import measure_sessions

ZONE = "Europe/Rome"
STD = "cc_standard_agent"


def at(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz=ZONE)


def two_subs(model="concurrent"):
    return tenant(
        subscription("Sub-A", term(D(2024, 1, 1), D(2027, 1, 1), (STD, 5), ("wfo", 5)),
                     license_model=model),
        subscription("Sub-B", term(D(2024, 6, 1), D(2027, 1, 1), (STD, 5), ("wfo", 5)),
                     license_model=model),
        timezone=ZONE,
    )


REMAP = ("user_id,role,license,subscription_id,start,end\n"
         "u1,agent,cc_standard_agent,Sub-A,,2025-03-15\n"
         "u1,agent,cc_standard_agent,Sub-B,2025-03-15,\n"
         "u2,agent,cc_standard_agent,Sub-B,,\n")


def test_load_users_reads_mapping_periods_in_the_tenant_zone(tmp_path):
    path = tmp_path / "users.csv"
    path.write_text(REMAP)
    users = load_users(path, two_subs())
    assert users.columns.tolist()[:4] == ["user_id", "role", "license", "subscription_id"]
    assert users["end"].iloc[0] == at("2025-03-15 00:00")
    assert users["start"].iloc[1] == at("2025-03-15 00:00")
    assert users["start"].isna().tolist() == [True, False, True]


def test_load_users_without_periods_has_empty_start_end(tmp_path):
    path = tmp_path / "users.csv"
    path.write_text("user_id,role,license,subscription_id\nu1,agent,cc_standard_agent,Sub-A\n")
    users = load_users(path)
    assert users["start"].isna().all() and users["end"].isna().all()


def test_load_users_reports_backwards_and_overlapping_periods(tmp_path):
    path = tmp_path / "users.csv"
    path.write_text("user_id,role,license,subscription_id,start,end\n"
                    "u1,agent,cc_standard_agent,Sub-A,2025-03-10,2025-03-01\n"   # backwards
                    "u2,agent,cc_standard_agent,Sub-A,2025-01-01,2025-04-01\n"
                    "u2,agent,cc_standard_agent,Sub-B,2025-03-15,\n"             # overlaps
                    "u3,agent,cc_standard_agent,Sub-A,someday,\n"                # not a date
                    "u4,agent,wfo,Sub-A,2025-01-01,2025-04-01\n"
                    "u4,agent,cc_standard_agent,Sub-B,2025-03-15,\n")            # other license
    with pytest.raises(InputError) as caught:
        load_users(path, two_subs())
    found = [(p.where, p.column) for p in caught.value.problems]
    assert found == [("row 2 (u1)", "end"), ("row 4 (u2)", "start"), ("row 5 (u3)", "start")]
    assert "row 3" in caught.value.problems[1].expected


def test_overlaps_are_found_beyond_the_neighbouring_row(tmp_path):
    path = tmp_path / "users.csv"
    path.write_text("user_id,role,license,subscription_id,start,end\n"
                    # a long period, then two short ones inside it (only the first touches it)
                    "a,agent,cc_standard_agent,Sub-A,2025-01-01,2025-12-01\n"
                    "a,agent,cc_standard_agent,Sub-B,2025-02-01,2025-03-01\n"
                    "a,agent,cc_standard_agent,Sub-B,2025-04-01,2025-05-01\n"
                    # an admin mapped to two subscriptions at once, no license on either
                    "b,admin,,Sub-A,,\n"
                    "b,admin,,Sub-B,,\n"
                    # one after the other: fine
                    "c,admin,,Sub-A,,2025-03-01\n"
                    "c,admin,,Sub-B,2025-03-01,\n")
    with pytest.raises(InputError) as caught:
        load_users(path, two_subs())
    found = [(p.where, p.column, p.value) for p in caught.value.problems]
    assert found == [("row 3 (a)", "start", "2025-02-01"), ("row 4 (a)", "start", "2025-04-01"),
                     ("row 6 (b)", "start", None)]
    assert [p.expected.split(" of the")[0] for p in caught.value.problems] == [
        "a mapping period that does not overlap row 2"] * 2 + [
        "a mapping period that does not overlap row 5"]
    assert "found nan" not in str(caught.value)


def test_subscription_at_each_instant():
    users = pd.read_csv(pd.io.common.StringIO(REMAP), dtype="str")
    users["start"] = pd.to_datetime(users["start"]).dt.tz_localize(ZONE)
    users["end"] = pd.to_datetime(users["end"]).dt.tz_localize(ZONE)
    rows = pd.DataFrame({
        "user_id": ["u1", "u1", "u1", "u2", "u9"],
        "usage_type": [STD] * 5,
        "timestamp": [at("2025-03-14 23:59"), at("2025-03-15 00:00"), at("2025-04-02 10:00"),
                      at("2025-03-01 10:00"), at("2025-03-01 10:00")],
    })
    mapped, known = subscriptions_of_users(users, rows)
    assert mapped.tolist()[:4] == ["Sub-A", "Sub-B", "Sub-B", "Sub-B"]
    assert pd.isna(mapped.iloc[4]) and known.tolist() == [True, True, True, True, False]


def test_license_match_wins_then_smallest_subscription():
    users = pd.DataFrame({"user_id": ["u1", "u1", "u2", "u2"], "role": "agent",
                          "license": ["wfo", STD, "wfo", "ivr_port"],
                          "subscription_id": ["Sub-A", "Sub-B", "Sub-C", "Sub-B"]})
    rows = pd.DataFrame({"user_id": ["u1", "u1", "u2"], "usage_type": ["wfo", STD, STD],
                         "timestamp": at("2025-03-01 10:00")})
    mapped, _ = subscriptions_of_users(users, rows)
    assert mapped.tolist() == ["Sub-A", "Sub-B", "Sub-B"]


def test_a_user_remapped_mid_month_counts_where_mapped_at_that_instant(tmp_path):
    path = tmp_path / "users.csv"
    path.write_text(REMAP)
    ten = two_subs()
    users = load_users(path, ten)
    sessions = pd.DataFrame({
        "user_id": ["u1", "u1", "u2"],
        # u1 works across the remapping instant (midnight of the 15th), and later on
        "login": [at("2025-03-14 23:50"), at("2025-03-20 10:00"), at("2025-03-14 23:55")],
        "logout": [at("2025-03-15 00:20"), at("2025-03-20 10:10"), at("2025-03-15 00:05")],
    })
    usage = measure_sessions(sessions, users)
    got = [(t.strftime("%d %H:%M"), s, q) for t, s, q in
           zip(usage["timestamp"], usage["subscription_id"], usage["quantity"], strict=True)]
    assert got == [("14 23:45", "Sub-A", 1.0), ("14 23:45", "Sub-B", 1.0),
                   ("15 00:00", "Sub-B", 2.0), ("15 00:15", "Sub-B", 1.0),
                   ("20 10:00", "Sub-B", 1.0)]
    named = measure_sessions(sessions, users, license_model="named")
    assert list(zip(named["user_id"], named["subscription_id"], strict=True)) == [
        ("u1", "Sub-A"), ("u2", "Sub-B"), ("u1", "Sub-B"), ("u2", "Sub-B"), ("u1", "Sub-B")]


def test_allocate_maps_usage_rows_by_the_mapping_at_their_time(tmp_path):
    path = tmp_path / "users.csv"
    path.write_text(REMAP.replace("cc_standard_agent", "wfo"))
    ten = two_subs()
    users = load_users(path, ten)
    usage = pd.DataFrame({
        "timestamp": [at("2025-03-10 10:00"), at("2025-03-20 10:00")],
        "usage_type": ["ai_agent", "ai_agent"], "quantity": [3.0, 4.0],
        "subscription_id": [None, None], "user_id": ["u1", "u1"],
    })
    # ai_agent is pooled; here only the user mapping decides the split
    ten = tenant(*[subscription(s.id, term(D(2024, 1, 1), D(2027, 1, 1), ("ai_agent", 10)))
                   for s in ten.subscriptions], timezone=ZONE)
    result = allocate(ten, usage, users)
    parts = result.by_subscription.set_index("subscription_id")["usage"].to_dict()
    assert parts == {"Sub-A": 3.0, "Sub-B": 4.0}

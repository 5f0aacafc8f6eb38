"""Sessions → usage (M3, M4): hand-checked cases, a brute-force property, the CLI."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from builders import D, subscription, tenant, term
from toolkit import allocate
from toolkit.commands.cli import main
from toolkit.errors import InputError
from toolkit.inputs.sessions import load_sessions
from toolkit.inputs.tenant_file import save_tenant
from toolkit.inputs.users import load_users
from toolkit.metering import measure_sessions
from toolkit.sample import sample_sessions

ZONE = "Europe/Rome"


def at(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz=ZONE)


def sessions(*rows) -> pd.DataFrame:
    return pd.DataFrame({
        "user_id": [r[0] for r in rows],
        "login": [at(r[1]) for r in rows],
        "logout": [at(r[2]) for r in rows],
    })


def users(*rows) -> pd.DataFrame:
    """rows: (user_id, license, subscription_id)."""
    return pd.DataFrame({
        "user_id": [r[0] for r in rows], "role": "agent",
        "license": [r[1] for r in rows], "subscription_id": [r[2] for r in rows],
    })


def series(usage: pd.DataFrame, **match) -> dict[str, float]:
    """{local 'HH:MM' or 'MM-DD HH:MM': quantity} of the rows matching the filters."""
    rows = usage
    for column, value in match.items():
        rows = rows[rows[column] == value]
    return {t.strftime("%m-%d %H:%M"): q for t, q in zip(rows["timestamp"], rows["quantity"],
                                                           strict=True)}


STD = "cc_standard_agent"
PREM = "cc_premium_agent"


# --- hand-checked cases -----------------------------------------------------------------

def test_overlapping_sessions_of_one_user_count_once():
    # a logs in twice (09:00-09:30 and again 09:05-09:10 on a second device)
    result = measure_sessions(sessions(("a", "2025-03-03 09:00", "2025-03-03 09:30"),
                                       ("a", "2025-03-03 09:05", "2025-03-03 09:10")))
    assert series(result) == {"03-03 09:00": 1.0, "03-03 09:15": 1.0}
    assert result["subscription_id"].isna().all() and result["user_id"].isna().all()
    assert set(result["usage_type"]) == {STD}


def test_users_in_one_interval_who_never_overlap_count_one():
    # b leaves at 09:40 exactly when c arrives: half-open sessions never meet
    result = measure_sessions(sessions(("b", "2025-03-03 09:30", "2025-03-03 09:40"),
                                       ("c", "2025-03-03 09:40", "2025-03-03 09:44")))
    assert series(result) == {"03-03 09:30": 1.0}


def test_interval_boundaries_are_half_open():
    result = measure_sessions(sessions(("a", "2025-03-03 09:00", "2025-03-03 09:15"),
                                       ("b", "2025-03-03 09:14", "2025-03-03 09:15"),
                                       ("c", "2025-03-03 09:15", "2025-03-03 09:16")))
    # a and b overlap at 09:14; c starts exactly when the next interval starts
    assert series(result) == {"03-03 09:00": 2.0, "03-03 09:15": 1.0}


def test_value_carried_into_an_interval_without_events_counts():
    result = measure_sessions(sessions(("a", "2025-03-03 09:10", "2025-03-03 10:05"),
                                       ("b", "2025-03-03 09:12", "2025-03-03 09:50")))
    assert series(result) == {"03-03 09:00": 2.0, "03-03 09:15": 2.0, "03-03 09:30": 2.0,
                              "03-03 09:45": 2.0, "03-03 10:00": 1.0}


def test_logouts_at_an_interval_start_are_settled_before_reading_it():
    # five agents all leave at 10:15 sharp, one arrives at 10:20
    rows = [(f"u{i}", "2025-03-03 10:00", "2025-03-03 10:15") for i in range(5)]
    result = measure_sessions(sessions(*rows, ("z", "2025-03-03 10:20", "2025-03-03 10:25")))
    assert series(result) == {"03-03 10:00": 5.0, "03-03 10:15": 1.0}


def test_sessions_crossing_midnight_and_month_end():
    result = measure_sessions(sessions(("n", "2025-03-31 23:50", "2025-04-01 00:20")))
    assert series(result) == {"03-31 23:45": 1.0, "04-01 00:00": 1.0, "04-01 00:15": 1.0}
    named = measure_sessions(sessions(("n", "2025-03-31 23:50", "2025-04-01 00:20")),
                             license_model="named")
    assert [str(t) for t in named["timestamp"]] == ["2025-03-31 00:00:00+02:00",
                                                    "2025-04-01 00:00:00+02:00"]
    assert named["user_id"].tolist() == ["n", "n"] and named["quantity"].tolist() == [1.0, 1.0]


def test_named_counts_distinct_users_concurrent_counts_the_peak():
    rows = sessions(("a", "2025-03-03 08:00", "2025-03-03 10:00"),
                    ("b", "2025-03-03 10:00", "2025-03-03 12:00"),
                    ("c", "2025-03-03 12:00", "2025-03-03 14:00"),
                    ("a", "2025-03-03 15:00", "2025-03-03 16:00"))
    concurrent = measure_sessions(rows)
    assert concurrent["quantity"].max() == 1.0
    named = measure_sessions(rows, license_model="named")
    assert named["user_id"].tolist() == ["a", "b", "c"]
    assert named["quantity"].sum() == 3.0


def test_coincident_peak_shares_not_each_subscriptions_own_maximum():
    # 10:00-10:15: x (Sub-A) alone until 10:05; y and z (Sub-B) together 10:07-10:10.
    # Tenant peak 2 at 10:07, when Sub-A has nobody: Sub-A's own maximum (1) must not be added.
    rows = sessions(("x", "2025-03-03 10:00", "2025-03-03 10:05"),
                    ("y", "2025-03-03 10:06", "2025-03-03 10:14"),
                    ("z", "2025-03-03 10:07", "2025-03-03 10:10"))
    mapping = users(("x", STD, "Sub-A"), ("y", STD, "Sub-B"), ("z", STD, "Sub-B"))
    result = measure_sessions(rows, mapping)
    assert list(zip(result["subscription_id"], result["quantity"], strict=True)) == [("Sub-B", 2.0)]


def test_types_come_from_users_and_premium_wins():
    rows = sessions(("p", "2025-03-03 09:00", "2025-03-03 09:10"),
                    ("s", "2025-03-03 09:00", "2025-03-03 09:10"),
                    ("both", "2025-03-03 09:00", "2025-03-03 09:10"),
                    ("stranger", "2025-03-03 09:00", "2025-03-03 09:10"))
    mapping = users(("p", PREM, "Sub-A"), ("s", STD, "Sub-B"),
                    ("both", STD, "Sub-A"), ("both", PREM, "Sub-B"))
    result = measure_sessions(rows, mapping)
    got = {(t, s if isinstance(s, str) else None): q for t, s, q in
           zip(result["usage_type"], result["subscription_id"], result["quantity"], strict=True)}
    # "both" counts once, as Premium, on the subscription of their Premium license;
    # "stranger" is not in the users table: counted, without a subscription (pro rata later)
    assert got == {(PREM, "Sub-A"): 1.0, (PREM, "Sub-B"): 1.0, (STD, "Sub-B"): 1.0,
                   (STD, None): 1.0}


def test_allocate_takes_the_coincident_peak_shares():
    ten = tenant(
        subscription("Sub-A", term(D(2024, 1, 1), D(2027, 1, 1), (STD, 1))),
        subscription("Sub-B", term(D(2024, 6, 1), D(2027, 1, 1), (STD, 1))),
        timezone=ZONE,
    )
    rows = sessions(
        # 3 March, 10:00: tenant peak 3 = Sub-A 1 + Sub-B 2
        ("a1", "2025-03-03 10:00", "2025-03-03 10:10"),
        ("b1", "2025-03-03 10:02", "2025-03-03 10:10"),
        ("b2", "2025-03-03 10:03", "2025-03-03 10:10"),
        # 4 March: Sub-A alone reaches 2 — its own maximum, but not the tenant's peak
        ("a1", "2025-03-04 10:00", "2025-03-04 10:10"),
        ("a2", "2025-03-04 10:00", "2025-03-04 10:10"),
    )
    mapping = users(("a1", STD, "Sub-A"), ("a2", STD, "Sub-A"),
                    ("b1", STD, "Sub-B"), ("b2", STD, "Sub-B"))
    result = allocate(ten, measure_sessions(rows, mapping), mapping)
    pooled = result.pooled.set_index("usage_type")
    assert pooled.loc[STD, "usage"] == 3.0 and pooled.loc[STD, "overage"] == 1.0
    parts = result.by_subscription.set_index("subscription_id")["usage"].to_dict()
    assert parts == {"Sub-A": 1.0, "Sub-B": 2.0}
    assert result.unallocated.empty


def test_month_crossing_named_usage_counts_in_both_months():
    ten = tenant(subscription("Sub-A", term(D(2024, 1, 1), D(2027, 1, 1), (STD, 5)),
                              license_model="named"), timezone=ZONE)
    rows = sessions(("n", "2025-03-31 23:50", "2025-04-01 00:20"))
    mapping = users(("n", STD, "Sub-A"))
    result = allocate(ten, measure_sessions(rows, mapping, license_model="named"), mapping)
    assert result.pooled["period"].astype(str).tolist() == ["2025-03", "2025-04"]
    assert result.pooled["usage"].tolist() == [1.0, 1.0]


def test_output_has_the_usage_shape():
    result = measure_sessions(sessions(("a", "2025-03-03 09:00", "2025-03-03 09:10")))
    assert result.columns.tolist() == ["timestamp", "usage_type", "quantity", "subscription_id",
                                       "user_id"]
    assert str(result["timestamp"].dtype) == f"datetime64[us, {ZONE}]"
    assert result["quantity"].dtype == np.float64
    assert result["usage_type"].dtype == "str"


def test_other_intervals_and_models():
    rows = sessions(("a", "2025-03-03 09:00", "2025-03-03 09:50"),
                    ("b", "2025-03-03 09:40", "2025-03-03 10:20"))
    assert series(measure_sessions(rows, interval="1h")) == {"03-03 09:00": 2.0,
                                                             "03-03 10:00": 1.0}
    with pytest.raises(ValueError, match="license_model"):
        measure_sessions(rows, license_model="floating")
    with pytest.raises(ValueError, match="fixed duration"):
        measure_sessions(rows, interval="M")


def test_sessions_built_in_code_are_checked():
    bad = pd.DataFrame({"user_id": ["a", None], "login": [at("2025-03-03 10:00")] * 2,
                        "logout": [at("2025-03-03 09:00"), pd.NaT]})
    with pytest.raises(InputError) as caught:
        measure_sessions(bad)
    text = str(caught.value)
    assert "row 2, column 'logout'" in text and "row 3, column 'user_id'" in text
    assert "row 3, column 'logout'" in text


def test_a_far_future_mapping_end_does_not_stop_the_measure(tmp_path):
    # "9999-12-31" for "until further notice" is common; 30 users and such an end used to
    # overflow the packed sort keys ("span too long a period")
    path = tmp_path / "users.csv"
    path.write_text("user_id,role,license,subscription_id,start,end\n" + "".join(
        f"u{i},agent,{STD},Sub-A,2024-01-01,2025-03-15\nu{i},agent,{STD},Sub-B,2025-03-15,"
        "9999-12-31\n" for i in range(30)))
    ten = tenant(subscription("Sub-A", term(D(2024, 1, 1), D(2027, 1, 1), (STD, 1))),
                 subscription("Sub-B", term(D(2024, 6, 1), D(2027, 1, 1), (STD, 1))),
                 timezone=ZONE)
    mapping = load_users(path, ten)
    rows = sessions(*((f"u{i}", "2025-03-14 23:30", "2025-03-15 00:10") for i in range(30)))
    result = measure_sessions(rows, mapping)
    assert list(zip(result["timestamp"].dt.strftime("%d %H:%M"), result["subscription_id"],
                    result["quantity"], strict=True)) == [
        ("14 23:30", "Sub-A", 30.0), ("14 23:45", "Sub-A", 30.0), ("15 00:00", "Sub-B", 30.0)]


def test_naive_mapping_bounds_are_local_time_of_the_sessions():
    # sessions in New York; the remapping at 09:05 is written without a zone: New York 09:05,
    # both where the session is cut and where the mapping is looked up
    ny = "America/New_York"
    rows = pd.DataFrame({"user_id": ["a"], "login": [pd.Timestamp("2025-03-03 08:00", tz=ny)],
                         "logout": [pd.Timestamp("2025-03-03 10:00", tz=ny)]})
    for start in (pd.Timestamp("2025-03-03 09:05"), "2025-03-03 09:05"):
        mapping = pd.DataFrame({
            "user_id": ["a", "a"], "role": "agent", "license": STD,
            "subscription_id": ["Sub-A", "Sub-B"],
            "start": pd.Series([None, start], dtype=object),
            "end": pd.Series([start, None], dtype=object)})
        result = measure_sessions(rows, mapping, interval="30min")
        assert list(zip(result["timestamp"].dt.strftime("%H:%M"), result["subscription_id"],
                        strict=True)) == [("08:00", "Sub-A"), ("08:30", "Sub-A"),
                                          ("09:00", "Sub-A"), ("09:30", "Sub-B")]


def test_named_days_begin_in_the_zone_asked_for():
    # 21:00-22:00 in New York on 31 March is 01:00-02:00 UTC on 1 April
    ny = "America/New_York"
    ten = tenant(subscription("Sub-A", term(D(2024, 1, 1), D(2027, 1, 1), (STD, 5)),
                              license_model="named"), timezone=ny)
    stored_utc = pd.DataFrame({"user_id": ["n"],
                               "login": [pd.Timestamp("2025-04-01 01:00", tz="UTC")],
                               "logout": [pd.Timestamp("2025-04-01 02:00", tz="UTC")]})
    own_zone = measure_sessions(stored_utc, license_model="named")
    assert [str(t) for t in own_zone["timestamp"]] == ["2025-04-01 00:00:00+00:00"]
    tenants = measure_sessions(stored_utc, license_model="named", timezone=ten.timezone)
    assert [str(t) for t in tenants["timestamp"]] == ["2025-03-31 00:00:00-04:00"]
    pooled = allocate(ten, tenants).pooled
    assert pooled["period"].astype(str).tolist() == ["2025-03"]
    assert pooled["usage"].tolist() == [1.0]


def test_cli_measure_cuts_days_in_the_tenants_zone(tmp_path):
    ny = tenant(subscription("Sub-A", term(D(2024, 1, 1), D(2027, 1, 1), (STD, 5)),
                             license_model="named"), timezone="America/New_York")
    save_tenant(ny, tmp_path / "tenant.yaml")
    (tmp_path / "sessions.csv").write_text(
        "user_id,login,logout\nn,2025-04-01T01:00:00Z,2025-04-01T02:00:00Z\n")
    for extra, day in (([], "2025-04-01 00:00:00+00:00"),
                       (["--tenant", str(tmp_path)], "2025-03-31 00:00:00-04:00")):
        out = tmp_path / "usage.csv"
        assert main(["measure", str(tmp_path / "sessions.csv"), "--out", str(out),
                     "--license-model", "named", *extra]) == 0
        assert pd.read_csv(out)["timestamp"].tolist() == [day]


def test_frames_built_in_code_get_input_errors_not_tracebacks():
    bad = pd.DataFrame({"user_id": ["a", "b"], "login": ["garbage", "2025-03-03T09:00:00"],
                        "logout": ["2025-03-03T09:10:00+01:00", "2025-03-03T08:00:00"]})
    with pytest.raises(InputError) as caught:
        measure_sessions(bad)
    assert [(p.where, p.column, p.value) for p in caught.value.problems] == [
        ("row 2", "login", "garbage"), ("row 3", "logout", "2025-03-03 08:00:00+00:00")]
    rows = sessions(("a", "2025-03-03 09:00", "2025-03-03 09:10"))
    with pytest.raises(InputError) as caught:
        measure_sessions(rows, pd.DataFrame({"user_id": ["a"], "subscription_id": ["Sub-A"]}))
    assert [(p.column, p.expected) for p in caught.value.problems] == [("license", "this column")]
    windows = pd.DataFrame({"user_id": ["a"], "license": [STD], "subscription_id": ["Sub-A"],
                            "start": ["soon"], "end": [None]})
    with pytest.raises(InputError) as caught:
        measure_sessions(rows, windows)
    assert [(p.where, p.column, p.value) for p in caught.value.problems] == [
        ("row 2", "start", "soon")]


def test_centuries_of_sessions_and_many_subscriptions_measure_exactly():
    # 500 users over 325 years do not fit packed int64 sort keys (user × time span, and
    # type | time | 132 subscriptions): the sort-based paths must give the same figures
    n = 500
    subs = [f"Sub-{i % 130:03d}" for i in range(n)]
    mapping = pd.DataFrame({"user_id": [f"u{i:03d}" for i in range(n)] + ["u001"],
                            "license": STD, "subscription_id": subs + ["Sub-999"]})
    mapping["start"] = pd.Series([pd.NaT] * n + [pd.Timestamp("2025-03-03 09:30", tz="UTC")])
    mapping["end"] = pd.Series([pd.NaT, pd.Timestamp("2025-03-03 09:30", tz="UTC")]
                               + [pd.NaT] * (n - 1))
    rows = pd.DataFrame({
        "user_id": ["u000"] + [f"u{i:03d}" for i in range(n)],
        "login": pd.to_datetime(["1700-01-01 09:00"] + ["2025-03-03 09:00"] * n, utc=True),
        "logout": pd.to_datetime(["1700-01-01 10:00"] + ["2025-03-03 10:00"] * n, utc=True),
    })
    result = measure_sessions(rows, mapping, interval="1D")
    got = {(str(t.date()), s): q for t, s, q in
           zip(result["timestamp"], result["subscription_id"], result["quantity"], strict=True)}
    # at the peak instant (09:00) u001 is still on Sub-001; Sub-000..109 have 4 users, the
    # other 20 subscriptions 3
    expected = {("2025-03-03", f"Sub-{k:03d}"): (4.0 if k < 110 else 3.0) for k in range(130)}
    assert got == {("1700-01-01", "Sub-000"): 1.0, **expected}
    named = measure_sessions(rows, mapping, license_model="named")
    assert named[named["user_id"] == "u001"]["subscription_id"].tolist() == [
        "Sub-001", "Sub-999"]


# --- the loader ----------------------------------------------------------------------------

def test_load_sessions_reads_local_times_and_sorts(tmp_path):
    path = tmp_path / "sessions.csv"
    path.write_text("user_id,login,logout\n"
                    "b,2025-03-03T10:00:00,2025-03-03T11:00:00\n"
                    "a,2025-03-03T08:00:00Z,2025-03-03T09:30:00+01:00\n")
    ten = tenant(subscription("Sub-A", term(D(2024, 1, 1), D(2027, 1, 1), (STD, 1))),
                 timezone=ZONE)
    frame = load_sessions(path, ten)
    assert frame["user_id"].tolist() == ["a", "b"]
    assert str(frame["login"].iloc[0]) == "2025-03-03 09:00:00+01:00"
    assert frame["logout"].iloc[0] == at("2025-03-03 09:30")
    assert frame["logout"].iloc[1] == at("2025-03-03 11:00")


def test_load_sessions_reports_every_problem_and_never_guesses(tmp_path):
    path = tmp_path / "sessions.csv"
    path.write_text("user_id,login,logout\n"
                    "a,2025-03-03T10:00:00,\n"                       # open session
                    "b,2025-03-03T10:00:00,2025-03-03T09:00:00\n"    # logout before login
                    "c,2025-03-03T10:00:00,2025-03-03T10:00:00\n"    # empty session
                    ",2025-03-03T10:00:00,2025-03-03T11:00:00\n"     # no user
                    "e,yesterday,2025-03-03T11:00:00\n")             # not a time
    with pytest.raises(InputError) as caught:
        load_sessions(path)
    where = [(p.where, p.column) for p in caught.value.problems]
    assert where == [("row 2 (a)", "logout"), ("row 3 (b)", "logout"), ("row 4 (c)", "logout"),
                     ("row 5", "user_id"), ("row 6 (e)", "login")]
    assert "open session is not guessed" in caught.value.problems[0].expected


# --- the property: the sweep equals a minute-by-minute count ------------------------------

LICENSES = [STD, PREM, "wfo"]


@st.composite
def mapped_users(draw, n_users):
    """Per user one of: a fixed mapping (maybe to nothing), a remapping from Sub-A to Sub-B at
    some minute, or Standard on Sub-A plus Premium on Sub-B for a window (Premium wins then).
    Rows are (user, license, subscription, start minute or None, end minute or None)."""
    rows = []
    for u in range(n_users):
        kind = draw(st.integers(0, 2))
        lic = draw(st.sampled_from(LICENSES))
        cut, until = sorted(draw(st.lists(st.integers(0, 220), min_size=2, max_size=2)))
        if kind == 0:
            rows.append((u, lic, draw(st.sampled_from(["Sub-A", "Sub-B", None])), None, None))
        elif kind == 1:
            rows += [(u, lic, "Sub-A", None, cut), (u, lic, "Sub-B", cut, None)]
        else:
            rows += [(u, STD, "Sub-A", None, None),
                     (u, PREM, "Sub-B", cut, until if until > cut else None)]
    return rows


def classify(mapping, u, t):
    """(agent type, subscription) of user u at minute t, by the rules written out plainly:
    Premium when a Premium row is in effect; the subscription of a mapped row of that type,
    else of any mapped row, smallest id first; None when mapped to nothing."""
    live = [r for r in mapping if r[0] == u and (r[3] is None or r[3] <= t)
            and (r[4] is None or t < r[4])]
    kind = PREM if any(r[1] == PREM for r in live) else STD
    mapped = [r for r in live if r[2] is not None]
    same = [r[2] for r in mapped if r[1] == kind]
    pick = same or [r[2] for r in mapped]
    return kind, (min(pick) if pick else None)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 8).flatmap(lambda n: st.tuples(
    st.just(n),
    st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, 150), st.integers(1, 70)),
             min_size=1, max_size=14),
    mapped_users(n))))
def test_concurrency_equals_brute_force_minute_count(case):
    n_users, rows, mapping = case
    origin = at("2025-03-30 00:00")  # the night Rome moves its clocks forward

    def minutes(m):
        return origin + pd.Timedelta(minutes=m) if m is not None else pd.NaT

    frame = pd.DataFrame({
        "user_id": [f"u{u}" for u, _, _ in rows],
        "login": [minutes(m) for _, m, _ in rows],
        "logout": [minutes(m + d) for _, m, d in rows],
    })
    table = pd.DataFrame({
        "user_id": [f"u{r[0]}" for r in mapping], "role": "agent",
        "license": [r[1] for r in mapping],
        "subscription_id": pd.Series([r[2] for r in mapping], dtype="str"),
        "start": pd.Series([minutes(r[3]) for r in mapping], dtype=f"datetime64[us, {ZONE}]"),
        "end": pd.Series([minutes(r[4]) for r in mapping], dtype=f"datetime64[us, {ZONE}]"),
    })
    result = measure_sessions(frame, table)

    horizon = max(m + d for _, m, d in rows)
    present = np.zeros((horizon, n_users), dtype=bool)
    for u, m, d in rows:
        present[m:m + d, u] = True
    expected = {}
    for kind in (STD, PREM):
        who = [[classify(mapping, u, t) if present[t, u] else None for u in range(n_users)]
               for t in range(horizon)]
        count = np.array([sum(1 for c in at_t if c and c[0] == kind) for at_t in who])
        for k in range(0, horizon, 15):
            window = count[k:k + 15]
            if window.max() == 0:
                continue
            peak = k + int(np.argmax(window))  # earliest instant reaching the peak
            for c in who[peak]:
                if c and c[0] == kind:
                    expected[(k, kind, c[1])] = expected.get((k, kind, c[1]), 0.0) + 1.0
    minute = ((result["timestamp"] - origin) / pd.Timedelta(minutes=1)).astype(int)
    got = {(int(k), t, s if isinstance(s, str) else None): q for k, t, s, q in
           zip(minute, result["usage_type"], result["subscription_id"], result["quantity"],
               strict=True)}
    assert got == expected


# --- sample data ---------------------------------------------------------------------------

def test_sample_sessions_are_believable_and_small(tmp_path):
    roster = pd.DataFrame({"user_id": [f"u{i:04d}" for i in range(100)] + ["boss"],
                           "role": ["agent"] * 100 + ["admin"]})
    made = sample_sessions(roster, dt.date(2025, 1, 1), dt.date(2025, 4, 1), seed=3,
                           timezone=ZONE)
    again = sample_sessions(roster, dt.date(2025, 1, 1), dt.date(2025, 4, 1), seed=3,
                            timezone=ZONE)
    pd.testing.assert_frame_equal(made, again)
    assert "boss" not in set(made["user_id"]) and made["user_id"].nunique() == 100
    assert (made["logout"] > made["login"]).all()
    # shifts start on weekdays; a Friday night shift goes on after midnight
    continued = made["login"].dt.hour < 8
    assert ((made["login"].dt.day_of_week < 5) | continued).all()
    assert made["login"].min() >= at("2025-01-01 00:00")
    overnight = made["logout"].dt.date > made["login"].dt.date
    assert overnight.any()
    ordered = made.sort_values(["user_id", "login"])
    overlaps = ordered["login"].lt(ordered.groupby("user_id")["logout"].shift())
    assert 0 < overlaps.sum() < 0.1 * len(made)
    path = tmp_path / "sessions.csv"
    made.to_csv(path, index=False)
    assert path.stat().st_size < 1.5 * 1024 * 1024
    loaded = load_sessions(path, tenant(subscription(
        "Sub-A", term(D(2024, 1, 1), D(2027, 1, 1), (STD, 1))), timezone=ZONE))
    assert len(loaded) == len(made)


# --- the CLI ---------------------------------------------------------------------------------

def test_cli_measure_writes_usage(tmp_path, capsys):
    (tmp_path / "sessions.csv").write_text(
        "user_id,login,logout\n"
        "a,2025-03-03T09:00:00,2025-03-03T09:20:00\n"
        "b,2025-03-03T09:05:00,2025-03-03T09:10:00\n")
    (tmp_path / "users.csv").write_text(
        "user_id,role,license,subscription_id\n"
        "a,agent,cc_standard_agent,Sub-A\n"
        "b,agent,cc_premium_agent,Sub-B\n")
    out = tmp_path / "out" / "usage.csv"
    status = main(["measure", str(tmp_path / "sessions.csv"), "--users",
                   str(tmp_path / "users.csv"), "--out", str(out)])
    assert status == 0
    written = pd.read_csv(out)
    assert written["user_id"].isna().all()
    assert written.drop(columns="user_id").to_dict("list") == {
        "timestamp": ["2025-03-03 09:00:00+00:00", "2025-03-03 09:00:00+00:00",
                      "2025-03-03 09:15:00+00:00"],
        "usage_type": [PREM, STD, STD], "quantity": [1.0, 1.0, 1.0],
        "subscription_id": ["Sub-B", "Sub-A", "Sub-A"],
    }
    named = tmp_path / "named.csv"
    assert main(["measure", str(tmp_path / "sessions.csv"), "--users",
                 str(tmp_path / "users.csv"), "--out", str(named), "--license-model",
                 "named"]) == 0
    assert pd.read_csv(named)["user_id"].tolist() == ["b", "a"]
    assert "wrote" in capsys.readouterr().out


def test_cli_measure_reports_bad_input_without_traceback(tmp_path, capsys):
    (tmp_path / "sessions.csv").write_text("user_id,login,logout\na,2025-03-03T09:00:00,\n")
    status = main(["measure", str(tmp_path / "sessions.csv"), "--out",
                   str(tmp_path / "usage.csv")])
    assert status == 2
    assert capsys.readouterr().err == (
        f"multisub measure: 1 problem in the input:\n  - {tmp_path / 'sessions.csv'}, row 2 (a), "
        "column 'logout'; expected a logout time (an open session is not guessed)\n")
    assert not (tmp_path / "usage.csv").exists()

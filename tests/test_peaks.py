"""T1 Who made the peak: the users counted in every billed peak, exactly the billed peak."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from builders import subscription, tenant, term
from toolkit import allocate, measure_sessions, peak_contributors
from toolkit.inputs.webex.session_records import RawSessions, build_import
from toolkit.peaks import PEAK_COLUMNS, peak_teams
from toolkit.policy import Metering

D = dt.date
DAY = pd.Timestamp("2026-10-01", tz="UTC")
AGENT_TYPES = ("cc_standard_agent", "cc_premium_agent")


def two_subs(license_model="concurrent", metering=None, third_ends=None):
    """Sub-1 and Sub-2 hold both agent types all of 2026; Sub-3 (optional) ends early."""
    lines = (("cc_standard_agent", 1), ("cc_premium_agent", 1))
    subs = [subscription("Sub-1", term(D(2026, 1, 1), D(2027, 1, 1), *lines),
                         department="Care", license_model=license_model),
            subscription("Sub-2", term(D(2026, 1, 1), D(2027, 1, 1), *lines),
                         department="Sales", license_model=license_model)]
    if third_ends:
        subs.append(subscription("Sub-3", term(D(2026, 1, 1), third_ends, *lines),
                                 department="Claims", license_model=license_model))
    return tenant(*subs, metering=metering or Metering())


USERS = pd.DataFrame({
    "user_id": ["a", "b", "d", "p"],
    "role": "agent",
    "license": ["cc_standard_agent", "cc_standard_agent", "cc_standard_agent",
                "cc_premium_agent"],
    "subscription_id": ["Sub-1", "Sub-2", "Sub-1", "Sub-2"],
    "department": ["Care ops", None, None, None],
})


def sessions(*rows, **extra):
    frame = pd.DataFrame({
        "user_id": [r[0] for r in rows],
        "login": [DAY + pd.Timedelta(r[1]) for r in rows],
        "logout": [DAY + pd.Timedelta(r[2]) for r in rows],
    })
    return frame.assign(**extra)


def at(hours_minutes: str) -> pd.Timestamp:
    return DAY + pd.Timedelta(hours_minutes)


# --- hand-computed cases ---------------------------------------------------------------

def test_the_peak_interval_and_the_three_users_in_it():
    # a 09:00-10:00 (Sub-1), b 09:05-09:20 (Sub-2), c 09:10-09:40 (not in users: pro rata);
    # three are in at 09:10, the peak, in the 09:00 interval; d at 10:30 is one, later
    frame = sessions(("a", "9h", "10h"), ("b", "9h5min", "9h20min"), ("c", "9h10min", "9h40min"),
                     ("d", "10h30min", "11h"), team=["North", "South", "North", "West"],
                     agent_name=["Ada", "Bo", "Cy", "Di"])
    got = peak_contributors(two_subs(), frame, USERS)
    assert list(got.columns) == PEAK_COLUMNS
    assert got["user_id"].tolist() == ["a", "b", "c"]
    assert got["subscription_id"].iloc[:2].tolist() == ["Sub-1", "Sub-2"]
    assert pd.isna(got["subscription_id"].iloc[2])  # unmapped: allocation shares it pro rata
    assert got["peak"].tolist() == [1, 1, 1]
    assert set(got["interval_start"]) == {at("9h")}
    assert got["period"].astype(str).tolist() == ["2026-10"] * 3
    assert got["usage_type"].tolist() == ["cc_standard_agent"] * 3
    assert got["team"].tolist() == ["North", "South", "North"]
    assert got["agent_name"].tolist() == ["Ada", "Bo", "Cy"]
    assert got["site"].isna().all()
    # users.csv's department first, else the subscription's; none for the unmapped user
    assert got["department"].tolist()[:2] == ["Care ops", "Sales"]
    assert pd.isna(got["department"].iloc[2])
    assert got["login"].tolist() == [at("9h"), at("9h5min"), at("9h10min")]
    assert got["logout"].tolist() == [at("10h"), at("9h20min"), at("9h40min")]


def test_the_earliest_interval_of_a_tied_peak_counts_and_overlapping_sessions_count_once():
    # two at 09:00 (a twice, on two devices, and b), two again at 11:00: the earliest counts
    frame = sessions(("a", "9h", "9h30min"), ("a", "9h10min", "9h50min"),
                     ("b", "9h5min", "9h20min"), ("a", "11h", "11h10min"),
                     ("d", "11h", "11h10min"))
    got = peak_contributors(two_subs(), frame, USERS)
    assert got["user_id"].tolist() == ["a", "b"]
    assert set(got["interval_start"]) == {at("9h")}
    # a's session covering the instant (09:05) that began first
    assert got["login"].iloc[0] == at("9h") and got["logout"].iloc[0] == at("9h30min")


def test_a_session_ending_at_the_peak_instant_is_not_counted_in_it():
    # a and c leave at 09:10 as b, d and x arrive: three are in at 09:10, never five
    frame = sessions(("a", "9h", "9h10min"), ("c", "9h", "9h10min"), ("b", "9h10min", "9h20min"),
                     ("d", "9h10min", "9h20min"), ("x", "9h10min", "9h20min"))
    got = peak_contributors(two_subs(), frame, USERS)
    assert got["user_id"].tolist() == ["d", "b", "x"]  # Sub-1, Sub-2, unmapped
    assert got["peak"].tolist() == [1, 1, 1]


def test_a_level_held_long_enough_names_the_users_of_that_level():
    # levels: 1 (09:00), 2 (09:05 a+b), 3 (09:10-09:20 a+b+c), 2 (09:20-09:40 a+c); under a
    # 15-minute hold the 3 never counts; the level 2 first held from 09:05 is a and b
    frame = sessions(("a", "9h", "10h"), ("b", "9h5min", "9h20min"), ("c", "9h10min", "9h40min"))
    users = pd.concat([USERS, pd.DataFrame({"user_id": ["c"], "role": "agent",
                                            "license": ["cc_standard_agent"],
                                            "subscription_id": ["Sub-2"]})])
    held = two_subs(metering=Metering("15min", "15min"))
    got = peak_contributors(held, frame, users)
    assert got["user_id"].tolist() == ["a", "b"]
    assert got["peak"].tolist() == [1, 1]
    assert set(got["interval_start"]) == {at("9h")}


def test_a_session_longer_than_max_session_counts_up_to_the_cut():
    frame = sessions(("a", "0h", "30h"), ("b", "1h", "2h"))
    with pytest.warns(UserWarning, match="max_session 24h"):
        got = peak_contributors(two_subs(metering=Metering(max_session="24h")), frame, USERS)
    assert got["user_id"].tolist() == ["a", "b"]
    assert got["logout"].iloc[0] == at("24h")


def test_a_session_still_open_counts_up_to_the_extraction_time():
    raw = RawSessions(files=["p.json"], file=[0, 0], where=["s[0]", "s[1]"],
                      session_id=["s1", "s2"], user_id=["a", "b"],
                      start=[int(at("9h").value // 10**6), int(at("9h30min").value // 10**6)],
                      end=[-1, int(at("9h40min").value // 10**6)], active=[True, False])
    imported = build_import(raw, [], as_of=at("10h"))
    got = peak_contributors(two_subs(), imported.sessions, USERS)
    assert got["user_id"].tolist() == ["a", "b"]
    assert got["logout"].tolist() == [at("10h"), at("9h40min")]
    assert set(got["interval_start"]) == {at("9h30min")}


def test_users_a_rule_refuses_are_not_billed_and_not_listed():
    # e is mapped to Sub-3, which ended before October: allocation refuses the sample
    frame = sessions(("a", "9h", "10h"), ("e", "9h", "10h"), ("e2", "9h", "10h"))
    users = pd.concat([USERS, pd.DataFrame({"user_id": ["e", "e2"], "role": "agent",
                                            "license": ["cc_standard_agent"] * 2,
                                            "subscription_id": ["Sub-3"] * 2})])
    owner = two_subs(third_ends=D(2026, 9, 1))
    got = peak_contributors(owner, frame, users)
    usage = measure_sessions(frame, users, timezone="UTC")
    billed = allocate(owner, usage, users).pooled
    assert billed.loc[billed["usage_type"] == "cc_standard_agent", "usage"].tolist() == [1.0]
    assert got["user_id"].tolist() == ["a"]


def test_named_licenses_list_the_distinct_users_of_the_period_once():
    # a works two days (once under Sub-1, then remapped to Sub-2 from 10-02: counted once,
    # for the latest); p holds premium; z is in no users row (refused: not listed)
    users = pd.DataFrame({
        "user_id": ["a", "a", "p"], "role": "agent",
        "license": ["cc_standard_agent", "cc_standard_agent", "cc_premium_agent"],
        "subscription_id": ["Sub-1", "Sub-2", "Sub-2"],
        "start": [None, "2026-10-02", None], "end": ["2026-10-02", None, None],
    })
    frame = sessions(("a", "9h", "10h"), ("a", "33h", "34h"), ("p", "40h", "41h"),
                     ("z", "9h", "10h"))
    got = peak_contributors(two_subs("named"), frame, users)
    assert got[["usage_type", "subscription_id", "user_id", "peak"]].values.tolist() == [
        ["cc_premium_agent", "Sub-2", "p", 1], ["cc_standard_agent", "Sub-2", "a", 1]]
    assert got["interval_start"].isna().all()
    # the first session of the period in which they were counted
    assert got["login"].tolist() == [at("40h"), at("9h")]


def test_a_quarter_lists_each_billing_month_peak_under_the_quarter():
    frame = sessions(("a", "9h", "10h"), ("b", "9h", "10h"), ("a", "32D9h", "32D10h"))
    got = peak_contributors(two_subs(), frame, USERS, period="Q")
    assert got["period"].astype(str).tolist() == ["2026Q4"] * 3
    assert got["interval_start"].tolist() == [at("9h"), at("9h"), at("32D9h")]
    assert got["peak"].tolist() == [1, 1, 1]


def test_no_sessions_no_rows_in_the_contract_shape():
    got = peak_contributors(two_subs(), sessions(), USERS)
    assert got.empty and list(got.columns) == PEAK_COLUMNS


def test_peak_teams_counts_each_peak_by_team_largest_first():
    frame = sessions(("a", "9h", "10h"), ("b", "9h5min", "9h20min"), ("c", "9h10min", "9h40min"),
                     team=["North", "South", "North"])
    teams = peak_teams(peak_contributors(two_subs(), frame, USERS))
    assert teams[["team", "users", "peak", "rank"]].values.tolist() == [
        ["North", 2, 3, 1], ["South", 1, 3, 2]]
    assert teams["share"].tolist() == pytest.approx([2 / 3, 1 / 3])
    assert peak_teams(peak_contributors(two_subs(), frame, USERS), top=1)["team"].tolist() \
        == ["North"]


# --- the property: rows == billed peak, against a brute force, every policy ---------------

def present(rows, max_minutes):
    """presence[user][minute] from (user, start, end) minutes, sessions cut at max_minutes."""
    out: dict[str, np.ndarray] = {}
    for user, a, b in rows:
        out.setdefault(user, np.zeros(600, dtype=bool))[a:min(b, a + max_minutes)] = True
    return out


def brute_peak(presence, users, interval, hold):
    """The month's billed peak per agent type, and the earliest interval that reaches it."""
    license_of = dict(zip(USERS["user_id"], USERS["license"], strict=True))
    result = {}
    for usage_type in AGENT_TYPES:
        level = sum((p.astype(int) for u, p in presence.items()
                     if license_of.get(u, "cc_standard_agent") == usage_type),
                    np.zeros(600, dtype=int))
        best, where = 0, None
        for g in range(0, 600 - interval - hold, interval):
            if hold:
                value = max(level[m:m + hold].min() for m in range(max(g - hold + 1, 0),
                                                                   g + interval))
            else:
                value = level[g:g + interval].max()
            if value > best:
                best, where = int(value), g
        if best:
            result[usage_type] = (best, where)
    return result


# starts and lengths on a 5-minute grid, so that logins meet logouts and interval bounds
session_rows = st.lists(st.tuples(st.sampled_from(["a", "b", "c", "d", "p"]),
                                  st.integers(0, 60).map(lambda m: 5 * m),
                                  st.integers(1, 24).map(lambda m: 5 * m),
                                  st.booleans()),
                        min_size=1, max_size=14)


@settings(max_examples=80, deadline=None)
@given(session_rows, st.sampled_from([15, 60]), st.sampled_from([0, 5, 15, 20]),
       st.sampled_from([60, 24 * 60]))
def test_rows_equal_the_billed_peak_for_every_policy_including_open_sessions(
        rows, interval, hold, max_minutes):
    as_of = 420  # the extraction time, in minutes: still-open sessions end there
    raw = RawSessions(files=["p.json"])
    for i, (user, start, length, still_open) in enumerate(rows):
        raw.file.append(0)
        raw.where.append(f"s[{i}]")
        raw.session_id.append(f"s{i}")
        raw.user_id.append(user)
        raw.start.append(int((DAY + pd.Timedelta(minutes=start)).value // 10**6))
        raw.end.append(-1 if still_open else
                       int((DAY + pd.Timedelta(minutes=start + length)).value // 10**6))
        raw.active.append(still_open)
    metering = Metering(f"{interval}min", f"{hold}min", f"{max_minutes}min")
    imported = build_import(raw, [], as_of=DAY + pd.Timedelta(minutes=as_of), metering=metering)
    owner = two_subs(metering=metering)
    got = peak_contributors(owner, imported.sessions, USERS)

    minutes = [(u, s, as_of if o else s + n) for u, s, n, o in rows]
    expected = brute_peak(present(minutes, max_minutes), USERS, interval, hold)
    usage = measure_sessions(imported.sessions, USERS, timezone="UTC", metering=metering)
    billed = allocate(owner, usage, USERS).pooled.set_index("usage_type")["usage"]
    for usage_type in AGENT_TYPES:
        mine = got[got["usage_type"] == usage_type]
        peak, where = expected.get(usage_type, (0, None))
        assert len(mine) == peak == billed.get(usage_type, 0)
        if not peak:
            continue
        assert set(mine["interval_start"]) == {DAY + pd.Timedelta(minutes=where)}
        assert mine["user_id"].is_unique
        # per subscription, the rows are its part, and its part is what allocation measured
        parts = mine.groupby(mine["subscription_id"].fillna("-"))["peak"].agg(["first", "size"])
        assert (parts["first"] == parts["size"]).all()
        # each user's session is theirs and overlaps the interval (less the hold before it)
        start = DAY + pd.Timedelta(minutes=where - hold)
        end = DAY + pd.Timedelta(minutes=where + interval)
        assert ((mine["login"] < end) & (mine["logout"] > start)).all()
        # they were all logged in at one instant (the sampled one), each by one session
        assert mine["login"].max() < mine["logout"].min()
        own = imported.sessions.merge(mine[["user_id", "login"]], on=["user_id", "login"])
        assert len(own.drop_duplicates(["user_id", "login"])) == len(mine)


named_rows = st.lists(st.tuples(st.sampled_from(["a", "b", "c", "d", "p"]),
                                st.integers(0, 60 * 24 * 45), st.integers(1, 600)),
                      min_size=1, max_size=14)


@settings(max_examples=40, deadline=None)
@given(named_rows)
def test_named_rows_are_the_distinct_users_billed_in_each_month(rows):
    frame = pd.DataFrame({
        "user_id": [u for u, _, _ in rows],
        "login": [DAY + pd.Timedelta(minutes=s) for _, s, _ in rows],
        "logout": [DAY + pd.Timedelta(minutes=s + n) for _, s, n in rows],
    })
    owner = two_subs("named")
    got = peak_contributors(owner, frame, USERS)
    usage = measure_sessions(frame, USERS, timezone="UTC", license_model="named")
    billed = allocate(owner, usage, USERS).pooled
    license_of = dict(zip(USERS["user_id"], USERS["license"], strict=True))
    for row in billed.itertuples():
        start = row.period.start_time.tz_localize("UTC")
        end = (row.period + 1).start_time.tz_localize("UTC")
        seen = frame[(frame["login"] < end) & (frame["logout"] > start)]
        brute = {u for u in seen["user_id"] if license_of.get(u) == row.usage_type}
        mine = got[(got["period"] == row.period) & (got["usage_type"] == row.usage_type)]
        assert set(mine["user_id"]) == brute and len(mine) == row.usage
        assert ((mine["login"] < end) & (mine["logout"] > start)).all()


# --- the Search API's names of agent, team and site ------------------------------------------

def test_search_api_agent_team_and_site_are_kept_on_the_sessions(tmp_path):
    import json

    from toolkit import load_agent_sessions

    start = int(at("9h").value // 10**6)
    records = [
        {"agentSessionId": "s1", "agentId": "a", "agentName": "Ada Rossi",
         "teamName": "Claims North", "siteName": "Milano", "startTime": start,
         "endTime": start + 3_600_000, "isActive": False},
        {"agentSessionId": "s2", "agentId": "b", "startTime": start + 60_000,
         "endTime": -1, "isActive": True},
    ]
    page = {"data": {"agentSession": {"agentSessions": records,
                                      "pageInfo": {"hasNextPage": False}}}}
    (tmp_path / "page-1.json").write_text(json.dumps(page))
    imported = load_agent_sessions(tmp_path, as_of=at("10h"))
    got = imported.sessions
    assert got[["user_id", "agent_name", "team", "site"]].values.tolist()[0] == [
        "a", "Ada Rossi", "Claims North", "Milano"]
    assert got[["agent_name", "team", "site"]].iloc[1].isna().all()
    rows = peak_contributors(two_subs(), got, USERS)
    assert rows[["user_id", "agent_name", "team", "site"]].values.tolist()[0] == [
        "a", "Ada Rossi", "Claims North", "Milano"]
    # pages without those fields keep the sessions.csv shape and its two extra columns
    for record in records:
        for name in ("agentName", "teamName", "siteName"):
            record.pop(name, None)
    (tmp_path / "page-1.json").write_text(json.dumps(page))
    plain = load_agent_sessions(tmp_path, as_of=at("10h")).sessions
    assert list(plain.columns) == ["user_id", "login", "logout", "session_id", "open"]


# --- multisub peaks ----------------------------------------------------------------------------

def test_peaks_command_names_the_users_of_the_sample_bill(tmp_path, capsys):
    from toolkit.commands.cli import main
    from toolkit.resources import sample_dir
    from toolkit.workspace import Workspace

    out = tmp_path / "peaks.csv"
    pages = sample_dir() / "raw" / "agentSession"
    assert main(["peaks", "--sessions", str(pages), "--out", str(out)]) == 0
    captured = capsys.readouterr()
    printed = captured.out
    assert ("2026-10 cc_premium_agent: 50 users at 2026-10-08 14:00; largest department "
            "Customer Care (19)") in printed
    assert "warning" not in captured.err  # October's usage was measured from these pages
    rows = pd.read_csv(out)
    assert list(rows.columns) == PEAK_COLUMNS
    # the October agent usage of the sample is measured from these pages: the rows of each
    # peak are the review's billed peak, and each subscription's rows its part
    bill = Workspace.open(sample_dir()).allocation
    pooled = bill.pooled[bill.pooled["period"].astype(str) == "2026-10"]
    for usage_type in AGENT_TYPES:
        mine = rows[rows["usage_type"] == usage_type]
        billed = pooled.loc[pooled["usage_type"] == usage_type, "usage"].item()
        assert len(mine) == billed == {"cc_standard_agent": 186,
                                       "cc_premium_agent": 50}[usage_type]
        assert mine["interval_start"].nunique() == 1 and mine["user_id"].is_unique


def test_peaks_command_warns_when_the_bill_was_not_measured_from_the_sessions(tmp_path,
                                                                             capsys):
    from toolkit.commands.cli import main
    from toolkit.resources import sample_dir

    # sessions.csv holds September too, whose usage.csv samples were not measured from it
    # (the default, the sample's raw/agentSession pages, holds October only)
    sessions = str(sample_dir() / "sessions.csv")
    assert main(["peaks", "--type", "cc_premium_agent", "--sessions", sessions,
                 "--out", str(tmp_path / "p.csv")]) == 0
    err = capsys.readouterr().err
    assert ("warning: 2026-09 cc_premium_agent: these sessions count 52 users at the peak, "
            "the tenant's usage bills 45") in err
    assert "2026-10" not in err


@pytest.mark.parametrize("suffix", [".xlsx", ".parquet"])
def test_peaks_command_writes_every_format_and_keeps_one_type(tmp_path, suffix):
    from toolkit.commands.cli import main
    from toolkit.resources import sample_dir

    out = tmp_path / f"peaks{suffix}"
    sessions = str(sample_dir() / "sessions.csv")  # September and October
    assert main(["peaks", "--type", "cc_premium_agent", "--period", "Q", "--sessions", sessions,
                 "--out", str(out)]) == 0
    rows = pd.read_excel(out) if suffix == ".xlsx" else pd.read_parquet(out)
    assert set(rows["usage_type"]) == {"cc_premium_agent"}
    assert sorted(set(rows["period"].astype(str))) == ["2026Q3", "2026Q4"]


def test_peaks_command_refuses_bad_input_with_exit_2(tmp_path, capsys):
    from toolkit.commands.cli import main
    from toolkit.resources import sample_dir

    assert main(["peaks", "--type", "cc_gold_agent", "--out", str(tmp_path / "p.csv")]) == 2
    assert "--type: found 'cc_gold_agent'" in capsys.readouterr().err
    assert main(["peaks", "--out", str(sample_dir() / "sessions.csv")]) == 2
    assert "it is the input" in capsys.readouterr().err
    assert main(["peaks", "--sessions", str(tmp_path / "none.csv"),
                 "--out", str(tmp_path / "p.csv")]) == 2
    assert "none.csv" in capsys.readouterr().err
    assert not (tmp_path / "p.csv").exists()


# --- the review: the workbook sheet and the section's data ----------------------------------

def test_the_workbook_holds_every_contributor_in_a_sheet_when_given_them(tmp_path):
    import openpyxl

    from toolkit.present import report
    from toolkit.present.workbook import PEAKS_SHEET, write_workbook
    from toolkit.resources import sample_dir

    book = report.load_book(sample_dir())
    frame = sessions(("a", "9h", "10h"), ("b", "9h5min", "9h20min"), team=["North", "South"])
    rows = peak_contributors(two_subs(), frame, USERS)
    out = write_workbook(book, report.default_window(book.as_of), tmp_path / "w.xlsx",
                         peaks=rows)
    sheet = openpyxl.load_workbook(out)[PEAKS_SHEET]
    header, *cells = sheet.iter_rows(values_only=True)
    assert list(header) == PEAK_COLUMNS
    assert [c[5] for c in cells] == ["a", "b"]
    assert cells[0][3] == "2026-10-01 09:00" and cells[0][4] == 1 and cells[0][7] == "North"
    plain = write_workbook(book, report.default_window(book.as_of), tmp_path / "p.xlsx")
    assert PEAKS_SHEET not in openpyxl.load_workbook(plain).sheetnames


def test_peak_sections_tell_each_overage_bearing_peak_with_its_teams():
    from toolkit.peaks import peak_sections

    # entitlement 1 + 1 standard agents; three in at 09:10 (one over)
    frame = sessions(("a", "9h", "10h"), ("b", "9h5min", "9h20min"), ("c", "9h10min", "9h40min"),
                     team=["North", "South", "North"])
    owner = two_subs()
    rows = peak_contributors(owner, frame, USERS)
    bill = allocate(owner, measure_sessions(frame, USERS, timezone="UTC"), USERS)
    [section] = peak_sections(rows, bill, top=1)
    assert (section.period, section.usage_type, section.peak) == ("2026-10",
                                                                   "cc_standard_agent", 3)
    assert section.interval_start == at("9h")
    assert section.entitlement == pytest.approx(2.0) and section.overage == pytest.approx(1.0)
    assert section.top_teams == [("North", 2)]
    assert section.by_team["users"].tolist() == [2, 1]
    assert section.sentence == ("2026-10 cc_standard_agent: 3 users at 2026-10-01 09:00, "
                                "against an entitlement of 2.00 (1.00 over); largest by team: "
                                "North 2.")
    # one department's review counts its own users only
    [sales] = peak_sections(rows, bill, department="Sales")
    assert sales.by_team[["team", "users"]].values.tolist() == [["South", 1]]
    assert section.matches_bill and section.billed_peak == 3
    # a bill measured from other sessions than the ones given: said, not shown as who
    other = allocate(owner, measure_sessions(frame.iloc[[0, 2]], USERS, timezone="UTC")
                     .assign(quantity=4.0), USERS)
    [odd] = peak_sections(rows, other)
    assert not odd.matches_bill
    assert odd.sentence.startswith("2026-10 cc_standard_agent: the sessions given count 3 "
                                   "users at their peak but the bill counts 8")  # 4 + 4
    # within the entitlement: no section
    calm = sessions(("a", "9h", "10h"))
    calm_bill = allocate(owner, measure_sessions(calm, USERS, timezone="UTC"), USERS)
    assert peak_sections(peak_contributors(owner, calm, USERS), calm_bill) == []


# --- the session lookup: the earliest session covering an instant ---------------------------

covering_case = st.lists(st.tuples(st.integers(0, 3), st.integers(0, 40), st.integers(1, 15)),
                         min_size=1, max_size=25)


@settings(max_examples=80, deadline=None)
@given(covering_case, st.lists(st.integers(0, 60), min_size=1, max_size=10), st.booleans())
def test_the_session_found_is_the_earliest_one_covering_the_instant(rows, instants, few):
    import toolkit.peaks as peaks

    user = np.array([u for u, _, _ in rows], dtype=np.int16)
    login = np.array([s for _, s, _ in rows], dtype=np.int64)
    logout = login + np.array([n for _, _, n in rows], dtype=np.int64)
    queries = [(u, t) for t in instants for u in range(4)
               if ((user == u) & (login <= t) & (logout > t)).any()]
    if not queries:
        return
    q_user = np.array([u for u, _ in queries], dtype=np.int64)
    q_time = np.array([t for _, t in queries], dtype=np.int64)
    saved = peaks._FEW_INSTANTS
    peaks._FEW_INSTANTS = 64 if few else 0  # both paths: a prefilter by mask, or none
    try:
        found = peaks._covering(login, logout, user, q_user, q_time)
    finally:
        peaks._FEW_INSTANTS = saved
    for (u, t), row in zip(queries, found, strict=True):
        covering = np.flatnonzero((user == u) & (login <= t) & (logout > t))
        earliest = covering[login[covering] == login[covering].min()]
        assert row in earliest

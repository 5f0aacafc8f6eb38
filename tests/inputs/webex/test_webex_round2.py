"""Real Webex data, second round (issue 23): daily peaks across DST, real subscription ids,
agents that join, partial exports that say so, pages that are not agent sessions.

Cisco's published pages are read verbatim from ``tests/fixtures/cisco`` (see its README);
every expected figure is a brute-force count written here, never the code under test.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from builders import FIXTURES
from toolkit.metering import measure_sessions

CISCO = FIXTURES / "cisco"
MINUTE = pd.Timedelta(minutes=1)


# --- brute force: the local wall-clock grid, minute by minute ----------------------------

def brute_interval_starts(first: pd.Timestamp, last: pd.Timestamp, minutes: int,
                          zone: str) -> pd.DatetimeIndex:
    """Every minute at which a new interval begins, read off the local clock one minute at
    a time: the clock reads a multiple of ``minutes`` since midnight, or the (day, slot)
    it reads differs from a minute before (the clock jumped over a grid reading)."""
    local_first = first.tz_convert(zone).tz_localize(None).normalize()
    begin = local_first.tz_localize(zone, ambiguous=True, nonexistent="shift_forward")
    stamps = pd.date_range(begin.tz_convert("UTC"), last.tz_convert("UTC") + pd.Timedelta(days=1),
                           freq="1min")
    local = stamps.tz_convert(zone)
    reading = np.asarray(local.hour * 60 + local.minute)
    day = np.asarray(local.tz_localize(None).normalize().asi8)
    slot = reading // minutes
    starts = [0] + [i for i in range(1, len(stamps))
                    if reading[i] % minutes == 0
                    or (day[i], slot[i]) != (day[i - 1], slot[i - 1])]
    return stamps[starts]


def brute_peaks(sessions: pd.DataFrame, minutes: int, zone: str) -> dict:
    """{interval start: the most distinct users logged in at one minute of the interval},
    for every interval with somebody in it (sessions on whole minutes, half-open)."""
    first, last = sessions["login"].min(), sessions["logout"].max()
    starts = brute_interval_starts(first, last, minutes, zone)
    minute = pd.date_range(starts[0], starts[-1], freq="1min", inclusive="left")
    t = minute.as_unit("us").asi8[:, None]
    logged_in = (_us(sessions["login"]) <= t) & (_us(sessions["logout"]) > t)
    users = sessions["user_id"].to_numpy()
    distinct = sum(logged_in[:, users == u].any(axis=1).astype(int) for u in set(users))
    interval = np.searchsorted(starts.as_unit("us").asi8, minute.as_unit("us").asi8,
                               side="right") - 1
    peaks = {}
    for k, count in zip(interval, distinct, strict=True):
        if count:
            peaks[starts[k]] = max(peaks.get(starts[k], 0), int(count))
    return peaks


def _us(column: pd.Series) -> np.ndarray:
    return pd.DatetimeIndex(column).as_unit("us").asi8


def measured_peaks(usage: pd.DataFrame) -> dict:
    total = usage.groupby("timestamp")["quantity"].sum()
    return {stamp.tz_convert("UTC"): int(q) for stamp, q in total.items()}


# --- 1. intervals on the local wall-clock grid across DST ---------------------------------

DST_DAYS = [  # (zone, a day with a clock change; the day before and after are plain)
    ("America/New_York", "2026-03-08"), ("America/New_York", "2026-11-01"),
    ("Europe/Rome", "2026-03-29"), ("Europe/Rome", "2026-10-25"),
    ("Australia/Lord_Howe", "2026-04-05"),  # a half-hour change
]


def _sessions_of(rows, zone, day) -> pd.DataFrame:
    origin = pd.Timestamp(day).tz_localize(zone) - pd.Timedelta(days=1)
    return pd.DataFrame({
        "user_id": [f"a{u}" for u, _, _ in rows],
        "login": [(origin + m * MINUTE).tz_convert("UTC") for _, m, _ in rows],
        "logout": [(origin + (m + n) * MINUTE).tz_convert("UTC") for _, m, n in rows],
    })


@settings(max_examples=25, deadline=None)
@given(place=st.sampled_from(DST_DAYS),
       minutes=st.sampled_from([15, 30, 60, 90, 120, 180, 1440]),
       rows=st.lists(st.tuples(st.integers(0, 4), st.integers(0, 3 * 1440 - 1),
                               st.integers(1, 600)), min_size=1, max_size=8))
def test_every_interval_that_divides_a_day_starts_on_the_local_grid(place, minutes, rows):
    zone, day = place
    sessions = _sessions_of(rows, zone, day)
    usage = measure_sessions(sessions, timezone=zone, interval=f"{minutes}min")
    assert measured_peaks(usage) == brute_peaks(sessions, minutes, zone)


@pytest.mark.parametrize("zone, day, expected", [
    ("America/New_York", "2026-03-08", 92), ("America/New_York", "2026-11-01", 100),
    ("America/New_York", "2026-06-10", 96), ("Europe/Rome", "2026-10-25", 100),
])
def test_a_days_quarter_hour_grid_has_92_96_or_100_intervals(zone, day, expected):
    start = pd.Timestamp(day).tz_localize(zone)
    end = (pd.Timestamp(day) + pd.Timedelta(days=1)).tz_localize(zone)
    sessions = pd.DataFrame({"user_id": ["a"], "login": [start], "logout": [end]})
    usage = measure_sessions(sessions, timezone=zone, max_session="48h")
    starts = brute_interval_starts(start, end, 15, zone)
    assert len(usage) == expected == ((starts >= start) & (starts < end)).sum()
    assert (usage["timestamp"].dt.minute % 15 == 0).all()


def _cisco_sessions(name: str) -> pd.DataFrame:
    """Cisco's records read here, in the test: agent, start and end (epoch ms)."""
    records = json.loads((CISCO / name).read_text())["data"]["agentSession"]["agentSessions"]
    return pd.DataFrame({
        "user_id": [r["agentId"] for r in records],
        "login": pd.to_datetime([r["startTime"] for r in records], unit="ms", utc=True),
        "logout": pd.to_datetime([r["endTime"] for r in records], unit="ms", utc=True),
    })


def test_daily_peaks_of_cisco_simple_query_begin_at_new_york_midnight_after_dst():
    """Cisco's Simple query page (Feb–Dec 2022) crosses both changes of 2022: each day's
    peak is the most distinct agents logged in at one instant of that local day."""
    sessions = _cisco_sessions("agentSession_simple_query.json")
    zone = "America/New_York"
    usage = measure_sessions(sessions, timezone=zone, interval="24h", max_session="100000h")
    local = usage["timestamp"].dt.tz_convert(zone)
    assert (local.dt.hour == 0).all() and (local.dt.minute == 0).all()
    expected = {}
    events = sorted({*sessions["login"], *sessions["logout"]})
    for t in events:  # concurrency only changes at these instants
        here = sessions[(sessions["login"] <= t) & (sessions["logout"] > t)]
        day = t.tz_convert(zone).date()
        expected[day] = max(expected.get(day, 0), here["user_id"].nunique())
    for _, row in sessions.iterrows():  # a day a session spans without an event in it
        for day in pd.date_range(row["login"].tz_convert(zone).normalize(),
                                 row["logout"].tz_convert(zone).normalize()):
            expected.setdefault(day.date(), 0)
            midnight = day.tz_localize(None).tz_localize(zone)
            if row["login"] <= midnight < row["logout"]:
                here = sessions[(sessions["login"] <= midnight) & (sessions["logout"] > midnight)]
                expected[day.date()] = max(expected[day.date()], here["user_id"].nunique())
    expected = {d: v for d, v in expected.items() if v}
    got = {t.date(): int(q) for t, q in zip(local, usage["quantity"], strict=True)}
    assert got == expected


# --- 2. real subscription ids -------------------------------------------------------------

REAL_ID = "trialSub.e57285a3-0b1f-4bb4-9f0b-2bd8c0a1e3f7"


def test_a_real_subscription_id_from_v1_licenses_is_accepted(tmp_path):
    from toolkit.inputs.tenant_file import load_tenant
    from toolkit.resources import sample_dir

    text = (sample_dir() / "tenant.yaml").read_text(encoding="utf-8")
    first = load_tenant(sample_dir() / "tenant.yaml").subscriptions[0].id
    (tmp_path / "tenant.yaml").write_text(text.replace(first, f" {REAL_ID} "),
                                          encoding="utf-8")
    ids = [s.id for s in load_tenant(tmp_path / "tenant.yaml").subscriptions]
    assert ids[0] == REAL_ID and first not in ids


@pytest.mark.parametrize("bad", ["''", "'   '"])
def test_a_blank_subscription_id_is_still_refused(tmp_path, bad):
    from toolkit import InputError
    from toolkit.inputs.tenant_file import load_tenant
    from toolkit.resources import sample_dir

    text = (sample_dir() / "tenant.yaml").read_text(encoding="utf-8")
    first = load_tenant(sample_dir() / "tenant.yaml").subscriptions[0].id
    (tmp_path / "tenant.yaml").write_text(text.replace(first, bad, 1), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_tenant(tmp_path / "tenant.yaml")
    assert any(".id" in p.where or p.column == "id" or "id" in p.where
               for p in caught.value.problems)


# --- 3. import-webex writes the person id; measure joins agentId on it ----------------------

def _person_id(uuid: str) -> str:
    import base64
    return base64.b64encode(f"ciscospark://us/PEOPLE/{uuid}".encode()).decode().rstrip("=")


AGENTS = {  # Cisco's agent ids (UUIDs, as in the Search API samples) → license held
    "7a8447da-28b4-4266-8765-b19afece4326": "Contact Center Premium Agent",
    "3c7a4b5e-9f0d-4c8e-a1b2-6d5e4f3a2b1c": "Contact Center Standard Agent",
}


def _webex_export(folder: Path) -> None:
    """A /v1/licenses and a /v1/people response in the OpenAPI examples' shapes."""
    licenses = {"items": [
        {"id": f"LIC-{n}", "name": name, "totalUnits": 5, "consumedUnits": 1,
         "consumedByUsers": 1, "consumedByWorkspaces": 0, "subscriptionId": REAL_ID,
         "siteUrl": "aurora.webex.com", "siteType": "Control Hub managed site"}
        for n, name in enumerate(sorted(set(AGENTS.values())))]}
    by_name = {item["name"]: item["id"] for item in licenses["items"]}
    people = {"items": [
        {"id": _person_id(uuid), "emails": [f"agent{i}@aurora.example"],
         "displayName": f"Agent {i}", "department": "Sales", "licenses": [by_name[name]],
         "type": "person", "status": "active"}
        for i, (uuid, name) in enumerate(AGENTS.items())], "notFoundIds": []}
    (folder / "licenses.json").write_text(json.dumps(licenses), encoding="utf-8")
    (folder / "people.json").write_text(json.dumps(people), encoding="utf-8")


def _pages(folder: Path, records: list[dict], next_page: bool = False, cursor=None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    page = {"data": {"agentSession": {"agentSessions": records, "pageInfo": {
        "hasNextPage": next_page, "endCursor": cursor}}}}
    (folder / "page-1.json").write_text(json.dumps(page), encoding="utf-8")
    return folder


def _record(n: int, agent: str, start_ms: int, end_ms: int) -> dict:
    return {"agentSessionId": f"s-{n}", "agentId": agent, "startTime": start_ms,
            "endTime": end_ms, "isActive": end_ms == -1}


T0 = 1_790_000_000_000  # 2026-09-21, epoch ms


def test_import_webex_then_measure_joins_agents_without_a_flag(tmp_path, capsys):
    from toolkit.commands.cli import main

    _webex_export(tmp_path)
    premium, standard = AGENTS
    _pages(tmp_path / "pages", [_record(1, premium, T0, T0 + 3_600_000),
                                _record(2, standard, T0, T0 + 1_800_000)])
    assert main(["import-webex", str(tmp_path / "licenses.json"),
                 str(tmp_path / "people.json"), "--out", str(tmp_path)]) == 0
    users = pd.read_csv(tmp_path / "users.csv")
    assert sorted(users["webex_agent_id"]) == sorted(_person_id(u) for u in AGENTS)
    assert main(["measure", str(tmp_path / "pages"), "--users", str(tmp_path / "users.csv"),
                 "--out", str(tmp_path / "usage.csv")]) == 0
    assert "agent-unmatched" not in capsys.readouterr().out
    usage = pd.read_csv(tmp_path / "usage.csv", keep_default_na=False)
    peak = usage.groupby(["usage_type", "subscription_id"])["quantity"].max().to_dict()
    assert peak == {("cc_premium_agent", REAL_ID): 1.0, ("cc_standard_agent", REAL_ID): 1.0}


def test_ciscos_openapi_people_example_names_the_missing_license_and_the_person():
    """Cisco's own /v1/people example holds a license its /v1/licenses example lacks."""
    from toolkit import InputError
    from toolkit.inputs.webex.control_hub import load_webex_licenses, load_webex_people

    people = json.loads((CISCO / "openapi_people_example.json").read_text())["items"]
    listed = {i["id"] for i in json.loads(
        (CISCO / "openapi_licenses_example.json").read_text())["items"]}
    held = [part for lic in people[0]["licenses"] for part in lic.split(",")]
    missing = [lic for lic in held if lic not in listed]
    assert len(missing) == 1  # counted here, from the files
    licenses = load_webex_licenses(CISCO / "openapi_licenses_example.json")
    with pytest.raises(InputError) as caught:
        load_webex_people(CISCO / "openapi_people_example.json", licenses)
    (problem,) = caught.value.problems
    assert missing[0] in str(problem)
    assert people[0]["emails"][0] in str(problem) and people[0]["displayName"] in str(problem)


# --- 4. a partial export says so ----------------------------------------------------------

def _cisco_page(name: str) -> dict:
    return json.loads((CISCO / name).read_text())


def test_ciscos_first_page_of_a_longer_result_is_a_partial_export_warning(tmp_path):
    from toolkit.inputs.webex.search import load_agent_sessions

    name = "agentSession_simple_query.json"
    info = _cisco_page(name)["data"]["agentSession"]["pageInfo"]
    assert info["hasNextPage"] is True  # read here: Cisco's page 1 of a longer result
    imported = load_agent_sessions(CISCO / name)
    partial = imported.findings[imported.findings["rule"] == "pages-incomplete"]
    assert list(partial["severity"]) == ["warning"]
    assert info["endCursor"] in partial["message"].iloc[0]
    assert partial["subject"].iloc[0] == str(CISCO / name)


def test_a_folder_whose_last_page_is_there_is_complete(tmp_path):
    from toolkit.inputs.webex.search import load_agent_sessions

    page = _cisco_page("agentSession_simple_query.json")
    records = page["data"]["agentSession"]["agentSessions"]
    folder = tmp_path / "pages"
    _pages(folder, records[:100], next_page=True, cursor=records[99]["agentSessionId"])
    (folder / "page-2.json").write_text(json.dumps({"data": {"agentSession": {
        "agentSessions": records[100:], "pageInfo": {"hasNextPage": False,
                                                     "endCursor": None}}}}))
    found = load_agent_sessions(folder).findings
    assert "pages-incomplete" not in set(found["rule"])
    (folder / "page-2.json").unlink()
    found = load_agent_sessions(folder).findings
    assert list(found.loc[found["rule"] == "pages-incomplete", "subject"]) == [
        str(folder / "page-1.json")]


def test_measure_strict_refuses_a_partial_export(tmp_path, capsys):
    from toolkit.commands.cli import main

    folder = tmp_path / "pages"
    folder.mkdir()
    (folder / "p.json").write_bytes((CISCO / "agentSession_simple_query.json").read_bytes())
    out = tmp_path / "usage.csv"
    assert main(["measure", str(folder), "--out", str(out)]) == 0
    assert "warning: pages-incomplete" in capsys.readouterr().out
    assert main(["measure", str(folder), "--out", str(tmp_path / "u2.csv"), "--strict"]) == 2
    err = capsys.readouterr().err
    assert "hasNextPage" in err and "Traceback" not in err
    assert not (tmp_path / "u2.csv").exists()


# --- 5. an empty page in a folder of pages is named ---------------------------------------

@pytest.mark.parametrize("content", [b"", b"   \n"])
def test_an_empty_page_file_is_named_not_taken_for_a_csv(tmp_path, capsys, content):
    from toolkit.commands.cli import main

    folder = tmp_path / "pages"
    records = _cisco_page("agentSession_simple_filtering.json")
    folder.mkdir()
    (folder / "page-1.json").write_text(json.dumps(records))
    (folder / "page-0.json").write_bytes(content)  # sorts first
    assert main(["measure", str(folder), "--out", str(tmp_path / "u.csv")]) == 2
    err = capsys.readouterr().err
    assert str(folder / "page-0.json") in err and "empty" in err
    assert "CSV" not in err and str(folder / "page-1.json") not in err


def test_a_folder_of_one_empty_page_is_named(tmp_path, capsys):
    from toolkit.commands.cli import main

    folder = tmp_path / "pages"
    folder.mkdir()
    (folder / "page-1.json").write_bytes(b"")
    assert main(["measure", str(folder), "--out", str(tmp_path / "u.csv")]) == 2
    err = capsys.readouterr().err
    assert str(folder / "page-1.json") in err and "CSV" not in err


# --- also: aggregation and taskDetails pages, open sessions closed at the latest instant ----

@pytest.mark.parametrize("name, what", [
    ("agentSession_aggregation_query.json", "aggregation"),
    ("taskDetails_filtering_using_compound_operators.json", "taskDetails"),
])
def test_a_page_of_another_kind_is_one_line_saying_what_it_is(tmp_path, capsys, name, what):
    from toolkit.commands.cli import main

    assert main(["measure", str(CISCO / name), "--out", str(tmp_path / "u.csv")]) == 2
    err = capsys.readouterr().err
    assert "1 problem in the input" in err and what in err and "agentSession" in err


def test_open_sessions_ended_at_the_latest_instant_are_a_warning(tmp_path):
    from toolkit.commands.cli import main

    name = "agentSession_filtering_on_object_types.json"
    records = _cisco_page(name)["data"]["agentSession"]["agentSessions"]
    active = [r for r in records if r["isActive"]]
    latest = max(max(r["startTime"], r["endTime"]) for r in records)
    findings = tmp_path / "findings.csv"
    assert main(["measure", str(CISCO / name), "--out", str(tmp_path / "u.csv"),
                 "--findings", str(findings)]) == 0
    table = pd.read_csv(findings)
    (row,) = table[table["rule"] == "sessions-closed-at-latest"].itertuples()
    stamp = pd.Timestamp(latest, unit="ms", tz="UTC").isoformat().replace("+00:00", "Z")
    assert row.severity == "warning" and f"{len(active)} session(s)" in row.message
    assert stamp in row.message and "--as-of" in row.message
    assert main(["measure", str(CISCO / name), "--out", str(tmp_path / "u.csv"),
                 "--findings", str(findings), "--as-of", "2023-12-01T00:00:00Z"]) == 0
    assert "sessions-closed-at-latest" not in set(pd.read_csv(findings)["rule"])

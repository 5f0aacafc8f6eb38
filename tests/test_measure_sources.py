"""`multisub measure` on every session source, recognised by content; activities pages."""

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from toolkit import InputError
from toolkit.commands.cli import main
from toolkit.inputs.session_sources import session_source
from toolkit.inputs.webex.activities import load_agent_activities
from toolkit.resources import sample_dir

FIXTURES = Path(__file__).parent / "fixtures"
PAGES = FIXTURES / "search" / "agent_sessions"
ACTIVITIES = FIXTURES / "activities"


def utc(text):
    return pd.Timestamp(text, tz="UTC")


def test_activities_pair_logins_with_the_end_of_the_session_and_open_ones_end_at_as_of():
    result = load_agent_activities(ACTIVITIES, as_of=utc("2026-10-01T12:00"))
    s = result.sessions
    assert s["user_id"].tolist() == ["agent-three", "AWn8XmdC-MmYjwcdYK2i", "agent-two"]
    assert s["login"].tolist() == [utc("2026-10-01T07:00"), utc("2026-10-01T08:00"),
                                   utc("2026-10-01T10:00")]
    assert s["logout"].tolist() == [utc("2026-10-01T09:00"), utc("2026-10-01T11:00"),
                                    utc("2026-10-01T12:00")]
    assert s["open"].tolist() == [False, False, True]
    assert result.findings["rule"].tolist() == ["session-login-missing", "session-open"]
    assert result.findings["subject"].iloc[0] == (
        "agent-three / 72a79e8b-0000-4000-8000-000000000003")


def test_activity_records_without_agent_or_times_are_all_reported(tmp_path):
    page = json.loads((ACTIVITIES / "window-0.json").read_text())
    del page["data"][0]["agentId"]
    page["data"][1]["startTime"] = 1790841600  # seconds
    (tmp_path / "p.json").write_text(json.dumps(page))
    with pytest.raises(InputError) as caught:
        load_agent_activities(tmp_path)
    found = {(p.where, p.column) for p in caught.value.problems}
    assert found == {("data[0] (agentSessionId 72a79e8b-0000-4000-8000-000000000001)",
                      "agentId"),
                     ("data[1] (agentSessionId 72a79e8b-0000-4000-8000-000000000001)",
                      "startTime")}


def test_the_source_is_recognised_from_content_not_names(tmp_path):
    shutil.copy(PAGES / "page-a.json", tmp_path / "export.csv")
    assert session_source(tmp_path / "export.csv") == "agentSession"
    shutil.copy(ACTIVITIES / "window-0.json", tmp_path / "sessions.json")
    assert session_source(tmp_path / "sessions.json") == "activities"
    shutil.copy(sample_dir() / "sessions.csv", tmp_path / "pages.json")
    assert session_source(tmp_path / "pages.json") == "sessions.csv"
    assert session_source(ACTIVITIES) == "activities"


def test_measure_pages_prints_and_writes_findings_and_warns_without_users(tmp_path, capsys):
    out, findings = tmp_path / "usage.csv", tmp_path / "findings.csv"
    code = main(["measure", str(PAGES), "--as-of", "2026-10-01T16:00:00Z",
                 "--out", str(out), "--findings", str(findings), "--interval", "1h"])
    printed = capsys.readouterr()
    assert code == 0
    assert "every usage row is unmapped" in printed.err
    assert "2 session-open, 1 session-cut" in printed.out
    assert pd.read_csv(findings)["rule"].tolist() == ["session-open", "session-open",
                                                      "session-cut"]
    usage = pd.read_csv(out)
    peaks = usage.groupby("timestamp")["quantity"].sum()
    # 08:00-12:00 legacy agent; 09:00-11:00 and 10:00-16:00 the UUID agent (counts once);
    # 13:00-14:00 a third agent; the stale session counts 24h from 2026-08-22 08:00
    assert peaks["2026-10-01 08:00:00+00:00"] == 1
    assert peaks["2026-10-01 09:00:00+00:00"] == 2
    assert peaks["2026-10-01 11:00:00+00:00"] == 2
    assert peaks["2026-10-01 13:00:00+00:00"] == 2
    assert peaks["2026-10-01 15:00:00+00:00"] == 1
    assert (usage["timestamp"].str.startswith("2026-08-2")).sum() == 24
    assert usage["subscription_id"].isna().all()


def test_measure_reads_the_tenant_metering_policy(tmp_path, capsys):
    raw = yaml.safe_load((sample_dir() / "tenant.yaml").read_text())
    raw["metering"] = {"interval": "1h", "min_duration": "90min", "max_session": "24h"}
    (tmp_path / "tenant.yaml").write_text(yaml.safe_dump(raw))
    out = tmp_path / "usage.csv"
    code = main(["measure", str(PAGES), "--as-of", "2026-10-01T16:00:00Z", "--out", str(out),
                 "--tenant", str(tmp_path)])
    assert code == 0
    assert "every 1h, levels held at least 90min" in capsys.readouterr().out
    peaks = pd.read_csv(out).groupby("timestamp")["quantity"].sum()
    # level 2 holds 09:00-12:00 (3h) and 13:00-14:00 (1h < 90min): local (Rome) hours
    assert peaks["2026-10-01 11:00:00+02:00"] == 2
    assert peaks["2026-10-01 15:00:00+02:00"] == 1


def test_bad_pages_and_implausible_csv_dates_exit_2_listing_every_problem(tmp_path, capsys):
    (tmp_path / "pages").mkdir()
    (tmp_path / "pages" / "a.json").write_text('{"data": {"agentSession": {"agentSess')
    (tmp_path / "pages" / "b.json").write_text(json.dumps({"items": []}))
    code = main(["measure", str(tmp_path / "pages"), "--out", str(tmp_path / "u.csv")])
    err = capsys.readouterr().err
    assert code == 2 and "2 problems" in err and "a.json" in err and "b.json" in err
    assert "Traceback" not in err
    csv = tmp_path / "sessions.csv"
    csv.write_text("user_id,login,logout\nu1,2026-10-01T09:00:00,9999-12-31T00:00:00\n"
                   "u2,2026-10-01T09:00:00,2125-01-01T00:00:00\n")
    code = main(["measure", str(csv), "--out", str(tmp_path / "u.csv")])
    err = capsys.readouterr().err
    assert code == 2 and "row 2" in err and "row 3" in err and "between 2000" in err
    assert not (tmp_path / "u.csv").exists()


def test_a_long_csv_session_is_cut_with_a_finding(tmp_path, capsys):
    csv = tmp_path / "sessions.csv"
    csv.write_text("user_id,login,logout\nu1,2026-10-01T09:00:00,2026-10-09T09:00:00\n")
    code = main(["measure", str(csv), "--out", str(tmp_path / "u.csv"), "--interval", "1h"])
    out = capsys.readouterr().out
    assert code == 0 and "1 session-cut" in out and "u1 / login 2026-10-01 09:00:00+00:00" in out
    assert pd.read_csv(tmp_path / "u.csv")["quantity"].sum() == 24


def test_agent_ids_join_users_by_user_id_webex_agent_id_or_the_uuid_in_a_person_id(
        tmp_path, capsys):
    import base64

    person = base64.b64encode(
        b"ciscospark://us/PEOPLE/F9A4EA24-FF57-4EF3-B48D-A3CB40CFD823").decode().rstrip("=")
    users = tmp_path / "users.csv"
    users.write_text(
        "user_id,role,license,subscription_id,webex_agent_id\n"
        f"{person},agent,cc_premium_agent,Sub-1001,\n"
        "giulia@example.com,agent,cc_standard_agent,Sub-1002,AXW8OBN1L4YBh5I5lOu-\n")
    out, findings = tmp_path / "usage.csv", tmp_path / "findings.csv"
    code = main(["measure", str(PAGES), "--users", str(users), "--as-of",
                 "2026-10-01T16:00:00Z", "--interval", "1h", "--out", str(out),
                 "--findings", str(findings)])
    assert code == 0, capsys.readouterr().err
    usage = pd.read_csv(out)
    at_nine = usage[usage["timestamp"] == "2026-10-01 09:00:00+00:00"]
    assert sorted(zip(at_nine["usage_type"], at_nine["subscription_id"], at_nine["quantity"],
                      strict=True)) == [("cc_premium_agent", "Sub-1001", 1.0),
                                        ("cc_standard_agent", "Sub-1002", 1.0)]
    found = pd.read_csv(findings)
    unmatched = found[found["rule"] == "agent-unmatched"]
    assert unmatched["subject"].tolist() == ["e5d28496-0000-4000-8000-00000000000e"]

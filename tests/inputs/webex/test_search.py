"""Search API agentSession pages → sessions and findings (docs/rules.md §6, M3a)."""

import json
import shutil
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from builders import FIXTURES
from toolkit import InputError
from toolkit.inputs.webex.search import load_agent_sessions
from toolkit.policy import Metering

PAGES = FIXTURES / "search" / "agent_sessions"
H = 3_600_000
T0 = 1790841600000  # 2026-10-01T08:00:00Z
LEGACY = "AXW8OBN1L4YBh5I5lOu-"
UUID_AGENT = "f9a4ea24-ff57-4ef3-b48d-a3cb40cfd823"


def utc(text):
    return pd.Timestamp(text, tz="UTC")


def record(sid, agent, start, end, active=False):
    return {"agentSessionId": sid, "agentId": agent, "startTime": start, "endTime": end,
            "isActive": active, "channelInfo": [{"channelType": "telephony"}]}


def page(*records, cursor=None):
    return {"data": {"agentSession": {"agentSessions": list(records),
                                      "pageInfo": {"hasNextPage": cursor is not None,
                                                   "endCursor": cursor}}}}


def write(folder, name, payload):
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(payload if isinstance(payload, str) else json.dumps(payload))
    return path


def test_pages_become_sessions_open_ones_end_at_as_of_and_stale_ones_are_cut():
    result = load_agent_sessions(PAGES, as_of=utc("2026-10-01T16:00"))
    s = result.sessions
    assert list(s.columns) == ["user_id", "login", "logout", "session_id", "open"]
    assert s["session_id"].str[:2].tolist() == ["0d", "0a", "0b", "0c", "0e"]
    assert s["user_id"].tolist() == [LEGACY, LEGACY, UUID_AGENT, UUID_AGENT,
                                     "e5d28496-0000-4000-8000-00000000000e"]
    assert s["login"].tolist() == [utc("2026-08-22T08:00"), utc("2026-10-01T08:00"),
                                   utc("2026-10-01T09:00"), utc("2026-10-01T10:00"),
                                   utc("2026-10-01T13:00")]
    # the 40-day "active" session is cut at login + 24h; the open one ends at as_of
    assert s["logout"].tolist() == [utc("2026-08-23T08:00"), utc("2026-10-01T12:00"),
                                    utc("2026-10-01T11:00"), utc("2026-10-01T16:00"),
                                    utc("2026-10-01T14:00")]
    assert s["open"].tolist() == [True, False, False, True, False]
    f = result.findings
    assert list(f.columns) == ["rule", "severity", "subject", "message"]
    assert f["rule"].tolist() == ["session-open", "session-open", "session-cut"]
    cut = f.iloc[2]
    assert LEGACY in cut["subject"] and "0d000000-0000-4000-8000-000000000004" in cut["subject"]
    assert "40.3 days" in cut["message"] and cut["severity"] == "warning"


def test_without_as_of_open_sessions_end_at_the_latest_instant_recorded():
    s = load_agent_sessions(PAGES).sessions
    assert s.loc[s["open"], "logout"].max() == utc("2026-10-01T14:00")  # last logout seen


def test_max_session_comes_from_the_metering_policy():
    s = load_agent_sessions(PAGES, as_of=utc("2026-10-01T16:00"),
                            metering=Metering(max_session="2h")).sessions
    assert (s["logout"] - s["login"]).max() == pd.Timedelta("2h")


def test_page_order_and_names_do_not_matter_and_identical_repeats_count_once(tmp_path):
    first = load_agent_sessions(PAGES, as_of=utc("2026-10-01T16:00"))
    folder = tmp_path / "pages"
    shutil.copy(PAGES / "page-a.json", folder.mkdir() or folder / "zz.json")
    shutil.copy(PAGES / "page-b.json", folder / "aa.json")
    shutil.copy(PAGES / "page-b.json", folder / "again")  # a page saved twice
    again = load_agent_sessions(folder, as_of=utc("2026-10-01T16:00"))
    pd.testing.assert_frame_equal(first.sessions, again.sessions)
    pd.testing.assert_frame_equal(first.findings, again.findings)


def test_a_later_copy_with_the_logout_supersedes_the_active_copy(tmp_path):
    write(tmp_path, "1.json", page(record("s1", "a1", T0, -1, True)))
    write(tmp_path, "2.json", page(record("s1", "a1", T0, T0 + H),
                                   record("s2", "a2", T0, T0 + 2 * H)))
    result = load_agent_sessions(tmp_path, as_of=utc("2026-10-01T12:00"))
    assert result.sessions["logout"].tolist() == [utc("2026-10-01T09:00"),
                                                  utc("2026-10-01T10:00")]
    assert result.sessions["open"].tolist() == [False, False]
    assert result.findings["rule"].tolist() == ["session-updated"]
    assert result.findings["subject"].iloc[0] == "a1 / s1"


def test_copies_that_disagree_on_the_agent_are_refused_naming_the_session(tmp_path):
    write(tmp_path, "1.json", page(record("s1", "a1", T0, T0 + H)))
    write(tmp_path, "2.json", page(record("s1", "a9", T0, T0 + H)))
    with pytest.raises(InputError) as caught:
        load_agent_sessions(tmp_path)
    (problem,) = caught.value.problems
    assert problem.file.endswith("2.json") and problem.column == "agentId"
    assert problem.where == "agentSessions[0] (agentSessionId s1)"
    assert "a1" in problem.expected and "1.json" in problem.expected


def test_every_bad_page_and_record_is_listed_at_once(tmp_path):
    good = write(tmp_path, "good.json", page(
        record("s1", "a1", T0, T0 + H),
        {"agentSessionId": "s2", "startTime": T0, "endTime": T0 + H, "isActive": False},
        record("s3", "a3", T0 + 2 * H, T0 + H),
        record("s4", "a4", T0 // 1000, T0 // 1000 + 3600),
        record("s5", "a5", T0, 4_102_444_800_000 + 1),
        record("s6", "a6", "soon", T0)))
    cut_short = json.dumps(page(record("x", "y", T0, T0 + H)))[:60]
    truncated = write(tmp_path, "truncated.json", cut_short)
    licenses = write(tmp_path, "licenses.json", {"items": [{"id": "L1", "name": "CC"}]})
    with pytest.raises(InputError) as caught:
        load_agent_sessions(tmp_path)
    found = {(Path(p.file).name, p.where, p.column, p.value) for p in caught.value.problems}
    assert found == {
        (good.name, "agentSessions[1] (agentSessionId s2)", "agentId", None),
        (good.name, "agentSessions[2] (agentSessionId s3)", "endTime", T0 + H),
        (good.name, "agentSessions[3] (agentSessionId s4)", "startTime", T0 // 1000),
        (good.name, "agentSessions[3] (agentSessionId s4)", "endTime", T0 // 1000 + 3600),
        (good.name, "agentSessions[4] (agentSessionId s5)", "endTime", 4_102_444_800_001),
        (good.name, "agentSessions[5] (agentSessionId s6)", "startTime", "soon"),
        (truncated.name, "line 1", "", None),
        (licenses.name, "", "",
         "a Webex list response ('items': a /v1/licenses or /v1/people page?)"),
    }
    text = str(caught.value)
    assert "seconds are 1000x smaller" in text and "truncated" in text


def test_a_folder_without_pages_and_an_open_session_after_as_of_are_input_errors(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / ".pull-state.json").write_text("{}")
    with pytest.raises(InputError, match="at least one JSON page"):
        load_agent_sessions(tmp_path / "empty")
    write(tmp_path / "late", "p.json", page(record("s1", "a1", T0, -1, True)))
    with pytest.raises(InputError, match="before the extraction time"):
        load_agent_sessions(tmp_path / "late", as_of=utc("2026-10-01T07:00"))
    with pytest.raises(ValueError, match="time zone"):
        load_agent_sessions(tmp_path / "late", as_of=pd.Timestamp("2026-10-02"))


def test_null_end_is_active_and_a_zero_length_session_is_reported(tmp_path):
    write(tmp_path, "p.json", page(record("s1", "a1", T0, None), record("s2", "a2", T0, T0)))
    result = load_agent_sessions(tmp_path, as_of=utc("2026-10-01T09:00"))
    assert result.sessions["session_id"].tolist() == ["s1"]
    assert result.sessions["open"].tolist() == [True]
    assert result.findings["rule"].tolist() == ["session-open", "session-empty"]


AI_PAGES = FIXTURES / "search" / "ai_agent_sessions"


def test_ai_agent_sessions_are_one_unit_each_on_their_start_counted_once():
    from toolkit import load_ai_agent_sessions

    usage = load_ai_agent_sessions(AI_PAGES)
    assert list(usage.columns) == ["timestamp", "usage_type", "quantity", "subscription_id",
                                   "user_id"]
    assert usage["timestamp"].tolist() == [utc("2026-10-01T08:00"), utc("2026-10-01T08:01"),
                                           utc("2026-10-01T09:00")]
    assert usage["usage_type"].tolist() == ["ai_agent"] * 3
    assert usage["quantity"].sum() == 3  # ai-2 is on both pages: once
    assert usage["user_id"].tolist() == ["ai-agent-claims", "ai-agent-claims",
                                         "ai-agent-billing"]


def test_the_agent_type_table_is_overridable_and_unknown_types_are_reported(tmp_path):
    from toolkit import load_ai_agent_sessions

    usage = load_ai_agent_sessions(AI_PAGES, agent_types={"Scripted": "ai_assistant"})
    assert usage["usage_type"].tolist() == ["ai_assistant", "ai_agent", "ai_agent"]
    payload = json.loads((AI_PAGES / "page-1.json").read_text())
    records = payload["data"]["contactAIAgentSession"]["contactAIAgentSessions"]
    records[0]["agentType"] = "Generative"
    records[1]["sessionStartTime"] = 1790841600  # seconds
    write(tmp_path, "p.json", payload)
    with pytest.raises(InputError) as caught:
        load_ai_agent_sessions(tmp_path)
    found = {(p.where, p.column, p.value) for p in caught.value.problems}
    assert found == {("contactAIAgentSession[0] (sessionId ai-1)", "agentType", "Generative"),
                     ("contactAIAgentSession[1] (sessionId ai-2)", "sessionStartTime",
                      1790841600)}


session_records = st.lists(
    st.tuples(st.integers(0, 5), st.integers(0, 48 * 60), st.integers(1, 30 * 60),
              st.booleans()),
    min_size=1, max_size=25)


@settings(max_examples=40, deadline=None)
@given(session_records, st.randoms(use_true_random=False), st.integers(1, 6))
def test_any_split_order_and_repeat_of_pages_gives_the_same_sessions(rows, rnd, size):
    """Sessions depend on the records only: not on page boundaries, file names, order or
    identical repeats; open ones end at as_of unless cut at max_session."""
    records = [record(f"s{i:03d}", f"a{agent}", T0 + start * 60_000,
                      -1 if active else T0 + (start + length) * 60_000, active)
               for i, (agent, start, length, active) in enumerate(rows)]
    as_of = T0 + 50 * H
    shuffled = records[:]
    rnd.shuffle(shuffled)
    pages = [shuffled[i:i + size] for i in range(0, len(shuffled), size)]
    pages.append(pages[0])  # a page saved twice
    with tempfile.TemporaryDirectory() as tmp:
        for n, chunk in enumerate(pages):
            write(Path(tmp), f"{rnd.random()}-{n}", page(*chunk))
        s = load_agent_sessions(tmp, as_of=pd.Timestamp(as_of, unit="ms", tz="UTC")).sessions
    assert s["session_id"].tolist() == [r["agentSessionId"] for r in sorted(
        records, key=lambda r: (r["startTime"], r["agentId"], r["agentSessionId"]))]
    ends = {r["agentSessionId"]: min(as_of if r["isActive"] else r["endTime"],
                                     r["startTime"] + 24 * H) for r in records}
    got = dict(zip(s["session_id"], (s["logout"] - pd.Timestamp(0, tz="UTC"))
                   // pd.Timedelta(milliseconds=1), strict=True))
    assert got == ends
    assert s["open"].tolist() == [r["isActive"] for r in sorted(
        records, key=lambda r: (r["startTime"], r["agentId"], r["agentSessionId"]))]

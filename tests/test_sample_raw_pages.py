"""The sample's raw Search API pages tell the same stories as its sessions and usage."""

import base64
import filecmp

import pandas as pd

from toolkit import load_agent_sessions, load_ai_agent_sessions, load_tenant
from toolkit.commands.cli import main
from toolkit.inputs.dataset import load_tenant_dir
from toolkit.inputs.webex.agents import match_agents
from toolkit.metering import measure_sessions
from toolkit.resources import sample_dir
from toolkit.sample import PULL_FROM, PULL_TO, STALE_DAY, write_sample

RAW = sample_dir() / "raw"


def test_raw_pages_are_generated_deterministically_and_match_the_bundled_ones(tmp_path):
    write_sample(tmp_path)
    for source in ("agentSession", "contactAIAgentSession"):
        bundled = sorted(p.name for p in (RAW / source).iterdir())
        assert sorted(p.name for p in (tmp_path / "raw" / source).iterdir()) == bundled
        match, mismatch, errors = filecmp.cmpfiles(RAW / source, tmp_path / "raw" / source,
                                                   bundled, shallow=False)
        assert not mismatch and not errors
    size = sum(p.stat().st_size for p in sample_dir().rglob("*") if p.is_file())
    assert size < 6_000_000


def expected_sessions():
    """sessions.csv as the pull saw it: logins in the window, open ones ending at the pull's
    end, the stale one cut at login + 24h (M3a)."""
    tenant = load_tenant(sample_dir())
    start, end = (pd.Timestamp(t, tz=tenant.timezone) for t in (PULL_FROM, PULL_TO))
    s = load_tenant_dir(sample_dir()).sessions
    s = s[(s["login"] >= start) & (s["login"] < end)].copy()
    # Webex records no session of an agent whose only subscription has expired (u9002)
    users = load_tenant_dir(sample_dir()).users
    agents = users[users["license"].isin(["cc_standard_agent", "cc_premium_agent"])]
    licensed = [any(tenant.subscription(sub).active_on(login.date())
                    for sub in agents.loc[agents["user_id"] == user, "subscription_id"])
                for user, login in zip(s["user_id"], s["login"], strict=True)]
    s = s[licensed]
    s["logout"] = s["logout"].where(s["logout"] <= end, end)
    stale = s.index[s["login"].dt.strftime("%Y-%m-%d") == STALE_DAY][0]
    s.loc[stale, "logout"] = s.loc[stale, "login"] + pd.Timedelta("24h")
    return s, stale


def test_agent_session_pages_reproduce_the_sample_agent_usage():
    data = load_tenant_dir(sample_dir())
    imported = load_agent_sessions(RAW / "agentSession")  # as_of: the pull's end
    expected, stale = expected_sessions()
    assert len(imported.sessions) == len(expected)
    rules = imported.findings["rule"].value_counts().to_dict()
    assert rules["session-cut"] == 1 and 3 <= rules["session-open"] <= 40
    cut = imported.findings[imported.findings["rule"] == "session-cut"].iloc[0]
    person = data.users.loc[data.users["user_id"] == expected.loc[stale, "user_id"],
                            "webex_agent_id"].iloc[0]
    agent = base64.b64decode(person + "=" * (-len(person) % 4)).decode().rsplit("/", 1)[-1]
    assert cut["subject"].startswith(agent + " / ")  # the agentId, as Webex records it
    zone = data.tenant.timezone
    got = measure_sessions(match_agents(imported, data.users).sessions, data.users,
                           timezone=zone)
    want = measure_sessions(expected, data.users, timezone=zone)
    pd.testing.assert_frame_equal(got, want)
    assert got["quantity"].sum() > 10_000


def test_measure_command_on_the_raw_pages_matches(tmp_path, capsys):
    out = tmp_path / "usage.csv"
    code = main(["measure", str(RAW / "agentSession"), "--users",
                 str(sample_dir() / "users.csv"), "--tenant", str(sample_dir()),
                 "--out", str(out)])
    assert code == 0 and "1 session-cut" in capsys.readouterr().out
    data = load_tenant_dir(sample_dir())
    expected, _ = expected_sessions()
    want = measure_sessions(expected, data.users, timezone=data.tenant.timezone)
    got = pd.read_csv(out)
    assert len(got) == len(want) and got["quantity"].sum() == want["quantity"].sum()


def test_ai_agent_pages_add_up_to_the_sample_ai_agent_usage_of_their_days():
    data = load_tenant_dir(sample_dir())
    zone = data.tenant.timezone
    pages = load_ai_agent_sessions(RAW / "contactAIAgentSession")
    per_day = pages.groupby(pages["timestamp"].dt.tz_convert(zone).dt.date)["quantity"].sum()
    usage = data.usage[data.usage["usage_type"] == "ai_agent"]
    days = usage.groupby(usage["timestamp"].dt.date)["quantity"].sum()
    assert len(per_day) == 2
    assert per_day.to_dict() == days[per_day.index].to_dict()


def test_measure_counts_ai_agent_pages_into_the_same_usage_table(tmp_path, capsys):
    out = tmp_path / "usage.csv"
    code = main(["measure", str(RAW / "agentSession"), "--users",
                 str(sample_dir() / "users.csv"), "--tenant", str(sample_dir()),
                 "--ai-sessions", str(RAW / "contactAIAgentSession"), "--out", str(out)])
    assert code == 0
    usage = pd.read_csv(out)
    ai = load_ai_agent_sessions(RAW / "contactAIAgentSession")
    assert usage.loc[usage["usage_type"] == "ai_agent", "quantity"].sum() == len(ai)
    assert f"counted {len(ai):,} AI Agent sessions" in capsys.readouterr().out
    assert usage["timestamp"].str.endswith("+01:00").any()  # Rome time, as the agent rows

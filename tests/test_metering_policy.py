"""The metering policy (rules M3, M3a): min_duration holds, max_session cuts, tenant.yaml."""

import warnings

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from toolkit import InputError, load_tenant, measure_sessions
from toolkit.metering import cut_long_sessions
from toolkit.policy import Metering
from toolkit.resources import sample_dir

DAY = pd.Timestamp("2026-10-01", tz="UTC")


def frame(*rows):
    return pd.DataFrame({
        "user_id": [r[0] for r in rows],
        "login": [DAY + pd.Timedelta(r[1]) for r in rows],
        "logout": [DAY + pd.Timedelta(r[2]) for r in rows],
    })


def peaks(usage):
    return {t.strftime("%H:%M"): q for t, q in
            usage.groupby("timestamp")["quantity"].sum().items()}


def test_a_level_counts_only_when_held_at_least_min_duration():
    sessions = frame(("a", "9h", "9h10min"), ("b", "9h", "9h30min"))
    assert peaks(measure_sessions(sessions)) == {"09:00": 2.0, "09:15": 1.0}
    # the level 2 lasts 10 minutes: under a 15-minute hold only the level 1 counts
    held = measure_sessions(sessions, min_duration="15min")
    assert peaks(held) == {"09:00": 1.0, "09:15": 1.0}
    assert peaks(measure_sessions(sessions, min_duration="10min")) == {"09:00": 2.0,
                                                                       "09:15": 1.0}
    assert peaks(measure_sessions(sessions, min_duration="31min")) == {}


def test_a_level_held_across_an_interval_boundary_counts_in_both_intervals():
    # three agents together 09:10-09:25: 15 minutes, straddling 09:15
    sessions = frame(("a", "9h", "10h"), ("b", "9h10min", "9h25min"),
                     ("c", "9h10min", "9h40min"))
    held = measure_sessions(sessions, min_duration="15min")
    assert peaks(held) == {"09:00": 3.0, "09:15": 3.0, "09:30": 2.0, "09:45": 1.0}


def test_the_policy_comes_from_the_metering_argument_and_arguments_override_it():
    sessions = frame(("a", "9h", "9h10min"), ("b", "9h", "9h30min"))
    policy = Metering(interval="1h", min_duration="15min")
    assert peaks(measure_sessions(sessions, metering=policy)) == {"09:00": 1.0}
    assert peaks(measure_sessions(sessions, metering=policy, min_duration="0min")) == {
        "09:00": 2.0}


def brute_force(sessions_minutes, interval, hold, horizon):
    """Per interval: max over whole-minute window starts of the min concurrency."""
    level = np.zeros(horizon + hold + interval + 2, dtype=int)
    for user in {u for u, _, _ in sessions_minutes}:
        present = np.zeros_like(level, dtype=bool)
        for u, a, b in sessions_minutes:
            if u == user:
                present[a:b] = True
        level += present
    out = {}
    for g in range(0, horizon + interval, interval):
        starts = range(max(g - hold + 1, 0), g + interval)
        value = max((level[m:m + hold].min() for m in starts), default=0) if hold else \
            level[g:g + interval].max()
        if value:
            out[g] = float(value)
    return out


sessions_strategy = st.lists(
    st.tuples(st.sampled_from(["u1", "u2", "u3", "u4"]), st.integers(0, 180),
              st.integers(1, 90)),
    min_size=1, max_size=12)


@settings(max_examples=60, deadline=None)
@given(sessions_strategy, st.sampled_from([15, 60]), st.sampled_from([0, 1, 5, 15, 20, 45]))
def test_held_peaks_match_a_minute_by_minute_brute_force(rows, interval, hold):
    minutes = [(u, a, a + n) for u, a, n in rows]
    sessions = frame(*[(u, f"{a}min", f"{b}min") for u, a, b in minutes])
    usage = measure_sessions(sessions, interval=f"{interval}min", min_duration=f"{hold}min")
    got = {int((t - DAY) / pd.Timedelta("1min")): q
           for t, q in usage.groupby("timestamp")["quantity"].sum().items()}
    assert got == brute_force(minutes, interval, hold, 300)


def test_long_sessions_are_cut_with_a_finding_naming_agent_and_session():
    sessions = frame(("a", "1h", "2h"), ("b", "0h", "30h")).assign(session_id=["s1", "s2"])
    cut, findings = cut_long_sessions(sessions, "24h")
    assert cut["logout"].tolist() == [DAY + pd.Timedelta("2h"), DAY + pd.Timedelta("24h")]
    assert findings["rule"].tolist() == ["session-cut"]
    assert findings["subject"].tolist() == ["b / s2"]
    assert "30.0 hours" in findings["message"].iloc[0]


def test_measure_sessions_cuts_a_logout_centuries_away_instead_of_sweeping_it():
    sessions = pd.DataFrame({"user_id": ["a"], "login": [DAY],
                             "logout": [pd.Timestamp("2262-01-01", tz="UTC")]})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        usage = measure_sessions(sessions, interval="1h")
    assert len(usage) == 24 and usage["quantity"].sum() == 24
    assert "max_session" in str(caught[0].message)


def test_tenant_yaml_metering_is_read_and_wrong_values_are_all_reported(tmp_path):
    raw = yaml.safe_load((sample_dir() / "tenant.yaml").read_text())
    assert load_tenant(sample_dir()).metering == Metering()
    raw["metering"] = {"interval": "1h", "min_duration": "15min", "max_session": "12h"}
    (tmp_path / "tenant.yaml").write_text(yaml.safe_dump(raw))
    assert load_tenant(tmp_path).metering == Metering("1h", "15min", "12h")
    raw["metering"] = {"interval": "soon", "min_duration": "-5min", "max_session": "0h",
                       "hold": "1h"}
    (tmp_path / "tenant.yaml").write_text(yaml.safe_dump(raw))
    with pytest.raises(InputError) as caught:
        load_tenant(tmp_path)
    found = {(p.where, p.column, p.expected) for p in caught.value.problems}
    assert found == {
        ("metering", "interval", "a fixed duration such as '15min' or '24h'"),
        ("metering", "min_duration", "a duration of zero or more"),
        ("metering", "max_session", "a positive duration such as '15min'"),
        ("metering", "hold", "no such field (check its spelling)"),
    }


def test_policy_effect_gives_the_billed_peak_under_each_policy():
    from toolkit import policy_effect

    sessions = frame(("a", "9h", "9h10min"), ("b", "9h", "9h30min"))
    table = policy_effect(sessions, timezone="UTC")
    assert table["peak"].tolist() == [2, 1, 1, 2, 2]
    assert table["policy"].str[:5].tolist() == ["multi", "Cisco", "Genes", "hourl", "NICE-"]
    assert set(table["period"]) == {"2026-10"} and set(table["usage_type"]) == {
        "cc_standard_agent"}

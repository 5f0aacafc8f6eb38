"""The seed article's worked example (docs/rules.md §2 table), boundary days included."""

import pandas as pd
import pytest

from builders import D
from toolkit import ownership_timeline, primary_timeline


@pytest.mark.parametrize("day, ai_owner, outbound_owner", [
    (D(2025, 3, 1), "Sub-A", None),
    (D(2026, 3, 1), "Sub-B", "Sub-C"),
    (D(2026, 7, 1), "Sub-A", "Sub-C"),
])
def test_spec_table(seed, day, ai_owner, outbound_owner):
    for usage_type in ("ai_agent", "ai_assistant"):
        assert seed.overage_owner(usage_type, day) == ai_owner
    assert seed.overage_owner("ivr_outbound_campaign", day) == outbound_owner


@pytest.mark.parametrize("day, ai_owner, outbound_owner, primary", [
    (D(2023, 12, 31), None, None, None),
    (D(2024, 1, 1), "Sub-A", None, "Sub-A"),
    (D(2025, 12, 31), "Sub-A", None, "Sub-A"),   # last day of A's first term
    (D(2026, 1, 1), "Sub-B", None, "Sub-B"),     # half-open: A's term has ended
    (D(2026, 1, 31), "Sub-B", None, "Sub-B"),
    (D(2026, 2, 1), "Sub-B", "Sub-C", "Sub-B"),  # C starts with outbound
    (D(2026, 5, 31), "Sub-B", "Sub-C", "Sub-B"),
    (D(2026, 6, 1), "Sub-A", "Sub-C", "Sub-A"),  # A renewed: seniority and first-held kept
    (D(2027, 6, 1), "Sub-A", "Sub-C", "Sub-A"),  # B ended
    (D(2028, 6, 1), "Sub-C", "Sub-C", "Sub-C"),
    (D(2029, 2, 1), None, None, None),
])
def test_boundary_days(seed, day, ai_owner, outbound_owner, primary):
    assert seed.overage_owner("ai_agent", day) == ai_owner
    assert seed.overage_owner("ivr_outbound_campaign", day) == outbound_owner
    assert seed.primary(day) == primary


def test_primary_owned_types_follow_the_primary(seed):
    for day in (D(2025, 3, 1), D(2026, 3, 1), D(2026, 7, 1)):
        for usage_type in ("cc_standard_agent", "cc_premium_agent", "ivr_port", "webex_connect"):
            assert seed.overage_owner(usage_type, day) == seed.primary(day)
    assert seed.overage_owner("wfo", D(2025, 3, 1)) is None


def test_timelines(seed):
    expected = pd.DataFrame({
        "start": pd.to_datetime(["2024-01-01", "2026-01-01", "2026-06-01", "2028-06-01"]),
        "end": pd.to_datetime(["2026-01-01", "2026-06-01", "2028-06-01", "2029-02-01"]),
        "subscription_id": ["Sub-A", "Sub-B", "Sub-A", "Sub-C"],
    })
    pd.testing.assert_frame_equal(primary_timeline(seed), expected, check_dtype=False)
    owners = ownership_timeline(seed)
    outbound = owners[owners.usage_type == "ivr_outbound_campaign"]
    assert outbound[["start", "end", "owner"]].astype(str).values.tolist() == [
        ["2026-02-01", "2029-02-01", "Sub-C"]]
    ai = owners[owners.usage_type == "ai_agent"]
    assert ai["owner"].tolist() == ["Sub-A", "Sub-B", "Sub-A", "Sub-C"]
    assert set(owners.usage_type) == {"cc_standard_agent", "cc_premium_agent", "ivr_port",
                                      "ai_agent", "ai_assistant", "ivr_outbound_campaign",
                                      "webex_connect"}


def test_explanations_name_winner_competitors_and_dates(seed):
    text = seed.explain_owner("ai_agent", D(2026, 3, 1))
    assert "Sub-B" in text and "2024-06-01" in text
    assert "Sub-C (since 2026-02-01)" in text
    assert "Sub-A held ai_agent earlier (since 2024-01-01)" in text
    assert "no subscription holds" in seed.explain_owner("ivr_outbound_campaign", D(2025, 3, 1))
    text = seed.explain_owner("ivr_outbound_campaign", D(2026, 7, 1))
    assert text.startswith("On 2026-07-01 Sub-C") and "before Sub-A (since 2026-06-01)" in text
    text = seed.explain_owner("cc_standard_agent", D(2026, 7, 1))
    assert "primary" in text and "older than Sub-B (2024-06-01), Sub-C (2026-02-01)" in text
    assert "each subscription pays its own overage" in seed.explain_owner("wfo", D(2026, 7, 1))


def test_unknown_type_is_a_clear_error(seed):
    with pytest.raises(ValueError, match="unknown usage type 'ai_agnet'"):
        seed.overage_owner("ai_agnet", D(2025, 1, 1))
    with pytest.raises(ValueError, match="unknown usage type"):
        seed.explain_owner("ai_agnet", D(2025, 1, 1))

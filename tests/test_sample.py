"""The bundled sample is what the seeded generator writes, and it tells the intended stories."""

import filecmp

from toolkit import allocate, load_tenant
from toolkit.resources import sample_dir
from toolkit.sample import write_sample


def test_generator_is_deterministic_and_matches_the_bundled_files(tmp_path):
    write_sample(tmp_path / "a")
    write_sample(tmp_path / "b")
    for name in ("tenant.yaml", "usage.csv", "users.csv", "budgets.csv", "sessions.csv",
                 "ai_agents.csv", "invoice.csv"):
        assert filecmp.cmp(tmp_path / "a" / name, tmp_path / "b" / name, shallow=False)
        assert filecmp.cmp(tmp_path / "a" / name, sample_dir() / name, shallow=False), name


def test_sample_shape():
    tenant = load_tenant(sample_dir())
    assert len({s.department for s in tenant.subscriptions}) >= 3
    assert 4 <= len(tenant.subscriptions) <= 6
    years = {(t.end.year - t.start.year) for s in tenant.subscriptions for t in s.terms}
    assert {2, 3} <= years
    assert any(len(s.terms) > 1 for s in tenant.subscriptions)  # an expiry and a renewal
    assert tenant.currency == "EUR"
    size = sum(p.stat().st_size for p in sample_dir().iterdir())
    assert size < 5_000_000


def test_sample_stories(sample_data, sample_allocation):
    data = sample_data
    t = data.tenant
    assert t.overage_owner("ivr_outbound_campaign", "2026-03-31") == "Sub-1002"
    assert t.overage_owner("ivr_outbound_campaign", "2026-04-01") == "Sub-1004"
    assert t.overage_owner("ivr_outbound_campaign", "2026-06-01") == "Sub-1002"
    assert set(data.budgets["department"]) == {s.department for s in t.subscriptions}
    result = sample_allocation
    months = result.pooled["period"].astype(str)
    assert months.min() == "2024-01" and months.max() == "2026-10"
    assert result.unallocated.empty
    overage = result.pooled[result.pooled.overage > 0]
    assert {"cc_standard_agent", "ai_agent", "webex_connect"} <= set(overage.usage_type)


def test_the_whole_chain_runs_from_raw_sessions(sample_data):
    from toolkit.metering import measure_sessions

    data = sample_data
    measured = measure_sessions(data.sessions, data.users)
    result = allocate(data.tenant, measured, data.users)
    assert {str(p) for p in result.pooled["period"]} == {"2026-09", "2026-10"}
    used = result.pooled[result.pooled["usage"] > 0]
    assert set(used["usage_type"]) == {"cc_standard_agent", "cc_premium_agent"}
    # Only the agent left on the expired Operations subscription is refused, with the reason.
    refused = result.unallocated
    assert set(refused["reason"]) == {"subscription not active on that day"}
    assert set(refused["subscription_id"]) == {"Sub-1005"}


def test_portfolio_variants_are_tidied_in_part_and_lose_no_user(tmp_path):
    """Each variant moves a different share of the users left on the expired Operations
    subscription back to the subscription they hold another license on; no row is dropped."""
    import numpy as np
    import pandas as pd

    from toolkit.sample import SEED, sample_tenant, sample_users, write_portfolio

    write_portfolio(tmp_path, tenants=6)
    stranded_counts = []
    for number in range(1, 7):
        users = pd.read_csv(tmp_path / f"tenant-{number:03d}" / "users.csv",
                            keep_default_na=False, na_values=[""])
        planted = sample_users(sample_tenant(), np.random.default_rng([SEED, number]))
        assert len(users) == len(planted)
        assert users["user_id"].tolist() == planted["user_id"].tolist()
        moved = users["subscription_id"].fillna("") != planted["subscription_id"].fillna("")
        assert set(planted.loc[moved, "subscription_id"]) <= {"Sub-1005"}
        for user, sub in zip(users.loc[moved, "user_id"], users.loc[moved, "subscription_id"],
                             strict=True):
            others = planted[(planted["user_id"] == user)
                             & (planted["subscription_id"] != "Sub-1005")]
            assert sub in set(others["subscription_id"])
        stranded_counts.append(int((users["subscription_id"] == "Sub-1005").sum()))
    assert len(set(stranded_counts)) > 3, stranded_counts

"""Invariants over generated tenants and usage (hypothesis): nothing lost, parts add up to the
whole, owners and primaries obey the rules on every day, allocation is deterministic."""

import datetime as dt

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from builders import subscription, tenant, term
from toolkit import allocate, ownership_timeline, primary_timeline
from toolkit.policy import holder_rank, seniority

ORIGIN = dt.date(2024, 1, 1)
SPAN = 900  # days covered by generated terms
TYPES = ["cc_standard_agent", "ai_agent", "ivr_outbound_campaign", "webex_connect", "wfo"]
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def day(n: int) -> dt.date:
    return ORIGIN + dt.timedelta(days=n)


@st.composite
def subscriptions(draw, sub_id):
    cuts = sorted(draw(st.lists(st.integers(0, SPAN), min_size=2, max_size=4, unique=True)))
    terms = []
    for start, end in zip(cuts[::2], cuts[1::2], strict=False):
        lines = []
        for usage_type in draw(st.lists(st.sampled_from(TYPES), min_size=1, max_size=3)):
            lo = draw(st.integers(start, end - 1))
            hi = draw(st.integers(lo + 1, end))
            lines.append((usage_type, draw(st.integers(0, 40)), day(lo), day(hi)))
        terms.append(term(day(start), day(end), *lines))
    return subscription(sub_id, *terms)


@st.composite
def tenants(draw):
    count = draw(st.integers(1, 4))
    return tenant(*(draw(subscriptions(f"Sub-{i}")) for i in range(count)))


@st.composite
def usages(draw, t):
    """Usage rows, most of them on days some subscription is active (so that rules, not
    mere inactivity, decide where they go), some anywhere."""
    sub_ids = [s.id for s in t.subscriptions]
    spans = [((tm.start - ORIGIN).days, (tm.end - ORIGIN).days)
             for s in t.subscriptions for tm in s.terms]
    day_in_a_term = st.sampled_from(spans).flatmap(lambda se: st.integers(se[0], se[1] - 1))
    rows = draw(st.lists(st.tuples(
        st.one_of(day_in_a_term, day_in_a_term, day_in_a_term, st.integers(0, SPAN + 30)),
        st.sampled_from([9, 10, 14]), st.sampled_from(TYPES), st.integers(0, 30),
        st.sampled_from([*sub_ids, None]), st.sampled_from(["u1", "u2", "u3"]),
    ), min_size=1, max_size=60))
    return pd.DataFrame({
        "timestamp": [pd.Timestamp(day(d)) + pd.Timedelta(hours=h) for d, h, *_ in rows],
        "usage_type": [r[2] for r in rows],
        "quantity": [float(r[3]) for r in rows],
        "subscription_id": pd.Series([r[4] for r in rows], dtype="str"),
        "user_id": [r[5] for r in rows],
    })


@st.composite
def tenant_and_usage(draw):
    t = draw(tenants())
    return t, draw(usages(t))


def check_days(t):
    """Every change point, the day before it, and a spread of ordinary days."""
    points = {d for s in t.subscriptions for tm in s.terms for d in (tm.start, tm.end)}
    points |= {line.start for s in t.subscriptions for line in s.lines}
    points |= {line.end for s in t.subscriptions for line in s.lines}
    around = {p + dt.timedelta(days=k) for p in points for k in (-1, 0)}
    return sorted(around | {day(n) for n in range(0, SPAN + 10, 37)})


@FAST
@given(tenants())
def test_primary_is_always_the_oldest_active_subscription(t):
    for d in check_days(t):
        active = [s for s in t.subscriptions if s.active_on(d)]
        expected = min(active, key=seniority).id if active else None
        assert t.primary(d) == expected


@FAST
@given(tenants())
def test_first_holder_owner_is_active_and_holds_the_type_and_wins(t):
    for d in check_days(t):
        for usage_type in ("ai_agent", "ivr_outbound_campaign"):
            holders = [s for s in t.subscriptions if s.holds(usage_type, d)]
            owner = t.overage_owner(usage_type, d)
            if not holders:
                assert owner is None
                continue
            winner = min(holders, key=lambda s: holder_rank(s, usage_type))
            assert owner == winner.id
            assert winner.active_on(d) and winner.holds(usage_type, d)


@FAST
@given(tenants())
def test_timeline_frames_agree_with_point_queries(t):
    owners = ownership_timeline(t)
    primaries = primary_timeline(t)
    for frame, value, query in (
        (primaries, "subscription_id", lambda d, _: t.primary(d)),
        (owners, "owner", lambda d, row: t.overage_owner(row.usage_type, d)),
    ):
        for row in frame.itertuples():
            start = row.start.date()
            last = (row.end - pd.Timedelta(days=1)).date()
            assert query(start, row) == getattr(row, value)
            assert query(last, row) == getattr(row, value)
            assert row.start < row.end
    # Stretches of one key never overlap.
    for _, stretches in owners.groupby("usage_type"):
        starts, ends = stretches["start"].to_numpy(), stretches["end"].to_numpy()
        assert (starts[1:] >= ends[:-1]).all()


@FAST
@given(tenant_and_usage())
def test_nothing_is_lost_and_parts_add_up(case):
    t, frame = case
    result = allocate(t, frame)
    by_sub, pooled, left = result.by_subscription, result.pooled, result.unallocated
    summed_types = ["ai_agent", "ivr_outbound_campaign", "webex_connect"]
    summed = frame[frame.usage_type.isin(summed_types)]
    month = pd.to_datetime(summed["timestamp"]).dt.to_period("M")
    total_in = summed.groupby([month, "usage_type"])["quantity"].sum()
    out = by_sub[by_sub.usage_type.isin(summed_types)]
    left_sums = left[left.usage_type.isin(summed_types)]
    total_out = (out.groupby(["period", "usage_type"])["usage"].sum()
                 .add(left_sums.groupby(["period", "usage_type"])["quantity"].sum(),
                      fill_value=0))
    total_in.index.names = total_out.index.names
    joined = pd.concat({"in": total_in, "out": total_out}, axis=1).fillna(0)
    assert np.allclose(joined["in"], joined["out"])  # per type and period (M6)
    # Per period and type, the pooled figures are the sum of the parts.
    parts = by_sub.groupby(["period", "usage_type"])[["usage", "overage"]].sum()
    joined = pooled.set_index(["period", "usage_type"]).join(parts.add_suffix("_parts"))
    assert np.allclose(joined["usage"], joined["usage_parts"].fillna(0))
    owned = joined["owner"].notna() | ~joined.index.get_level_values(1).isin(
        ["cc_standard_agent", "ai_agent", "ivr_outbound_campaign"])
    assert np.allclose(joined.loc[owned, "overage"], joined.loc[owned, "overage_parts"].fillna(0))
    assert (by_sub[["usage", "entitlement", "overage"]] >= -1e-9).all().all()


@FAST
@given(tenant_and_usage())
def test_coincident_peak_parts_add_up_to_the_pooled_peak(case):
    t, frame = case
    result = allocate(t, frame)
    peak_rows = frame[frame.usage_type == "cc_standard_agent"]
    refused = result.unallocated
    refused = refused[(refused.usage_type == "cc_standard_agent") & refused.timestamp.notna()]
    kept = peak_rows.drop(index=peak_rows.index[
        peak_rows.set_index(["timestamp", "quantity"]).index.isin(
            refused.set_index([refused.timestamp.dt.tz_localize(None), "quantity"]).index)
    ]) if len(refused) else peak_rows
    if kept.empty:
        return
    per_instant = kept.groupby("timestamp")["quantity"].sum()
    peaks = per_instant.groupby(per_instant.index.to_period("M")).max()
    pooled = result.pooled[result.pooled.usage_type == "cc_standard_agent"].set_index("period")
    leftover = result.unallocated[(result.unallocated.usage_type == "cc_standard_agent")
                                  & result.unallocated.timestamp.isna()]
    leftover = leftover.groupby("period")["quantity"].sum()
    for period, peak in peaks.items():
        measured = pooled["usage"].get(period, 0.0) + leftover.get(period, 0.0)
        assert np.isclose(measured, peak)


@FAST
@given(tenant_and_usage(), st.randoms(use_true_random=False))
def test_allocation_is_deterministic_and_ignores_row_order_of_sums(case, rnd):
    t, frame = case
    first, second = allocate(t, frame), allocate(t, frame.copy())
    for name in ("pooled", "by_subscription", "unallocated"):
        pd.testing.assert_frame_equal(getattr(first, name), getattr(second, name))
    sums = frame[frame.usage_type.isin(["ai_agent", "ivr_outbound_campaign"])]
    order = list(range(len(sums)))
    rnd.shuffle(order)
    pd.testing.assert_frame_equal(
        allocate(t, sums).by_subscription, allocate(t, sums.iloc[order]).by_subscription,
        check_exact=False)

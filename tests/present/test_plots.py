"""Charts are checked on the data they draw: what each artist holds is read back and compared
with hand-checked figures, and every chart must carry a title, axis labels, units and currency."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.figure import Figure
from matplotlib.patches import PathPatch

from builders import D, cisco_agents_tenant, seed_tenant, usage
from toolkit import allocate, explain, periods, timeline
from toolkit.present import plots

WINDOW = ("2025-01-01", "2027-01-01")
TYPES = ["ai_agent", "ivr_outbound_campaign"]


def rectangles(patch):
    """(x centre, bottom, top) of each bar drawn by :func:`plots.bars`."""
    return [(round(x, 6), bottom, top) for x, bottom, top in plots.bar_rectangles(patch)]


def labelled(ax, label):
    return [a for a in [*ax.patches, *ax.collections] if a.get_label() == label]


def assert_labelled(ax, title_part, xlabel_part, ylabel_part):
    assert title_part in (ax.get_title() or ax.figure._suptitle.get_text())
    assert xlabel_part in ax.get_xlabel()
    assert ylabel_part in ax.get_ylabel()


@pytest.fixture(scope="module")
def cisco_allocation():
    frame = usage(("2025-01-15T10:00", "cc_standard_agent", 12, "Sub-1"),
                  ("2025-01-15T10:00", "cc_standard_agent", 18, "Sub-2"),
                  ("2025-02-10T10:00", "cc_standard_agent", 10, "Sub-1"),
                  ("2025-02-10T10:00", "cc_standard_agent", 10, "Sub-2"))
    return allocate(cisco_agents_tenant(), frame)


# --- ownership -------------------------------------------------------------------------------

def test_ownership_rows_follow_the_seed_story():
    rows = timeline.ownership_rows(seed_tenant(), *WINDOW, usage_types=TYPES)
    got = [(r.row, str(r.start.date()), str(r.end.date()), r.owner) for r in rows.itertuples()]
    assert got == [
        ("primary subscription", "2025-01-01", "2026-01-01", "Sub-A"),
        ("primary subscription", "2026-01-01", "2026-06-01", "Sub-B"),
        ("primary subscription", "2026-06-01", "2027-01-01", "Sub-A"),
        ("ai_agent", "2025-01-01", "2026-01-01", "Sub-A"),
        ("ai_agent", "2026-01-01", "2026-06-01", "Sub-B"),
        ("ai_agent", "2026-06-01", "2027-01-01", "Sub-A"),
        ("ivr_outbound_campaign", "2026-02-01", "2027-01-01", "Sub-C"),
    ]


def test_ownership_shifts_are_numbered_and_explained():
    tenant = seed_tenant()
    shifts = explain.owner_changes_explained(tenant, *WINDOW, usage_types=TYPES)
    assert shifts[["shift", "usage_type", "from_owner", "to_owner"]].values.tolist() == [
        [1, "ai_agent", "Sub-A", "Sub-B"],
        [2, "ivr_outbound_campaign", "", "Sub-C"],
        [3, "ai_agent", "Sub-B", "Sub-A"],
    ]
    assert [str(d.date()) for d in shifts["date"]] == ["2026-01-01", "2026-02-01", "2026-06-01"]
    assert shifts["explanation"].tolist() == [
        tenant.explain_owner(t, d.date()) for t, d in zip(shifts["usage_type"], shifts["date"],
                                                          strict=True)]
    assert shifts["explanation"][0].startswith("On 2026-01-01 Sub-B")


def test_shift_to_nobody_when_the_last_holder_ends():
    shifts = explain.owner_changes_explained(seed_tenant(), "2028-01-01", "2030-01-01",
                                    usage_types=["ivr_outbound_campaign"])
    assert shifts[["from_owner", "to_owner"]].values.tolist() == [["Sub-C", ""]]
    assert str(shifts["date"][0].date()) == "2029-02-01"
    assert "no subscription holds" in shifts["explanation"][0]


def test_ownership_chart_draws_every_stretch_and_numbered_shift():
    figure = plots.ownership_chart(seed_tenant(), *WINDOW, usage_types=TYPES, as_of="2026-03-31")
    assert isinstance(figure, Figure)
    ax = figure.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        "primary subscription", "ai_agent", "ivr_outbound_campaign"]
    assert ax.get_yticks().tolist() == [2, 1, 0]  # top to bottom
    widths = sorted(round(w) for c in ax.collections for (_, w) in _spans(c))
    assert widths == sorted([365, 151, 214, 365, 151, 214, 334])
    markers = [line for line in ax.lines if line.get_marker() == "v"][0]
    assert [str(pd.Timestamp(x).date()) for x in markers.get_xdata()] == [
        "2026-01-01", "2026-02-01", "2026-06-01"]
    assert [t.get_text() for t in ax.texts if t.get_text().isdigit()] == ["1", "2", "3"]
    assert any(t.get_text() == "as of 2026-03-31" for t in ax.texts)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "Sub-A (Dept Sub-A)", "Sub-B (Dept Sub-B)", "Sub-C (Dept Sub-C)"]
    assert_labelled(ax, "overage owners", "date", "overage owner")


def _spans(collection):
    for path in collection.get_paths():
        xs = path.vertices[:, 0]
        yield xs.min(), xs.max() - xs.min()


# --- usage and entitlement -------------------------------------------------------------------

def test_pooled_chart_shades_only_the_overage(cisco_allocation):
    figure = plots.pooled_chart(cisco_allocation, "cc_standard_agent")
    ax = figure.axes[0]
    usage_line, entitlement_line = ax.lines[:2]
    assert usage_line.get_ydata().tolist() == [30, 20]
    assert entitlement_line.get_ydata().tolist() == [25, 25]
    (shade,) = [c for c in ax.collections if c.get_label().startswith("overage")]
    # a peak is never added across months: the months with overage and the largest one
    assert shade.get_label() == "overage (in 1 of 2 periods, at most 5 agents)"
    ys = np.concatenate([p.vertices[:, 1] for p in shade.get_paths()])
    assert (ys.min(), ys.max()) == (25, 30)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2025-01", "2025-02"]
    assert_labelled(ax, "Contact Center Standard agent (cc_standard_agent): pooled usage",
                    "billing period", "agents")


def test_pooled_chart_without_overage_shades_nothing(cisco_allocation):
    ax = plots.pooled_chart(cisco_allocation, "cc_standard_agent", first="2025-02").axes[0]
    (shade,) = [c for c in ax.collections if c.get_label().startswith("overage")]
    assert shade.get_label() == "overage (none)"
    assert all(len(p.vertices) == 0 or np.ptp(p.vertices[:, 1]) == 0
               for p in shade.get_paths())


def test_summed_types_show_their_overage_in_total():
    rows = pd.DataFrame({"overage": [3.0, 0.0, 4.0]})
    assert plots.overage_label(rows, "sessions", summed=True) == "overage (7 sessions in total)"
    assert plots.overage_label(rows, "agents", summed=False) == (
        "overage (in 2 of 3 periods, at most 4 agents)")


def test_subscription_chart_has_one_panel_per_subscription(cisco_allocation):
    figure = plots.subscription_usage_chart(cisco_allocation, "cc_standard_agent")
    assert [ax.get_title(loc="left") for ax in figure.axes] == ["Sub-1 (Dept Sub-1)",
                                                                "Sub-2 (Dept Sub-2)"]
    got = [[top for _, _, top in rectangles(labelled(ax, "usage")[0])] for ax in figure.axes]
    assert got == [[12, 10], [18, 10]]
    entitlement = [ax.lines[0].get_ydata().tolist() for ax in figure.axes]
    assert entitlement == [[10, 10, 10], [15, 15, 15]]
    assert "usage vs entitlement per subscription (agents)" in figure._suptitle.get_text()
    assert figure.axes[-1].get_xlabel() == "billing period (M)"
    assert all(ax.get_ylabel() == "agents" for ax in figure.axes)


def test_subscription_chart_for_one_subscription(cisco_allocation):
    figure = plots.subscription_usage_chart(cisco_allocation, "cc_standard_agent", ["Sub-2"],
                                            first="2025-02", last="2025-02")
    (ax,) = figure.axes
    assert rectangles(labelled(ax, "usage")[0]) == [(0.0, 0.0, 10.0)]


# --- money -----------------------------------------------------------------------------------

def _money_frame():
    return pd.DataFrame({
        "period": pd.PeriodIndex(["2025-01", "2025-01", "2025-03"], freq="M"),
        "department": ["Sales", "Claims", "Sales"],
        "committed_cost": [1000.0, 500.0, 1200.0],
        "overage_cost": [250.0, 0.0, 0.0],
        "total_cost": [1250.0, 500.0, 1200.0],
    })


def test_cost_chart_stacks_overage_on_committed():
    figure = plots.cost_chart(_money_frame(), "EUR", "Sales and Claims")
    ax = figure.axes[0]
    assert rectangles(labelled(ax, "committed")[0]) == [(0.0, 0, 1500), (2.0, 0, 1200)]
    assert rectangles(labelled(ax, "overage")[0]) == [(0.0, 1500, 1750), (2.0, 1200, 1200)]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2025-01", "2025-02", "2025-03"]
    assert ax.yaxis.get_major_formatter()(12500, 0) == "12,500"
    assert_labelled(ax, "Sales and Claims", "billing period", "cost (EUR)")


def test_views_chart_compares_billed_and_caused():
    billed = _money_frame()
    caused = billed.assign(overage_cost=[100.0, 150.0, 0.0])
    ax = plots.views_chart(billed, caused, "EUR", "Overage by view").axes[0]
    bars = {c.get_label(): [p.get_width() for p in c] for c in ax.containers}
    assert bars == {"billed (the invoice)": [0.0, 250.0],
                    "caused (usage above own entitlement)": [150.0, 100.0]}
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Claims", "Sales"]
    assert_labelled(ax, "Overage by view", "overage cost (EUR)", "department")


def test_budget_chart_marks_months_over_budget():
    comparison = pd.DataFrame({"period": pd.PeriodIndex(["2025-01", "2025-02"], freq="M"),
                               "budget": [1000.0, 1000.0], "actual": [900.0, 1100.0]})
    ax = plots.budget_chart(comparison, "EUR", "Sales budget").axes[0]
    assert rectangles(labelled(ax, "billed")[0]) == [(0.0, 0, 900)]
    assert rectangles(labelled(ax, "billed, over budget")[0]) == [(1.0, 0, 1100)]
    assert ax.lines[0].get_ydata().tolist() == [1000, 1000, 1000]
    assert_labelled(ax, "Sales budget", "billing period", "cost (EUR)")


def legend_entries(ax) -> list[str]:
    return [t.get_text() for t in ax.get_legend().get_texts()]


def test_budget_line_is_clear_of_the_frame_and_the_legend_of_the_data():
    comparison = pd.DataFrame({"period": pd.PeriodIndex(["2025-01", "2025-02"], freq="M"),
                               "budget": [1000.0, 1000.0], "actual": [900.0, 950.0]})
    figure = plots.budget_chart(comparison, "EUR", "Sales budget")
    ax = figure.axes[0]
    assert ax.get_ylim()[1] > 1.1 * 1000  # headroom: the budget line is not on the frame
    assert legend_entries(ax) == ["billed", "budget"]  # no entry for bars not drawn
    figure.canvas.draw()
    legend = ax.get_legend().get_window_extent()
    assert legend.y1 < ax.get_window_extent().y0  # under the axes, clear of every bar


def test_cost_chart_without_overage_has_no_overage_legend():
    frame = _money_frame().assign(overage_cost=0.0)
    ax = plots.cost_chart(frame, "EUR", "No overage").axes[0]
    assert legend_entries(ax) == ["committed"]


def test_forecast_chart_without_a_forecast_has_no_forecast_legend():
    empty = pd.DataFrame({"period": pd.PeriodIndex([], freq="M"), "total_cost_low": [],
                          "total_cost": [], "total_cost_high": []})
    ax = plots.forecast_chart(_money_frame(), empty, "EUR", "Forecast").axes[0]
    assert legend_entries(ax) == ["billed"]
    assert len(ax.lines) == 1 and not ax.collections


def test_forecast_chart_continues_the_actuals_with_a_band():
    actual = _money_frame()
    projected = pd.DataFrame({"period": pd.PeriodIndex(["2025-04", "2025-05"], freq="M"),
                              "total_cost_low": [900.0, 950.0], "total_cost": [1000.0, 1100.0],
                              "total_cost_high": [1200.0, 1300.0]})
    ax = plots.forecast_chart(actual, projected, "EUR", "Forecast").axes[0]
    past, ahead = ax.lines[:2]
    # the period without a row is a gap in the line (NaN), never bridged (issue 20.6)
    np.testing.assert_array_equal(past.get_xydata(), [[0, 1750], [1, np.nan], [2, 1200]])
    assert ahead.get_xydata().tolist() == [[3, 1000], [4, 1100]]
    band = np.concatenate([p.vertices for p in ax.collections[0].get_paths()])
    assert (band[:, 1].min(), band[:, 1].max()) == (900, 1300)
    assert ax.get_ylim() == (0, pytest.approx(1.15 * 1750))  # no line along the frame
    assert_labelled(ax, "Forecast", "billing period", "cost (EUR)")


# --- access ----------------------------------------------------------------------------------

def test_access_chart_stacks_statuses_per_day():
    days = pd.to_datetime(["2026-01-01", "2026-01-02"])
    rows = [(d, role, status, n) for d, counts in zip(days, [(5, 1, 0, 1), (3, 2, 1, 1)],
                                                      strict=True)
            for role in ("agent", "admin")
            for status, n in zip(("active", "ending", "inactive", "unmapped"), counts,
                                 strict=True)]
    calendar = pd.DataFrame(rows, columns=["day", "role", "status", "users"])
    ax = plots.access_calendar_chart(calendar, "Access", as_of="2026-01-02").axes[0]
    layers = [c for c in ax.collections if c.get_label() in plots.STATUS_COLORS]
    assert [c.get_label() for c in layers] == ["active", "ending", "inactive", "unmapped"]
    top = np.concatenate([p.vertices for p in layers[-1].get_paths()])[:, 1].max()
    assert top == 14  # (5 + 1 + 0 + 1) × 2 roles on the first day
    assert_labelled(ax, "Access", "day", "users")


# --- helpers ---------------------------------------------------------------------------------

def test_figure_svg_is_inline_svg_with_text(cisco_allocation):
    svg = plots.figure_svg(plots.pooled_chart(cisco_allocation, "cc_standard_agent"))
    assert svg.startswith("<svg")
    assert "pooled usage vs pooled entitlement" in svg
    assert svg == plots.figure_svg(plots.pooled_chart(cisco_allocation, "cc_standard_agent"))


def test_subscription_colors_are_stable_per_tenant_order():
    colors = plots.subscription_colors(seed_tenant())
    assert list(colors) == ["Sub-A", "Sub-B", "Sub-C"]
    assert colors["Sub-A"] == "#1f77b4"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 1e6), st.floats(0, 1e6)), min_size=1, max_size=30))
def test_bars_draw_exactly_the_heights_given(pairs):
    figure = Figure()
    ax = figure.subplots()
    heights, bottoms = np.array(pairs).T
    patch = plots.bars(ax, np.arange(len(pairs)), heights, bottoms)
    assert isinstance(patch, PathPatch)
    got = np.array(rectangles(patch))
    assert np.allclose(got[:, 1], bottoms)
    assert np.allclose(got[:, 2] - got[:, 1], heights)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 23), st.integers(0, 23))
def test_select_periods_keeps_exactly_the_inclusive_range(a, b):
    months = pd.period_range("2024-01", periods=24, freq="M")
    frame = pd.DataFrame({"period": months, "value": np.arange(24)})
    first, last = sorted((a, b))
    chosen = periods.select_periods(frame, str(months[first]), str(months[last]))
    assert chosen["value"].tolist() == list(range(first, last + 1))


def test_every_sample_chart_is_labelled(sample):
    tenant, allocation = sample
    figures = [
        plots.ownership_chart(tenant, dt.date(2024, 1, 1), D(2028, 7, 1)),
        plots.pooled_chart(allocation, "ai_agent"),
        plots.subscription_usage_chart(allocation, "wfo"),
    ]
    for figure in figures:
        for ax in figure.axes:
            assert ax.get_ylabel()
        assert figure.axes[-1].get_xlabel()
        assert figure.axes[0].get_title() or figure._suptitle.get_text()


@pytest.fixture(scope="module")
def sample(sample_data, sample_allocation):
    return sample_data.tenant, sample_allocation


def test_entitlement_line_breaks_while_a_subscription_has_lapsed():
    # Sub-A expires 2026-01-01 and renews 2026-06-01: no entitlement line in between.
    frame = usage(("2025-12-10T10:00", "ai_agent", 50, "Sub-A"),
                  ("2026-03-10T10:00", "ai_agent", 60, "Sub-B"),
                  ("2026-07-10T10:00", "ai_agent", 70, "Sub-A"))
    allocation = allocate(seed_tenant(), frame)
    figure = plots.subscription_usage_chart(allocation, "ai_agent", ["Sub-A"])
    steps = figure.axes[0].lines[0].get_ydata()
    assert steps[0] == 100 and steps[-1] == 100
    assert np.isnan(steps[1:6]).all()  # 2026-01 … 2026-05


def test_ownership_chart_of_a_tenant_that_never_holds_some_types():
    from builders import cisco_agents_tenant

    tenant = cisco_agents_tenant()  # agents only: no AI, outbound or Connect lines at all
    rows = timeline.ownership_rows(tenant, "2024-01-01", "2027-06-01")
    assert rows["row"].tolist() == ["primary subscription", "cc_standard_agent",
                                    "cc_premium_agent", "ivr_port", "webex_connect"]
    assert set(rows["owner"]) == {"Sub-1"}
    assert rows["end"].max() == pd.Timestamp("2027-01-01")
    figure = plots.ownership_chart(tenant, "2024-01-01", "2027-06-01")
    assert figure.axes[0].get_title().startswith("Test tenant")

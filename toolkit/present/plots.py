"""Every chart of the toolkit: one function per chart, each returning its matplotlib ``Figure``.

Why functions here and not code in the notebooks: the notebooks, the dashboards, the report
and the README screenshots must draw the *same* chart from the same numbers, and a chart is
only trustworthy if a test can read back what it drew. Each function therefore takes the
toolkit's own frames (an ``Allocation``, a chargeback table, an access calendar…), draws them
without transforming the figures, and labels everything a reader needs: a title, axis labels
with units, and the currency for money.

Figures are built with ``matplotlib.figure.Figure`` rather than ``pyplot`` so that no global
figure state is kept (a dashboard redrawing on every widget change would otherwise leak
figures); Jupyter's inline backend displays them like any other figure.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
from matplotlib import dates as mdates
from matplotlib import rc_context
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.patches import Patch, PathPatch
from matplotlib.path import Path
from matplotlib.ticker import FuncFormatter, MaxNLocator

from toolkit.allocation import Allocation
from toolkit.model import Tenant
from toolkit.periods import select_periods
from toolkit.timeline import PRIMARY_LABEL, owned_types, owner_change_points, ownership_rows

WIDTH = 9.0
#: Colors of the access statuses, worst news in the warmest color.
STATUS_COLORS = {"active": "#4c9a5b", "ending": "#e0a526", "inactive": "#c8453b",
                 "unmapped": "#7d7d7d"}
COMMITTED_COLOR, OVERAGE_COLOR = "#4878a8", "#d1603d"


# --- shared helpers -------------------------------------------------------------------------

def subscription_colors(tenant: Tenant) -> dict[str, str]:
    """One stable color per subscription (tenant order), shared by every chart."""
    from matplotlib import colormaps

    palette = [colormaps["tab10"](i) for i in range(10)]
    return {sub.id: to_hex(palette[i % len(palette)]) for i, sub in enumerate(tenant.subscriptions)}


def type_label(tenant: Tenant, usage_type: str) -> str:
    """``Label (name)`` of a usage type, e.g. ``AI Agent (ai_agent)``."""
    row = tenant.usage_types[usage_type]
    return f"{row.label or row.name} ({row.name})"


def type_unit(tenant: Tenant, usage_type: str) -> str:
    return tenant.usage_types[usage_type].unit


def adds_up(tenant: Tenant, usage_type: str, license_model: str) -> bool:
    """Whether a type's monthly quantities may be added across months.

    Only ``sum`` measures add up: a month's peak (or count of distinct users) counts people
    at one moment, and adding January's 30 agents to February's 20 counts nobody real. Charts
    and dashboards therefore show such types per month, or the peak of the monthly peaks.
    """
    return tenant.usage_types[usage_type].measure_for(license_model) == "sum"


def overage_label(rows: pd.DataFrame, unit: str, summed: bool) -> str:
    """The overage in words over several periods: a total for summed types, else the number
    of periods with overage and the largest one (:func:`adds_up`)."""
    if summed:
        return f"overage ({rows['overage'].sum():,.0f} {unit} in total)"
    over = rows[rows["overage"] > 0]
    if over.empty:
        return "overage (none)"
    return (f"overage (in {len(over)} of {len(rows)} periods, at most "
            f"{over['overage'].max():,.0f} {unit})")


def money_ticks() -> FuncFormatter:
    """Money axis ticks like ``12,500``; the currency is named once, in the axis label.
    (A new formatter per axis: matplotlib binds a formatter to the axis it formats.)"""
    return FuncFormatter(lambda value, _: f"{value:,.0f}")


# Every title is placed with an explicit ``y``: matplotlib otherwise measures the tick labels
# of each axes on every draw to move the title clear of them, the largest cost of a redraw.
def _figure(height: float, rows: int = 1, width: float = WIDTH, right: float = 0.25,
            **kwargs) -> tuple[Figure, np.ndarray]:
    """A figure with fixed margins (in inches), not a layout engine.

    Dashboards redraw on every widget change; constrained layout measures every label on
    every draw and costs more than the drawing itself, so the margins are set once here.
    """
    figure = Figure(figsize=(width, height))
    top = 0.45 + (0.25 if rows > 1 else 0.0)
    figure.subplots_adjust(left=0.85 / width, right=1 - right / width, top=1 - top / height,
                           bottom=0.55 / height, hspace=0.45 if rows > 1 else 0.2)
    axes = figure.subplots(rows, 1, squeeze=False, **kwargs)[:, 0]
    return figure, axes


def bars(ax, x, heights, bottom=None, width: float = 0.8, **style) -> PathPatch:
    """Vertical bars as ONE compound path (``ax.bar`` makes one artist per bar).

    A dashboard panel with 34 monthly bars draws several times faster this way. Each bar is a
    closed rectangle ``bottom → bottom + height`` centred on its ``x``; :func:`bar_rectangles`
    reads them back.
    """
    x = np.asarray(x, dtype=float)
    top = np.asarray(heights, dtype=float)
    base = np.zeros_like(top) if bottom is None else np.asarray(bottom, dtype=float)
    top = base + top
    left, right = x - width / 2, x + width / 2
    corners = [(left, base), (left, top), (right, top), (right, base), (left, base)]
    vertices = np.stack([np.column_stack(c) for c in corners], axis=1).reshape(-1, 2)
    codes = np.tile([Path.MOVETO, Path.LINETO, Path.LINETO, Path.LINETO, Path.CLOSEPOLY],
                    len(x))
    patch = PathPatch(Path(vertices if len(x) else np.zeros((0, 2)), codes), linewidth=0,
                      **style)
    ax.add_patch(patch)
    if len(x):
        ax.update_datalim(vertices)
        ax.autoscale_view()
    return patch


def bar_rectangles(patch: PathPatch) -> list[tuple[float, float, float]]:
    """``(x centre, bottom, top)`` of every bar drawn by :func:`bars`, in drawing order."""
    corners = np.asarray(patch.get_path().vertices).reshape(-1, 5, 2)[:, :4]
    return [(float(c[:, 0].mean()), float(c[:, 1].min()), float(c[:, 1].max()))
            for c in corners]


def period_positions(periods) -> tuple[pd.PeriodIndex, dict]:
    """All periods from the first to the last (no gaps), and each one's x position."""
    index = pd.PeriodIndex(periods)
    if len(index) == 0:
        return index, {}
    full = pd.period_range(index.min(), index.max(), freq=index.freq)
    return full, {period: i for i, period in enumerate(full)}


def _on_periods(count: int, positions: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Values spread over all ``count`` periods, NaN where a period has no row, so that
    lines break over a gap (a lapsed subscription) instead of bridging it."""
    spread = np.full(count, np.nan)
    spread[positions.astype(int)] = values
    return spread


def _period_axis(ax, full: pd.PeriodIndex, label: str) -> None:
    """Periods as categories at integer positions, at most about 12 tick labels."""
    step = max(1, int(np.ceil(len(full) / 12)))
    ticks = np.arange(0, len(full), step)
    ax.set_xticks(ticks, [str(full[i]) for i in ticks], rotation=0, fontsize=8)
    ax.set_xlim(-0.6, max(len(full), 1) - 0.4)
    ax.set_xlabel(label)


def figure_svg(figure: Figure) -> str:
    """The figure as an inline ``<svg>`` element with real text (searchable, fast to render).

    Dashboards embed this in an HTML widget: SVG renders about twice as fast as PNG, and its
    title and labels stay text a browser test can read.
    """
    buffer = io.StringIO()
    with rc_context({"svg.fonttype": "none", "svg.hashsalt": "multisub"}):
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    text = buffer.getvalue()
    return text[text.index("<svg"):]


# --- ownership -------------------------------------------------------------------------------


def _date_ticks(ax, start: pd.Timestamp, end: pd.Timestamp) -> None:
    """Fixed ticks on year starts (quarter starts for short windows): cheaper to draw on
    every dashboard change than matplotlib's automatic date locator, and never crowded."""
    freq, fmt = ("YS", "%Y") if (end - start).days > 550 else ("QS", "%Y-%m")
    ticks = pd.date_range(start, end, freq=freq)
    ax.set_xticks(mdates.date2num(ticks.to_pydatetime()), [t.strftime(fmt) for t in ticks])


def ownership_chart(tenant: Tenant, start, end, usage_types=None, title: str | None = None,
                    as_of=None, width: float = WIDTH) -> Figure:
    """Gantt-style timeline: who is primary and who owns each type's overage, with shifts.

    One horizontal bar per stretch, colored by subscription; each owner shift of
    :func:`ownership_shifts` is a numbered marker on its row. ``as_of``, when given, draws a
    dashed "as of" line so the reader sees which part of the timeline is still to come.
    """
    rows = ownership_rows(tenant, start, end, usage_types)
    shifts = pd.DataFrame(owner_change_points(tenant, start, end, usage_types),
                          columns=["date", "usage_type", "from_owner", "to_owner"])
    shifts["date"] = pd.to_datetime(shifts["date"])
    shifts.insert(0, "shift", np.arange(1, len(shifts) + 1))
    names = [PRIMARY_LABEL, *owned_types(tenant, usage_types)]
    colors = subscription_colors(tenant)
    figure, (ax,) = _figure(1.1 + 0.42 * len(names), width=width, right=2.0)
    figure.subplots_adjust(left=2.0 / width)
    position = {name: len(names) - 1 - i for i, name in enumerate(names)}
    for name, group in rows.groupby("row", sort=False):
        spans = [(mdates.date2num(a), (b - a).days) for a, b in zip(group["start"], group["end"],
                                                                     strict=True)]
        ax.broken_barh(spans, (position[name] - 0.3, 0.6), edgecolor="white",
                       facecolors=[colors.get(owner, "#999999") for owner in group["owner"]])
    marker_y = shifts["usage_type"].map(position).to_numpy(dtype=float) + 0.42
    ax.plot(shifts["date"].to_numpy(), marker_y, marker="v", color="black", markersize=5,
            linestyle="none")
    for shift, day, y in zip(shifts["shift"], shifts["date"], marker_y, strict=True):
        ax.text(day, y + 0.12, str(shift), ha="center", va="bottom", fontsize=7)
    if as_of is not None:
        ax.axvline(pd.Timestamp(as_of), color="black", linestyle="--", linewidth=1)
        ax.annotate(f"as of {pd.Timestamp(as_of).date()}", (pd.Timestamp(as_of), -0.7),
                    fontsize=7, ha="left", xytext=(3, 0), textcoords="offset points")
    ax.set_yticks(list(position.values()), list(position))
    ax.set_ylim(-0.8, len(names) - 0.2)
    ax.set_xlim(pd.Timestamp(start), pd.Timestamp(end))
    _date_ticks(ax, pd.Timestamp(start), pd.Timestamp(end))
    ax.set_xlabel("date (stretches are half-open [start, end))")
    ax.set_ylabel("overage owner of")
    ax.set_title(title or f"{tenant.name}: primary and overage owners (▼ = owner shift)",
                 fontsize=10, y=1.0)
    owners = set(rows["owner"])
    present = [subscription_id for subscription_id in colors if subscription_id in owners]
    handles = [Patch(color=colors[subscription_id],
                     label=f"{subscription_id} ({tenant.departments[subscription_id]})")
               for subscription_id in present]
    if handles:
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7,
                  title="subscription", title_fontsize=8)
    return figure


# --- usage and entitlement ---------------------------------------------------------------------

def subscription_usage_chart(allocation: Allocation, usage_type: str, subscriptions=None,
                             first=None, last=None) -> Figure:
    """Usage against entitlement per subscription: one panel per subscription.

    Bars are the usage attributed to the subscription (M5), the step line its prorated
    entitlement (P2). For pooled types, a bar above the line is not overage by itself: overage
    is decided on the pooled figures (see :func:`pooled_chart`).
    """
    tenant = allocation.tenant
    split = allocation.by_subscription
    split = select_periods(split[split["usage_type"] == usage_type], first, last)
    present = set(split["subscription_id"])
    chosen = [subscription_id for subscription_id in (subscriptions or tenant.departments)
              if subscription_id in present]
    full, position = period_positions(split["period"])
    panels = max(len(chosen), 1)
    figure, axes = _figure(0.9 + 1.45 * panels, rows=panels)
    colors = subscription_colors(tenant)
    unit = type_unit(tenant, usage_type)
    for ax, subscription_id in zip(axes, chosen, strict=False):
        rows = split[split["subscription_id"] == subscription_id]
        x = rows["period"].map(position).to_numpy(dtype=float)
        bars(ax, x, rows["usage"].to_numpy(), color=colors.get(subscription_id), label="usage")
        entitled = _on_periods(len(full), x, rows["entitlement"].to_numpy())
        ax.step(np.arange(len(full) + 1) - 0.5, np.append(entitled, entitled[-1:]),
                where="post", color="black", linewidth=1.2, label="entitlement")
        ax.set_ylabel(unit)
        ax.yaxis.set_major_locator(MaxNLocator(3))
        ax.set_ylim(0, 1.15 * max(rows["usage"].max(), rows["entitlement"].max(), 1.0))
        department = tenant.departments.get(subscription_id, '?')
        ax.set_title(f"{subscription_id} ({department})", fontsize=9, loc="left",
                     y=1.0)
    if chosen:
        axes[0].legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), fontsize=7, ncols=2,
                       frameon=False)
    if not chosen:
        axes[0].text(0.5, 0.5, "no usage or entitlement in the selection", ha="center",
                     transform=axes[0].transAxes)
    for ax in axes[:-1]:  # no shared axis: ticks only where they are read, far fewer to draw
        ax.set_xticks([])
        ax.set_xlim(-0.6, max(len(full), 1) - 0.4)
    _period_axis(axes[-1], full, f"billing period ({allocation.period})")
    figure.suptitle(f"{type_label(tenant, usage_type)}: usage vs entitlement per subscription "
                    f"({unit})")
    return figure


def pooled_chart(allocation: Allocation, usage_type: str, first=None, last=None) -> Figure:
    """Pooled usage against pooled entitlement, the overage between them shaded (M1, P3)."""
    tenant = allocation.tenant
    pooled = allocation.pooled
    rows = select_periods(pooled[pooled["usage_type"] == usage_type], first, last)
    unit = type_unit(tenant, usage_type)
    figure, (ax,) = _figure(3.4)
    full, position = period_positions(rows["period"])
    at = rows["period"].map(position).to_numpy(dtype=float)
    x = np.arange(len(full), dtype=float)
    usage = _on_periods(len(full), at, rows["usage"].to_numpy())
    entitled = _on_periods(len(full), at, rows["entitlement"].to_numpy())
    ax.plot(x, usage, marker="o", markersize=3, color=COMMITTED_COLOR, label="pooled usage")
    ax.plot(x, entitled, drawstyle="steps-mid", color="black", linewidth=1.2,
            label="pooled entitlement")
    ax.fill_between(x, entitled, usage, where=np.nan_to_num(usage) > np.nan_to_num(entitled),
                    interpolate=True,
                    color=OVERAGE_COLOR, alpha=0.45,
                    label=overage_label(rows, unit, adds_up(tenant, usage_type,
                                                            allocation.license_model)))
    _period_axis(ax, full, f"billing period ({allocation.period})")
    ax.set_ylabel(unit)
    ax.set_ylim(bottom=0)
    ax.legend(loc="lower left", fontsize=8)
    ax.set_title(f"{type_label(tenant, usage_type)}: pooled usage vs pooled entitlement "
                 f"({unit})", y=1.0)
    return figure


# --- money -----------------------------------------------------------------------------------

def _money_axes(title: str, currency: str, height: float = 3.4):
    figure, (ax,) = _figure(height)
    figure.subplots_adjust(bottom=0.95 / height)  # room for the legend under the axis
    ax.yaxis.set_major_formatter(money_ticks())
    ax.set_ylabel(f"cost ({currency})")
    ax.set_title(title, y=1.0)
    return figure, ax


def _legend_below(ax) -> None:
    """The legend in one row at the foot of the figure, clear of the data, without a frame;
    only the artists actually drawn (with a label) get an entry."""
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 0.02),
              bbox_transform=ax.figure.transFigure, ncols=4, fontsize=8, frameon=False)


def cost_chart(table: pd.DataFrame, currency: str, title: str) -> Figure:
    """Committed and overage cost per period as stacked bars (any frame with ``period,
    committed_cost, overage_cost``; rows of one period are added up)."""
    by_period = table.groupby("period", sort=True)[["committed_cost", "overage_cost"]].sum()
    figure, ax = _money_axes(title, currency)
    full, position = period_positions(by_period.index)
    x = by_period.index.map(position).to_numpy(dtype=float)
    committed = by_period["committed_cost"].to_numpy()
    overage = by_period["overage_cost"].to_numpy()
    bars(ax, x, committed, color=COMMITTED_COLOR, label="committed")
    if overage.any():  # no legend entry for bars that are not drawn
        bars(ax, x, overage, bottom=committed, color=OVERAGE_COLOR, label="overage")
    _period_axis(ax, full, "billing period")
    ax.set_ylim(0, 1.1 * max(float((committed + overage).max(initial=0.0)), 1.0))
    _legend_below(ax)
    return figure


def views_chart(billed: pd.DataFrame, caused: pd.DataFrame, currency: str, title: str) -> Figure:
    """Overage cost per department in the two chargeback views (P5), side by side."""
    both = pd.concat({"billed": billed.groupby("department")["overage_cost"].sum(),
                      "caused": caused.groupby("department")["overage_cost"].sum()},
                     axis=1).fillna(0.0).sort_index()
    figure, (ax,) = _figure(0.9 + 0.5 * max(len(both), 2), width=WIDTH)
    figure.subplots_adjust(left=1.3 / WIDTH)
    y = np.arange(len(both))[::-1]
    ax.barh(y + 0.2, both["billed"].to_numpy(), height=0.4, color=COMMITTED_COLOR,
            label="billed (the invoice)")
    ax.barh(y - 0.2, both["caused"].to_numpy(), height=0.4, color=OVERAGE_COLOR,
            label="caused (usage above own entitlement)")
    ax.set_yticks(y, list(both.index))
    ax.xaxis.set_major_formatter(money_ticks())
    ax.set_xlabel(f"overage cost ({currency})")
    ax.set_ylabel("department")
    ax.set_title(title, y=1.0)
    figure.subplots_adjust(bottom=1.0 / figure.get_figheight())
    _legend_below(ax)
    return figure


def budget_chart(comparison: pd.DataFrame, currency: str, title: str) -> Figure:
    """Actual spend per period as bars against the budget as a line (``period, budget,
    actual``, e.g. :func:`toolkit.finance.budgets.budget_vs_actual` for one department); months over
    budget are drawn in the overage color."""
    rows = comparison.sort_values("period")
    figure, ax = _money_axes(title, currency)
    full, position = period_positions(rows["period"])
    x = rows["period"].map(position).to_numpy(dtype=float)
    actual, budget = rows["actual"].to_numpy(), rows["budget"].to_numpy(dtype=float)
    over = actual > np.nan_to_num(budget, nan=np.inf)
    bars(ax, x[~over], actual[~over], color=COMMITTED_COLOR, label="billed")
    if over.any():  # no legend entry for bars that are not drawn
        bars(ax, x[over], actual[over], color=OVERAGE_COLOR, label="billed, over budget")
    ax.step(np.append(x, x[-1:] + 1) - 0.5, np.append(budget, budget[-1:]), where="post",
            color="black", linewidth=1.2, label="budget")
    _period_axis(ax, full, "billing period")
    # Headroom above the higher of budget and spend, so the budget line never sits on the frame.
    top = np.nanmax(np.concatenate([actual, budget, [1.0]]))
    ax.set_ylim(0, 1.15 * top)
    _legend_below(ax)
    return figure


def forecast_chart(actual: pd.DataFrame, projected: pd.DataFrame, currency: str,
                   title: str) -> Figure:
    """Actual total cost per period, then the projected total with its low–high band.

    ``actual`` has ``period, total_cost`` (e.g. a chargeback); ``projected`` has ``period,
    total_cost_low, total_cost, total_cost_high`` (e.g. :func:`toolkit.finance.forecast.forecast`);
    rows of one period are added up.
    """
    past = actual.groupby("period", sort=True)["total_cost"].sum()
    ahead = projected.groupby("period", sort=True)[
        ["total_cost_low", "total_cost", "total_cost_high"]].sum()
    figure, ax = _money_axes(title, currency)
    full, position = period_positions(past.index.append(ahead.index))
    if len(past):  # a period without a row (a lapse) is a gap in the line, never bridged
        last = position[past.index.max()] + 1
        at = past.index.map(position).to_numpy(dtype=float)
        ax.plot(np.arange(last, dtype=float), _on_periods(last, at, past.to_numpy()),
                marker="o", markersize=3, color=COMMITTED_COLOR, label="billed")
    if len(ahead):  # an expired subscription has nothing ahead: no line, no legend entry
        x = ahead.index.map(position).to_numpy(dtype=float)
        ax.plot(x, ahead["total_cost"].to_numpy(), marker="o", markersize=3, linestyle="--",
                color=OVERAGE_COLOR, label="forecast (run rate)")
        _spread(ax, x, ahead["total_cost_low"].to_numpy(), ahead["total_cost_high"].to_numpy())
    _period_axis(ax, full, "billing period")
    highest = max(past.max() if len(past) else 0.0,
                  ahead["total_cost_high"].max() if len(ahead) else 0.0, 1.0)
    ax.set_ylim(0, 1.15 * highest)  # headroom: no line runs along the frame
    _legend_below(ax)
    return figure


def _spread(ax, x: np.ndarray, low: np.ndarray, high: np.ndarray) -> None:
    """The low–high range of a forecast: a band over two periods or more, whiskers over one
    (a band one period wide has no area); nothing, and no legend entry, when low = high."""
    if not (high > low).any():
        return
    if len(x) > 1:
        ax.fill_between(x, low, high, color=OVERAGE_COLOR, alpha=0.2, label="low–high band")
    else:
        ax.vlines(x, low, high, color=OVERAGE_COLOR, linewidth=2, alpha=0.6,
                  label="low–high range")


# --- access ----------------------------------------------------------------------------------

def access_calendar_chart(calendar: pd.DataFrame, title: str, as_of=None) -> Figure:
    """Users per access status per day, stacked (an ``access_calendar`` frame, any grouping).

    The statuses are stacked in order active, ending, inactive, unmapped, so the warm band on
    top is the people who have lost, or are about to lose, access.
    """
    from toolkit.provisioning.access import STATUSES

    table = calendar.pivot_table(index="day", columns="status", values="users", aggfunc="sum",
                                 fill_value=0).reindex(columns=list(STATUSES), fill_value=0)
    figure, (ax,) = _figure(3.4)
    ax.stackplot(table.index.to_numpy(), *(table[s].to_numpy() for s in STATUSES),
                 labels=list(STATUSES), colors=[STATUS_COLORS[s] for s in STATUSES])
    if as_of is not None:
        ax.axvline(pd.Timestamp(as_of), color="black", linestyle="--", linewidth=1,
                   label=f"as of {pd.Timestamp(as_of).date()}")
    ax.set_xlabel("day")
    ax.set_ylabel("users")
    ax.set_ylim(bottom=0)
    ax.set_title(title, y=1.0)
    ax.legend(loc="lower left", fontsize=8)
    return figure

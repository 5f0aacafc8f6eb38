"""Dashboard widgets for the notebooks: the tenant explorer and the ownership what-if.

The wiring lives here, not in the notebooks, so that it can be tested headlessly: ipywidgets
runs without a browser, setting ``widget.value`` fires the observers synchronously, and each
dashboard keeps what its last refresh produced (the selected rows, the cost difference…) as
attributes a test can read.

Speed: a widget change must redraw in well under 200 ms on the sample tenant, so the
expensive work is done once when the dashboard is built (the allocation of the loaded tenant,
its chargeback, the "before" timeline) and a change only filters those frames and redraws.
Charts are embedded as inline SVG (see :func:`toolkit.present.plots.figure_svg`), which renders
about twice as fast as PNG and keeps titles as text a browser test can read.

Every widget carries a stable CSS class (``multisub-…``) for browser tests and styling.
"""

from __future__ import annotations

import datetime as dt
import gc
import html
import re

import ipywidgets as widgets
import pandas as pd
from IPython.display import HTML

from toolkit.allocation import Allocation
from toolkit.finance import whatif
from toolkit.frames import as_usage_frame
from toolkit.model import Tenant
from toolkit.periods import select_periods
from toolkit.present import plots
from toolkit.present.text import paragraph
from toolkit.workspace import Workspace

ALL = "(all subscriptions)"
TABLE_LAYOUT = {"max_height": "320px", "overflow": "auto"}
#: Money columns of the cost table shown beside the quantities in the explorer.
MONEY_COLUMNS = ["committed_cost", "overage_cost", "total_cost"]
#: Amounts right-aligned, so that cents line up and a minus sign is seen.
MONEY_STYLE = ("<style>table.multisub-money td:not(:first-child),"
               "table.multisub-money th:not(:first-child){text-align:right !important}</style>")
#: The explorer's quantities and amounts (after period, subscription, department) right-aligned.
NUMBERS_STYLE = ("<style>table.multisub-numbers td:nth-child(n+4),"
                 "table.multisub-numbers th:nth-child(n+4){text-align:right !important}</style>")


def settle_memory() -> None:
    """Move everything alive now out of the garbage collector's way.

    A notebook kernel holds ~200,000 long-lived objects (pandas, matplotlib, the dashboard's
    frames); a full collection walks them all in about 100 ms, and each redraw leaves enough
    cyclic garbage to trigger one every few changes — the difference between a 120 ms and a
    250 ms redraw. ``gc.freeze`` (CPython's remedy for exactly this) exempts the objects alive
    after construction from future collections, so only the redraws' own garbage is walked.
    The cost: those objects are never collected, which for a dashboard built once per
    kernel is what happens anyway.
    """
    gc.collect()
    gc.freeze()


def _hooked(widget: widgets.Widget, hook: str) -> widgets.Widget:
    widget.add_class(f"multisub-{hook}")
    return widget


def table_html(frame: pd.DataFrame, decimals: int = 2) -> str:
    """A frame as an HTML table with thousands separators (what an analyst reads)."""
    return frame.to_html(index=False, float_format=lambda v: f"{v:,.{decimals}f}", na_rep="",
                         border=0, classes="multisub-frame")


def shifts_table(tenant: Tenant, shifts: pd.DataFrame) -> HTML:
    """Explained owner shifts (:func:`toolkit.explain.owner_changes_explained`) as a table:
    number, date, usage type by name, from and to, and the explanation in a column that wraps
    between words. Why not printed text: a notebook prints in a fixed-width font and breaks
    long explanations mid-word, which is unreadable on a dashboard."""
    frame = pd.DataFrame({
        "#": shifts["shift"],
        "date": shifts["date"].dt.strftime("%Y-%m-%d"),
        "usage type": [plots.type_label(tenant, t) if t in tenant.usage_types else t
                       for t in shifts["usage_type"]],
        "from": shifts["from_owner"].replace("", "nobody"),
        "to": shifts["to_owner"].replace("", "nobody"),
        "why": shifts["explanation"],
    })
    style = ("<style>table.multisub-shifts td,table.multisub-shifts th{vertical-align:top;"
             "white-space:normal;text-align:left !important}"
             "table.multisub-shifts td:last-child{max-width:60em}</style>")
    body = frame.to_html(index=False, border=0, classes="multisub-frame multisub-shifts")
    return HTML(style + body)


# --- tenant explorer ---------------------------------------------------------------------------

class Explorer(widgets.VBox):
    """Usage against entitlement for one usage type, a subscription and a period range.

    Controls: ``usage_type`` (drop-down), ``subscription`` (drop-down, or all), ``periods``
    (range slider). Views: the pooled chart with overage shaded, the per-subscription chart,
    and the table of the selected rows (``self.selection``: the allocation's rows with their
    committed, overage and total cost beside the quantities).

    The summary never adds peaks across months: for a type measured by its peak (or by
    distinct users) a sum of monthly values counts nobody real, so it shows the peak of the
    monthly peaks and its month instead; money and summed types add up as usual.
    """

    def __init__(self, tenant: Tenant, usage: pd.DataFrame, users: pd.DataFrame | None = None,
                 period: str = "M"):
        workspace = Workspace(tenant, usage, users, period=period)
        self.allocation = workspace.allocation
        self.tenant = tenant
        self.split, self.cost_problem = _with_money(workspace)
        split = self.split
        types = [t for t in tenant.usage_types if t in set(split["usage_type"])]
        if not types:
            raise ValueError("nothing to explore: the usage table has no rows that fall in a "
                             "period with usage or entitlement")
        labels = [str(p) for p in sorted(split["period"].unique())]
        self.usage_type = _hooked(widgets.Dropdown(
            options=[(plots.type_label(tenant, t), t) for t in types], value=types[0],
            description="usage type"), "usage-type")
        self.subscription = _hooked(widgets.Dropdown(
            options=[ALL] + [sub.id for sub in tenant.subscriptions], value=ALL,
            description="subscription"), "subscription")
        self.periods = _hooked(widgets.SelectionRangeSlider(
            options=labels, index=(0, len(labels) - 1), description="periods",
            layout={"width": "640px"}), "periods")
        self.summary = _hooked(widgets.HTML(), "summary")
        self.pooled_view = _hooked(widgets.HTML(), "pooled-chart")
        self.split_view = _hooked(widgets.HTML(), "subscription-chart")
        self.table_view = _hooked(widgets.HTML(layout=TABLE_LAYOUT), "table")
        self.selection = split.iloc[:0]
        controls = widgets.HBox([self.usage_type, self.subscription])
        super().__init__([controls, self.periods, self.summary, self.pooled_view,
                          self.split_view, self.table_view])
        _hooked(self, "explorer")
        self.usage_type.observe(self._on_type_or_periods, names="value")
        self.periods.observe(self._on_type_or_periods, names="value")
        self.subscription.observe(self._on_subscription, names="value")
        self._on_type_or_periods()
        settle_memory()

    def __repr__(self) -> str:  # the default repr would print every SVG into the notebook
        return (f"Explorer({self.tenant.name!r}, usage_type={self.usage_type.value!r}, "
                f"subscription={self.subscription.value!r}, periods={self.periods.value!r})")

    def chosen_subscriptions(self) -> list[str] | None:
        return None if self.subscription.value == ALL else [self.subscription.value]

    def _on_type_or_periods(self, change=None) -> None:
        first, last = self.periods.value
        figure = plots.pooled_chart(self.allocation, self.usage_type.value, first, last)
        self.pooled_view.value = plots.figure_svg(figure)
        self._on_subscription()

    def _on_subscription(self, change=None) -> None:
        first, last = self.periods.value
        usage_type, chosen = self.usage_type.value, self.chosen_subscriptions()
        split = self.split
        rows = select_periods(split[split["usage_type"] == usage_type], first, last)
        if chosen is not None:
            rows = rows[rows["subscription_id"].isin(chosen)]
        self.selection = rows.reset_index(drop=True)
        figure = plots.subscription_usage_chart(self.allocation, usage_type, chosen, first, last)
        self.split_view.value = plots.figure_svg(figure)
        self.table_view.value = NUMBERS_STYLE + table_html(
            self._readable(self.selection, usage_type)).replace(
            "multisub-frame", "multisub-frame multisub-numbers", 1)
        self.summary.value = self._summary(usage_type, first, last)

    def summary_text(self, width: int = 100) -> str:
        """The summary as plain text wrapped between words (a notebook's stored output)."""
        return paragraph(html.unescape(re.sub(r"<[^>]+>", "", self.summary.value)), width=width)

    def _readable(self, rows: pd.DataFrame, usage_type: str) -> pd.DataFrame:
        """The selected rows with the headers an analyst reads (unit and currency named)."""
        unit, currency = plots.type_unit(self.tenant, usage_type), self.tenant.currency
        return rows.assign(period=rows["period"].astype("str")).rename(columns={
            "subscription_id": "subscription", "usage": f"usage ({unit})",
            "entitlement": f"entitlement ({unit})", "overage": f"overage owned ({unit})",
            "committed_cost": f"committed ({currency})", "overage_cost": f"overage ({currency})",
            "total_cost": f"total ({currency})"}).drop(columns=["usage_type"])

    def _summary(self, usage_type: str, first: str, last: str) -> str:
        rows = self.selection
        currency = self.tenant.currency
        money = (f"no costs: {self.cost_problem}" if self.cost_problem else
                 f"committed {currency} {rows['committed_cost'].sum():,.2f}, overage {currency} "
                 f"{rows['overage_cost'].sum():,.2f}, total {currency} "
                 f"{rows['total_cost'].sum():,.2f}")
        return (f"<b>{self.subscription.value}</b>, {plots.type_label(self.tenant, usage_type)}, "
                f"{first} to {last}: {self._quantities(rows, usage_type)}. Cost: {money} "
                f"({len(rows)} rows)")

    def _quantities(self, rows: pd.DataFrame, usage_type: str) -> str:
        unit = plots.type_unit(self.tenant, usage_type)
        measure = self.tenant.usage_types[usage_type].measure_for(self.allocation.license_model)
        if plots.adds_up(self.tenant, usage_type, self.allocation.license_model):
            return (f"usage {rows['usage'].sum():,.0f} {unit}, entitlement "
                    f"{rows['entitlement'].sum():,.0f} {unit}, overage owned "
                    f"{rows['overage'].sum():,.0f} {unit}")
        monthly = rows.groupby("period")[["usage", "entitlement", "overage"]].sum()
        if monthly.empty:
            return f"no usage ({unit})"
        peak_period = monthly["usage"].idxmax()
        over = monthly[monthly["overage"] > 0]
        overage = (f"overage owned in {len(over)} of {len(monthly)} periods, at most "
                   f"{over['overage'].max():,.0f} {unit}" if len(over) else "no overage owned")
        word = "peak" if measure == "peak" else "highest count"
        return (f"{word} of the monthly {word}s {monthly['usage'].max():,.0f} {unit} "
                f"(in {peak_period}), entitlement {monthly.loc[peak_period, 'entitlement']:,.0f} "
                f"{unit} that period, {overage}")


def _with_money(workspace: Workspace) -> tuple[pd.DataFrame, str]:
    """The allocation's rows with their costs beside them, and why not when a price is
    missing: the quantities are still worth exploring, so the dashboard says so instead of
    failing (the ``costs`` command reports the same problem as an input error)."""
    keys = ["period", "usage_type", "subscription_id"]
    split = workspace.allocation.by_subscription
    try:
        table = workspace.priced
    except ValueError as error:  # an InputError (a missing price) is a ValueError
        return split.assign(**{c: float("nan") for c in MONEY_COLUMNS}), str(error)
    return pd.merge(split, table[keys + MONEY_COLUMNS], on=keys, how="left"), ""


def explorer(tenant: Tenant, usage: pd.DataFrame, users: pd.DataFrame | None = None,
             period: str = "M") -> Explorer:
    """The tenant explorer dashboard (notebook 2)."""
    return Explorer(tenant, usage, users, period)


# --- ownership what-if -------------------------------------------------------------------------


class OwnershipWhatIf(widgets.VBox):
    """Expire, renew or add a subscription and see the ownership timeline and costs move.

    The before side (timeline chart, allocation, chargeback) is computed once. A scenario
    changes nothing before its first day, so the after side allocates only the usage of the
    periods from the one holding that day onward: the same figures :func:`whatif.compare`
    gives for those periods, at a fraction of the cost (the tests check the equality).
    """

    def __init__(self, tenant: Tenant, usage: pd.DataFrame, users: pd.DataFrame | None = None,
                 start=None, end=None, as_of=None, period: str = "M", method: str = "billed"):
        self.tenant, self.users, self.method, self.as_of = tenant, users, method, as_of
        if not pd.api.types.is_datetime64_any_dtype(usage["timestamp"]):
            usage = as_usage_frame(usage, tenant.timezone)  # filtered by time on every change
        self.usage = usage
        before = Workspace(tenant, usage, users, period=period, given_as_of=as_of)
        self.as_of = before.as_of  # the same as-of day as every command and notebook
        self.allocation = before.allocation
        self.before_costs = before.chargeback(method)
        periods = self.allocation.by_subscription["period"]
        self.start = pd.Timestamp(start or periods.min().start_time)
        self.end = pd.Timestamp(end or (periods.max() + 1).start_time)
        days = pd.date_range(self.start, self.end, freq="MS", inclusive="left")
        self.action = _hooked(widgets.Dropdown(options=whatif.ACTIONS, value="expire",
                                               description="what if"), "action")
        self.subscription = _hooked(widgets.Dropdown(
            options=[sub.id for sub in tenant.subscriptions], description="subscription"),
            "whatif-subscription")
        self.on = _hooked(widgets.Dropdown(
            options=[(str(d.date()), d.date()) for d in days],
            value=days[len(days) // 2].date(), description="on"), "on")
        self.months = _hooked(widgets.Dropdown(options=[12, 24, 36], value=12,
                                               description="months"), "months")
        self.message = _hooked(widgets.HTML(), "whatif-message")
        self.before_view = _hooked(widgets.HTML(), "before-chart")
        self.after_view = _hooked(widgets.HTML(), "after-chart")
        self.shifts_view = _hooked(widgets.HTML(layout=TABLE_LAYOUT), "shifts-table")
        self.cost_view = _hooked(widgets.HTML(), "cost-table")
        self.after: Tenant | None = None
        self.after_allocation: Allocation | None = None
        self.shifts = pd.DataFrame(columns=whatif.SHIFT_COLUMNS)
        self.uncovered = pd.DataFrame(columns=whatif.UNCOVERED_COLUMNS)
        self.costs = whatif.cost_difference(self.before_costs, self.before_costs)
        self.before_view.value = plots.figure_svg(self._chart(tenant, "before"))
        controls = widgets.HBox([self.action, self.subscription, self.on, self.months])
        charts = widgets.VBox([self.before_view, self.after_view])
        tables = widgets.VBox([widgets.HTML("<b>Cost per department</b>"), self.cost_view,
                               widgets.HTML("<b>Ownership stretches that change</b>"),
                               self.shifts_view])
        super().__init__([controls, self.message, widgets.HBox([charts, tables])])
        _hooked(self, "whatif")
        for control in (self.action, self.subscription, self.on, self.months):
            control.observe(self.refresh, names="value")
        self.refresh()
        settle_memory()

    def __repr__(self) -> str:  # the default repr would print every SVG into the notebook
        return (f"OwnershipWhatIf({self.tenant.name!r}, action={self.action.value!r}, "
                f"subscription={self.subscription.value!r}, on={self.on.value})")

    def _chart(self, tenant: Tenant, side: str):
        return plots.ownership_chart(tenant, self.start, self.end, as_of=self.as_of, width=7.5,
                                     title=f"{side}: primary and overage owners")

    def refresh(self, change=None) -> None:
        """Rebuild the scenario from the controls and redraw the after side.

        A scenario that cannot be costed (it does not apply, or it leaves an owner without an
        overage price) is explained in the message instead of breaking the dashboard.
        """
        on = self.on.value
        try:
            after = whatif.scenario(self.tenant, self.action.value, self.subscription.value, on,
                             self.months.value)
            shifts = whatif.ownership_shifts(self.tenant, after)
            costs = self._costs_from(after, on)
        except ValueError as error:  # InputError (a missing price) is a ValueError too
            self.message.value = f"<b>This scenario cannot be shown:</b> {error}"
            self.after, self.after_allocation = None, None
            self.uncovered = self.uncovered.iloc[:0]
            self.shifts = self.shifts.iloc[:0]
            self.costs = whatif.cost_difference(self.before_costs, self.before_costs)
            self.after_view.value = ""
            self._show_tables()
            return
        self.after, self.shifts, self.costs = after, shifts, costs
        self.message.value = self._describe(on)
        self.after_view.value = plots.figure_svg(self._chart(after, "after"))
        self._show_tables()

    def _costs_from(self, after: Tenant, on: dt.date) -> pd.DataFrame:
        """Cost per department before and after, over the periods from ``on``'s onward, plus
        the usage the scenario leaves without a subscription, priced at the tenant's overage
        prices (:func:`whatif.uncovered_usage`): never shown as a saving."""
        freq = self.allocation.period
        first = pd.Period(on, freq=freq)
        since = pd.Timestamp(first.start_time, tz=self.tenant.timezone)
        recent = self.usage[self.usage["timestamp"] >= since]
        before = self.before_costs[self.before_costs["period"] >= first]
        if recent.empty:
            self.after_allocation = None
            self.uncovered = self.uncovered.iloc[:0]
            return whatif.cost_difference(before, before)
        scenario = Workspace(after, recent, self.users, period=freq)
        allocation = self.after_allocation = scenario.allocation
        self.uncovered = whatif.uncovered_usage(self.allocation, allocation, self.tenant, first)
        return whatif.with_uncovered(
            whatif.cost_difference(before, scenario.chargeback(self.method)),
            self.uncovered)

    def _describe(self, on: dt.date) -> str:
        action, subscription_id = self.action.value, self.subscription.value
        text = {"expire": f"{subscription_id} expires on {on}",
                "renew": f"{subscription_id} is renewed on {on} for {self.months.value} months",
                "add": f"{whatif.WHATIF_ID} ({self.tenant.departments[subscription_id]}) is added "
                       f"on {on} for "
                       f"{self.months.value} months, with {subscription_id}'s lines"}[action]
        first = pd.Period(on, freq=self.allocation.period)
        lost = self._newly_unallocated(first)
        text = (f"<b>{text}</b>: {len(self.shifts)} ownership stretches change; costs "
                f"({self.method} view, {self.tenant.currency}) from {first} to the "
                f"last period with usage.")
        if self.uncovered.empty:
            return text
        amount = float(self.uncovered["cost"].sum())
        return (f"{text} <b>{lost:,} more usage rows than before would find no subscription "
                f"to land on</b>: the row &ldquo;{whatif.UNCOVERED}&rdquo; prices them at the "
                f"tenant's overage prices, {self.tenant.currency} {amount:,.2f}; that is a cost "
                "the tenant would still face, not a saving.")

    def _newly_unallocated(self, first: pd.Period) -> int:
        """Unallocated rows of the whatif.scenario minus those already unallocated before, over the
        same periods: what the whatif.scenario itself leaves without a subscription."""
        if self.after_allocation is None:
            return 0
        before = self.allocation.unallocated
        return len(self.after_allocation.unallocated) - int((before["period"] >= first).sum())

    def _show_tables(self) -> None:
        """Both tables with readable headers, money right-aligned, "nobody" for no owner."""
        shifts = self.shifts.assign(start=self.shifts["start"].astype("str").str[:10],
                                    end=self.shifts["end"].astype("str").str[:10].replace(
                                        "NaT", "open"))
        shifts = shifts.replace({"before_owner": {"": "nobody"}, "after_owner": {"": "nobody"}})
        self.shifts_view.value = table_html(shifts.fillna({"before_owner": "nobody",
                                                           "after_owner": "nobody"}).rename(
            columns={"usage_type": "usage type", "before_owner": "owner before",
                     "after_owner": "owner after"}))
        currency = self.tenant.currency
        costs = self.costs.rename(columns={"before_cost": f"before ({currency})",
                                           "after_cost": f"after ({currency})",
                                           "change": f"change ({currency})"})
        self.cost_view.value = MONEY_STYLE + table_html(costs).replace(
            "multisub-frame", "multisub-frame multisub-money", 1)


def ownership_whatif(tenant: Tenant, usage: pd.DataFrame, users: pd.DataFrame | None = None,
                     start=None, end=None, as_of=None, method: str = "billed") -> OwnershipWhatIf:
    """The ownership what-if dashboard (notebook 3)."""
    return OwnershipWhatIf(tenant, usage, users, start, end, as_of, method=method)

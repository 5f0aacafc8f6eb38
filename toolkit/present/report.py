"""Department cost review: the figures and sentences behind ``multisub report`` and notebook 4.

A department head (or the CFO, for the whole tenant) reads a review top-down: first five plain
sentences — what was billed against the budget, how that changed from the previous period of
the same length, the overage and who owns it, the months over budget, and the usage type that
drove the change — then the details that back them up. This module computes all of it from a
tenant directory; :mod:`toolkit.present.review_page` turns it into HTML and PDF, and
:mod:`toolkit.present.workbook` into an Excel workbook, so every output shows the same figures.

The tenant is loaded, allocated, priced and validated **once** (:func:`load_book`); each
department's review is a slice of that book, so ``--all`` costs one computation, not one per
department. Amounts are the toolkit's own chargeback figures, added up in integer cents, so a
review adds up to the invoice exactly.

One as-of date everywhere: by default :func:`toolkit.periods.as_of_date`, the last day of the
last period with usage. The default review window is the last complete quarter on or before it.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from toolkit.errors import InputError, Problem, raise_if_any
from toolkit.finance.coverage import Coverage, comparable, coverage
from toolkit.finance.money import from_cents, to_cents
from toolkit.findings import alike
from toolkit.model import as_date
from toolkit.peaks import PeakSection, peak_sections
from toolkit.periods import default_bounds, select_periods
from toolkit.policy import AGENT_LICENSES
from toolkit.present.words import (
    budget_warning_text,
    date_text,  # noqa: F401  (notebook 4 words its sentences with report.date_text)
    last_day_text,
    money_text,
    period_text,
    rule_title,
    span_text,
    term_text,
    type_name,
)
from toolkit.provisioning.validation import OFFER_NAMES
from toolkit.workspace import Workspace

MONEY = ("committed_cost", "overage_cost", "total_cost")
#: At most this many rows in a peak's table of teams (the rest are summed in the last one).
PEAK_TABLE_ROWS = 6


def _cents(frame: pd.DataFrame, column: str) -> int:
    return int(to_cents(frame[column]).sum()) if len(frame) else 0


def _amount(cents: int) -> float:
    return float(from_cents(np.int64(cents)))


# --- the review window -------------------------------------------------------------------------

@dataclass(frozen=True)
class Window:
    """The reviewed periods ``first``–``last`` (inclusive) and the as-of day behind them."""

    first: pd.Period
    last: pd.Period
    as_of: dt.date

    @property
    def length(self) -> int:
        return int((self.last - self.first).n) + 1

    @property
    def periods(self) -> pd.PeriodIndex:
        return pd.period_range(self.first, self.last, freq=self.first.freq)

    @property
    def previous(self) -> Window:
        """The window of the same length right before this one (the comparison)."""
        return Window(self.first - self.length, self.first - 1, self.as_of)

    @property
    def text(self) -> str:
        return span_text(self.first, self.last)


def default_window(as_of: dt.date, freq: str = "M", since: pd.Period | None = None) -> Window:
    """The last complete quarter on or before ``as_of``, in periods of ``freq``, starting no
    earlier than ``since`` (the first period with usage; :func:`toolkit.periods.default_bounds`)."""
    return Window(*default_bounds(as_of, freq, since), as_of)


def choose_window(as_of: dt.date, first=None, last=None, freq: str = "M",
                  since: pd.Period | None = None) -> Window:
    """The reviewed window from optional first and last periods (text such as ``2026-07`` or
    Periods): both default to the last complete quarter; one alone keeps the quarter's length.
    A window given by one bound or none starts no earlier than ``since``, the first period
    with usage. Unreadable or reversed bounds are input problems named ``first``/``last``."""
    problems: list[Problem] = []
    start = _period(first, "first", freq, problems)
    end = _period(last, "last", freq, problems)
    raise_if_any(problems)
    default = default_window(as_of, freq, since)
    if start is None and end is None:
        return default
    length = default_window(as_of, freq).length  # the nominal span, before ``since``
    if end is None:
        assert start is not None
        end = min(start + length - 1, default.last)
    if start is None:
        start = end - (length - 1)
        if since is not None:
            start = min(end, max(start, pd.Period(since.start_time, freq=freq)))
    if start > end:
        raise InputError([Problem("first", "", "", str(start),
                                  f"a period no later than the last one, {end}")])
    return Window(start, end, as_of)


def _period(value, name: str, freq: str, problems: list[Problem]) -> pd.Period | None:
    if value is None or value == "":
        return None
    try:
        return pd.Period(str(value), freq=freq)
    except (ValueError, TypeError, OverflowError):
        problems.append(Problem(name, "", "", value, "a period such as 2026-07"))
        return None


def check_departments(book: Workspace, wanted: list[str], name: str = "department") -> None:
    """Every wanted department must own a subscription of the tenant (all listed at once);
    ``name`` is how the caller calls the argument (``--department`` on the command line)."""
    unknown = [department for department in wanted if department not in book.departments]
    if unknown:
        expected = "a department owning a subscription: " + ", ".join(book.departments)
        raise InputError([Problem(name, "", "", department, expected) for department in unknown])


def load_book(directory: str | Path, period: str = "M", as_of=None) -> Workspace:
    """The tenant directory as a :class:`~toolkit.workspace.Workspace` (the name the review
    and notebook 4 have always used; the chain itself lives in the workspace)."""
    return Workspace.open(directory, period, as_of)


# --- one department's review ------------------------------------------------------------------

@dataclass(frozen=True)
class Review:
    """The figures of one review: a department's, or (``department`` None) the tenant's."""

    book: Workspace
    window: Window
    department: str | None
    subscriptions: tuple[str, ...]
    billed: pd.DataFrame  # chargeback rows in the window
    caused: pd.DataFrame
    previous: pd.DataFrame  # billed rows in the previous window
    priced: pd.DataFrame  # cost rows in the window
    priced_before: pd.DataFrame  # cost rows in the previous window
    budget: pd.DataFrame | None  # budget_vs_actual rows in the window
    forecast: pd.DataFrame
    findings: pd.DataFrame

    @cached_property
    def summary(self) -> list[tuple[str, str]]:
        """The executive summary's sentences (see :func:`summary`)."""
        return summary(self)

    @property
    def title(self) -> str:
        return self.department or self.book.tenant.name

    @property
    def currency(self) -> str:
        return self.book.currency

    def money(self, cents: int) -> str:
        return money_text(_amount(cents), self.currency)

    @property
    def billed_cents(self) -> int:
        return _cents(self.billed, "total_cost")

    @cached_property
    def coverage(self) -> Coverage:
        """The tenant's usage coverage of the window (:mod:`toolkit.finance.coverage`):
        unallocated usage belongs to no department, so every review discloses the tenant's."""
        return coverage(self.book.allocation, self.window.periods, self.book.tenant)

    @cached_property
    def compared(self) -> list[tuple[pd.Period, pd.Period]]:
        """The (month, month before) pairs a change is computed over: both have usage."""
        return comparable(self.window.periods, self.window.previous.periods,
                          self.book.allocation)

    @property
    def fully_compared(self) -> bool:
        return len(self.compared) == self.window.length

    def _in(self, frame: pd.DataFrame, periods) -> pd.DataFrame:
        return frame[frame["period"].isin(list(periods))]

    @property
    def change_cents(self) -> tuple[int, int]:
        """(billed now, billed before) over :attr:`compared` months only."""
        now = [a for a, _ in self.compared]
        before = [b for _, b in self.compared]
        return (_cents(self._in(self.billed, now), "total_cost"),
                _cents(self._in(self.previous, before), "total_cost"))

    @property
    def previous_cents(self) -> int:
        return _cents(self.previous, "total_cost")

    @property
    def budget_cents(self) -> int | None:
        if self.budget is None or self.budget["budget"].isna().all():
            return None
        return _cents(self.budget.assign(budget=self.budget["budget"].fillna(0.0)), "budget")

    @property
    def overage_billed_cents(self) -> int:
        return _cents(self.billed, "overage_cost")

    @property
    def overage_caused_cents(self) -> int:
        return _cents(self.caused, "overage_cost")

    @property
    def unused_cents(self) -> int:
        """Paid for, not used (T3, P6): the window's unused committed cost, part of
        :attr:`committed_cents`, never added to it."""
        return _cents(self.billed, "unused_cost") if "unused_cost" in self.billed else 0

    @property
    def committed_cents(self) -> int:
        return _cents(self.billed, "committed_cost")

    def renewals(self) -> pd.DataFrame:
        """The lines of this review's subscriptions used under 60% all year (the book's
        :attr:`~toolkit.workspace.Workspace.renewals`), lowest use first."""
        rows = self.book.renewals
        return rows[rows["subscription_id"].isin(self.subscriptions)].reset_index(drop=True)

    def renewal_table(self) -> pd.DataFrame:
        """:meth:`renewals` with headings in words and the line's last day in words."""
        rows, tenant, c = self.renewals(), self.book.tenant, self.currency
        return pd.DataFrame({
            "Subscription": rows["subscription_id"].to_numpy(object),
            "Usage type": [type_name(tenant, t) for t in rows["usage_type"]],
            "Quantity": rows["quantity"].to_numpy(dtype=float),
            "Share used": rows["used_share"].to_numpy(dtype=float),
            f"Unused, last 12 months ({c})": rows["unused_cost"].to_numpy(dtype=float),
            "Line ends": [last_day_text(as_date(e)) for e in rows["line_end"]]})

    # --- tables, with columns in words ---

    def subscription_table(self) -> pd.DataFrame:
        tenant = self.book.tenant
        rows = []
        for subscription_id in self.subscriptions:
            sub = tenant.subscription(subscription_id)
            terms = "; ".join(term_text(t.start, t.end) for t in sub.terms)
            rows.append((subscription_id, sub.department, sub.license_model.capitalize(),
                         OFFER_NAMES.get(sub.offer, sub.offer), sub.deployment.capitalize(),
                         terms))
        return pd.DataFrame(rows, columns=["Subscription", "Department", "License model",
                                           "Offer", "Deployment", "Terms (first to last day)"])

    def monthly(self) -> pd.DataFrame:
        """Every period of the window, lapsed ones included, with money and budget."""
        periods = self.window.periods
        billed = self.billed.groupby("period")[list(MONEY)].sum().reindex(periods)
        caused = self.caused.groupby("period")["overage_cost"].sum().reindex(periods)
        table = pd.DataFrame({
            "Month": [period_text(p) for p in periods],
            "Status": [self._status(p) for p in periods],
            f"Committed ({self.currency})": billed["committed_cost"].to_numpy(),
            f"Overage billed ({self.currency})": billed["overage_cost"].to_numpy(),
            f"Overage caused ({self.currency})": caused.to_numpy(),
            f"Total billed ({self.currency})": billed["total_cost"].to_numpy(),
        })
        if self.budget is not None:
            budget = self.budget.groupby("period")[["budget", "actual"]].sum(min_count=1)
            budget = budget.reindex(periods)
            table[f"Budget ({self.currency})"] = budget["budget"].to_numpy()
            with np.errstate(divide="ignore", invalid="ignore"):
                table["Share of budget"] = (budget["actual"] / budget["budget"]).to_numpy()
        return table

    def _status(self, period: pd.Period) -> str:
        """``active``, or in words why none of the subscriptions ran in the period."""
        start = period.start_time.date()
        end = period.end_time.date() + dt.timedelta(days=1)
        subs = [self.book.tenant.subscription(s) for s in self.subscriptions]
        terms = [t for sub in subs for t in sub.terms]
        if any(t.start < end and t.end > start for t in terms):
            return "active"
        if not terms or all(t.start >= end for t in terms):
            return "not started"
        if all(t.end <= start for t in terms):
            return "ended"
        return "lapsed (between terms)"

    def type_changes(self, by: str = "usage_type") -> pd.DataFrame:
        """Cents per usage type (or ``by`` another key of the cost rows: ``department``,
        ``subscription_id``), now and in the previous window, over the compared months only,
        largest change first."""
        now = _key_cents(self._in(self.priced, [a for a, _ in self.compared]), by)
        before = _key_cents(self._in(self.priced_before, [b for _, b in self.compared]), by)
        both = now.join(before.add_suffix("_before"), how="outer").fillna(0).astype(np.int64)
        both["change"] = both["total_cost"] - both["total_cost_before"]
        return both.sort_values("change", key=np.abs, ascending=False, kind="stable")

    def drivers(self) -> list[tuple[str, str, pd.Series]]:
        """The largest change of each dimension with more than one member: ``(dimension,
        name in words, its row of :meth:`type_changes`)``, departments first, then
        subscriptions, then usage types."""
        found = []
        for key, dimension in DRIVER_DIMENSIONS:
            if key == "department" and self.department is not None:
                continue
            changes = self.type_changes(key)
            if len(changes) < 2 and key != "usage_type":
                continue
            if changes.empty or changes["change"].iloc[0] == 0:
                continue
            label = str(changes.index[0])
            name = type_name(self.book.tenant, label) if key == "usage_type" else label
            if key == "subscription_id":
                name = f"{label} ({self.book.tenant.departments[label]})"
            found.append((dimension, name, changes.iloc[0]))
        return found

    def warnings(self) -> pd.DataFrame:
        """Department-months that reached the warning threshold but not the budget."""
        if self.budget is None:
            return pd.DataFrame(columns=["period", "department", "budget", "actual",
                                         "threshold_crossed"])
        rows = self.budget[self.budget["severity"] == "warning"]
        return rows[["period", "department", "budget", "actual",
                     "threshold_crossed"]].reset_index(drop=True)

    def coverage_table(self) -> pd.DataFrame:
        """The unallocated usage of the window in words: reason, type, rows, quantity and
        what it would cost at the owner's price."""
        rows, tenant, c = self.coverage.unallocated, self.book.tenant, self.currency
        return pd.DataFrame({
            "Reason": rows["reason"].astype("str").to_numpy(),
            "Usage type": [type_name(tenant, t) for t in rows["usage_type"]],
            "Rows": rows["rows"].to_numpy(dtype=float),
            "Quantity": rows["quantity"].to_numpy(dtype=float),
            "Billable": rows["billable"].to_numpy(dtype=float),
            "Owner's price from": rows["owner"].astype("str").to_numpy(),
            f"Overage price ({c})": rows["overage_price"].to_numpy(dtype=float),
            f"Would cost ({c})": rows["cost"].to_numpy(dtype=float),
        })

    def by_type(self) -> pd.DataFrame:
        """Cost per usage type in the window beside the previous window, largest change first."""
        both = self.type_changes()
        c = self.currency
        return pd.DataFrame({
            "Usage type": [type_name(self.book.tenant, t) for t in both.index],
            f"Committed ({c})": from_cents(both["committed_cost"].to_numpy()),
            f"Overage ({c})": from_cents(both["overage_cost"].to_numpy()),
            f"Total ({c})": from_cents(both["total_cost"].to_numpy()),
            f"Total before ({c})": from_cents(
                both["total_cost_before"].to_numpy()),
            f"Change ({c})": from_cents(both["change"].to_numpy()),
        })

    def overage_owners(self) -> pd.DataFrame:
        """Who owns the overage in the window: per month, usage type and owning subscription."""
        rows = self.priced[self.priced["overage_cost"] > 0]
        tenant, c = self.book.tenant, self.currency
        return pd.DataFrame({
            "Month": [period_text(p) for p in rows["period"]],
            "Usage type": [type_name(tenant, t) for t in rows["usage_type"]],
            "Owner": rows["subscription_id"].to_numpy(),
            "Department": rows["department"].to_numpy(),
            "Overage": rows["overage"].to_numpy(),
            "Unit": [tenant.usage_types[t].unit for t in rows["usage_type"]],
            f"Overage price ({c})": rows["overage_price"].to_numpy(),
            f"Overage cost ({c})": rows["overage_cost"].to_numpy(),
        })

    def forecast_table(self) -> pd.DataFrame:
        """Projected cost per subscription from after the as-of month to its last term's end."""
        if self.forecast.empty:
            return pd.DataFrame()
        grouped = self.forecast.groupby(["subscription_id", "term_end"], as_index=False, sort=True)[
            ["committed_cost", "total_cost_low", "total_cost", "total_cost_high"]].sum()
        c = self.currency
        return pd.DataFrame({
            "Subscription": grouped["subscription_id"].to_numpy(),
            "Term ends": [last_day_text(as_date(d)) for d in grouped["term_end"]],
            f"Committed ({c})": grouped["committed_cost"].to_numpy(),
            f"Total, quietest months ({c})": grouped["total_cost_low"].to_numpy(),
            f"Total, run rate ({c})": grouped["total_cost"].to_numpy(),
            f"Total, busiest months ({c})": grouped["total_cost_high"].to_numpy(),
        })

    def findings_by_rule(self) -> list[tuple[str, str, list[tuple[str, str]]]]:
        """``(rule title, "severity, N findings", [(about, full message)])`` per rule, errors
        first;
        findings worded alike about several subjects are one row that names them all (in the
        message cell, which wraps) and gives the first one's message as the example."""
        groups = []
        for rule, rows in self.findings.groupby("rule", sort=False):
            items = [(subjects[0], message) if len(subjects) == 1 else
                     (f"{len(subjects)} alike", f"The same finding for each of "
                      f"{', '.join(subjects)}. For example: {message}")
                     for subjects, message in alike(rows)]
            count = f"{len(rows)} finding{'s' if len(rows) != 1 else ''}"
            groups.append((rule_title(str(rule)), f"{rows['severity'].iloc[0]}, {count}", items))
        return groups

    # --- who made the peak (T1) ---

    @cached_property
    def peaks(self) -> list[PeakSection] | None:
        """The billed peaks of the window whose type bore overage, with who was in them
        (:func:`toolkit.peaks.peak_sections`; a department's review counts its own users);
        None when the tenant has no sessions to trace them with."""
        contributors = window_contributors(self.book, self.window)
        if contributors is None:
            return None
        by = peak_group(contributors)
        # counted by department, a department's own users would be one row: show them all
        mine = self.department if by != "department" else None
        return peak_sections(contributors, self.book.allocation, department=mine, by=by)

    def untraced_peaks(self) -> pd.DataFrame:
        """Agent peaks of the window that bore overage but that no session is counted in
        (``period, usage_type, overage``): the usage billed was not measured from the
        sessions at hand (a month before the pull, say)."""
        pooled = select_periods(self.book.allocation.pooled, self.window.first,
                                self.window.last)
        over = pooled[(pooled["overage"] > 0) & pooled["usage_type"].isin(AGENT_LICENSES)]
        traced = {(s.period, s.usage_type) for s in self.peaks or []}
        keep = [(str(p), t) not in traced for p, t in zip(over["period"], over["usage_type"],
                                                         strict=True)]
        return over.loc[keep, ["period", "usage_type", "overage"]].reset_index(drop=True)

    def peak_table(self, section: PeakSection, rows: int = PEAK_TABLE_ROWS) -> pd.DataFrame:
        """How many of the peak's users each team had (department when the sessions name no
        team), the largest first; past ``rows`` the rest are one "others" row, so the column
        still adds up to the users shown (a department's own, in its review)."""
        teams = section.by_team
        group = str(teams.columns[0])
        names = teams[group].astype(str).tolist()
        counts = teams["users"].astype(int).tolist()
        if len(names) > rows:
            rest = len(names) - (rows - 1)
            names = [*names[:rows - 1], f"{rest} other {group}s"]
            counts = [*counts[:rows - 1], sum(counts[rows - 1:])]
        return pd.DataFrame({group.capitalize(): names, "Users": counts,
                             "Share of the peak": [n / section.peak for n in counts]})

    def department_table(self) -> pd.DataFrame:
        """The tenant roll-up: one row per department, summed from this review's own rows."""
        c = self.currency
        billed, previous = _by_department(self.billed), _by_department(self.previous)
        caused = _by_department(self.caused)
        # the change, like the summary's, only over the months both windows have usage
        now_cmp = _by_department(self._in(self.billed, [a for a, _ in self.compared]))
        before_cmp = _by_department(self._in(self.previous, [b for _, b in self.compared]))
        budgets = _budget_by_department(self.budget)
        rows = []
        for department in self.book.departments:
            now, before = billed.get(department, {}), previous.get(department, {})
            cents, cents_before = now.get("total_cost", 0), before.get("total_cost", 0)
            budget = budgets.get(department)
            rows.append({
                "Department": department,
                f"Billed ({c})": _amount(cents),
                f"Budget ({c})": np.nan if budget is None else _amount(budget),
                "Share of budget": (cents / budget) if budget else np.nan,
                f"Billed before ({c})": _amount(cents_before),
                f"Change ({c})": _amount(now_cmp.get(department, {}).get("total_cost", 0)
                                         - before_cmp.get(department, {}).get("total_cost", 0)),
                f"Overage billed ({c})": _amount(now.get("overage_cost", 0)),
                f"Overage caused ({c})": _amount(caused.get(department, {}).get("overage_cost",
                                                                              0)),
                f"Paid for, not used ({c})": _amount(now.get("unused_cost", 0)),
            })
        return pd.DataFrame(rows)


def window_contributors(book: Workspace, window: Window) -> pd.DataFrame | None:
    """The users counted in every billed peak of the window (:attr:`Workspace.contributors`
    of the window's periods): the full list the workbook's sheet and ``report``'s CSV hold.
    None when the tenant has no sessions."""
    contributors = book.contributors
    if contributors is None:
        return None
    periods = set(window.periods.astype(str))
    keep = contributors["period"].astype(str).isin(periods)
    return contributors[keep].reset_index(drop=True)


def peak_group(contributors: pd.DataFrame) -> str:
    """What a peak's users are counted by: their team, or their department when the sessions
    name no team (``sessions.csv``, or pages without ``teamName``)."""
    return "team" if contributors["team"].notna().any() else "department"


def peak_caption(review: Review, section: PeakSection) -> str:
    """One billed peak in words: the interval, the peak against the entitlement, the
    department's part (in its review) and the largest teams; or, when the sessions do not
    count what the bill counts, that they cannot say who made it."""
    tenant, freq = review.book.tenant, review.book.freq
    period = period_text(pd.Period(section.period, freq))
    head = f"{type_name(tenant, section.usage_type)}, {period}"
    if not section.matches_bill:
        return (f"{head}: the sessions count {section.peak:,} users at their peak but the bill "
                f"counts {section.billed_peak:,.0f}; the usage billed was not measured from "
                "these sessions, so they cannot say who made the billed peak.")
    when = ("distinct users over the period" if section.interval_start is None else
            f"users at {section.interval_start:%H:%M} on "
            f"{date_text(section.interval_start.date())}, the first interval at the peak")
    text = (f"{head}: {section.peak:,} {when}, against an entitlement of "
            f"{_count(section.entitlement)} ({_count(section.overage)} over).")
    group = str(section.by_team.columns[0])
    if review.department is not None:
        teams = section.by_team
        rows = teams[teams[group] == review.department] if group == "department" else teams
        text += f" {int(rows['users'].sum()):,} of them in {review.department}."
    if section.top_teams:
        text += f" Largest by {group}: " + ", ".join(
            f"{name} {users:,}" for name, users in section.top_teams) + "."
    return text


def untraced_sentence(review: Review, period: pd.Period, usage_type: str,
                      overage: float) -> str:
    """An overage-bearing agent peak that the sessions at hand hold no one in."""
    return (f"{type_name(review.book.tenant, usage_type)}, {period_text(period)}: "
            f"{_count(overage)} over the entitlement, but none of the sessions at hand is "
            "counted in that peak (the usage billed was not measured from them), so it cannot "
            "be traced to the people in it.")


def _count(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def _by_department(frame: pd.DataFrame) -> dict[str, dict[str, int]]:
    """Cents of each money column per department (the same sums a department's review makes)."""
    if frame.empty:
        return {}
    columns = [*MONEY, *(["unused_cost"] if "unused_cost" in frame else [])]
    cents = pd.DataFrame({c: to_cents(frame[c]) for c in columns}, index=frame.index)
    cents["department"] = frame["department"].to_numpy()
    return {str(department): {c: int(v) for c, v in row.items()}
            for department, row in cents.groupby("department")[columns].sum().iterrows()}


def _budget_by_department(budget: pd.DataFrame | None) -> dict[str, int | None]:
    """Budget cents per department; None for a department whose budget is missing throughout."""
    if budget is None:
        return {}
    found: dict[str, int | None] = {}
    for department, rows in budget.groupby("department"):
        found[str(department)] = (None if rows["budget"].isna().all() else
                                  _cents(rows.assign(budget=rows["budget"].fillna(0.0)),
                                         "budget"))
    return found


#: Where the biggest driver of a change is looked for: (cost-row key, the dimension in words).
DRIVER_DIMENSIONS = (("department", "department"), ("subscription_id", "subscription"),
                     ("usage_type", "usage type"))


def _key_cents(priced: pd.DataFrame, key: str = "usage_type") -> pd.DataFrame:
    if priced.empty:
        return pd.DataFrame(columns=list(MONEY), dtype=np.int64)
    cents = pd.DataFrame({c: to_cents(priced[c]) for c in MONEY}, index=priced.index)
    cents[key] = priced[key].to_numpy()
    return cents.groupby(key, sort=True)[list(MONEY)].sum()


def department_review(book: Workspace, department: str | None,
                      window: Window | None = None) -> Review:
    """The review of ``department`` (or of the whole tenant when None) over ``window``
    (default: the last complete quarter before the book's as-of day)."""
    window = window or default_window(book.as_of, book.freq)
    if department is not None:
        check_departments(book, [department])
    tenant = book.tenant
    subs = tuple(s.id for s in tenant.subscriptions
                 if department is None or s.department == department)

    def mine(frame: pd.DataFrame) -> pd.DataFrame:
        rows = frame if department is None else frame[frame["department"] == department]
        return rows.reset_index(drop=True)

    def within(frame: pd.DataFrame, w: Window) -> pd.DataFrame:
        return mine(select_periods(frame, w.first, w.last))

    budget = None if book.budgets is None else within(book.budgets, window)
    projected = book.forecast
    if not projected.empty:
        projected = projected[projected["subscription_id"].isin(subs)].reset_index(drop=True)
    return Review(
        book=book, window=window, department=department, subscriptions=subs,
        billed=within(book.billed, window), caused=within(book.caused, window),
        previous=within(book.billed, window.previous),
        priced=within(book.priced, window), priced_before=within(book.priced, window.previous),
        budget=budget, forecast=projected, findings=_findings(book, department, subs),
    )


def _findings(book: Workspace, department: str | None, subs: tuple[str, ...]) -> pd.DataFrame:
    """Findings about the department's subscriptions, or its users (by department or mapping)."""
    findings = book.findings
    if department is None:
        return findings.reset_index(drop=True)
    subjects = set(subs)
    users = book.users
    if users is not None:
        mapped = users["subscription_id"].isin(subs)
        if "department" in users:
            mapped |= users["department"] == department
        subjects |= set(users.loc[mapped, "user_id"])
    return findings[findings["subject"].isin(subjects)].reset_index(drop=True)


# --- the executive summary ---------------------------------------------------------------------

def summary(review: Review) -> list[tuple[str, str]]:
    """The five headline sentences, each ``(topic, sentence)``, in the order they are read."""
    return [("Billed vs budget", _budget_sentence(review)),
            ("Change", _change_sentence(review)),
            ("Overage", _overage_sentence(review)),
            ("Paid for, not used", unused_sentence(review)),
            ("Budget breaches", _breach_sentence(review)),
            ("Budget warnings", _warning_sentence(review)),
            ("Biggest driver", _driver_sentence(review)),
            ("Coverage", coverage_sentence(review))]


def _budget_sentence(r: Review) -> str:
    billed = r.money(r.billed_cents)
    budget = r.budget_cents
    head = f"{r.title} was billed {billed} for {r.window.text}"
    if r.department and "active" not in set(r.monthly()["Status"]):
        head += " (none of its subscriptions was active)"
    if budget is None:
        return f"{head}; no budget was set for these months."
    if budget == 0:
        return f"{head} against a budget of {r.money(0)}."
    gap = budget - r.billed_cents
    side = "under" if gap >= 0 else "over"
    return (f"{head} against a budget of {r.money(budget)}: {r.billed_cents / budget:.1%} of "
            f"the budget, {r.money(abs(gap))} {side}.")


def _change_sentence(r: Review) -> str:
    now, before = r.change_cents
    previous = r.window.previous.text
    if not r.compared:
        return (f"No month of {r.window.text} has a month with usage at the same place in "
                f"{previous} (or the other way round): no change is computed.")
    head, that = "", "That"
    if not r.fully_compared:
        mine = _months([a for a, _ in r.compared])
        theirs = _months([b for _, b in r.compared])
        head = (f"Compared only over the months both periods have usage ({mine} against "
                f"{theirs}): ")
        that, previous = "that", theirs
    if before == 0:
        return f"{head}Nothing was billed in {previous}, the period before, to compare with."
    change = now - before
    if change == 0:
        return f"{head}{that} is the same as the {r.money(before)} billed in {previous}."
    word = "more" if change > 0 else "less"
    if not r.fully_compared:
        return (f"{head}{r.money(now)} billed, {r.money(abs(change))} "
                f"({abs(change) / before:.1%}) {word} than the {r.money(before)} billed in "
                f"{previous}.")
    return (f"That is {r.money(abs(change))} ({abs(change) / before:.1%}) {word} than the "
            f"{r.money(before)} billed in {previous}{_inactive_note(r)}.")


def _months(periods: list[pd.Period]) -> str:
    """``July–September 2026`` for consecutive periods, else ``July 2026 and September 2026``."""
    if len(periods) > 1 and all((b - a).n == 1 for a, b in zip(periods, periods[1:], strict=False)):
        return span_text(periods[0], periods[-1])
    names = [period_text(p) for p in periods]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + f" and {names[-1]}"


def _warning_sentence(r: Review) -> str:
    """The budget warnings (the threshold reached, not the budget), worded as ``costs``."""
    if r.budget is None or r.budget["budget"].isna().all():
        return "There is no budget to warn about in these months."
    rows = r.warnings()
    if rows.empty:
        return "No month reached the warning threshold of its budget."
    parts = []
    for (department, level), group in rows.groupby(["department", "threshold_crossed"],
                                                   sort=True):
        months = sorted(group["period"])
        each = "each month of " if len(months) > 1 else ""
        parts.append(f"{department} {budget_warning_text(100 * float(level))}, in {each}"
                     f"{_months(months)}")
    return "; ".join(parts) + "."


def coverage_sentence(r: Review) -> str:
    """The months with and without usage, and the unallocated usage with what it would cost."""
    found = r.coverage
    have, missing = list(found.with_usage), list(found.without_usage)
    if not have:
        head = f"The tenant has no usage in {r.window.text}: every figure here is committed cost."
    elif missing:
        head = (f"The figures rest on the usage of {_months(have)}; {_months(missing)} "
                f"{'has' if len(missing) == 1 else 'have'} no usage at all.")
    else:
        head = f"Usage covers every month of {r.window.text}."
    if found.unallocated.empty:
        return f"{head} All of the tenant's usage in these months was allocated."
    parts = []
    for row in found.unallocated.itertuples():
        cost = ("at no known price" if pd.isna(row.cost) else
                f"{money_text(row.cost, r.currency)} at {row.owner}'s price")
        parts.append(f"{row.rows:,} row{'s' if row.rows != 1 else ''} of "
                     f"{type_name(r.book.tenant, row.usage_type)} ({row.reason}; "
                     f"{row.billable:,.0f} billable, {cost})")
    return (f"{head} Not allocated to any subscription, so on no department's bill: "
            + "; ".join(parts) + f"; {money_text(found.unallocated_cost, r.currency)} in all.")


def _inactive_note(r: Review) -> str:
    """``, when its subscriptions were not active in April 2026 and May 2026``, or nothing."""
    if r.department is None:
        return ""
    earlier = r.window.previous.periods
    idle = [period_text(p) for p in earlier if r._status(p) != "active"]
    if not idle or len(idle) == len(earlier):
        return ""
    months = idle[0] if len(idle) == 1 else ", ".join(idle[:-1]) + f" and {idle[-1]}"
    return f", when its subscriptions were not active in {months}"


def _overage_sentence(r: Review) -> str:
    billed, caused = r.overage_billed_cents, r.overage_caused_cents
    if r.department is None:
        return _tenant_overage_sentence(r)
    if r.priced.empty and caused == 0:
        return (f"No overage: nothing was used on the subscriptions of {r.department} in "
                f"{r.window.text}.")
    if billed == 0 and caused == 0:
        return (f"No overage was billed to {r.department}, and its usage stayed within its own "
                "entitlement, so it caused none.")
    owners = _owner_list(r.priced)
    held = (f"{r.money(billed)} of overage was billed to {r.department}, owned by "
            f"{owners}" if billed else f"No overage was billed to {r.department}")
    if caused == 0:
        return f"{held}; its own usage stayed within its entitlement, so it caused none of it."
    return f"{held}; its usage above its own entitlement caused {r.money(caused)} of overage."


def unused_sentence(r: Review) -> str:
    """Paid for, not used beside overage: the window's unused committed cost (P6) and its
    share of the committed cost."""
    unused, committed = r.unused_cents, r.committed_cents
    if not committed:
        return f"Nothing was committed to {r.title} in {r.window.text}."
    if not unused:
        return f"All of the committed cost of {r.title} in {r.window.text} was used."
    return (f"{r.money(unused)} of the {r.money(committed)} committed to {r.title} in "
            f"{r.window.text} was paid for and not used ({unused / committed:.1%}).")


def renewal_question(r: Review, row) -> str:
    """The question a line used under 60% all year raises, in one plain sentence."""
    name = type_name(r.book.tenant, row.usage_type)
    return (f"Renew {row.subscription_id}'s {_count(row.quantity)} × {name} at "
            f"{row.used_share:.0%} use? It ends on {last_day_text(as_date(row.line_end))}; "
            f"{r.money(int(to_cents(row.unused_cost)))} of it went unused in the last "
            "12 months.")


def _tenant_overage_sentence(r: Review) -> str:
    total = r.overage_billed_cents
    if total == 0:
        return f"No overage was billed in {r.window.text}."
    causes = r.caused.groupby("department")["overage_cost"].sum()
    causes = causes[causes > 0].sort_values(ascending=False, kind="stable")
    caused = ", ".join(f"{d} {money_text(v, r.currency)}" for d, v in causes.items())
    return (f"{r.money(total)} of overage was billed, owned by {_owner_list(r.priced)}; "
            f"by usage above their own entitlement it was caused by {caused or 'no department'}.")


def _owner_list(priced: pd.DataFrame) -> str:
    """``Sub-1001 (Customer Care, EUR 1,200.00)`` for each owner, largest first."""
    rows = priced[priced["overage_cost"] > 0]
    if rows.empty:
        return "no subscription"
    owned = rows.groupby(["subscription_id", "department"])["overage_cost"].sum()
    owned = owned.sort_values(ascending=False, kind="stable")
    currency = str(priced["currency"].iloc[0])
    return ", ".join(f"{subscription_id} ({dep}, {money_text(v, currency)})"
                     for (subscription_id, dep), v in owned.items())


def breaches(review: Review) -> pd.DataFrame:
    """Department-months billed above their budget in the window: the budget comparison's
    own ``breach`` severity (:func:`toolkit.finance.budgets.budget_vs_actual`)."""
    if review.budget is None:
        return pd.DataFrame(columns=["period", "department", "budget", "actual", "variance"])
    over = review.budget[review.budget["severity"] == "breach"]
    return over[["period", "department", "budget", "actual", "variance"]].reset_index(drop=True)


def _breach_sentence(r: Review) -> str:
    if r.budget is None or r.budget["budget"].isna().all():
        return "There is no budget to breach in these months."
    over = breaches(r)
    if over.empty:
        return "No month went over budget."
    parts = [(f"{'' if r.department else row.department + ' in '}{period_text(row.period)} "
              f"({money_text(row.actual, r.currency)} against "
              f"{money_text(row.budget, r.currency)})") for row in over.itertuples()]
    return "Over budget: " + "; ".join(parts) + "."


def _driver_sentence(r: Review) -> str:
    """The largest single change among departments, subscriptions and usage types (ties: in
    that order), with the usage type's when the largest is a department or subscription."""
    found = r.drivers()
    if not found:
        return "No department, subscription or usage type changed in cost from the previous " \
               "period."
    dimension, name, top = max(enumerate(found), key=lambda p: (abs(int(p[1][2]["change"])),
                                                                -p[0]))[1]
    text = f"The biggest driver of the change is {_change_of(r, name, top)}"
    if dimension != "usage type":
        text = f"The biggest driver of the change is the {dimension} {_change_of(r, name, top)}"
        types = [d for d in found if d[0] == "usage type"]
        if types:
            text += f"; among usage types, {_change_of(r, types[0][1], types[0][2])}"
    return text + "."


def _change_of(r: Review, name: str, row: pd.Series) -> str:
    change = int(row["change"])
    overage = int(row["overage_cost"] - row["overage_cost_before"])
    why = ""
    if overage:
        sign = "+" if overage > 0 else "−"
        why = f", of which overage {sign}{r.money(abs(overage))}"
    direction = "up" if change > 0 else "down"
    return f"{name}: {direction} {r.money(abs(change))}{why}"


# --- file names ---------------------------------------------------------------------------------

def file_name(department: str, suffix: str = ".html") -> str:
    """``Customer Care`` → ``customer-care.html``."""
    slug = re.sub(r"[^a-z0-9]+", "-", department.lower()).strip("-")
    return f"{slug or 'department'}{suffix}"


def file_names(departments: list[str], suffix: str = ".html") -> dict[str, str]:
    """A distinct file name per department: "R&D" and "R D" both slug to ``r-d``, so the
    second becomes ``r-d-2.html`` instead of overwriting the first."""
    names: dict[str, str] = {}
    taken: set[str] = set()
    for department in departments:
        stem = file_name(department, "")
        name, number = f"{stem}{suffix}", 1
        while name in taken:
            number += 1
            name = f"{stem}-{number}{suffix}"
        names[department] = name
        taken.add(name)
    return names

"""Figures in words, as every review shows them: money to the cent with its currency, days and
months as a reader writes them, usage types by their policy-table label, rules in words.

One home for these, so the HTML page, the PDF, the workbook and the notebook never disagree
on how ``2026-07`` or ``1234.5`` reads.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from toolkit.model import Tenant
from toolkit.periods import last_day


def money_text(amount: float, currency: str) -> str:
    """``EUR 1,234,567.89``: how every amount appears in a report."""
    return f"{currency} {amount:,.2f}"


def date_text(day: dt.date) -> str:
    """``31 October 2026``."""
    return f"{day.day} {day:%B %Y}"


def period_text(period: pd.Period) -> str:
    """``July 2026`` for a month; ``1 July 2026 – 7 July 2026`` for any other period."""
    if period.freqstr.startswith("M"):
        return period.strftime("%B %Y")
    return f"{date_text(period.start_time.date())} – {date_text(period.end_time.date())}"


def span_text(first: pd.Period, last: pd.Period) -> str:
    """``July–September 2026``, ``November 2025 – January 2026``, ``July 2026``."""
    if first == last:
        return period_text(first)
    if first.freqstr.startswith("M"):
        if first.year == last.year:
            return f"{first.strftime('%B')}–{last.strftime('%B %Y')}"
        return f"{period_text(first)} – {period_text(last)}"
    return f"{date_text(first.start_time.date())} – {date_text(last.end_time.date())}"


def type_name(tenant: Tenant, usage_type: str) -> str:
    """The usage type's label from the policy table (its id when it has none)."""
    row = tenant.usage_types.get(usage_type)
    return (row.label or row.name) if row is not None else usage_type


def rule_title(rule: str) -> str:
    """``user-on-inactive-subscription`` → ``User on inactive subscription``."""
    words = rule.replace("-", " ")
    return words[:1].upper() + words[1:]


def last_day_text(end: dt.date) -> str:
    """The inclusive last day of a half-open span ending (exclusive) on ``end``:
    ``30 June 2026`` for ``end = 2026-07-01``."""
    return date_text(last_day(end))


def term_text(start: dt.date, end: dt.date) -> str:
    """``1 July 2024 to 30 June 2026``: a half-open ``[start, end)`` term, both days inside."""
    return f"{date_text(start)} to {last_day_text(end)}"


#: How a budget warning reads everywhere (``costs``, the workbook's Flag, the HTML and PDF).
WARNING_WORDS = "reached {threshold:g}% of budget, not above it"


def budget_warning_text(threshold_percent: float) -> str:
    """``reached 80% of budget, not above it``: the one wording of a budget warning."""
    return WARNING_WORDS.format(threshold=threshold_percent)

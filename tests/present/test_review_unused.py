"""The review's "Paid for, not used" (T3): beside overage in the summary, the renewal question
of a line under 60% used all year, and the workbook's Commitments sheet.

The sample's figures are recomputed here from the per line-period grid
(:func:`toolkit.finance.commitments.line_usage`), rounded once per department and month as the
chargeback rounds, and checked against the chargeback too. The renewal cases use
``builders.ops_wfo_tenant`` (as ``test_commitments`` does): Ops holds Sub-C alone, 10 WFO
users at 40.00 a month in 2025. With 5 users every month (50%) the line is a renewal
candidate: 5 × 40.00 × 12 = 2,400.00 unused in the year, 600.00 in October–December of the
1,200.00 committed. With 7 users (70%) it is not.
"""

import openpyxl
import pandas as pd
import pytest
from markupsafe import escape

from builders import ops_wfo_tenant as tenant
from builders import usage
from toolkit import commitments
from toolkit.commands.cli import main
from toolkit.finance.commitments import line_usage
from toolkit.finance.money import to_cents
from toolkit.present import report, review_page
from toolkit.resources import sample_dir
from toolkit.workspace import Workspace


@pytest.fixture(scope="module")
def book():
    return report.load_book(sample_dir())


def unused_cents(book, department, window) -> int:
    """The window's unused committed cost of ``department`` (None: every one), in cents,
    from the lines × periods grid: summed per department-month, rounded once, then added."""
    grid = line_usage(book.tenant, book.allocation)
    grid = grid[grid["period"].isin(list(window.periods))]
    if department is not None:
        grid = grid[grid["department"] == department]
    per_month = grid.groupby(["period", "department"])["unused_cost"].sum()
    return int(to_cents(per_month.to_numpy()).sum())


def committed_cents(book, department, window) -> int:
    rows = book.billed[book.billed["period"].isin(list(window.periods))]
    if department is not None:
        rows = rows[rows["department"] == department]
    return int(to_cents(rows["committed_cost"]).sum())


# --- the sample ---------------------------------------------------------------------------

def test_claims_paid_for_not_used_is_its_unused_committed_cost(book):
    window = report.default_window(book.as_of)
    review = report.department_review(book, "Claims", window)
    expected = unused_cents(book, "Claims", window)
    assert expected == 6_238_92  # July–September 2026
    assert review.unused_cents == expected
    assert review.committed_cents == committed_cents(book, "Claims", window) == 46_050_00
    assert dict(review.summary)["Paid for, not used"] == (
        "EUR 6,238.92 of the EUR 46,050.00 committed to Claims in July–September 2026 was paid "
        "for and not used (13.5%).")
    # it sits right after the overage sentence
    topics = [topic for topic, _ in review.summary]
    assert topics[topics.index("Overage") + 1] == "Paid for, not used"


def test_every_department_and_the_tenant_add_up(book):
    window = report.default_window(book.as_of)
    tenant = report.department_review(book, None, window)
    assert tenant.unused_cents == unused_cents(book, None, window) == 20_480_26
    parts = [report.department_review(book, d, window).unused_cents for d in book.departments]
    assert sum(parts) == tenant.unused_cents
    table = tenant.department_table().set_index("Department")
    assert to_cents(table["Paid for, not used (EUR)"]).tolist() == parts
    # paid for, not used is part of the committed cost, never more
    assert (table["Paid for, not used (EUR)"] <= table["Billed (EUR)"]).all()
    assert dict(tenant.summary)["Paid for, not used"].endswith("(12.7%).")


def test_sample_renewal_question_is_claims_unused_webex_connect(book):
    # Sub-1003's 10,000 Webex Connect units were never used: 0% all year, 120.00 a month
    review = report.department_review(book, "Claims")
    rows = review.renewals()
    assert rows[["subscription_id", "usage_type", "used_share", "unused_cost"]].values.tolist(
    ) == [["Sub-1003", "webex_connect", 0.0, 1440.0]]
    assert report.renewal_question(review, next(rows.itertuples())) == (
        "Renew Sub-1003's 10,000 × Webex Connect at 0% use? It ends on 28 February 2027; "
        "EUR 1,440.00 of it went unused in the last 12 months.")
    html = review_page.department_html(review)
    assert "Renewal questions" in html and "Renew Sub-1003" in html
    assert "Renewal questions" not in review_page.department_html(
        report.department_review(book, "Sales"))


# --- a hand-built tenant ------------------------------------------------------------------

def year_of(wfo_users: int) -> Workspace:
    rows = []
    for month in pd.period_range("2025-01", "2025-12", freq="M"):
        day = f"{month}-10T10:00"
        rows += [(day, "cc_standard_agent", 10, "Sub-A"), (day, "cc_standard_agent", 14, "Sub-B"),
                 (day, "ai_agent", 1400, "Sub-A")]
        rows += [(day, "wfo", 1, "Sub-C", f"u{i}") for i in range(wfo_users)]
    return Workspace(tenant(), usage(*rows))


def test_a_line_half_used_all_year_raises_the_renewal_question():
    review = report.department_review(year_of(5), "Ops")
    assert review.unused_cents == 3 * 5 * 40_00
    assert dict(review.summary)["Paid for, not used"] == (
        "EUR 600.00 of the EUR 1,200.00 committed to Ops in October–December 2025 was paid for "
        "and not used (50.0%).")
    table = review.renewal_table()
    assert table.to_dict("records") == [{
        "Subscription": "Sub-C", "Usage type": "Workforce Optimization", "Quantity": 10.0,
        "Share used": 0.5, "Unused, last 12 months (EUR)": 2400.0,
        "Line ends": "31 December 2025"}]
    question = ("Renew Sub-C's 10 × Workforce Optimization at 50% use? It ends on 31 December "
                "2025; EUR 2,400.00 of it went unused in the last 12 months.")
    html = review_page.department_html(review)
    assert "Renewal questions" in html and str(escape(question)) in html
    # the tenant review asks it too; Sales (its agents and AI Agent are used) does not
    roll_up = report.department_review(year_of(5), None)
    assert str(escape(question)) in review_page.tenant_html(roll_up, [])
    assert report.department_review(year_of(5), "Sales").renewals().empty


def test_a_line_at_70_percent_raises_none():
    book = year_of(7)
    review = report.department_review(book, "Ops")
    assert review.renewals().empty
    assert review.unused_cents == 3 * 3 * 40_00
    html = review_page.department_html(review)
    assert "Renewal questions" not in html and "Renew " not in html


# --- the workbook -------------------------------------------------------------------------

def test_workbook_commitments_sheet_is_the_commitments_frame(book, tmp_path):
    out = tmp_path / "review.xlsx"
    assert main(["workbook", str(sample_dir()), "--out", str(out)]) == 0
    sheet = openpyxl.load_workbook(out, data_only=True)["Commitments"]
    header, *rows = sheet.iter_rows(values_only=True)
    data = [dict(zip(header, row, strict=True)) for row in rows if row[0] != "Total"]
    frame = commitments(book.tenant, book.allocation)
    assert len(data) == len(frame) == 25
    assert [r["Subscription"] for r in data] == frame["subscription_id"].tolist()
    money = "Paid for, not used to date (EUR)"
    assert to_cents([r[money] for r in data]).tolist() == to_cents(frame["unused_cost"]).tolist()
    claims_connect = data[20]
    assert (claims_connect["Usage type"], claims_connect["Committed unit-months (term)"],
            claims_connect["Used unit-months to date"]) == ("Webex Connect", 360000, 0)
    assert claims_connect["Last day"].date().isoformat() == "2027-02-28"
    departments = openpyxl.load_workbook(out, data_only=True)["Departments"]
    assert "Paid for, not used (EUR)" in next(departments.iter_rows(values_only=True))

"""The workbook is traceable (issue 20.10): months are real dates, totals are SUM formulas that
Summary's figures refer to, Cost lines shows entitlement × unit price and overage × price with
the price source, text wraps, numbers read ``#,##0.00``; the XLSX of ``allocate`` and ``costs``
get frozen headers, widths and number formats too. Read back with openpyxl."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pandas as pd
import pytest
from test_review_honesty import AGENTS, USERS, ai_tenant, ai_usage

from toolkit.commands.cli import main
from toolkit.finance.money import to_cents
from toolkit.present import report
from toolkit.present.workbook import Sheet, write_workbook
from toolkit.resources import sample_dir
from toolkit.workspace import Workspace


@pytest.fixture(scope="module")
def sample_book():
    return report.load_book(sample_dir())


@pytest.fixture(scope="module")
def sample_workbook(tmp_path_factory, sample_book):
    path = tmp_path_factory.mktemp("trace") / "review.xlsx"
    write_workbook(sample_book, report.default_window(sample_book.as_of), path)
    return path


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """The hand-built tenant of test_review_honesty: March 2026 only, one unallocated row."""
    book = Workspace(ai_tenant(), ai_usage(), USERS, ai_agents=AGENTS)
    path = tmp_path_factory.mktemp("small") / "small.xlsx"
    write_workbook(book, report.default_window(book.as_of), path)
    return book, path


def _table(sheet):
    header, *rows = sheet.iter_rows(values_only=True)
    return [dict(zip(header, row, strict=True)) for row in rows]


def test_cost_lines_of_a_hand_built_tenant(small):
    _, path = small
    sheet = openpyxl.load_workbook(path)["Cost lines"]
    values = _table(openpyxl.load_workbook(path, data_only=True)["Cost lines"])
    *lines, total = values
    assert [(r["Month"], r["Subscription"], r["Usage type"], r["Entitlement"],
             r["Unit price (EUR)"], r["Committed cost (EUR)"], r["Usage"]) for r in lines] == [
        (dt.datetime(2026, 3, 1), "Sub-A", "AI Agent", 100, 1, 100, 35),
        (dt.datetime(2026, 3, 1), "Sub-B", "AI Agent", 100, 1, 100, 9),
        (dt.datetime(2026, 3, 1), "Sub-A", "Contact Center Standard agent", 10, 1, 10, 0),
    ]
    assert {r["Price source"] for r in lines} == {"owner line"}
    assert total["Month"] == "Total" and total["Total cost (EUR)"] == 210.0
    # the products are formulas over the row's own cells, the totals SUMs over the lines
    assert sheet["G2"].value == "=E2*F2" and sheet["M2"].value == "=J2*N(K2)"
    assert sheet["O5"].value == "=SUM(O2:O4)" and sheet["H5"].value == "=SUM(H2:H4)"
    assert sheet["A2"].number_format == "mmmm yyyy"


def test_summary_figures_refer_to_the_cost_lines_totals(small):
    _, path = small
    formulas = {a.value: b.value for a, b in openpyxl.load_workbook(path)["Summary"]
                .iter_rows(min_row=5, max_row=9, max_col=2)}
    values = {a.value: b.value for a, b in openpyxl.load_workbook(path, data_only=True)[
        "Summary"].iter_rows(min_row=5, max_row=9, max_col=2)}
    assert formulas["Billed"] == "='Cost lines'!O5"
    assert formulas["Overage billed"] == "='Cost lines'!N5"
    assert values["Billed"] == 210.0 and values["Overage billed"] == 0.0


def test_coverage_sheet_and_sentence_disclose_the_unallocated_usage(small):
    book, path = small
    rows = _table(openpyxl.load_workbook(path, data_only=True)["Coverage"])
    assert rows == [
        {"Reason": "user not in the users table", "Usage type": "Contact Center Standard agent",
         "Rows": 1, "Quantity": 3, "Billable": 3, "Owner's price from": "Sub-A",
         "Overage price (EUR)": 50, "Would cost (EUR)": 150},
        {"Reason": "Total", "Usage type": None, "Rows": None, "Quantity": None,
         "Billable": None, "Owner's price from": None, "Overage price (EUR)": None,
         "Would cost (EUR)": 150},
    ]
    summary = dict(report.department_review(book, None).summary)
    assert summary["Coverage"] == (
        "The figures rest on the usage of March 2026; January–February 2026 have no usage at "
        "all. Not allocated to any subscription, so on no department's bill: 1 row of Contact "
        "Center Standard agent (user not in the users table; 3 billable, EUR 150.00 at Sub-A's "
        "price); EUR 150.00 in all.")
    assert summary["Change"].startswith("No month of January–March 2026 has a month with usage")


def test_sample_cost_lines_add_up_to_the_billed_review(sample_workbook, sample_book):
    review = report.department_review(sample_book, None)
    *lines, total = _table(openpyxl.load_workbook(sample_workbook, data_only=True)[
        "Cost lines"])
    assert len(lines) == len(review.priced)
    assert to_cents([r["Total cost (EUR)"] for r in lines]).sum() == review.billed_cents
    assert to_cents([total["Total cost (EUR)"]])[0] == review.billed_cents
    for row in lines:  # the committed cost is entitlement × unit price, to the cent
        product = row["Entitlement"] * row["Unit price (EUR)"]
        assert abs(row["Committed cost (EUR)"] - product) <= 0.01 + 1e-9
    months = [r["Month"] for r in lines]
    assert all(isinstance(m, dt.datetime) and m.day == 1 for m in months)


def test_sheets_formats_and_wrapping(sample_workbook):
    workbook = openpyxl.load_workbook(sample_workbook)
    assert workbook.sheetnames == [
        "Summary", "Departments", "Monthly", "Cost lines", "Cost by usage type",
        "Overage owners", "Budget", "Forecast", "Commitments", "Subscriptions", "Coverage",
        "Findings"]
    formats = {c.number_format for s in workbook.worksheets for row in s.iter_rows()
               for c in row if isinstance(c.value, int | float)}
    assert "#,##0.##" not in formats and "General" not in formats
    monthly = workbook["Monthly"]
    assert monthly["B2"].value == dt.datetime(2026, 7, 1)
    assert monthly["B2"].number_format == "mmmm yyyy"
    finding = workbook["Findings"]["D2"]
    assert isinstance(finding.value, str) and finding.alignment.wrap_text
    departments = workbook["Departments"]
    last = departments.max_row
    assert departments.cell(last, 1).value == "Total"
    assert departments.cell(last, 2).value == f"=SUM(B2:B{last - 1})"


def test_extra_sheets_follow_the_review(tmp_path, sample_book):
    path = tmp_path / "extra.xlsx"
    extra = Sheet("Peaks", pd.DataFrame({"Month": pd.PeriodIndex(["2026-07"], freq="M"),
                                         "Peak": [12.0]}))
    write_workbook(sample_book, report.default_window(sample_book.as_of), path, [extra])
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames[-1] == "Peaks"
    assert workbook["Peaks"]["A2"].value == dt.datetime(2026, 7, 1)


@pytest.mark.parametrize("command", ["allocate", "costs"])
def test_command_workbooks_are_formatted_and_byte_identical(tmp_path, command, capsys):
    first, second = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    for path in (first, second):
        assert main([command, str(sample_dir()), "--out", str(path)]) == 0
    capsys.readouterr()
    assert first.read_bytes() == second.read_bytes()
    workbook = openpyxl.load_workbook(first)
    for sheet in workbook.worksheets:
        assert sheet.freeze_panes == "A2", sheet.title
        header = [c.value for c in sheet[1]]
        if sheet.max_row < 2:
            continue
        for col, name in enumerate(header, start=1):
            cell = sheet.cell(2, col)
            letter = cell.column_letter
            assert sheet.column_dimensions[letter].width >= 10, (sheet.title, name)
            if isinstance(cell.value, float) and not float(cell.value).is_integer():
                assert cell.number_format == "#,##0.00", (sheet.title, name)


def test_budget_warnings_read_as_in_costs_and_the_review(sample_workbook):
    from toolkit.present.words import budget_warning_text

    rows = _table(openpyxl.load_workbook(sample_workbook)["Budget"])
    flags = {r["Flag"] for r in rows}
    assert budget_warning_text(80) == "reached 80% of budget, not above it"
    assert flags == {"", budget_warning_text(80)}

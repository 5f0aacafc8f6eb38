"""``multisub workbook``: the review as an Excel workbook — same figures as the report, real
number formats, frozen headers, filters, a native chart, formula-safe and byte-identical."""

import re
import shutil
import zipfile

import openpyxl
import pytest

from toolkit.commands.cli import main
from toolkit.finance.money import to_cents
from toolkit.present import report
from toolkit.present.workbook import write_workbook
from toolkit.resources import sample_dir

SHEETS = ["Summary", "Departments", "Monthly", "Cost lines", "Cost by usage type",
          "Overage owners", "Budget", "Forecast", "Commitments", "Subscriptions", "Coverage",
          "Findings"]
MONEY_FORMAT = '"EUR" #,##0.00;-"EUR" #,##0.00'
#: The workbook's own formulas: totals, the cost lines' products, Summary's references.
OWN_FORMULA = (r"SUM\([A-Z]+\d+:[A-Z]+\d+\)|[A-Z]+\d+\*(N\()?[A-Z]+\d+\)?|"
               r"'[A-Za-z ]+'![A-Z]+\d+|B5/B6")


@pytest.fixture(scope="module")
def book():
    return report.load_book(sample_dir())


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    out = tmp_path_factory.mktemp("workbook") / "review.xlsx"
    assert main(["workbook", str(sample_dir()), "--out", str(out)]) == 0
    return out


def rows_of(sheet):
    """The data rows (the totals row, first cell ``Total``, left out)."""
    header, *rows = sheet.iter_rows(values_only=True)
    return [dict(zip(header, row, strict=True)) for row in rows if row[0] != "Total"]


def test_sheets_in_order(written):
    # the sample has sessions (its raw/agentSession pages): the peaks' sheet comes last, with
    # only its header here, as no agent usage of July–September was measured from them (T1)
    assert openpyxl.load_workbook(written).sheetnames == [*SHEETS, "Who made the peak"]


def test_byte_identical_across_runs(written, tmp_path):
    again = tmp_path / "again.xlsx"
    assert main(["workbook", str(sample_dir()), "--out", str(again)]) == 0
    assert again.read_bytes() == written.read_bytes()


def test_departments_match_the_review_and_the_chargeback(written, book):
    window = report.default_window(book.as_of)
    rows = rows_of(openpyxl.load_workbook(written, data_only=True)["Departments"])
    assert [r["Department"] for r in rows] == book.departments
    for row in rows:
        review = report.department_review(book, row["Department"], window)
        assert to_cents([row["Billed (EUR)"]])[0] == review.billed_cents
        assert to_cents([row["Overage caused (EUR)"]])[0] == review.overage_caused_cents
    billed = book.billed[(book.billed["period"] >= window.first)
                         & (book.billed["period"] <= window.last)]
    assert to_cents([r["Billed (EUR)"] for r in rows]).sum() == to_cents(
        billed["total_cost"]).sum()


def test_monthly_shows_every_month_of_every_department(written, book):
    rows = rows_of(openpyxl.load_workbook(written)["Monthly"])
    assert len(rows) == 3 * len(book.departments)
    operations = [r for r in rows if r["Department"] == "Operations"]
    assert [r["Status"] for r in operations] == ["ended"] * 3
    assert all(r["Total billed (EUR)"] is None for r in operations)


def test_number_formats_frozen_headers_filters_and_widths(written):
    workbook = openpyxl.load_workbook(written)
    for name in SHEETS[1:]:
        sheet = workbook[name]
        assert sheet.freeze_panes == "A2", name
        assert sheet.auto_filter.ref.startswith("A1:"), name
        assert all(sheet.column_dimensions[c].width >= 10 for c in "ABC"), name
        for cell in sheet[1]:
            if "(EUR)" in str(cell.value):
                values = [c for c in sheet[cell.column_letter][1:] if c.value is not None
                          and sheet.cell(c.row, 1).value != "Total"]
                assert all(isinstance(c.value, int | float) or str(c.value).startswith("=")
                           for c in values)
                assert {c.number_format for c in values} <= {MONEY_FORMAT}, (name, cell.value)
            if str(cell.value).startswith("Share"):
                values = [c for c in sheet[cell.column_letter][1:] if c.value is not None]
                assert {c.number_format for c in values} == {"0.0%"}


def test_summary_has_the_sentences_and_a_native_chart(written, book):
    sheet = openpyxl.load_workbook(written, data_only=True)["Summary"]
    texts = [c.value for c in sheet["B"] if isinstance(c.value, str) and c.value != "Amount"]
    review = report.department_review(book, None)
    assert [s for _, s in review.summary] == texts
    figures = {a.value: b.value for a, b in zip(sheet["A"], sheet["B"], strict=True)}
    assert to_cents([figures["Billed"]])[0] == review.billed_cents
    assert figures["Share of budget"] == pytest.approx(review.billed_cents / review.budget_cents)
    with zipfile.ZipFile(written) as archive:
        names = archive.namelist()
        assert "xl/charts/chart1.xml" in names
        chart = archive.read("xl/charts/chart1.xml").decode()
        assert "<c:barChart>" in chart and "Departments!$B$2:$B$6" in chart
        drawing_rels = archive.read("xl/worksheets/_rels/sheet1.xml.rels").decode()
        assert "drawing" in drawing_rels


def test_formula_safe(tmp_path):
    tenant_dir = tmp_path / "tenant"
    shutil.copytree(sample_dir(), tenant_dir)
    for name in ("tenant.yaml", "budgets.csv", "users.csv"):
        path = tenant_dir / name
        text = path.read_text(encoding="utf-8")
        hostile = "'=HYPERLINK(\"http://x\",\"y\")'" if name == "tenant.yaml" else \
            '"=HYPERLINK(""http://x"",""y"")"'
        path.write_text(text.replace("Claims", hostile), encoding="utf-8")
    out = tmp_path / "review.xlsx"
    assert main(["workbook", str(tenant_dir), "--out", str(out)]) == 0
    with zipfile.ZipFile(out) as archive:
        sheets = [archive.read(n).decode() for n in archive.namelist()
                  if n.startswith("xl/worksheets/sheet")]
    formulas = [f for sheet in sheets for f in re.findall(r"<f>([^<]*)</f>", sheet)]
    assert formulas and all(re.fullmatch(OWN_FORMULA, f) for f in formulas), formulas[:5]
    assert not any("HYPERLINK" in f for f in formulas)
    departments = [r["Department"] for r in rows_of(openpyxl.load_workbook(out)["Departments"])]
    assert "'=HYPERLINK(\"http://x\",\"y\")" in departments


def test_not_an_xlsx_is_an_input_error(tmp_path, capsys, book):
    assert main(["workbook", str(sample_dir()), "--out", str(tmp_path / "x.csv")]) == 2
    assert "must be an .xlsx file" in capsys.readouterr().err
    with pytest.raises(ValueError, match="xlsx"):
        write_workbook(book, report.default_window(book.as_of), tmp_path / "x.ods")

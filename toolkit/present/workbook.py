"""The cost review as an Excel workbook a finance team can filter, sort and forward.

Six sheets from the same :class:`~toolkit.present.report.Review` figures the HTML shows:
Summary (the sentences, the key figures and a native chart of billed vs budget per department),
Departments, Monthly, Overage owners, Budget and Findings. Every table has its header frozen,
an autofilter, column widths to fit, and real numbers with currency or percent formats (never
numbers stored as text).

Formula-safe: every text cell is written as a string, never parsed as a formula or a link, and
text that a spreadsheet would run as a formula once re-saved as CSV is neutralized with the
same rule as every other export (:func:`toolkit.present.export.neutralize_formulas`).

Byte-identical across runs: the document's creation date is the review's as-of day (not the
clock), and XlsxWriter stamps every part of the file with one fixed date.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import pandas as pd

from toolkit.atomic import atomic_paths
from toolkit.present.export import neutralize_formulas
from toolkit.present.report import Review, Window, department_review
from toolkit.present.words import date_text, period_text, rule_title
from toolkit.workspace import Workspace

MAX_WIDTH = 80


def write_workbook(book: Workspace, window: Window, path: str | Path,
                   peaks: pd.DataFrame | None = None) -> Path:
    """Write the tenant's review over ``window`` to ``path`` (an ``.xlsx`` file), atomically:
    a failure part-way leaves the previous workbook as it was (:mod:`toolkit.atomic`).

    ``peaks`` (:func:`toolkit.peak_contributors`), when given, is written in full as a last
    sheet, :data:`PEAKS_SHEET`: the users counted in every billed peak (T1)."""
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise ValueError(f"the workbook must be an .xlsx file, not {path.name!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    tenant = department_review(book, None, window)
    with atomic_paths(path) as (temporary,):
        _write_sheets(book, window, tenant, temporary, peaks)
    return path


#: The sheet holding the users of every billed peak, when the workbook is given them.
PEAKS_SHEET = "Who made the peak"


def _peaks_table(peaks: pd.DataFrame) -> pd.DataFrame:
    """The contributors as cells: times as local text (empty where named licenses have no
    interval), periods as text, the rest as they are."""
    frame = peaks.copy()
    for column in frame.columns:
        values = frame[column]
        if isinstance(values.dtype, pd.DatetimeTZDtype):
            frame[column] = values.dt.strftime("%Y-%m-%d %H:%M").astype(object).where(
                values.notna(), None)
        elif isinstance(values.dtype, pd.PeriodDtype):
            frame[column] = values.astype(str)
        elif column == "peak":
            frame[column] = values.astype(int)
    return frame


def _write_sheets(book: Workspace, window: Window, tenant: Review, path: Path,
                  peaks: pd.DataFrame | None = None) -> None:
    """The six sheets into ``path`` (XlsxWriter's error for a file it could not write holds
    the ``OSError`` behind it, which the atomic write reports with the target)."""
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(path), {
        "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False,
        "nan_inf_to_errors": False})
    workbook.set_properties({"title": f"Cost review: {book.tenant.name}, {window.text}",
                             "created": dt.datetime.combine(book.as_of, dt.time())})
    formats = _formats(workbook, book.currency)
    try:
        departments = tenant.department_table()
        _summary(workbook, formats, tenant, len(departments))
        _table(workbook, formats, "Departments", departments)
        _table(workbook, formats, "Monthly", _monthly(book, window))
        _table(workbook, formats, "Overage owners", tenant.overage_owners())
        _table(workbook, formats, "Budget", _budget(tenant))
        _table(workbook, formats, "Findings", _findings(tenant))
        if peaks is not None:
            _table(workbook, formats, PEAKS_SHEET, _peaks_table(peaks))
    finally:
        workbook.close()


def _formats(workbook, currency: str) -> dict:
    money = f'"{currency}" #,##0.00;-"{currency}" #,##0.00'
    return {
        "header": workbook.add_format({"bold": True, "bg_color": "#E8ECF1", "text_wrap": True,
                                       "valign": "top", "bottom": 1}),
        "money": workbook.add_format({"num_format": money}),
        "share": workbook.add_format({"num_format": "0.0%"}),
        "number": workbook.add_format({"num_format": "#,##0.##"}),
        "text": workbook.add_format({"valign": "top"}),
        "wrap": workbook.add_format({"text_wrap": True, "valign": "top"}),
        "title": workbook.add_format({"bold": True, "font_size": 14}),
        "bold": workbook.add_format({"bold": True, "valign": "top"}),
    }


def _kind(column: str, currency: str) -> str:
    """How a column's numbers are formatted, read from its header in words."""
    if f"({currency})" in column:
        return "money"
    if column.startswith("Share"):
        return "share"
    return "number"


def _table(workbook, formats: dict, name: str, frame: pd.DataFrame) -> None:
    """One sheet holding ``frame``: header frozen, autofilter, widths, number formats."""
    sheet = workbook.add_worksheet(name)
    currency = formats["money"].num_format.split('"')[1]
    frame = neutralize_formulas(frame.reset_index(drop=True))
    columns = [str(c) for c in frame.columns]
    for col, title in enumerate(columns):
        sheet.write_string(0, col, title, formats["header"])
    for row, values in enumerate(frame.itertuples(index=False, name=None), start=1):
        for col, value in enumerate(values):
            _cell(sheet, row, col, value, formats, _kind(columns[col], currency))
    sheet.set_row(0, 30)  # headers wrap onto two lines
    _printable(sheet)
    sheet.repeat_rows(0)
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(len(frame), 1), max(len(columns) - 1, 0))
    for col, title in enumerate(columns):
        cells = [_shown(v) for v in frame.iloc[:, col]] if len(frame) else []
        width = min(max([len(title) // 2 + 2, *(len(c) + 2 for c in cells)], default=10),
                    MAX_WIDTH)
        wrap = formats["wrap"] if width >= MAX_WIDTH else None
        sheet.set_column(col, col, max(width, 10), wrap)


def _cell(sheet, row: int, col: int, value, formats: dict, kind: str) -> None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        sheet.write_blank(row, col, None)
    elif isinstance(value, bool | str):
        sheet.write_string(row, col, str(value), formats["text"])
    elif isinstance(value, int | float):
        sheet.write_number(row, col, float(value), formats[kind])
    else:
        sheet.write_string(row, col, str(value), formats["text"])


def _shown(value) -> str:
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:,.2f}" + " " * 5  # room for the currency
    return str(value)


def _summary(workbook, formats: dict, review: Review, departments: int) -> None:
    """The sentences, the key figures, and a native chart of billed vs budget."""
    sheet = workbook.add_worksheet("Summary")
    book = review.book
    sheet.write_string(0, 0, f"Cost review: {book.tenant.name}", formats["title"])
    sheet.write_string(1, 0, f"{review.window.text}, compared with {review.window.previous.text}"
                             f"; figures as of {date_text(book.as_of)}; amounts in "
                             f"{book.currency}", formats["text"])
    row = 3
    sheet.write_string(row, 0, "Figure", formats["header"])
    sheet.write_string(row, 1, "Amount", formats["header"])
    budget = review.budget_cents
    figures = [("Billed", review.billed_cents / 100, "money"),
               ("Budget", None if budget is None else budget / 100, "money"),
               ("Share of budget", review.billed_cents / budget if budget else None, "share"),
               (f"Billed in {review.window.previous.text}", review.previous_cents / 100, "money"),
               ("Overage billed", review.overage_billed_cents / 100, "money")]
    for label, value, kind in figures:
        row += 1
        sheet.write_string(row, 0, label, formats["text"])
        _cell(sheet, row, 1, value, formats, kind)
    row += 2
    sheet.write_string(row, 0, "Summary", formats["title"])
    for topic, sentence in review.summary:  # one line each, running on to the right
        row += 1
        sheet.write_string(row, 0, topic, formats["bold"])
        sheet.write_string(row, 1, _safe(sentence), formats["text"])
    sheet.set_column(0, 0, 30)
    sheet.set_column(1, 1, 22)
    chart = workbook.add_chart({"type": "column"})
    for col, color in ((1, "#4878A8"), (2, "#333333")):
        chart.add_series({
            "name": ["Departments", 0, col], "categories": ["Departments", 1, 0, departments, 0],
            "values": ["Departments", 1, col, departments, col], "fill": {"color": color}})
    chart.set_title({"name": f"Billed vs budget by department, {review.window.text}"})
    chart.set_y_axis({"name": f"cost ({book.currency})", "num_format": "#,##0"})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": 720, "height": 320})
    sheet.insert_chart(row + 2, 0, chart)
    _printable(sheet)


def _printable(sheet) -> None:
    """Printed landscape, one page wide."""
    sheet.set_landscape()
    sheet.set_paper(9)  # A4
    sheet.fit_to_pages(1, 0)


def _safe(text: str) -> str:
    return str(neutralize_formulas(pd.DataFrame({"t": [text]}))["t"].iloc[0])


def _monthly(book: Workspace, window: Window) -> pd.DataFrame:
    parts = [department_review(book, d, window).monthly() for d in book.departments]
    for department, part in zip(book.departments, parts, strict=True):
        part.insert(0, "Department", department)
    return pd.concat(parts, ignore_index=True)


def _budget(review: Review) -> pd.DataFrame:
    c = review.currency
    rows = review.budget if review.budget is not None else pd.DataFrame(
        columns=["period", "department", "budget", "actual", "variance", "used", "flag"])
    return pd.DataFrame({
        "Month": [period_text(p) for p in rows["period"]],
        "Department": rows["department"].astype("str").to_numpy(),
        f"Budget ({c})": rows["budget"].to_numpy(dtype=float),
        f"Billed ({c})": rows["actual"].to_numpy(dtype=float),
        f"Remaining ({c})": rows["variance"].to_numpy(dtype=float),
        "Share of budget": rows["used"].to_numpy(dtype=float),
        "Flag": rows["flag"].astype("str").to_numpy(),
    })


def _findings(review: Review) -> pd.DataFrame:
    findings = review.findings
    return pd.DataFrame({
        "Rule": [rule_title(str(r)) for r in findings["rule"]],
        "Severity": findings["severity"].astype("str").to_numpy(),
        "Subject": findings["subject"].astype("str").to_numpy(),
        "Finding": findings["message"].astype("str").to_numpy(),
    })

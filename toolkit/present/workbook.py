"""The cost review as an Excel workbook a finance team can filter, sort, trace and forward.

The sheets (:func:`review_sheets`, a list a caller extends with sheets of its own) hold the same
:class:`~toolkit.present.report.Review` figures the HTML shows: Summary (the sentences, the key
figures and a native chart of billed vs budget per department), Departments, Monthly, Cost
lines, Cost by usage type, Overage owners, Budget, Forecast, Commitments, Subscriptions,
Coverage and Findings. Every table has its header frozen, an autofilter, column widths to fit,
text that wraps, real numbers (``#,##0.00``, currency or percent formats; never numbers stored
as text) and months as real Excel dates shown as months, so they sort as dates.

Traceable: **Cost lines** shows each line's entitlement × unit price beside its committed cost
and overage × price beside its overage cost (with ``price_source``); its totals row, a ``SUM``
formula Excel recalculates, is what Summary's "Billed" and "Overage billed" refer to. Formulas
carry their computed value, so a reader that does not recalculate shows the same figure.

Formula-safe: every text cell is written as a string, never parsed as a formula or a link, and
text that a spreadsheet would run as a formula once re-saved as CSV is neutralized with the
same rule as every other export (:func:`toolkit.present.export.neutralize_formulas`); the only
formulas are the workbook's own.

Byte-identical across runs: the document's creation date is the review's as-of day (not the
clock), and XlsxWriter stamps every part of the file with one fixed date.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from toolkit.atomic import atomic_paths
from toolkit.finance.money import to_cents
from toolkit.model import as_date
from toolkit.periods import last_day
from toolkit.present.export import neutralize_formulas
from toolkit.present.report import Review, Window, department_review
from toolkit.present.words import budget_warning_text, date_text, rule_title, type_name
from toolkit.workspace import Workspace

MAX_WIDTH = 60
MONTH_FORMAT = "mmmm yyyy"
DAY_FORMAT = "d mmmm yyyy"


@dataclass(frozen=True)
class Sheet:
    """One table sheet: ``frame`` as it is shown, the columns its totals row sums (a ``SUM``
    formula each), and formula columns: header → template over the same row's cells, named
    by header in braces (``"={Entitlement}*{Unit price (EUR)}"``), whose computed value is
    the frame's column."""

    name: str
    frame: pd.DataFrame
    totals: tuple[str, ...] = ()
    formulas: tuple[tuple[str, str], ...] = ()


def write_workbook(book: Workspace, window: Window, path: str | Path,
                   extra: Iterable[Sheet] = (), *, peaks: pd.DataFrame | None = None) -> Path:
    """Write the tenant's review over ``window`` to ``path`` (an ``.xlsx`` file), atomically:
    a failure part-way leaves the previous workbook as it was (:mod:`toolkit.atomic`).

    ``extra`` sheets follow the review's own. ``peaks`` (:func:`toolkit.peak_contributors`),
    when given, is written in full as the last sheet, :data:`PEAKS_SHEET`: the users counted
    in every billed peak (T1)."""
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise ValueError(f"the workbook must be an .xlsx file, not {path.name!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    tenant = department_review(book, None, window)
    sheets = [*review_sheets(book, window, tenant), *extra]
    if peaks is not None:
        sheets.append(Sheet(PEAKS_SHEET, _peaks_table(peaks)))
    with atomic_paths(path) as (temporary,):
        _write_sheets(book, window, tenant, sheets, temporary)
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


def review_sheets(book: Workspace, window: Window, tenant: Review) -> list[Sheet]:
    """The review's table sheets, in order (Summary comes first and refers to them)."""
    c = tenant.currency
    departments = tenant.department_table()
    money = tuple(col for col in departments.columns if f"({c})" in col and "Budget" not in col)
    return [
        Sheet("Departments", departments, (f"Budget ({c})", *money)),
        Sheet("Monthly", _monthly(book, window)),
        cost_lines(tenant),
        Sheet("Cost by usage type", tenant.by_type(),
              tuple(col for col in tenant.by_type().columns if f"({c})" in col)),
        Sheet("Overage owners", _with_months(tenant.overage_owners(),
                                             tenant.priced.loc[tenant.priced["overage_cost"] > 0,
                                                               "period"])),
        Sheet("Budget", _budget(tenant)),
        Sheet("Forecast", tenant.forecast_table()),
        commitments_sheet(book),
        Sheet("Subscriptions", tenant.subscription_table()),
        Sheet("Coverage", tenant.coverage_table(), (f"Would cost ({c})",)),
        Sheet("Findings", _findings(tenant)),
    ]


def commitments_sheet(book: Workspace) -> Sheet:
    """Every line's term in unit-months, committed, used to date and projected at term end,
    and its unused committed cost to date (:func:`toolkit.commitments`, T3), the line's days
    as real dates (its last day, not the exclusive end)."""
    rows, tenant, c = book.commitments, book.tenant, book.currency
    money = f"Paid for, not used to date ({c})"
    frame = pd.DataFrame({
        "Subscription": rows["subscription_id"].astype("str").to_numpy(),
        "Department": rows["department"].astype("str").to_numpy(),
        "Usage type": [type_name(tenant, t) for t in rows["usage_type"]],
        "First day": [as_date(d) for d in rows["line_start"]],
        "Last day": [last_day(as_date(d)) for d in rows["line_end"]],
        "Committed unit-months (term)": rows["committed_unit_months"].to_numpy(dtype=float),
        "Used unit-months to date": rows["used_unit_months"].to_numpy(dtype=float),
        "Projected unit-months at term end": rows["projected_unit_months"].to_numpy(
            dtype=float),
        money: rows["unused_cost"].to_numpy(dtype=float),
    })
    return Sheet("Commitments", frame, (money,))


def cost_lines(review: Review) -> Sheet:
    """Each cost line of the window: entitlement × unit price beside the committed cost,
    overage × price beside the overage cost, where the price came from, and the totals that
    Summary's figures refer to."""
    rows, tenant, c = review.priced, review.book.tenant, review.currency
    frame = pd.DataFrame({
        "Month": rows["period"].to_numpy(),
        "Subscription": rows["subscription_id"].to_numpy(),
        "Department": rows["department"].to_numpy(),
        "Usage type": [type_name(tenant, t) for t in rows["usage_type"]],
        "Entitlement": rows["entitlement"].to_numpy(dtype=float),
        f"Unit price ({c})": rows["unit_price"].to_numpy(dtype=float),
        f"Entitlement × unit price ({c})": (rows["entitlement"] * rows["unit_price"]).to_numpy(
            dtype=float),
        f"Committed cost ({c})": rows["committed_cost"].to_numpy(dtype=float),
        "Usage": rows["usage"].to_numpy(dtype=float),
        "Overage": rows["overage"].to_numpy(dtype=float),
        f"Overage price ({c})": rows["overage_price"].to_numpy(dtype=float),
        "Price source": rows["price_source"].astype("str").to_numpy(),
        f"Overage × price ({c})": (rows["overage"] * rows["overage_price"].fillna(0.0)
                                   ).to_numpy(dtype=float),
        f"Overage cost ({c})": rows["overage_cost"].to_numpy(dtype=float),
        f"Total cost ({c})": rows["total_cost"].to_numpy(dtype=float),
    })
    formulas = ((f"Entitlement × unit price ({c})", f"={{Entitlement}}*{{Unit price ({c})}}"),
                (f"Overage × price ({c})", f"={{Overage}}*N({{Overage price ({c})}})"))
    return Sheet("Cost lines", frame, (f"Committed cost ({c})", f"Overage cost ({c})",
                                       f"Total cost ({c})"), formulas)


def _write_sheets(book: Workspace, window: Window, tenant: Review, sheets: list[Sheet],
                  path: Path) -> None:
    """The sheets into ``path`` (XlsxWriter's error for a file it could not write holds
    the ``OSError`` behind it, which the atomic write reports with the target)."""
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(path), {
        "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False,
        "nan_inf_to_errors": False})
    workbook.set_properties({"title": f"Cost review: {book.tenant.name}, {window.text}",
                             "author": book.tenant.name, "comments": "Written by multisub",
                             "created": dt.datetime.combine(book.as_of, dt.time())})
    formats = _formats(workbook, book.currency)
    try:
        summary = workbook.add_worksheet("Summary")
        totals = {sheet.name: _table(workbook, formats, sheet) for sheet in sheets}
        _summary(summary, workbook, formats, tenant, len(sheets[0].frame), totals)
    finally:
        workbook.close()


def _formats(workbook, currency: str) -> dict:
    money = f'"{currency}" #,##0.00;-"{currency}" #,##0.00'
    return {
        "header": workbook.add_format({"bold": True, "bg_color": "#E8ECF1", "text_wrap": True,
                                       "valign": "top", "bottom": 1}),
        "money": workbook.add_format({"num_format": money, "valign": "top"}),
        "share": workbook.add_format({"num_format": "0.0%", "valign": "top"}),
        "number": workbook.add_format({"num_format": "#,##0.00", "valign": "top"}),
        "count": workbook.add_format({"num_format": "#,##0", "valign": "top"}),
        "month": workbook.add_format({"num_format": MONTH_FORMAT, "valign": "top",
                                      "align": "left"}),
        "day": workbook.add_format({"num_format": DAY_FORMAT, "valign": "top",
                                    "align": "left"}),
        "text": workbook.add_format({"text_wrap": True, "valign": "top"}),
        "title": workbook.add_format({"bold": True, "font_size": 14}),
        "bold": workbook.add_format({"bold": True, "valign": "top"}),
        "total": workbook.add_format({"bold": True, "top": 1, "valign": "top"}),
        "total money": workbook.add_format({"bold": True, "top": 1, "num_format": money}),
        "currency": currency,
    }


def _kind(column: str, values: pd.Series, currency: str) -> str:
    """How a column's numbers are formatted, read from its header in words and its values."""
    if f"({currency})" in column:
        return "money"
    if column.startswith("Share"):
        return "share"
    numbers = pd.to_numeric(values, errors="coerce").dropna()
    if len(numbers) and (numbers == numbers.round()).all():
        return "count"
    return "number"


def _table(workbook, formats: dict, sheet: Sheet) -> dict[str, str]:
    """One sheet: header frozen, autofilter, widths, wrapped text, number and month formats,
    formula columns and a totals row; returns each summed column's total cell
    (``'Cost lines'!$N$51``) for Summary to refer to."""
    ws = workbook.add_worksheet(sheet.name)
    frame = neutralize_formulas(sheet.frame.reset_index(drop=True))
    columns = [str(col) for col in frame.columns]
    currency = formats["currency"]
    kinds = [_kind(col, frame[col], currency) for col in columns]
    formulas = dict(sheet.formulas)
    for col, title in enumerate(columns):
        ws.write_string(0, col, title, formats["header"])
    for row, values in enumerate(frame.itertuples(index=False, name=None), start=1):
        for col, value in enumerate(values):
            if columns[col] in formulas:
                _formula(ws, row, col, formulas[columns[col]], columns, value,
                         formats[kinds[col]])
            else:
                _cell(ws, row, col, value, formats, kinds[col])
    totals = _totals(ws, sheet, columns, len(frame), formats)
    ws.set_row(0, 30)  # headers wrap onto two lines
    _printable(ws)
    ws.repeat_rows(0)
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, max(len(frame), 1), max(len(columns) - 1, 0))
    for col, title in enumerate(columns):
        cells = [_shown(v) for v in frame.iloc[:, col]] if len(frame) else []
        width = min(max([len(title) // 2 + 2, *(len(c) + 2 for c in cells)], default=10),
                    MAX_WIDTH)
        ws.set_column(col, col, max(width, 10))
    return totals


def _ref(row: int, col: int) -> str:
    from xlsxwriter.utility import xl_rowcol_to_cell

    return xl_rowcol_to_cell(row, col)


def _formula(ws, row: int, col: int, template: str, columns: list[str], value, fmt) -> None:
    cells = {name: _ref(row, i) for i, name in enumerate(columns)}
    text = template
    for name, cell in cells.items():
        text = text.replace("{" + name + "}", cell)
    cached = 0.0 if value is None or (isinstance(value, float) and math.isnan(value)) else value
    ws.write_formula(row, col, text, fmt, float(cached))


def _totals(ws, sheet: Sheet, columns: list[str], rows: int, formats: dict) -> dict[str, str]:
    """A ``Total`` row of ``SUM`` formulas under the summed columns (with their values)."""
    if not sheet.totals or rows == 0:
        return {}
    last = rows + 1
    ws.write_string(last, 0, "Total", formats["total"])
    found = {}
    for name in sheet.totals:
        if name not in columns:
            continue
        col = columns.index(name)
        values = pd.to_numeric(sheet.frame[name], errors="coerce")
        cents = int(to_cents(values.fillna(0.0)).sum())
        ws.write_formula(last, col, f"=SUM({_ref(1, col)}:{_ref(rows, col)})",
                         formats["total money"], cents / 100)
        found[name] = f"'{sheet.name}'!{_ref(last, col)}"
    return found


def _cell(sheet, row: int, col: int, value, formats: dict, kind: str) -> None:
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        sheet.write_blank(row, col, None)
    elif isinstance(value, pd.Period):
        fmt = formats["month"] if value.freqstr.startswith("M") else formats["day"]
        sheet.write_datetime(row, col, value.start_time.to_pydatetime(), fmt)
    elif isinstance(value, dt.date):
        sheet.write_datetime(row, col, dt.datetime.combine(value, dt.time()), formats["day"])
    elif isinstance(value, bool | str):
        sheet.write_string(row, col, str(value), formats["text"])
    elif isinstance(value, int | float):
        sheet.write_number(row, col, float(value), formats[kind])
    else:
        sheet.write_string(row, col, str(value), formats["text"])


def _shown(value) -> str:
    if isinstance(value, pd.Period):
        return "September 2026"
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:,.2f}" + " " * 5  # room for the currency
    return str(value)


def _summary(sheet, workbook, formats: dict, review: Review, departments: int,
             totals: dict[str, dict[str, str]]) -> None:
    """The sentences, the key figures (the billed ones referring to Cost lines' totals), and
    a native chart of billed vs budget."""
    book = review.book
    c = review.currency
    sheet.write_string(0, 0, f"Cost review: {book.tenant.name}", formats["title"])
    sheet.write_string(1, 0, f"{review.window.text}, compared with {review.window.previous.text}"
                             f"; figures as of {date_text(book.as_of)}; amounts in "
                             f"{book.currency}")
    row = 3
    sheet.write_string(row, 0, "Figure", formats["header"])
    sheet.write_string(row, 1, "Amount", formats["header"])
    budget = review.budget_cents
    lines = totals.get("Cost lines", {})
    figures = [("Billed", review.billed_cents / 100, "money", lines.get(f"Total cost ({c})")),
               ("Budget", None if budget is None else budget / 100, "money",
                totals.get("Departments", {}).get(f"Budget ({c})") if budget else None),
               ("Share of budget", review.billed_cents / budget if budget else None, "share",
                "=B5/B6" if budget else None),
               (f"Billed in {review.window.previous.text}", review.previous_cents / 100, "money",
                None),
               ("Overage billed", review.overage_billed_cents / 100, "money",
                lines.get(f"Overage cost ({c})"))]
    for label, value, kind, formula in figures:
        row += 1
        sheet.write_string(row, 0, label, formats["text"])
        if formula and value is not None:
            target = formula if formula.startswith("=") else f"={formula}"
            sheet.write_formula(row, 1, target, formats[kind], value)
        else:
            _cell(sheet, row, 1, value, formats, kind)
    row += 2
    sheet.write_string(row, 0, "Summary", formats["title"])
    for topic, sentence in review.summary:
        row += 1
        sheet.write_string(row, 0, topic, formats["bold"])
        sheet.write_string(row, 1, _safe(sentence), formats["text"])
    sheet.set_column(0, 0, 24)
    sheet.set_column(1, 1, 100)
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


def _with_months(frame: pd.DataFrame, periods: pd.Series) -> pd.DataFrame:
    """``frame`` with its worded ``Month`` column replaced by the periods (written as dates)."""
    frame = frame.copy()
    if "Month" in frame.columns:
        frame["Month"] = periods.to_numpy()
    return frame


def _monthly(book: Workspace, window: Window) -> pd.DataFrame:
    parts = [_with_months(department_review(book, d, window).monthly(),
                          pd.Series(window.periods)) for d in book.departments]
    for department, part in zip(book.departments, parts, strict=True):
        part.insert(0, "Department", department)
    return pd.concat(parts, ignore_index=True)


def _budget(review: Review) -> pd.DataFrame:
    c = review.currency
    rows = review.budget if review.budget is not None else pd.DataFrame(
        columns=["period", "department", "budget", "actual", "variance", "used", "flag",
                 "severity", "threshold_crossed"])
    return pd.DataFrame({
        "Month": rows["period"].to_numpy(),
        "Department": rows["department"].astype("str").to_numpy(),
        f"Budget ({c})": rows["budget"].to_numpy(dtype=float),
        f"Billed ({c})": rows["actual"].to_numpy(dtype=float),
        f"Remaining ({c})": rows["variance"].to_numpy(dtype=float),
        "Share of budget": rows["used"].to_numpy(dtype=float),
        "Flag": [budget_warning_text(100 * float(level)) if severity == "warning" else str(flag)
                 for flag, severity, level in zip(rows["flag"], rows["severity"],
                                                  rows["threshold_crossed"], strict=True)],
    })


def _findings(review: Review) -> pd.DataFrame:
    findings = review.findings
    return pd.DataFrame({
        "Rule": [rule_title(str(r)) for r in findings["rule"]],
        "Severity": findings["severity"].astype("str").to_numpy(),
        "Subject": findings["subject"].astype("str").to_numpy(),
        "Finding": findings["message"].astype("str").to_numpy(),
    })

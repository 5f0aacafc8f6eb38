"""Writing tables for people: CSV, Parquet or Excel, chosen by the file's extension.

CSV and Excel files are opened in spreadsheets, where a cell starting with ``=``, ``+``,
``-``, ``@`` (or a tab or carriage return) runs as a formula. Text cells that start that way
are prefixed with a single quote (OWASP's advice against formula injection); numbers are
left as numbers.

Excel has no time zones: in an XLSX file, tz-aware timestamps are written as the local
wall-clock time of their own zone (the tenant's: loaders read times there), without offset.
CSV keeps them as ISO text with the offset. Two runs on the same data write byte-identical
files: the workbook's document timestamps and its zip entries' dates are fixed.

Every write is atomic (:mod:`toolkit.atomic`): a failure part-way leaves the previous files as
they were, and the files of one call land together or not at all.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

from toolkit.atomic import atomic_paths

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FORMATS = (".csv", ".parquet", ".xlsx")
#: Document dates written into every workbook, so that a file depends on its data only.
FIXED_DOCUMENT_TIME = "2000-01-01T00:00:00Z"
FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def neutralize_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy in which no text cell can be read as a spreadsheet formula."""
    safe = frame.copy()
    for column in safe.columns:
        values = safe[column]
        if pd.api.types.is_string_dtype(values) or values.dtype == object:
            is_text = values.map(lambda v: isinstance(v, str)).astype(bool)
            text = values.astype("str")
            risky = is_text & text.str.startswith(FORMULA_STARTS, na=False).astype(bool)
            safe[column] = values.where(~risky, "'" + text)
    safe.columns = [("'" + c if str(c).startswith(FORMULA_STARTS) else c) for c in safe.columns]
    return safe


def write_table(frame: pd.DataFrame, path: str | Path, sheets: dict | None = None,
                first_sheet: str = "data") -> Path:
    """Write ``frame`` to ``path`` as CSV, Parquet or XLSX (by extension), atomically.

    ``sheets`` adds further named frames as extra sheets of an XLSX file, after ``frame``'s
    own sheet, ``first_sheet``.
    """
    return _write_together({Path(path): (frame, sheets, first_sheet)})[0]


def write_tables(tables: Mapping[Path, pd.DataFrame] | Mapping[str, pd.DataFrame]) -> list[Path]:
    """Write each frame to its path (format by extension): all of them, or none.

    Every table is written to a temporary file next to its target first; only when all are
    complete do they replace their targets (:mod:`toolkit.atomic`), so a full disk part-way
    leaves every previous file as it was. A command whose outputs belong together (usage and
    its findings, an import's three tables) writes them with one call.
    """
    return _write_together({Path(path): (frame, None, "data") for path, frame in tables.items()})


def _write_together(tables: dict[Path, tuple[pd.DataFrame, dict | None, str]]) -> list[Path]:
    for path in tables:
        _check_format(path)
    for path in tables:
        path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_paths(*tables) as temps:
        for temp, (path, (frame, sheets, first)) in zip(temps, tables.items(), strict=True):
            _write_one(frame, temp, path.suffix.lower(), sheets, first)
    return list(tables)


def _check_format(path: Path) -> None:
    if path.suffix.lower() not in FORMATS:
        raise ValueError(f"unsupported output {path.name!r}: use one of {', '.join(FORMATS)}")


def _write_one(frame: pd.DataFrame, path: Path, suffix: str, sheets: dict | None,
               first_sheet: str) -> None:
    """Write one table to ``path`` (a temporary) in the format of ``suffix``."""
    if suffix == ".parquet":
        frame.to_parquet(path, index=False)
    elif suffix == ".csv":
        neutralize_formulas(_plain(frame)).to_csv(path, index=False)
    else:
        with pd.ExcelWriter(path, engine="xlsxwriter",
                            datetime_format=TIME_FORMAT) as writer:
            for name, table in {first_sheet: frame, **(sheets or {})}.items():
                shown = neutralize_formulas(_excel_times(table))
                shown.to_excel(writer, sheet_name=name, index=False)
                _format_sheet(writer, writer.sheets[name], shown)
        _fix_workbook_dates(path)


#: Number formats of an exported sheet: floats (amounts, quantities) to two decimals, integer
#: columns (counts) whole, times to the second.
DECIMAL_FORMAT, COUNT_FORMAT, TIME_FORMAT = "#,##0.00", "#,##0", "yyyy-mm-dd hh:mm:ss"
MAX_WIDTH = 60


def _format_sheet(writer, sheet, frame: pd.DataFrame) -> None:
    """A sheet a person can read: header frozen, columns wide enough for their values (at
    most :data:`MAX_WIDTH`), ``#,##0.00`` numbers (``#,##0`` for whole-number columns) and
    readable times. The values stay as written: formats only change how they show."""
    sheet.freeze_panes(1, 0)
    formats: dict[str, object] = {}
    for col, name in enumerate(frame.columns):
        values = frame[name]
        number = _number_format(values)
        if number and number not in formats:
            formats[number] = writer.book.add_format({"num_format": number})
        shown = values.head(1000).astype("str")
        longest = max([len(str(name)), *shown.str.len().tolist()], default=8)
        sheet.set_column(col, col, min(max(longest + 2, 10), MAX_WIDTH),
                         formats.get(number) if number else None)


def _number_format(values: pd.Series) -> str | None:
    if pd.api.types.is_bool_dtype(values):
        return None
    if pd.api.types.is_integer_dtype(values):
        return COUNT_FORMAT
    if pd.api.types.is_float_dtype(values):
        return DECIMAL_FORMAT
    if pd.api.types.is_datetime64_any_dtype(values):
        return TIME_FORMAT
    return None


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Periods and tz-aware stamps as text, which spreadsheets understand."""
    plain = frame.copy()
    for column in plain.columns:
        dtype = plain[column].dtype
        if isinstance(dtype, pd.PeriodDtype | pd.DatetimeTZDtype):
            plain[column] = plain[column].astype("str")
    return plain


def _excel_times(frame: pd.DataFrame) -> pd.DataFrame:
    """Periods as text; tz-aware timestamps, also in columns that mix them with blanks or
    text, as naive local times of their zone (Excel has no time zones)."""
    plain = frame.copy()
    for column in plain.columns:
        values = plain[column]
        if isinstance(values.dtype, pd.PeriodDtype):
            plain[column] = values.astype("str")
        elif isinstance(values.dtype, pd.DatetimeTZDtype):
            plain[column] = values.dt.tz_localize(None)
        elif values.dtype == object:
            plain[column] = values.map(_local_naive)
    return plain


def _local_naive(value):
    if isinstance(value, pd.Timestamp) and value.tzinfo is not None:
        return value.tz_localize(None)
    return value


def _fix_workbook_dates(path: Path) -> None:
    """Rewrite the XLSX with fixed document and zip dates (openpyxl stamps the clock)."""
    with zipfile.ZipFile(path) as source:
        entries = [(info, source.read(info)) for info in source.infolist()]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info, data in entries:
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*",
                              rb"\g<1>" + FIXED_DOCUMENT_TIME.encode(), data)
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            target.writestr(fixed, data)
    path.write_bytes(buffer.getvalue())


def write_with_companions(frame: pd.DataFrame, path: str | Path,
                          companions: dict[str, pd.DataFrame]) -> list[Path]:
    """Write ``frame`` to ``path`` and each companion table next to it.

    An XLSX file takes the companions as extra sheets; other formats get one file each,
    ``NAME.<companion>.EXT``, so a CSV stays one table per file. All are written or none.
    """
    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        return [write_table(frame, path, sheets=companions)]
    return write_tables({path: frame} | {companion_path(path, name): table
                                         for name, table in companions.items()})


def companion_path(path: str | Path, name: str) -> Path:
    """Where companion ``name`` of ``path`` goes when it is not a sheet: ``X.csv`` →
    ``X.<name>.csv`` (an XLSX file holds it as a sheet instead)."""
    path = Path(path)
    return path.with_suffix(f".{name}{path.suffix}")


def companion_paths(path: str | Path, names: Iterable[str]) -> list[Path]:
    """Every file :func:`write_with_companions` writes for ``path`` and companions ``names``."""
    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        return [path]
    return [path, *(companion_path(path, name) for name in names)]


def write_focus(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write the FOCUS table as CSV, Parquet or XLSX (formula-safe, via ``write_table``).

    Parquet keeps real UTC timestamps; text formats get FOCUS's own date-time format.
    """
    from toolkit.finance.focus import focus_text

    if Path(path).suffix.lower() != ".parquet":
        frame = focus_text(frame)
    return write_table(frame, path)


def plan_to_csv(plan: pd.DataFrame, path: str | Path) -> Path:
    """Write a remap plan as the admin's Control Hub worklist, formula-safe."""
    from toolkit.provisioning.remap import plan_worklist

    return write_table(plan_worklist(plan), path)

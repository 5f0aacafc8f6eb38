"""Writing tables for people: CSV, Parquet or Excel, chosen by the file's extension.

CSV and Excel files are opened in spreadsheets, where a cell starting with ``=``, ``+``,
``-``, ``@`` (or a tab or carriage return) runs as a formula. Text cells that start that way
are prefixed with a single quote (OWASP's advice against formula injection); numbers are
left as numbers.

Excel has no time zones: in an XLSX file, tz-aware timestamps are written as the local
wall-clock time of their own zone (the tenant's: loaders read times there), without offset.
CSV keeps them as ISO text with the offset. Two runs on the same data write byte-identical
files: the workbook's document timestamps and its zip entries' dates are fixed.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pandas as pd

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
    """Write ``frame`` to ``path`` as CSV, Parquet or XLSX (by extension).

    ``sheets`` adds further named frames as extra sheets of an XLSX file, after ``frame``'s
    own sheet, ``first_sheet``.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"unsupported output {path.name!r}: use one of {', '.join(FORMATS)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".parquet":
        frame.to_parquet(path, index=False)
    elif suffix == ".csv":
        neutralize_formulas(_plain(frame)).to_csv(path, index=False)
    else:
        with pd.ExcelWriter(path) as writer:
            for name, table in {first_sheet: frame, **(sheets or {})}.items():
                neutralize_formulas(_excel_times(table)).to_excel(writer, sheet_name=name,
                                                                  index=False)
        _fix_workbook_dates(path)
    return path


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
    ``NAME.<companion>.EXT``, so a CSV stays one table per file.
    """
    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        return [write_table(frame, path, sheets=companions)]
    return [write_table(frame, path)] + [
        write_table(table, path.with_suffix(f".{name}{path.suffix}"))
        for name, table in companions.items()
    ]


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

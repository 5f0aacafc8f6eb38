"""Writing tables for people: CSV, Parquet or Excel, chosen by the file's extension.

CSV and Excel files are opened in spreadsheets, where a cell starting with ``=``, ``+``,
``-``, ``@`` (or a tab or carriage return) runs as a formula. Text cells that start that way
are prefixed with a single quote (OWASP's advice against formula injection); numbers are
left as numbers.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FORMATS = (".csv", ".parquet", ".xlsx")


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


def write_table(frame: pd.DataFrame, path: str | Path, sheets: dict | None = None) -> Path:
    """Write ``frame`` to ``path`` as CSV, Parquet or XLSX (by extension).

    ``sheets`` adds further named frames as extra sheets of an XLSX file.
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
            for name, table in {"data": frame, **(sheets or {})}.items():
                neutralize_formulas(_plain(table)).to_excel(writer, sheet_name=name, index=False)
    return path


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Periods and tz-aware stamps as text, which spreadsheets understand."""
    plain = frame.copy()
    for column in plain.columns:
        dtype = plain[column].dtype
        if isinstance(dtype, pd.PeriodDtype | pd.DatetimeTZDtype):
            plain[column] = plain[column].astype("str")
    return plain


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

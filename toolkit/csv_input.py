"""Reading CSV inputs so that every problem is found and named, and nothing is dropped.

Each loader reads its file as text first, converts columns one by one while recording the
rows that do not convert, then checks the typed frame against a pandera schema. Problems from
all three stages are returned together, so one run reports everything that is wrong. Rows
are numbered as a spreadsheet shows them: the header is row 1, the first data row is row 2.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from toolkit.errors import InputError, Problem, raise_if_any

HEADER_ROWS = 1


def row_label(index: int) -> str:
    """The spreadsheet row of a data row's position (0 → row 2)."""
    return f"row {index + HEADER_ROWS + 1}"


def read_text_table(
    path: str | Path, required: Iterable[str], optional: Iterable[str] = ()
) -> pd.DataFrame:
    """Read a CSV as trimmed text, empty cells as NA; raise InputError on a malformed file.

    A file that is missing, empty, ragged (rows with the wrong number of fields) or lacks a
    required column is refused as a whole, listing every such problem.
    """
    file = str(path)
    if not Path(path).is_file():
        raise InputError([Problem(file, "", "", None, "an existing CSV file")])
    try:
        # header=None: the parser then refuses rows longer than the header instead of
        # silently turning the first column into an index.
        raw = pd.read_csv(path, header=None, dtype="str", keep_default_na=False,
                          encoding="utf-8-sig")
    except pd.errors.EmptyDataError:
        raise InputError([Problem(file, "", "", None, "a header row naming the columns "
                                  + ", ".join(required))]) from None
    except pd.errors.ParserError:
        raise InputError(_ragged_rows(path)) from None
    except UnicodeDecodeError as exc:
        raise InputError([Problem(file, "", "", None, f"UTF-8 text ({exc.reason})")]) from None
    short = raw.isna().any(axis=1).to_numpy().nonzero()[0]
    if len(short):
        raise InputError(_ragged_rows(path))
    frame = raw.iloc[1:].reset_index(drop=True)
    frame.columns = list(raw.iloc[0])
    frame.columns = [str(column).strip() for column in frame.columns]
    problems = [
        Problem(file, "row 1", column, None, "this column in the header")
        for column in required
        if column not in frame.columns
    ]
    if frame.empty:
        problems.append(Problem(file, "", "", None, "at least one data row after the header"))
    raise_if_any(problems)
    known = [*required, *optional]
    extra = [c for c in frame.columns if c not in known]
    ordered = [c for c in known if c in frame.columns] + extra
    frame = frame[ordered]
    for column in frame.columns:
        text = frame[column].str.strip()
        frame[column] = text.where(text != "", None)
    return frame


def _ragged_rows(path: str | Path) -> list[Problem]:
    """Every row whose field count differs from the header's."""
    with open(path, newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    width = len(rows[0])
    problems = [
        Problem(str(path), f"row {number}", "", None,
                f"{width} fields like the header, found {len(row)}")
        for number, row in enumerate(rows[1:], start=2)
        if row and len(row) != width
    ]
    return problems or [Problem(str(path), "", "", None, "well-formed CSV")]


def parse_numbers(frame: pd.DataFrame, column: str, file: str) -> tuple[pd.Series, list[Problem]]:
    """The column as float; unparseable cells become problems (and NaN)."""
    text = frame[column]
    numbers = pd.to_numeric(text, errors="coerce").astype("float64")
    bad = numbers.isna() & text.notna()
    return numbers, [
        Problem(file, row_label(i), column, text.iloc[i], "a number")
        for i in bad.to_numpy().nonzero()[0]
    ]


def parse_timestamps(
    frame: pd.DataFrame, column: str, file: str, timezone: str, required: bool = True
) -> tuple[pd.Series, list[Problem]]:
    """ISO 8601 timestamps as tz-aware values in ``timezone``.

    A timestamp with an offset (``Z``, ``+02:00``) is converted to the zone; a naive one is
    read as local time there, as Webex reports show it. Local times that do not exist or
    occur twice around a daylight-saving change are reported, not guessed.
    """
    text = frame[column]
    aware = text.str.contains(r"(?:Z|[+-]\d\d:?\d\d)$", regex=True, na=False)
    result = pd.Series(pd.NaT, index=frame.index, dtype=f"datetime64[us, {timezone}]")
    if aware.any():
        parsed = pd.to_datetime(text[aware], format="ISO8601", utc=True, errors="coerce")
        result[aware] = parsed.dt.tz_convert(timezone).astype(result.dtype)
    naive = text.notna() & ~aware
    if naive.any():
        parsed = pd.to_datetime(text[naive], format="ISO8601", errors="coerce")
        local = parsed.dt.tz_localize(timezone, ambiguous="NaT", nonexistent="NaT")
        result[naive] = local.astype(result.dtype)
    problems = []
    for i in (result.isna() & text.notna()).to_numpy().nonzero()[0]:
        problems.append(Problem(file, row_label(i), column, text.iloc[i],
                                f"an ISO 8601 date-time that exists in {timezone} "
                                "(e.g. 2025-03-01T09:30:00, or with an offset)"))
    if required:
        problems += missing_values(frame, column, file, "a date-time")
    return result.astype(f"datetime64[us, {timezone}]"), problems


def missing_values(frame: pd.DataFrame, column: str, file: str, expected: str) -> list[Problem]:
    return [
        Problem(file, row_label(i), column, None, expected)
        for i in frame[column].isna().to_numpy().nonzero()[0]
    ]


def one_of(values, what: str) -> pa.Check:
    """A pandera membership check whose failure reads "a <what>: a, b, c"."""
    allowed = sorted(values)
    return pa.Check.isin(allowed, error=f"{what}: " + ", ".join(allowed))


def schema_problems(frame: pd.DataFrame, schema: pa.DataFrameSchema, file: str,
                    skip_rows: Iterable[int] = ()) -> list[Problem]:
    """Check ``frame`` against ``schema``; every failure as a Problem.

    ``skip_rows`` are positions already reported (e.g. unparseable numbers) so they are not
    reported twice.
    """
    skip = set(skip_rows)
    subset = frame.drop(index=frame.index[sorted(skip)]) if skip else frame
    try:
        schema.validate(subset, lazy=True)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
        return [
            Problem(
                file,
                row_label(int(case["index"])) if pd.notna(case["index"]) else "",
                str(case["column"]) if pd.notna(case["column"]) else "",
                None if pd.isna(case["failure_case"]) else case["failure_case"],
                _expected(str(case["check"])),
            )
            for _, case in cases.sort_values("index", na_position="first", kind="stable").iterrows()
        ]
    return []


def _expected(check: str) -> str:
    return {"not_nullable": "a value (the cell is empty)"}.get(check, check)


def problem_rows(problems: list[Problem]) -> set[int]:
    """Data-row positions named by problems."""
    return {
        int(p.where.removeprefix("row ")) - HEADER_ROWS - 1
        for p in problems
        if p.where.startswith("row ")
    }

"""Reading CSV inputs as text so that every problem is found and named, and nothing is dropped.

Each loader reads its file as text here, then converts and checks its columns with
:mod:`toolkit.checks`; problems from every stage are returned together, so one run reports
everything that is wrong. Rows are numbered as a spreadsheet shows them: the header is row 1,
the first data row is row 2.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from toolkit.errors import InputError, Problem, raise_if_any
from toolkit.inputs.typed import is_parquet, parquet_as_text


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
        raw = parquet_as_text(path) if is_parquet(path) else pd.read_csv(
            path, header=None, dtype="str", keep_default_na=False, encoding="utf-8-sig")
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
    ] + _repeated_columns(list(frame.columns), file)
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


def _repeated_columns(columns: list[str], file: str) -> list[Problem]:
    """A column named twice: which of the two holds the values would be a guess."""
    first: dict[str, int] = {}
    problems = []
    for number, column in enumerate(columns, start=1):
        if column in first:
            problems.append(Problem(file, "row 1", column, None,
                                    f"each column once in the header (also column "
                                    f"{first[column]})"))
        first.setdefault(column, number)
    return problems


def _ragged_rows(path: str | Path) -> list[Problem]:
    """Every row whose field count differs from the header's."""
    with open(path, newline="", encoding="utf-8-sig") as handle:
        try:
            rows = list(csv.reader(handle))
        except csv.Error as exc:  # e.g. a field longer than the csv module's limit
            return [Problem(str(path), "", "", None, f"well-formed CSV ({exc})")]
    width = len(rows[0])
    problems = [
        Problem(str(path), f"row {number}", "", None,
                f"{width} fields like the header, found {len(row)}")
        for number, row in enumerate(rows[1:], start=2)
        if row and len(row) != width
    ]
    return problems or [Problem(str(path), "", "", None, "well-formed CSV")]

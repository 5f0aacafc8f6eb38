"""Reading CSV inputs as text so that every problem is found and named, and nothing is dropped.

Each loader reads its file as text here, then converts and checks its columns with
:mod:`toolkit.checks`; problems from every stage are returned together, so one run reports
everything that is wrong. Rows are numbered as a spreadsheet shows them: the header is row 1,
the first data row is row 2.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from pathlib import Path

import pandas as pd

from toolkit.errors import InputError, Problem, excerpt, raise_if_any
from toolkit.inputs.typed import is_parquet, parquet_as_text


def read_text_table(
    path: str | Path, required: Iterable[str], optional: Iterable[str] = (),
    extra: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Read a CSV as trimmed text, empty cells as NA; raise InputError on a malformed file.

    A file that is missing, empty, ragged (rows with the wrong number of fields) or lacks a
    required column is refused as a whole, listing every such problem. With ``extra`` (the
    tenant's own files), a column that is neither required, optional nor one of ``extra``
    is a problem too (see :func:`unknown_columns`); ``None`` keeps any extra column (a Webex
    export carries many the toolkit does not read).
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
    except (pd.errors.ParserError, UnicodeDecodeError):
        raise InputError(layout_problems(path)
                         or [Problem(file, "", "", None, "well-formed CSV")]) from None
    if not is_parquet(path):
        # pandas pads a short row with empty cells (a cut "1500" would read "15", a mapping
        # cut before its end would be open-ended): every row's fields are counted here
        raise_if_any(layout_problems(path))
    frame = raw.iloc[1:].reset_index(drop=True)
    frame.columns = list(raw.iloc[0])
    frame.columns = [str(column).strip() for column in frame.columns]
    problems = [
        Problem(file, "row 1", column, None, "this column in the header")
        for column in required
        if column not in frame.columns
    ] + _repeated_columns(list(frame.columns), file)
    if extra is not None:
        problems += unknown_columns(list(frame.columns), file, [*required, *optional], extra)
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


def unknown_columns(columns: list[str], file: str, known: Iterable[str],
                    extra: Iterable[str]) -> list[Problem]:
    """Header columns a tenant file may not carry: a typo (``end_date`` for ``end``) or a
    column whose meaning would be silently dropped (a ``currency`` the loader never reads).
    ``extra`` are the columns the format accepts and keeps without reading (docs/rules.md §6).
    """
    allowed = [*known, *extra]
    unknown = [c for c in dict.fromkeys(columns) if c not in allowed and columns.count(c) == 1]
    return [Problem(file, "row 1", excerpt(column, 60, False), None,
                    "a known column (" + ", ".join(allowed) + "); check its spelling")
            for column in unknown]  # a repeated one is reported as repeated


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


class _Undecodable(Exception):
    """A line that is not UTF-8: its physical line and the field the bad byte is in."""

    def __init__(self, line: int, field: int, reason: str):
        super().__init__(reason)
        self.line, self.field, self.reason = line, field, reason


def _decoded_lines(handle) -> Iterator[str]:
    """The file's lines as text; a line that is not UTF-8 raises :class:`_Undecodable`."""
    for number, raw in enumerate(handle, start=1):
        if number == 1:
            raw = raw.removeprefix(b"\xef\xbb\xbf")
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _Undecodable(number, raw[:exc.start].count(b",") + 1, exc.reason) from None


def layout_problems(path: str | Path) -> list[Problem]:
    """Every row whose field count differs from the header's, a quote left open, and bytes
    that are not UTF-8, each with its row (spreadsheet numbering) and, when known, column.

    One streamed pass with the csv module (strict: an open quote at the end of the file is an
    error, not a field that swallows the rest of the file).
    """
    file = str(path)
    problems: list[Problem] = []
    header: list[str] = []
    number, line = 0, 0
    with open(path, "rb") as handle:
        reader = csv.reader(_decoded_lines(handle), strict=True)
        try:
            for number, row in enumerate(reader, start=1):
                line = reader.line_num
                if number == 1:
                    header = row
                elif row and len(row) != len(header):
                    problems.append(Problem(file, f"row {number}", "", None,
                                            f"{len(header)} fields like the header, found "
                                            f"{len(row)}"))
        except _Undecodable as exc:
            problems.append(Problem(file, f"row {number + 1}", _named(header, exc.field),
                                    None, f"UTF-8 text ({exc.reason}, line {exc.line})"))
        except csv.Error as exc:  # an open quote, or a field longer than the module's limit
            field = _open_field(_line(path, line + 1))
            hint = "; a quote opened here is never closed" if field else ""
            problems.append(Problem(file, f"row {number + 1}", _named(header, field), None,
                                    f"well-formed CSV ({exc}{hint})"))
    return problems


def _named(header: list[str], field: int) -> str:
    """The header's name of field ``field`` (1-based); blank when the header has none."""
    return header[field - 1] if 0 < field <= len(header) else ""


def _line(path: str | Path, wanted: int) -> str:
    """Physical line ``wanted`` (1-based) of the file, decoded leniently (for a message)."""
    with open(path, "rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if number == wanted:
                return raw.decode("utf-8", "replace")
    return ""


def _open_field(line: str) -> int:
    """The 1-based field whose opening quote is still open at the end of ``line``; 0 when
    every quote on the line is closed."""
    field, quoted, start, i = 1, False, True, 0
    opened = 0
    while i < len(line):
        char = line[i]
        if quoted:
            if char == '"' and line[i + 1:i + 2] == '"':
                i += 1
            elif char == '"':
                quoted = False
        elif char == '"' and start:
            quoted, opened = True, field
        elif char == ",":
            field += 1
            start = True
            i += 1
            continue
        start = False
        i += 1
    return opened if quoted else 0

"""Checking frames so that every problem is found and named, and nothing is dropped.

The engine consumes frames (usage, sessions, the user → subscription mapping) that come from
files or are built in code; both must obey the same rules and report the same way. These
helpers convert columns while recording the rows that do not convert, and check typed frames
against pandera schemas, returning :class:`~toolkit.errors.Problem` records so one run
reports everything that is wrong. Rows are numbered as a spreadsheet shows them: the header
is row 1, the first data row is row 2.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import replace

import numpy as np
import pandas as pd
import pandera.pandas as pa

from toolkit.errors import Problem, excerpt

HEADER_ROWS = 1

#: P4: the largest quantity or price (in the tenant's currency) a real invoice can hold. Every
#: amount that enters the toolkit is bounded by it, so integer cents of any figure fit int64.
AMOUNT_LIMIT = 10**12
AMOUNT_EXPECTED = "a finite number from 0 to 10^12"


def is_amount(value) -> bool:
    """P4's bound: a number that is finite, not negative and at most :data:`AMOUNT_LIMIT`
    (NaN compares false, so it fails too)."""
    try:
        return bool(0 <= float(value) <= AMOUNT_LIMIT)
    except (TypeError, ValueError):
        return False


def amount_check() -> pa.Check:
    """P4's bound as a pandera check on a column of quantities, prices or amounts."""
    return pa.Check.in_range(0, AMOUNT_LIMIT, error=AMOUNT_EXPECTED)


def row_label(index: int) -> str:
    """The spreadsheet row of a data row's position (0 → row 2)."""
    return f"row {index + HEADER_ROWS + 1}"


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
        parsed = _naive_times(text[naive])
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


def _naive_times(text: pd.Series) -> pd.Series:
    """Naive ISO timestamps; a cell with an offset the pattern does not know (``-1:00``)
    makes pandas refuse the whole column ("mixed timezones"): then cell by cell, such a
    cell becoming NaT, so it is reported like any other unreadable time."""
    try:
        return pd.to_datetime(text, format="ISO8601", errors="coerce")
    except ValueError:
        cells = [pd.to_datetime(cell, format="ISO8601", errors="coerce") for cell in text]
        return pd.Series([pd.NaT if pd.isna(c) or c.tzinfo else c for c in cells],
                         index=text.index, dtype="datetime64[us]")


#: Years a usage timestamp may fall in (UTC). A year 1970 or 9999 is an export's placeholder
#: or a typo, and would stretch every period range and day table built from the usage.
TIMESTAMP_YEARS = (2000, 2100)
_FIRST_INSTANT = pd.Timestamp(f"{TIMESTAMP_YEARS[0]}-01-01", tz="UTC")
_AFTER_INSTANT = pd.Timestamp(f"{TIMESTAMP_YEARS[1] + 1}-01-01", tz="UTC")
TIMESTAMP_EXPECTED = f"a date-time in the years {TIMESTAMP_YEARS[0]} to {TIMESTAMP_YEARS[1]}"


def outside_years(stamps: pd.Series) -> np.ndarray:
    """Positions of tz-aware instants outside :data:`TIMESTAMP_YEARS` (NaT is not outside:
    a missing value is reported on its own)."""
    return ((stamps < _FIRST_INSTANT) | (stamps >= _AFTER_INSTANT)).to_numpy().nonzero()[0]


def year_problems(frame: pd.DataFrame, column: str, file: str) -> list[Problem]:
    """Every instant of ``column`` outside :data:`TIMESTAMP_YEARS`, with its row."""
    stamps = frame[column]
    return [Problem(file, row_label(int(i)), column, str(stamps.iloc[i]), TIMESTAMP_EXPECTED)
            for i in outside_years(stamps)]


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


_ROW = re.compile(r"row (\d+)")


def row_number(where: str) -> int:
    """The spreadsheet row a problem's place names (``row 12`` or ``row 12 (agent-7)``), 0
    for a place that is not a row: the key that lists problems in file order."""
    match = _ROW.match(where)
    return int(match[1]) if match else 0


def problem_rows(problems: list[Problem]) -> set[int]:
    """Data-row positions named by problems."""
    return {row_number(p.where) - HEADER_ROWS - 1 for p in problems if row_number(p.where)}


#: Characters that cannot be part of a name: they reorder or hide what a terminal, a
#: spreadsheet or a report shows (bidi overrides and isolates, e.g. U+202E), or break lines.
INVISIBLE_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
                               "\u2066\u2067\u2068\u2069\u2028\u2029")
NAME_RULE = ("a name: not empty once trimmed, without control characters or "
             "right-to-left overrides (U+202A–U+202E, U+2066–U+2069), no word mixing "
             "scripts (e.g. Latin and Cyrillic letters)")


def clean_name(value: str) -> str | None:
    """The name as the toolkit compares it, or None when ``value`` cannot be a name.

    Trimmed and in Unicode NFC, so ``"Alpha "`` matches budgets.csv's trimmed ``Alpha`` and
    "Café" typed on two keyboards (NFC and NFD) is one department, not two that look alike.
    Empty or whitespace-only text, control characters and bidi overrides are refused: what
    they name cannot be searched for, and an override reorders what a terminal shows.
    """
    name = unicodedata.normalize("NFC", value).strip()
    if not name or any(c in INVISIBLE_CONTROLS or unicodedata.category(c) == "Cc"
                       for c in name) or (not name.isascii() and mixes_scripts(name)):
        return None
    return name


@functools.cache
def _confusables() -> dict[str, str]:
    """Each confusable character (Unicode's confusables data, TR39) and the one it is shown
    as: the ASCII look-alike when there is one, else the lowest code point of its class."""
    import json
    from importlib.resources import files

    data = json.loads(files("confusable_homoglyphs").joinpath("confusables.json").read_text())
    table = {}
    for char, alikes in data.items():
        if len(char) != 1:
            continue
        cands = [char, *(a["c"] for a in alikes if len(a["c"]) == 1)]
        table[char] = min(cands, key=lambda c: (not c.isascii(), ord(c)))
    return table


def skeleton(name: str) -> str:
    """The name as it looks (Unicode TR39 skeleton, approximated by character): ``Sub‑A``
    with U+2011 and ``Sub-A`` share one; so do Latin ``a`` and Cyrillic ``а``."""
    table = _confusables()
    return "".join(table.get(c, c) for c in unicodedata.normalize("NFD", name))


def look_alikes(names: Iterable[str]) -> list[tuple[str, str]]:
    """Pairs of distinct names that look the same (same :func:`skeleton`): (first, later)."""
    first: dict[str, str] = {}
    pairs = []
    for name in dict.fromkeys(names):
        seen = first.setdefault(skeleton(name), name)
        if seen != name:
            pairs.append((seen, name))
    return pairs


def mixes_scripts(name: str) -> bool:
    """Whether one word of the name mixes scripts (Latin and Cyrillic letters in ``Sub-А``):
    a look-alike in the making. Words of different scripts side by side are fine."""
    from confusable_homoglyphs import confusables

    return any(confusables.is_mixed_script(word) for word in name.split())


def clean_names(frame: pd.DataFrame, column: str, file: str) -> tuple[pd.Series, list[Problem]]:
    """The column's names through :func:`clean_name`; every cell that is not a name is a
    problem and stays as found (so it is not reported again as missing); empty cells stay
    empty: whether one is allowed is the schema's rule."""
    values = frame[column]
    cleaned, problems = [], []
    for i, value in enumerate(values):
        name = clean_name(value) if isinstance(value, str) else None
        if isinstance(value, str) and name is None:
            problems.append(Problem(file, row_label(i), column, value, NAME_RULE))
        cleaned.append(value if name is None else name)
    return pd.Series(cleaned, index=values.index, dtype="str"), problems


_NOT_IN_A_NAME = "[" + "".join(sorted(INVISIBLE_CONTROLS)) + "\x00-\x1f\x7f-\x9f]"


def names_as_written(frame: pd.DataFrame, columns) -> bool:
    """Whether every name in ``columns`` is already what :func:`clean_name` would make of it
    (trimmed, NFC, a name). Vectorized, for the typed fast path: when it is not, the loader
    takes the text path, which cleans each name and reports every one that is not a name."""
    for column in columns:
        if column not in frame.columns:
            continue
        names = frame[column].dropna().astype("str")
        if ((names.str.normalize("NFC") != names).any() or (names.str.strip() != names).any()
                or (names == "").any() or names.str.contains(_NOT_IN_A_NAME, regex=True).any()):
            return False
        unusual = [n for n in names.unique() if not n.isascii()]
        if any(mixes_scripts(n) for n in unusual) or look_alikes(names.unique()):
            return False
    return True


def look_alike_problems(values: Iterable[object], file: str, where: str, column: str
                        ) -> list[Problem]:
    """Every pair of distinct names among ``values`` that look the same, as a problem naming
    both: the reader could not tell which of the two a report means."""
    names = [v for v in values if isinstance(v, str)]
    return [Problem(file, where, column, later,
                    f"a name that does not look like {excerpt(first, 60)} (they differ only "
                    "by look-alike characters)")
            for first, later in look_alikes(names)]


def beside_rows(problems: list[Problem], frame: pd.DataFrame, column: str) -> list[Problem]:
    """Problems whose place is a row, with the row's ``column`` (e.g. the user id) beside the
    number: ``row 12 (agent-7)``. The reader fixes the file by searching for the id; a row
    number alone goes stale once rows are sorted or filtered."""
    values = frame[column]
    named = []
    for problem in problems:
        if problem.where.startswith("row ") and problem.where[4:].isdigit():
            position = int(problem.where[4:]) - HEADER_ROWS - 1
            value = values.iloc[position] if 0 <= position < len(values) else None
            if isinstance(value, str) and value:
                problem = replace(problem, where=f"{problem.where} ({excerpt(value, 40, False)})")
        named.append(problem)
    return named

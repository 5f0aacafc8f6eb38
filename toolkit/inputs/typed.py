"""Reading an input table typed, in one columnar pass (CSV or Parquet), or not at all.

The text path of :mod:`toolkit.inputs.csv_input` reads every cell as a string and converts it
in Python-level pandas calls, so that every bad cell can be named with its row; on a 10M-row
usage file that costs about 20 s, most of it parsing date-times through ``to_datetime``. Here
the file is read by Arrow with explicit column types and the ISO 8601 date-times are parsed
inside Arrow. This pass is only an accelerator: it returns ``None`` as soon as it meets
anything it cannot vouch for (a cell that does not convert, padded text, a header that is not
exactly the expected names, a local time that falls in a daylight-saving gap or overlap...),
and the loader then runs its text path, which reports every problem exactly as before. When it
does return a frame, that frame is the one the text path would have built (same columns,
order, dtypes and values), and the loader still checks it against its schema.

Time zone rules are those of :func:`toolkit.checks.parse_timestamps`: a date-time with an
offset (``Z``, ``+02:00``) is converted to the zone; a naive one is local time there, and a
local time that does not exist or occurs twice is never guessed (here: not vouched for).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from toolkit.errors import InputError, Problem

#: Column kinds a loader declares: text (``str``), number (``float64``), instant (tz-aware µs).
TEXT, NUMBER, INSTANT = "text", "number", "instant"

#: A date-time that carries its offset (the text path's rule, verbatim).
_AWARE = r"(?:Z|[+-]\d\d:?\d\d)$"
#: Text the text path would change by trimming (Python's ``str.strip`` whitespace), or that
#: it would turn into an empty cell: such a file is left to the text path.
_PADDED = r"^[\s\x0b\x1c-\x1f\x85\p{Z}]|[\s\x0b\x1c-\x1f\x85\p{Z}]$"


def is_parquet(path: str | Path) -> bool:
    """Parquet input is recognised by its suffix (``usage.parquet``)."""
    return Path(path).suffix.lower() == ".parquet"


def read_typed(path: str | Path, required: Iterable[str], optional: Iterable[str],
               kinds: Mapping[str, str], timezone: str,
               extra: Iterable[str] | None = None) -> pd.DataFrame | None:
    """The table at ``path`` typed as ``kinds`` says, or ``None`` to let the text path decide.

    Columns are ordered like the text path orders them (known columns first, then extras);
    optional columns the file lacks are appended empty, as the loaders do. Columns not in
    ``kinds`` are text. With ``extra``, a column outside required, optional and ``extra``
    is not vouched for (the text path names it).
    """
    table = _read_table(path, kinds)
    if table is not None and extra is not None:
        allowed = {*required, *optional, *extra}
        if any(name not in allowed for name in table.column_names):
            return None
    return typed_frame(table, list(required), list(optional), kinds, timezone)


def typed_frame(table: pa.Table | None, required: list[str], optional: list[str],
                kinds: Mapping[str, str], timezone: str, coded: bool = False
                ) -> pd.DataFrame | None:
    """An Arrow table (string, numeric or timestamp columns) as the loader's typed frame.

    Each Arrow column is released as soon as it is converted (the caller passes the table
    without keeping it), so the peak holds one column twice, not the whole table. ``coded``
    gives text columns as categoricals (same values): a text column of an input names a few
    types, subscriptions or users many times over, and codes are what allocation works on,
    so a file read dictionary-encoded is never turned into millions of strings.
    """
    if table is None:
        return None
    names = table.column_names
    if (len(set(names)) != len(names) or any(n != n.strip() or not n for n in names)
            or any(c not in names for c in required) or table.num_rows == 0):
        return None
    known = [*required, *optional]
    ordered = [c for c in known if c in names] + [c for c in names if c not in known]
    pending = dict(zip(names, table.columns, strict=True))
    del table
    columns = {}
    for name in ordered:
        column = _typed_column(pending.pop(name), kinds.get(name, TEXT), timezone, coded)
        if column is None:
            return None
        columns[name] = column
    frame = pd.DataFrame(columns, copy=False)
    for name in optional:
        if name not in frame.columns:
            dtype = f"datetime64[us, {timezone}]" if kinds.get(name) == INSTANT else "str"
            empty = pd.Series(None, index=frame.index, dtype=dtype)
            frame[name] = empty.astype(pd.CategoricalDtype(pd.Index([], dtype="str"))) \
                if coded and dtype == "str" else empty
    return frame


def _read_table(path: str | Path, kinds: Mapping[str, str]) -> pa.Table | None:
    """The file as an Arrow table; ``None`` when Arrow refuses it (the text path says why)."""
    if not Path(path).is_file():
        return None
    try:
        if is_parquet(path):
            import pyarrow.parquet as pq

            return pq.read_table(path)
        return _read_csv(path, kinds)
    except (pa.ArrowException, OSError, UnicodeDecodeError):
        return None


def _read_csv(path: str | Path, kinds: Mapping[str, str]) -> pa.Table:
    """Read a CSV with every known column's type fixed (never inferred) and ``""`` as null.

    Date-times are read as strings and parsed by :func:`_instants`, because one column may mix
    naive and offset-carrying values, which need different rules.
    """
    from pyarrow import csv

    # every column's type is fixed, so an id like 007 is never read as the number 7
    types = {name: pa.float64() if kinds.get(name) == NUMBER else pa.string()
             for name in _header(path)}
    convert = csv.ConvertOptions(column_types=types, null_values=[""],
                                 strings_can_be_null=True, quoted_strings_can_be_null=True,
                                 check_utf8=True)
    return csv.read_csv(path, convert_options=convert)


def _header(path: str | Path) -> list[str]:
    import csv

    with open(path, newline="", encoding="utf-8-sig") as handle:
        return next(csv.reader(handle), [])


def _typed_column(column: pa.ChunkedArray, kind: str, timezone: str, coded: bool = False
                  ) -> pd.Series | None:
    try:
        if pa.types.is_null(column.type):  # every cell empty (an all-None column written out)
            column = column.cast(pa.float64() if kind == NUMBER else pa.string())
        if kind == NUMBER:
            return _numbers(column)
        if kind == INSTANT:
            return _instants(column, timezone)
        return _coded(column) if coded else _text(column)
    except (pa.ArrowException, ValueError, TypeError):
        return None


def _text(column: pa.ChunkedArray) -> pd.Series | None:
    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    if pa.types.is_large_string(column.type):
        column = column.cast(pa.string())
    if not pa.types.is_string(column.type):
        return None
    # the distinct values decide (few in an input's text columns, so this is cheap)
    distinct = pc.unique(column)
    if pc.any(pc.match_substring_regex(distinct, _PADDED)).as_py() or \
            pc.any(pc.equal(distinct, "")).as_py():
        return None
    return column.to_pandas().astype("str")


def _coded(column: pa.ChunkedArray) -> pd.Series | None:
    """A text column as a categorical of the same values, checked like :func:`_text` on its
    distinct values; the categories are the values that occur, as ``str``."""
    if not pa.types.is_dictionary(column.type):
        if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
            return None
        column = pc.dictionary_encode(column)
    values = column.type.value_type
    if not (pa.types.is_string(values) or pa.types.is_large_string(values)):
        return None
    column = column.unify_dictionaries()
    dictionary = column.chunk(0).dictionary if column.num_chunks else pa.array([], pa.string())
    codes = np.concatenate([pc.fill_null(chunk.indices, -1).to_numpy(zero_copy_only=False)
                            for chunk in column.chunks] or [np.zeros(0, np.int32)])
    dictionary = dictionary.cast(pa.string())
    used = np.bincount(codes[codes >= 0], minlength=len(dictionary)) > 0
    if not used.all():  # keep only values that occur, as a text column would
        remap = np.cumsum(used) - 1
        codes = np.where(codes >= 0, remap[np.maximum(codes, 0)], -1)
        dictionary = dictionary.filter(pa.array(used))
    if dictionary.null_count or pc.any(pc.match_substring_regex(dictionary, _PADDED)).as_py() \
            or pc.any(pc.equal(dictionary, "")).as_py():
        return None
    categories = pd.CategoricalDtype(pd.Index(dictionary.to_pandas(), dtype="str"))
    return pd.Series(pd.Categorical.from_codes(codes, dtype=categories))


def _numbers(column: pa.ChunkedArray) -> pd.Series | None:
    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        column = column.cast(pa.float64())  # raises on a cell that is not a number
    if not (pa.types.is_floating(column.type) or pa.types.is_integer(column.type)):
        return None
    return column.cast(pa.float64()).to_pandas()


def _instants(column: pa.ChunkedArray, timezone: str) -> pd.Series | None:
    """Date-times as ``datetime64[us, timezone]``, or ``None`` when one cell is not vouched for.

    A timestamp column (Parquet) keeps its instants when it carries a zone and is local time
    in ``timezone`` when it does not; a text column is parsed as ISO 8601 by Arrow.
    """
    if pa.types.is_timestamp(column.type):
        stamps = column.cast(pa.timestamp("us", column.type.tz))
        instants = stamps if column.type.tz else _localized(stamps, timezone)
    elif pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        instants = _parsed(column.cast(pa.string()), timezone)
    else:
        return None
    if instants is None:
        return None
    # handed over as plain microseconds (a null as NaT's value): pyarrow's own conversion of
    # a zoned column runs a localisation pass for some zone names, UTC among them
    micros = pc.fill_null(instants.cast(pa.timestamp("us", "UTC")).cast(pa.int64()),
                          np.iinfo(np.int64).min).to_numpy()
    index = pd.DatetimeIndex(micros.view("datetime64[us]")).tz_localize("UTC")
    return pd.Series(index.tz_convert(timezone)).astype(f"datetime64[us, {timezone}]")


def _parsed(text: pa.ChunkedArray, timezone: str) -> pa.ChunkedArray | None:
    """ISO 8601 text to UTC instants: naive values are local in ``timezone``, offsets kept.

    Arrow's parser expects either no offset (naive type) or an offset (zoned type) in every
    cell, so the common pure columns take one cast; a mixed column is split by the text
    path's own pattern.
    """
    # Arrow refuses a padded date-time (the text path trims it first), so padding sends the
    # file to the text path through the casts below.
    try:
        return _localized(text.cast(pa.timestamp("us")), timezone)
    except pa.ArrowInvalid:
        pass
    try:
        return text.cast(pa.timestamp("us", "UTC"))
    except pa.ArrowInvalid:
        pass
    aware = pc.match_substring_regex(text, _AWARE)
    null = pa.scalar(None, pa.string())
    naive = _localized(pc.if_else(aware, null, text).cast(pa.timestamp("us")), timezone)
    zoned = pc.if_else(aware, text, null).cast(pa.timestamp("us", "UTC"))
    return pc.if_else(aware, zoned, naive)


def _localized(stamps: pa.ChunkedArray, timezone: str) -> pa.ChunkedArray:
    """Naive wall-clock times as instants in ``timezone``; a time in a daylight-saving gap or
    overlap raises (ArrowInvalid), so the text path reports it instead of a guess."""
    if timezone == "UTC":  # no gaps nor overlaps: the wall clock is the instant
        return stamps.cast(pa.timestamp("us", "UTC"))
    return pc.assume_timezone(stamps, timezone=timezone, ambiguous="raise",
                              nonexistent="raise").cast(pa.timestamp("us", "UTC"))


def sorted_by(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """``frame`` stably sorted by ``keys``, skipping the sort when the first key already runs
    in order (exports usually arrive in time order; a stable sort would not move a row)."""
    first = frame[keys[0]]
    in_order = first.is_monotonic_increasing if len(keys) == 1 else (
        first.is_monotonic_increasing and first.is_unique)
    if in_order and first.notna().all():
        return frame.reset_index(drop=True)
    return frame.sort_values(keys, kind="stable", ignore_index=True)


def parquet_as_text(path: str | Path) -> pd.DataFrame:
    """A Parquet file as the text path's raw grid: the header as row 0, every cell as text
    (``""`` for a null), so it is checked and reported exactly as a CSV would be."""
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        raise InputError([Problem(str(path), "", "", None,
                                  f"a readable Parquet file ({exc})")]) from None
    cells = {}
    for number, name in enumerate(table.column_names):
        column = table.column(name)
        if pa.types.is_dictionary(column.type):
            column = column.cast(column.type.value_type)
        if pa.types.is_timestamp(column.type):
            text = pc.strftime(column, format="%Y-%m-%dT%H:%M:%S"
                               + ("%z" if column.type.tz else ""))
        else:
            text = column.cast(pa.string())
        values = pc.fill_null(text, "").to_pylist()
        cells[number] = [name, *values]
    return pd.DataFrame(cells, dtype="str")

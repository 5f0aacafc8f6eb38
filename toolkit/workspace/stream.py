"""Allocating a usage file larger than memory, chunk by chunk (issue 13).

:func:`toolkit.allocation.allocate` needs the whole usage frame, but not every row of it:
each rule looks at a row's day (period, active terms, the primary), its usage type, the
subscription it names and, only where a user's mapping or a measure needs it, its instant and
user. Each chunk of the file is therefore checked like :func:`~toolkit.inputs.usage.load_usage`
checks a whole file, and reduced to those sufficient statistics:

- rows whose type is summed (M2) and whose subscription does not come from the users table
  (a subscription is named, no user is named, or no users table is given) are summed per
  local day, usage type, subscription and user, keeping the day's earliest instant;
- every other row (peak samples, distinct users, rows mapped through a user at an instant) is
  summed per instant, usage type, subscription and user.

The reduced chunks are gathered (and reduced again together when they outgrow a bound), and
``allocate`` runs once on the result. Memory then grows with the number of distinct keys, not
of rows. Reducing the gathered chunks once more at the end would only join the groups that
straddle two chunks, at the cost of a pass over everything kept, so it is not done: such a
group may show as two ``unallocated`` rows, which together hold its quantity.

"Same result" means: ``pooled`` and ``by_subscription`` equal the in-memory call's (sums may
differ in the last floating-point bits, the additions being grouped differently);
``unallocated`` lists the same quantities per (day, period, usage type, subscription, user,
reason) for summed rows, and per instant for the others, each row's ``timestamp`` being the
earliest instant of its group. One difference is documented rather than hidden: for a
distinct-user type, two rows of one user at the very same instant naming different
subscriptions are ordered by key instead of by file position when the latest is chosen.
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections import deque
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
from pandas.api.types import union_categoricals

from toolkit.allocation import Allocation, allocate
from toolkit.checks import AMOUNT_LIMIT, outside_years
from toolkit.errors import InputError, Problem, raise_if_any
from toolkit.frames import USAGE_COLUMNS, USAGE_OPTIONAL, micros
from toolkit.inputs.typed import is_parquet, typed_frame
from toolkit.inputs.usage import USAGE_KINDS, load_usage
from toolkit.model import Tenant, tenant_license_model
from toolkit.periods import local_days

KEY = ["usage_type", "subscription_id", "user_id"]


def allocate_file(tenant: Tenant, path: str | Path, users: pd.DataFrame | None = None,
                  period: str = "M", chunk_rows: int = 1_000_000) -> Allocation:
    """:func:`~toolkit.allocation.allocate` over ``usage.csv``/``usage.parquet`` read in chunks
    of about ``chunk_rows`` rows; raises InputError listing every problem of every chunk.

    Chunks are read with their text columns dictionary-encoded and kept as codes
    (categoricals) all the way to the allocation: the few distinct types, subscriptions and
    users are checked once per chunk, never the millions of cells.
    """
    file = str(path)
    parts: list[pd.DataFrame] = []
    held, problems, limit = 0, [], 4 * chunk_rows
    chunks = _chunks(path, chunk_rows)
    for part, found in _in_order(lambda chunk: _reduced(chunk, file, tenant, users), chunks):
        problems += found
        if problems or part is None:
            continue  # the file is refused; only keep looking for problems
        parts.append(part)
        held += len(part)
        if held > limit:  # reduce again; rows that did not shrink raise the bar
            parts = [reduce_usage(_joined(parts), tenant, users)]
            held = len(parts[0])
            limit = max(limit, 2 * held)
    raise_if_any(problems)
    if not parts:
        raise InputError([Problem(file, "", "", None, "at least one data row after the header")])
    return allocate(tenant, _joined(parts), users, period=period)


def _reduced(chunk: tuple[int, pa.Table], file: str, tenant: Tenant,
             users: pd.DataFrame | None) -> tuple[pd.DataFrame | None, list[Problem]]:
    """One chunk checked (typed and coded, else by the text path) and reduced."""
    offset, table = chunk
    frame = typed_frame(table, USAGE_COLUMNS, USAGE_OPTIONAL, USAGE_KINDS, tenant.timezone,
                        coded=True)
    if frame is not None and vouched(frame, tenant):
        return reduce_usage(frame, tenant, users), []
    frame, problems = _by_text_path(table, file, offset, tenant)
    return (None if frame is None else reduce_usage(frame, tenant, users)), problems


def _in_order(work, items: Iterator, workers: int = 2) -> Iterator:
    """``work(item)`` for each item, in order, ``workers`` at a time in threads.

    Arrow parses and numpy and pandas compute mostly without holding the GIL, so on two cores
    reading the next chunk and reducing the last two overlap. At most ``workers`` + 1 chunks
    are held at once.
    """
    with ThreadPoolExecutor(max_workers=workers) as pool:
        pending: deque = deque()
        for item in items:
            pending.append(pool.submit(work, item))
            if len(pending) > workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def vouched(frame: pd.DataFrame, tenant: Tenant) -> bool:
    """Whether :func:`~toolkit.inputs.usage.typed_usage_problems` would find nothing in a
    coded chunk, decided on its categories (types and subscriptions) and its two typed
    columns; when in doubt the chunk goes to the text path, which names every problem."""
    quantity = frame["quantity"].to_numpy()
    types, subs = frame["usage_type"], frame["subscription_id"]
    return bool(
        frame["timestamp"].notna().all()
        and not len(outside_years(frame["timestamp"]))
        and types.notna().all()
        and set(types.cat.categories) <= set(tenant.usage_types)
        and set(subs.cat.categories) <= set(tenant.departments)
        and ((quantity >= 0) & (quantity <= AMOUNT_LIMIT)).all()  # NaN fails both
    )


def reduce_usage(usage: pd.DataFrame, tenant: Tenant, users: pd.DataFrame | None
                 ) -> pd.DataFrame:
    """The sufficient statistics of a typed usage frame for ``allocate`` (module docstring);
    reducing an already reduced frame changes nothing but the row count.

    Works on integer codes: each row's group is its (day or instant, type, subscription,
    user) combined into one number, then quantities are summed and earliest instants kept
    per group with ``bincount`` and ``minimum.at``. Text columns keep their dtype.
    """
    model = tenant_license_model(tenant)
    summed = [name for name, kind in tenant.usage_types.items() if kind.measure_for(model) == "sum"]
    by_day = _is_one_of(usage["usage_type"], summed)
    if users is not None:
        by_day &= (usage["subscription_id"].notna() | usage["user_id"].isna()).to_numpy()
    instants = micros(usage["timestamp"])
    when = _when(by_day, local_days(usage["timestamp"], tenant.timezone), instants)
    group, count = _groups([by_day, when, *(usage[column] for column in KEY)])
    first = np.full(count, np.iinfo(np.int64).max)
    np.minimum.at(first, group, instants)
    row = np.empty(count, dtype=np.int64)
    row[group] = np.arange(len(group))  # any row of the group: they share its key
    reduced = usage[KEY].iloc[row].reset_index(drop=True)
    reduced.insert(0, "timestamp", _instants_like(first, usage["timestamp"]))
    reduced.insert(2, "quantity", np.bincount(group, weights=usage["quantity"].to_numpy(),
                                              minlength=count))
    return reduced


def _is_one_of(values: pd.Series, names: list[str]) -> np.ndarray:
    """``values.isin(names)`` as a fresh array; a categorical answers by its categories."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        known = np.append(values.cat.categories.isin(names), False)
        return known[values.cat.codes.to_numpy()]
    return values.isin(names).to_numpy().copy()


def _when(by_day: np.ndarray, days: np.ndarray, micros: np.ndarray
          ) -> tuple[np.ndarray, int]:
    """Codes of each row's day (summed rows) or instant (the others), and their range: days
    are few and consecutive, so only the instants are hashed."""
    codes = np.empty(len(by_day), dtype=np.int64)
    summed = days[by_day]
    first = int(summed.min()) if len(summed) else 0
    span = int(summed.max()) - first + 1 if len(summed) else 0
    codes[by_day] = summed - first
    instants, distinct = pd.factorize(micros[~by_day])
    codes[~by_day] = instants + span
    return codes, max(span + len(distinct), 1)


def _groups(keys) -> tuple[np.ndarray, int]:
    """Each row's group number (0..count-1) over the combined ``keys``, and the count.

    The keys' codes are combined by mixed radix (refactorizing whenever the next radix could
    overflow 63 bits); the combined number is then compacted by a dense table when its range
    is small next to the rows, by hashing otherwise.
    """
    group, size = np.zeros(len(keys[0]), dtype=np.int64), 1
    for key in keys:
        codes, radix = _key_codes(key)
        if size * radix >= 2**62:
            group, size = _compact(group, size)
            group = group.astype(np.int64)
        group = group * radix + codes
        size *= radix
    return _compact(group, size)


def _key_codes(key) -> tuple[np.ndarray, int]:
    """A key's codes and their range: categoricals and flags are codes already."""
    if isinstance(key, pd.Series) and isinstance(key.dtype, pd.CategoricalDtype):
        return key.cat.codes.to_numpy().astype(np.int64) + 1, len(key.cat.categories) + 1
    if isinstance(key, tuple):  # codes with their range already
        return key
    if isinstance(key, np.ndarray) and key.dtype == bool:
        return key.astype(np.int64), 2
    codes, uniques = pd.factorize(key, use_na_sentinel=False)
    return codes.astype(np.int64), max(len(uniques), 1)


def _compact(group: np.ndarray, size: int) -> tuple[np.ndarray, int]:
    """Group numbers 0..count-1 in place of the combined numbers (int32 by the dense table,
    which is never more than 8 entries a row)."""
    if size <= min(8 * len(group), 2**31 - 1):
        present = np.zeros(size, dtype=bool)
        present[group] = True
        number = np.cumsum(present, dtype=np.int32) - 1
        return number[group], int(number[-1]) + 1 if size else 0
    group, kept = pd.factorize(group)
    return group, len(kept)


def _instants_like(micros: np.ndarray, like: pd.Series) -> pd.Series:
    """Microseconds since the epoch as instants in the zone of ``like``."""
    index = pd.DatetimeIndex(micros.view("datetime64[us]")).tz_localize("UTC")
    return pd.Series(index.tz_convert(like.dt.tz), name="timestamp")


def _joined(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Reduced chunks as one frame; text columns become categoricals over the union of the
    chunks' values (``pd.concat`` would turn categoricals that differ into objects)."""
    if len(parts) == 1:
        return parts[0]
    columns = {}
    for name in parts[0].columns:
        pieces = [part[name] for part in parts]
        if name in KEY:
            columns[name] = pd.Series(union_categoricals(
                [piece.astype("category") if piece.dtype != "category" else piece
                 for piece in pieces], ignore_order=True))
        else:
            columns[name] = pd.concat(pieces, ignore_index=True)
    return pd.DataFrame(columns)


def _chunks(path: str | Path, chunk_rows: int) -> Iterator[tuple[int, pa.Table]]:
    """(position of the chunk's first row, the chunk as an Arrow table of text or typed
    columns). A file Arrow cannot parse (ragged rows, no header...) is read by the text path,
    which names its problems."""
    if is_parquet(path):
        import pyarrow.parquet as pq

        try:
            schema = pq.read_schema(path)
            text = [field.name for field in schema if field.name not in USAGE_KINDS
                    and (pa.types.is_string(field.type) or pa.types.is_large_string(field.type))]
            batches = pq.ParquetFile(path, read_dictionary=text).iter_batches(
                batch_size=chunk_rows)
            yield from _numbered(pa.Table.from_batches([batch]) for batch in batches)
        except (pa.ArrowException, OSError):
            load_usage(path)  # raises InputError naming what is wrong
            raise
        return
    yield from _csv_chunks(path, chunk_rows)


def _csv_chunks(path: str | Path, chunk_rows: int) -> Iterator[tuple[int, pa.Table]]:
    from pyarrow import csv

    with open(path, "rb") as handle:
        head = handle.read(1 << 16)
    row_bytes = max(len(head) / max(head.count(b"\n"), 1), 1)
    # one reading thread: the chunk workers have the other cores (sharing them was slower)
    options = csv.ReadOptions(block_size=max(int(chunk_rows * row_bytes), 1 << 10),
                              use_threads=False)
    names = _header(path)
    coded = pa.dictionary(pa.int32(), pa.string())
    convert = csv.ConvertOptions(column_types={name: pa.string() if name in USAGE_KINDS else coded
                                               for name in names},
                                 null_values=[""], strings_can_be_null=True,
                                 quoted_strings_can_be_null=True)
    try:
        reader = csv.open_csv(path, read_options=options, convert_options=convert)
        yield from _numbered(pa.Table.from_batches([batch]) for batch in reader)
    except (pa.ArrowException, OSError, UnicodeDecodeError):
        load_usage(path)  # the text path names every malformed row
        raise


def _header(path: str | Path) -> list[str]:
    import csv

    with open(path, newline="", encoding="utf-8-sig") as handle:
        return next(csv.reader(handle), [])


def _numbered(tables) -> Iterator[tuple[int, pa.Table]]:
    offset = 0
    for table in tables:
        if table.num_rows:
            yield offset, table
        offset += table.num_rows


def _by_text_path(table: pa.Table, file: str, offset: int, tenant: Tenant
                  ) -> tuple[pd.DataFrame | None, list[Problem]]:
    """A chunk the typed pass did not vouch for, read by the text path: its frame, or the
    text path's report with rows numbered as in the whole file.

    The chunk is written out as a CSV and loaded by :func:`load_usage`, so a chunk is held to
    exactly the loader's rules and messages.
    """
    from pyarrow import csv

    text = pa.table([column if pa.types.is_string(column.type) else column.cast(pa.string())
                     for column in table.columns], names=table.column_names)
    with tempfile.TemporaryDirectory() as directory:
        chunk = Path(directory) / "usage.csv"
        csv.write_csv(text, chunk)
        try:
            return load_usage(chunk, tenant), []
        except InputError as error:
            return None, [_shifted(problem, file, offset) for problem in error.problems]


def _shifted(problem: Problem, file: str, offset: int) -> Problem:
    where = problem.where
    if where.startswith("row "):
        where = f"row {int(where.removeprefix('row ')) + offset}"
    return dataclasses.replace(problem, file=file, where=where)


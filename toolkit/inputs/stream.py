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

The reduced chunks are merged (and reduced again) as they come, and ``allocate`` runs once on
the result. Memory then grows with the number of distinct keys, not of rows.

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
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa

from toolkit.allocation import Allocation, allocate
from toolkit.errors import InputError, Problem, raise_if_any
from toolkit.frames import USAGE_COLUMNS, USAGE_OPTIONAL
from toolkit.inputs.typed import is_parquet, typed_frame
from toolkit.inputs.usage import USAGE_KINDS, load_usage, typed_usage_problems
from toolkit.model import Tenant, tenant_license_model
from toolkit.periods import local_days

KEY = ["usage_type", "subscription_id", "user_id"]


def allocate_file(tenant: Tenant, path: str | Path, users: pd.DataFrame | None = None,
                  period: str = "M", chunk_rows: int = 1_000_000) -> Allocation:
    """:func:`~toolkit.allocation.allocate` over ``usage.csv``/``usage.parquet`` read in chunks
    of about ``chunk_rows`` rows; raises InputError listing every problem of every chunk."""
    file = str(path)
    parts: list[pd.DataFrame] = []
    held, problems = 0, []
    for offset, table in _chunks(path, chunk_rows):
        frame = typed_frame(table, USAGE_COLUMNS, USAGE_OPTIONAL, USAGE_KINDS, tenant.timezone)
        if frame is None or typed_usage_problems(frame, file, tenant):
            frame, found = _by_text_path(table, file, offset, tenant)
            problems += found
        if problems or frame is None:
            continue  # the file is refused; only keep looking for problems
        parts.append(reduce_usage(frame, tenant, users))
        held += len(parts[-1])
        if held > 4 * chunk_rows:
            parts = [reduce_usage(pd.concat(parts, ignore_index=True), tenant, users)]
            held = len(parts[0])
    raise_if_any(problems)
    if not parts:
        raise InputError([Problem(file, "", "", None, "at least one data row after the header")])
    usage = reduce_usage(pd.concat(parts, ignore_index=True), tenant, users)
    return allocate(tenant, usage, users, period=period)


def reduce_usage(usage: pd.DataFrame, tenant: Tenant, users: pd.DataFrame | None
                 ) -> pd.DataFrame:
    """The sufficient statistics of a typed usage frame for ``allocate`` (module docstring);
    reducing an already reduced frame changes nothing but the row count."""
    model = tenant_license_model(tenant)
    summed = {name for name, kind in tenant.usage_types.items() if kind.measure_for(model) == "sum"}
    by_day = usage["usage_type"].isin(summed).to_numpy().copy()
    if users is not None:
        by_day &= (usage["subscription_id"].notna() | usage["user_id"].isna()).to_numpy()
    days = _per_day(usage[by_day], tenant.timezone)
    instants = (usage[~by_day].groupby(["timestamp", *KEY], dropna=False, sort=False)
                ["quantity"].sum().reset_index())
    reduced = pd.concat([days, instants], ignore_index=True)
    return reduced.sort_values("timestamp", kind="stable", ignore_index=True)[
        ["timestamp", "usage_type", "quantity", "subscription_id", "user_id"]]


def _per_day(usage: pd.DataFrame, timezone: str) -> pd.DataFrame:
    frame = usage[["timestamp", *KEY, "quantity"]].assign(
        day=local_days(usage["timestamp"], timezone))
    grouped = frame.groupby(["day", *KEY], dropna=False, sort=False)
    return grouped.agg(timestamp=("timestamp", "min"), quantity=("quantity", "sum")).reset_index(
        ).drop(columns="day")


def _chunks(path: str | Path, chunk_rows: int) -> Iterator[tuple[int, pa.Table]]:
    """(position of the chunk's first row, the chunk as an Arrow table of text or typed
    columns). A file Arrow cannot parse (ragged rows, no header...) is read by the text path,
    which names its problems."""
    if is_parquet(path):
        import pyarrow.parquet as pq

        try:
            batches = pq.ParquetFile(path).iter_batches(batch_size=chunk_rows)
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
    options = csv.ReadOptions(block_size=max(int(chunk_rows * row_bytes), 1 << 10))
    names = _header(path)
    convert = csv.ConvertOptions(column_types={name: pa.string() for name in names},
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


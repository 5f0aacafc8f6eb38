"""Allocating a usage file in chunks (issue 13): the same result as loading it whole, and the
same problems, each at its row of the whole file. "Same result" is defined in
:mod:`toolkit.workspace.stream`: pooled and per-subscription figures equal (to rounding of the
grouped sums), unallocated quantities equal per day, period, type, subscription, user and
reason."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from toolkit.allocation import allocate
from toolkit.errors import InputError
from toolkit.frames import USAGE_COLUMNS, USAGE_OPTIONAL
from toolkit.inputs.dataset import load_tenant_dir
from toolkit.inputs.typed import typed_frame
from toolkit.inputs.usage import USAGE_KINDS, load_usage, typed_usage_problems
from toolkit.resources import sample_dir
from toolkit.workspace.stream import (
    _chunks,
    _groups,
    _in_order,
    allocate_file,
    reduce_usage,
    vouched,
)


@pytest.fixture(scope="module")
def data():
    return load_tenant_dir(sample_dir())


@pytest.fixture(scope="module")
def usage_file(tmp_path_factory):
    """The sample's usage plus a year of it moved before any term (rows no rule can take)."""
    lines = (sample_dir() / "usage.csv").read_text(encoding="utf-8").splitlines()
    early = [line.replace("2024-", "2020-", 1) for line in lines[1:3000] if
             line.startswith("2024-")]
    path = tmp_path_factory.mktemp("stream") / "usage.csv"
    path.write_text("\n".join([lines[0], *early, *lines[1:]]) + "\n", encoding="utf-8")
    return path


def by_reason(unallocated: pd.DataFrame, timezone: str) -> pd.DataFrame:
    stamps = pd.to_datetime(unallocated["timestamp"], utc=True).dt.tz_convert(timezone)
    frame = unallocated.assign(day=stamps.dt.date)
    keys = ["day", "period", "usage_type", "subscription_id", "user_id", "reason"]
    return frame.groupby(keys, dropna=False)["quantity"].sum().reset_index()


def assert_same_allocation(streamed, whole, timezone):
    for name in ("pooled", "by_subscription"):
        pd.testing.assert_frame_equal(getattr(streamed, name), getattr(whole, name),
                                      check_exact=False, rtol=1e-9)
    pd.testing.assert_frame_equal(by_reason(streamed.unallocated, timezone),
                                  by_reason(whole.unallocated, timezone),
                                  check_exact=False, rtol=1e-9)


@pytest.mark.parametrize("with_users", [True, False], ids=["users", "no users"])
def test_many_chunks_give_the_in_memory_result(usage_file, data, with_users):
    users = data.users if with_users else None
    whole = allocate(data.tenant, load_usage(usage_file, data.tenant), users)
    assert len(whole.unallocated) > 0  # the early rows exercise the refusal rules
    streamed = allocate_file(data.tenant, usage_file, users, chunk_rows=700)
    assert_same_allocation(streamed, whole, data.tenant.timezone)


def test_parquet_row_groups_give_the_in_memory_result(usage_file, data, tmp_path):
    frame = pd.read_csv(usage_file, dtype="str")
    path = tmp_path / "usage.parquet"
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path, row_group_size=900)
    whole = allocate(data.tenant, load_usage(usage_file, data.tenant), data.users)
    streamed = allocate_file(data.tenant, path, data.users, chunk_rows=500)
    assert_same_allocation(streamed, whole, data.tenant.timezone)


def test_reduction_keeps_days_for_sums_and_instants_for_the_rest(data):
    rows = [  # timestamp, type, quantity, subscription, user
        ("2025-03-01T09:00:00", "ai_agent", 2.0, "Sub-1001", None),
        ("2025-03-01T17:30:00", "ai_agent", 3.0, "Sub-1001", None),
        ("2025-03-01T08:00:00", "ai_agent", 4.0, "Sub-1002", None),
        ("2025-03-02T09:00:00", "ai_agent", 1.0, "Sub-1001", None),
        ("2025-03-01T10:00:00", "ai_agent", 5.0, None, "u0001"),  # mapped at its instant
        ("2025-03-01T11:00:00", "ai_agent", 6.0, None, "u0001"),
        ("2025-03-01T10:00:00", "cc_standard_agent", 7.0, "Sub-1001", None),  # a peak sample
        ("2025-03-01T10:00:00", "cc_standard_agent", 8.0, "Sub-1001", None),
        ("2025-03-01T10:15:00", "cc_standard_agent", 9.0, "Sub-1001", None),
    ]
    frame = pd.DataFrame(rows, columns=["timestamp", "usage_type", "quantity",
                                        "subscription_id", "user_id"])
    frame["timestamp"] = pd.to_datetime(frame["timestamp"]).dt.tz_localize("Europe/Rome")
    for column in ("usage_type", "subscription_id", "user_id"):
        frame[column] = frame[column].astype("str")
    reduced = reduce_usage(frame, data.tenant, data.users)
    got = sorted((str(r.timestamp)[:16], r.usage_type, r.quantity, r.subscription_id,
                  r.user_id) for r in reduced.astype(object).where(reduced.notna(), None)
                 .itertuples())
    assert got == sorted([
        ("2025-03-01 09:00", "ai_agent", 5.0, "Sub-1001", None),
        ("2025-03-01 08:00", "ai_agent", 4.0, "Sub-1002", None),
        ("2025-03-02 09:00", "ai_agent", 1.0, "Sub-1001", None),
        ("2025-03-01 10:00", "ai_agent", 5.0, None, "u0001"),
        ("2025-03-01 11:00", "ai_agent", 6.0, None, "u0001"),
        ("2025-03-01 10:00", "cc_standard_agent", 15.0, "Sub-1001", None),
        ("2025-03-01 10:15", "cc_standard_agent", 9.0, "Sub-1001", None),
    ])
    assert len(reduce_usage(reduced, data.tenant, data.users)) == len(reduced)
    # without a users table no row is mapped through a user: u0001's rows join one day
    assert len(reduce_usage(frame, data.tenant, None)) == 6


def test_problems_of_every_chunk_are_reported_at_their_rows(tmp_path, data):
    lines = (sample_dir() / "usage.csv").read_text(encoding="utf-8").splitlines()
    bad = list(lines[:2001])
    bad[10] = bad[10].replace("2024-", "2024-13-", 1)  # row 11: not a date
    bad[1500] = bad[1500].split(",", 1)[0] + ",teleportation,1,,"  # row 1501
    path = tmp_path / "usage.csv"
    path.write_text("\n".join(bad) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as whole:
        load_usage(path, data.tenant)
    with pytest.raises(InputError) as streamed:
        allocate_file(data.tenant, path, data.users, chunk_rows=300)
    assert [p.where for p in streamed.value.problems] == ["row 11", "row 1501"]
    assert streamed.value.problems == whole.value.problems


def test_a_ragged_file_is_reported_by_the_text_path(tmp_path, data):
    path = tmp_path / "usage.csv"
    path.write_text("timestamp,usage_type,quantity\n2024-03-01T10:00:00,ai_agent,1,9\n",
                    encoding="utf-8")
    with pytest.raises(InputError) as caught:
        allocate_file(data.tenant, path)
    assert [p.where for p in caught.value.problems] == ["row 2"]


BAD_CELLS = [  # (column, value): each one a problem typed_usage_problems reports
    ("usage_type", "teleportation"),
    ("usage_type", None),
    ("subscription_id", "Sub-9999"),
    ("quantity", -1.0),
    ("quantity", float("nan")),
    ("quantity", float("inf")),
    ("quantity", 1e13),
    ("timestamp", None),
]


def coded(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.astype({c: "category" for c in ("usage_type", "subscription_id", "user_id")})


def small_usage(tenant) -> pd.DataFrame:
    frame = pd.DataFrame({
        "timestamp": pd.to_datetime(["2025-03-01T09:00", "2025-03-02T10:00"]).tz_localize(
            tenant.timezone),
        "usage_type": ["ai_agent", "cc_standard_agent"],
        "quantity": [2.0, 3.0],
        "subscription_id": ["Sub-1001", None],
        "user_id": [None, "u0001"],
    })
    return frame.astype({c: "str" for c in ("usage_type", "subscription_id", "user_id")})


@pytest.mark.parametrize(("column", "value"), BAD_CELLS)
def test_a_coded_chunk_is_vouched_for_exactly_when_the_schema_passes(data, column, value):
    frame = small_usage(data.tenant)
    assert vouched(coded(frame), data.tenant)
    assert not typed_usage_problems(frame, "usage.csv", data.tenant)
    frame[column] = frame[column].astype(object)
    frame.loc[1, column] = value
    frame = frame.astype({c: "str" for c in ("usage_type", "subscription_id", "user_id")})
    if column == "quantity":
        frame["quantity"] = frame["quantity"].astype("float64")
    assert typed_usage_problems(frame, "usage.csv", data.tenant)
    assert not vouched(coded(frame), data.tenant)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_every_cell_kept_as_a_code_reads_as_the_text_path_reads_it(usage_file, data,
                                                                    tmp_path, suffix):
    """Reading coded changes the dtype of text columns, never a value or a missing cell."""
    path = usage_file
    if suffix == ".parquet":
        path = tmp_path / "usage.parquet"
        frame = pd.read_csv(usage_file, dtype="str", keep_default_na=False).replace("", None)
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path,
                       row_group_size=1000)
    whole = load_usage(usage_file, data.tenant)
    parts = [typed_frame(table, USAGE_COLUMNS, USAGE_OPTIONAL, USAGE_KINDS,
                         data.tenant.timezone, coded=True) for _, table in _chunks(path, 800)]
    assert all(isinstance(part["usage_type"].dtype, pd.CategoricalDtype) for part in parts)
    read = pd.concat([part.astype({c: "str" for c in ("usage_type", "subscription_id",
                                                       "user_id")}) for part in parts],
                     ignore_index=True)
    order = ["timestamp", "usage_type", "quantity", "subscription_id", "user_id"]
    expected = whole[order].sort_values(order, ignore_index=True)
    pd.testing.assert_frame_equal(read[order].sort_values(order, ignore_index=True), expected)


@pytest.mark.parametrize("with_users", [True, False], ids=["users", "no users"])
def test_allocating_a_coded_frame_gives_the_text_frames_result(usage_file, data, with_users):
    users = data.users if with_users else None
    usage = load_usage(usage_file, data.tenant)
    as_text, as_codes = allocate(data.tenant, usage, users), allocate(data.tenant, coded(usage),
                                                                       users)
    for name in ("pooled", "by_subscription", "unallocated"):
        pd.testing.assert_frame_equal(getattr(as_codes, name), getattr(as_text, name))


def test_chunks_are_worked_in_order_and_a_failure_reaches_the_caller():
    assert list(_in_order(lambda n: n * n, iter(range(50)))) == [n * n for n in range(50)]

    def fail_at_seven(n):
        if n == 7:
            raise ValueError("seven")
        return n

    with pytest.raises(ValueError, match="seven"):
        list(_in_order(fail_at_seven, iter(range(50))))


@given(st.lists(st.tuples(st.integers(0, 3), st.integers(-2**40, 2**40 - 1), st.sampled_from(
    ["a", "b", None])), min_size=1, max_size=60), st.booleans())
@settings(max_examples=150, deadline=None)
def test_rows_share_a_group_exactly_when_they_share_every_key(rows, coded_text):
    """``_groups`` partitions the rows like their key tuples do, whether it compacts by a
    dense table or by hashing (two keys of range 2**41 force the refactorizing)."""
    small, wide, text = (list(column) for column in zip(*rows, strict=True))
    labels = pd.Series(text, dtype="category" if coded_text else "str")
    offset = np.array(wide) + 2**40  # codes 0..2**41-1: a range of 2**41 forces a refactorize
    group, count = _groups([np.array(small), (offset, 2**41), labels, (offset, 2**41)])
    assert sorted(set(group)) == list(range(count))
    keys = list(zip(small, wide, text, strict=True))
    for i in range(len(rows)):
        for j in range(len(rows)):
            assert (group[i] == group[j]) == (keys[i] == keys[j])


@pytest.mark.parametrize("coded_text", [False, True], ids=["text", "coded"])
def test_an_all_empty_parquet_column_is_read_typed(usage_file, data, tmp_path, coded_text):
    """pandas writes a column of None as Arrow's null type: every cell missing, not a problem
    that sends millions of rows to the text path."""
    frame = pd.read_csv(usage_file, dtype="str").assign(user_id=None)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    assert pa.types.is_null(table.schema.field("user_id").type)
    typed = typed_frame(table, USAGE_COLUMNS, USAGE_OPTIONAL, USAGE_KINDS,
                        data.tenant.timezone, coded=coded_text)
    assert typed is not None and typed["user_id"].isna().all()
    assert typed["usage_type"].astype("str").tolist() == frame["usage_type"].tolist()

"""Allocating a usage file in chunks (issue 13): the same result as loading it whole, and the
same problems, each at its row of the whole file. "Same result" is defined in
:mod:`toolkit.inputs.stream`: pooled and per-subscription figures equal (to rounding of the
grouped sums), unallocated quantities equal per day, period, type, subscription, user and
reason."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from toolkit.allocation import allocate
from toolkit.errors import InputError
from toolkit.inputs.dataset import load_tenant_dir
from toolkit.inputs.stream import allocate_file, reduce_usage
from toolkit.inputs.usage import load_usage
from toolkit.resources import sample_dir


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

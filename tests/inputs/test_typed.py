"""The typed fast path of the loaders and Parquet input (issue 13).

The fast path is an accelerator only: on a clean file it must build exactly the frame the
text path builds, and on any file it cannot vouch for the text path must run, so the error
report is the text path's, complete. Each test loads the same file both ways (the text path
forced by disabling ``read_typed`` in the loader's module) and compares.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from toolkit.errors import InputError
from toolkit.inputs import budgets, sessions, usage, users
from toolkit.inputs.dataset import load_tenant_dir
from toolkit.inputs.tenant_file import load_tenant
from toolkit.resources import sample_dir

LOADERS = {
    "usage.csv": (usage, usage.load_usage),
    "sessions.csv": (sessions, sessions.load_sessions),
    "users.csv": (users, users.load_users),
    "budgets.csv": (budgets, budgets.load_budgets),
}


def both_ways(path: Path, name: str, tenant=None):
    """(fast result, text result): each a frame or the InputError's problems."""
    module, load = LOADERS[name]
    results = []
    for fast in (True, False):
        saved = module.read_typed
        if not fast:
            module.read_typed = lambda *args, **kwargs: None
        try:
            results.append(load(path, tenant))
        except InputError as error:
            results.append(error.problems)
        finally:
            module.read_typed = saved
    return results


def assert_same(fast, text):
    if isinstance(text, pd.DataFrame):
        assert isinstance(fast, pd.DataFrame), fast
        pd.testing.assert_frame_equal(fast, text)
    else:
        assert fast == text


@pytest.fixture(scope="module")
def tenant():
    return load_tenant(sample_dir())


@pytest.mark.parametrize("name", sorted(LOADERS))
def test_sample_files_load_the_same_both_ways(name, tenant):
    fast, text = both_ways(sample_dir() / name, name, tenant)
    assert isinstance(text, pd.DataFrame)
    assert_same(fast, text)


@pytest.mark.parametrize("name", sorted(LOADERS))
def test_clean_files_never_reach_the_text_path(name, tenant, monkeypatch):
    module, load = LOADERS[name]

    def refuse(*args, **kwargs):
        raise AssertionError("the text path ran on a clean file")

    monkeypatch.setattr(module, "read_text_table", refuse)
    assert len(load(sample_dir() / name, tenant)) > 0


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


USAGE_CASES = {
    "naive local times": "2025-03-01T09:30:00,ai_agent,2\n2025-03-01 10:00,ai_agent,3\n",
    "offsets and Z": "2025-03-01T09:30:00Z,ai_agent,2\n2025-03-01T09:30:00+02:00,ai_agent,3\n",
    "mixed naive and offsets": "2025-03-01T09:30:00,ai_agent,2\n"
                               "2025-03-02T01:00:00-05:00,ai_agent,1\n",
    "dates only": "2025-03-01,ai_agent,2\n2025-03-31,ai_agent,1.5\n",
    "fractions of a second": "2025-03-01T09:30:00.123456,ai_agent,2\n",
    "padded cells": " 2025-03-01T09:30:00 , ai_agent ,2\n",
    "offset without colon": "2025-03-01T09:30:00+0200,ai_agent,2\n",
    "DST gap": "2025-03-30T02:30:00,ai_agent,2\n",
    "DST overlap": "2025-10-26T02:30:00,ai_agent,2\n",
    "bad date": "2025-02-30T09:00:00,ai_agent,2\nyesterday,ai_agent,1\n",
    "bad number": "2025-03-01T09:30:00,ai_agent,two\n2025-03-01T09:30:00,ai_agent,-1\n",
    "nan and inf": "2025-03-01T09:30:00,ai_agent,nan\n2025-03-01T09:30:00,ai_agent,inf\n",
    "empty cells": ",ai_agent,2\n2025-03-01T09:30:00,,\n",
    "unknown type": "2025-03-01T09:30:00,teleportation,2\n",
    "quoted": '"2025-03-01T09:30:00","ai_agent","2"\n',
    "ragged": "2025-03-01T09:30:00,ai_agent,2,extra\n",
    "crlf and BOM": "2025-03-01T09:30:00,ai_agent,2\r\n",
}


@pytest.mark.parametrize("case", sorted(USAGE_CASES))
def test_usage_cases_agree(case, tmp_path, tenant):
    header = "\ufeff" if case == "crlf and BOM" else ""
    path = write(tmp_path, "usage.csv",
                 header + "timestamp,usage_type,quantity\n" + USAGE_CASES[case])
    fast, text = both_ways(path, "usage.csv", tenant)
    assert_same(fast, text)


def test_ids_that_look_like_numbers_stay_text(tmp_path, tenant):
    path = write(tmp_path, "usage.csv", "timestamp,usage_type,quantity,user_id,subscription_id\n"
                 "2025-03-01T09:30:00,ai_agent,2,007,\n")
    frame = usage.load_usage(path, tenant)
    assert frame["user_id"].iloc[0] == "007"
    fast, text = both_ways(path, "usage.csv", tenant)
    assert_same(fast, text)


def test_dst_gap_is_reported_with_its_row(tmp_path, tenant):
    path = write(tmp_path, "usage.csv", "timestamp,usage_type,quantity\n"
                 "2025-03-29T02:30:00,ai_agent,2\n2025-03-30T02:30:00,ai_agent,2\n")
    with pytest.raises(InputError) as caught:
        usage.load_usage(path, tenant)
    assert [(p.where, p.column, p.value) for p in caught.value.problems] == [
        ("row 3", "timestamp", "2025-03-30T02:30:00")]


def test_offsets_are_converted_to_the_tenant_zone(tmp_path, tenant):
    path = write(tmp_path, "usage.csv", "timestamp,usage_type,quantity\n"
                 "2025-03-01T08:30:00Z,ai_agent,2\n2025-03-01T09:00:00,ai_agent,1\n")
    frame = usage.load_usage(path, tenant)
    assert list(frame["timestamp"].astype(str)) == ["2025-03-01 09:00:00+01:00",
                                                    "2025-03-01 09:30:00+01:00"]
    assert list(frame["quantity"]) == [1.0, 2.0]


SESSION_CASES = {
    "clean": "u1,2025-03-01T09:00:00,2025-03-01T10:00:00\n"
             "u2,2025-03-01T08:00:00Z,2025-03-01T12:00:00Z\n",
    "open session": "u1,2025-03-01T09:00:00,\n",
    "backwards": "u1,2025-03-01T09:00:00,2025-03-01T08:00:00\n",
    "no user": ",2025-03-01T09:00:00,2025-03-01T10:00:00\n",
}


@pytest.mark.parametrize("case", sorted(SESSION_CASES))
def test_session_cases_agree(case, tmp_path, tenant):
    path = write(tmp_path, "sessions.csv", "user_id,login,logout\n" + SESSION_CASES[case])
    fast, text = both_ways(path, "sessions.csv", tenant)
    assert_same(fast, text)


USER_CASES = {
    "windows": "u1,agent,cc_standard_agent,Sub-1001,2025-01-01,2025-02-01\n"
               "u1,agent,cc_standard_agent,Sub-1002,2025-02-01,\n",
    "overlap": "u1,agent,cc_standard_agent,Sub-1001,2025-01-01,2025-03-01\n"
               "u1,agent,cc_standard_agent,Sub-1002,2025-02-01,\n",
    "upper-case role": "u1,Agent,cc_standard_agent,Sub-1001,,\n",
    "bad role": "u1,pilot,cc_standard_agent,Sub-1001,,\n",
    "unmapped": "u1,agent,cc_standard_agent,,,\n",
}


@pytest.mark.parametrize("case", sorted(USER_CASES))
def test_user_cases_agree(case, tmp_path, tenant):
    path = write(tmp_path, "users.csv",
                 "user_id,role,license,subscription_id,start,end\n" + USER_CASES[case])
    fast, text = both_ways(path, "users.csv", tenant)
    assert_same(fast, text)


BUDGET_CASES = {
    "clean": "Customer Care,2025-03,100\nCustomer Care,2025-04,100.5\n",
    "day in a month": "Customer Care,2025-03-15,100\n",
    "word": "Customer Care,March,100\n",
    "duplicate": "Customer Care,2025-03,100\nCustomer Care,2025-03,100\n",
    "negative": "Customer Care,2025-03,-1\n",
    "unknown department": "Nobody,2025-03,1\n",
}


@pytest.mark.parametrize("case", sorted(BUDGET_CASES))
def test_budget_cases_agree(case, tmp_path, tenant):
    path = write(tmp_path, "budgets.csv", "department,period,amount\n" + BUDGET_CASES[case])
    fast, text = both_ways(path, "budgets.csv", tenant)
    assert_same(fast, text)


STAMPS = st.one_of(
    st.datetimes(min_value=pd.Timestamp("2024-01-01").to_pydatetime(),
                 max_value=pd.Timestamp("2026-12-31").to_pydatetime()).map(
        lambda d: d.isoformat()),
    st.sampled_from(["2025-03-30T02:15:00", "2025-10-26T02:15:00", "2025-03-01Z",
                     "2025-03-01T09:00:00Z", "2025-03-01T09:00:00+05:30", "2025-13-01", "",
                     " 2025-03-01", "2025-03-01T24:00:00"]),
)
CELLS = st.lists(st.tuples(STAMPS, st.sampled_from(["ai_agent", "ivr_port", "x", " ai_agent", ""]),
                           st.sampled_from(["1", "2.5", "0", "-1", "1e3", "", "n/a", " 3"])),
                 min_size=1, max_size=12)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=CELLS)
def test_any_usage_file_loads_or_fails_the_same_both_ways(rows, tmp_path_factory, tenant):
    path = tmp_path_factory.mktemp("u") / "usage.csv"
    path.write_text("timestamp,usage_type,quantity\n"
                    + "".join(f"{a},{b},{c}\n" for a, b, c in rows), encoding="utf-8")
    fast, text = both_ways(path, "usage.csv", tenant)
    assert_same(fast, text)


def test_parquet_usage_loads_like_the_csv(tmp_path, tenant):
    frame = pd.read_csv(sample_dir() / "usage.csv", dtype="str")
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), tmp_path / "usage.parquet")
    from_csv = usage.load_usage(sample_dir() / "usage.csv", tenant)
    pd.testing.assert_frame_equal(usage.load_usage(tmp_path / "usage.parquet", tenant), from_csv)


def test_typed_parquet_usage_loads_like_the_csv(tmp_path, tenant):
    """Parquet written by a tool keeps types: naive timestamps are local time, numbers stay."""
    frame = pd.read_csv(sample_dir() / "usage.csv", dtype={"subscription_id": "str",
                                                           "user_id": "str"})
    frame["timestamp"] = pd.to_datetime(frame["timestamp"])
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), tmp_path / "usage.parquet")
    from_csv = usage.load_usage(sample_dir() / "usage.csv", tenant)
    pd.testing.assert_frame_equal(usage.load_usage(tmp_path / "usage.parquet", tenant), from_csv)


def test_bad_parquet_reports_like_the_csv(tmp_path, tenant):
    text = ("timestamp,usage_type,quantity\n2025-03-01T09:30:00,ai_agent,2\n"
            "2025-03-30T02:30:00,teleportation,-1\n")
    csv_path = write(tmp_path, "usage.csv", text)
    frame = pd.read_csv(csv_path, dtype="str")
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), tmp_path / "usage.parquet")
    with pytest.raises(InputError) as from_csv:
        usage.load_usage(csv_path, tenant)
    with pytest.raises(InputError) as from_parquet:
        usage.load_usage(tmp_path / "usage.parquet", tenant)
    assert len(from_csv.value.problems) == 3
    assert [(p.where, p.column, p.value, p.expected) for p in from_parquet.value.problems] == [
        (p.where, p.column, p.value, p.expected) for p in from_csv.value.problems]


def test_unreadable_parquet_is_one_problem(tmp_path, tenant):
    path = write(tmp_path, "usage.parquet", "not parquet at all")
    with pytest.raises(InputError) as caught:
        usage.load_usage(path, tenant)
    assert len(caught.value.problems) == 1
    assert "a readable Parquet file" in caught.value.problems[0].expected


def test_tenant_directory_may_hold_parquet(tmp_path):
    directory = tmp_path / "tenant"
    shutil.copytree(sample_dir(), directory)
    for name in ("usage", "sessions"):
        frame = pd.read_csv(directory / f"{name}.csv", dtype="str")
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False),
                       directory / f"{name}.parquet")
        (directory / f"{name}.csv").unlink()
    from_parquet = load_tenant_dir(directory)
    from_csv = load_tenant_dir(sample_dir())
    pd.testing.assert_frame_equal(from_parquet.usage, from_csv.usage)
    pd.testing.assert_frame_equal(from_parquet.sessions, from_csv.sessions)


def test_csv_and_parquet_of_one_table_is_a_problem(tmp_path):
    directory = tmp_path / "tenant"
    shutil.copytree(sample_dir(), directory)
    frame = pd.read_csv(directory / "usage.csv", dtype="str")
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), directory / "usage.parquet")
    with pytest.raises(InputError) as caught:
        load_tenant_dir(directory)
    assert [p.expected for p in caught.value.problems] == [
        "either usage.csv or usage.parquet, not both"]

"""Writers on valid but awkward data (issue #12): XLSX with tz-aware times and blanks, and
output files that depend on their data only (byte-identical across runs)."""

import time

import pandas as pd
import pytest

from toolkit.commands.cli import main
from toolkit.present.export import write_table, write_with_companions

STAMP = pd.Timestamp("2025-03-01 10:00", tz="Europe/Rome")


@pytest.mark.parametrize("column", [
    pd.Series([STAMP, None], dtype=object),               # mixed, as in allocate's unallocated
    pd.Series([STAMP, "no subscription"], dtype=object),
    pd.Series([STAMP, pd.NaT]),                           # a tz-aware dtype with a blank
])
def test_xlsx_takes_tz_aware_times_with_blanks_as_local_time(tmp_path, column):
    frame = pd.DataFrame({"timestamp": column, "quantity": [1.0, 2.0]})
    path = write_with_companions(frame, tmp_path / "out.xlsx", {"unallocated": frame})[0]
    for sheet in ("data", "unallocated"):
        back = pd.read_excel(path, sheet_name=sheet)
        assert back["timestamp"].iloc[0] == pd.Timestamp("2025-03-01 10:00")  # Rome wall time
        assert back["quantity"].tolist() == [1.0, 2.0]


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_outputs_are_byte_identical_across_runs(tmp_path, suffix):
    frame = pd.DataFrame({"timestamp": [STAMP, pd.NaT], "period": pd.PeriodIndex(
        ["2025-01", "2025-02"], freq="M"), "name": ["=cmd", None]})
    first = write_table(frame, tmp_path / f"a{suffix}").read_bytes()
    time.sleep(2.1)  # zip entry dates have a 2 s resolution
    second = write_table(frame, tmp_path / f"b{suffix}").read_bytes()
    assert first == second


def test_allocate_to_xlsx_is_reproducible(tmp_path):
    assert main(["allocate", "--out", str(tmp_path / "a.xlsx")]) == 0
    time.sleep(2.1)
    assert main(["allocate", "--out", str(tmp_path / "b.xlsx")]) == 0
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()

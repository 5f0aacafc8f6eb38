"""Benchmark: ``load_usage`` against the least work any typed loader of the same file must do.

Target (issue 13): ``load_usage`` of a 10M-row ``usage.csv`` within 1.5x of
``pd.read_csv(engine="pyarrow")`` plus the timestamp parse of the same file (the floor: read
and type the columns, nothing checked), peak memory within 2x of the loaded frame. A stricter
floor is printed too (Arrow parsing the timestamps while it reads), and the same comparison
for ``usage.parquet`` (without a target: its read is so cheap that checking every row
dominates; ``allocate_file`` is the fast path from a large Parquet file). The files are
generated in a temporary directory and deleted afterwards.

Run: ``python benchmarks/bench_load.py [--rows N]``.
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import best_of, machine, peak_memory, write_usage_files  # noqa: E402
from bench_allocate import bench_tenant  # noqa: E402

from toolkit import load_usage  # noqa: E402

ZONE = "UTC"


def floor_csv(path: Path) -> pd.DataFrame:
    """Read with pyarrow through pandas, then parse the ISO date-times (naive, in the zone)."""
    frame = pd.read_csv(path, engine="pyarrow", dtype={"subscription_id": "str",
                                                       "user_id": "str"})
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], format="ISO8601").dt.tz_localize(
        ZONE)
    return frame


def floor_arrow(path: Path) -> pd.DataFrame:
    """A stricter floor: Arrow reads the CSV with the timestamp column typed (parsed inside
    the reader), then hands it to pandas."""
    import pyarrow as pa
    from pyarrow import csv

    types = {"timestamp": pa.timestamp("us"), "quantity": pa.float64(),
             "usage_type": pa.string(), "subscription_id": pa.string(), "user_id": pa.string()}
    frame = csv.read_csv(path, convert_options=csv.ConvertOptions(column_types=types)
                         ).to_pandas()
    frame["timestamp"] = frame["timestamp"].dt.tz_localize(ZONE)
    return frame


def floor_parquet(path: Path) -> pd.DataFrame:
    frame = pd.read_parquet(path)
    frame["timestamp"] = frame["timestamp"].dt.tz_localize(ZONE)
    return frame


def compare(label: str, path: Path, floor, tenant, stricter=None, targets: bool = True) -> None:
    if stricter is not None:
        strict_time, _ = best_of(2, lambda: stricter(path))
        gc.collect()
    floor_time, frame = best_of(2, lambda: floor(path))
    size = frame.memory_usage(deep=True).sum()
    del frame
    gc.collect()
    load_time, loaded = best_of(2, lambda: load_usage(path, tenant))
    assert len(loaded) > 0
    del loaded
    gc.collect()
    memory: dict = {}
    with peak_memory(memory):
        load_usage(path, tenant)
    time_target, memory_target = ("; target <= 1.5x", "; target <= 2x") if targets else ("", "")
    print(f"{label}: floor {floor_time:.2f} s, load_usage {load_time:.2f} s, "
          f"ratio {load_time / floor_time:.2f}x{time_target}; peak memory "
          f"{memory['peak'] / 2**20:,.0f} MiB = {memory['peak'] / size:.2f}x the loaded frame "
          f"({size / 2**20:,.0f} MiB{memory_target})")
    if stricter is not None:
        print(f"{label}: stricter floor (Arrow typed read) {strict_time:.2f} s, load_usage "
              f"{load_time / strict_time:.2f}x of it")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    tenant = bench_tenant(20)
    with tempfile.TemporaryDirectory() as directory:
        csv_path, parquet_path = write_usage_files(Path(directory), args.rows, tenant)
        print(f"usage.csv: {args.rows:,} rows, {csv_path.stat().st_size / 2**20:,.0f} MiB; "
              f"usage.parquet {parquet_path.stat().st_size / 2**20:,.0f} MiB")
        compare("CSV", csv_path, floor_csv, tenant, stricter=floor_arrow)
        # no target: Parquet reads so fast that checking every row is most of the work
        compare("Parquet", parquet_path, floor_parquet, tenant, targets=False)


if __name__ == "__main__":
    main()

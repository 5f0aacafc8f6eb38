"""Benchmark: from a usage file to costs, beside DuckDB and Polars doing the same read and
aggregation, in one run.

Targets (issue 13): a 10M-row ``usage.csv`` → allocation → ``costs`` within 1.5x of DuckDB
reading the same CSV and summing the quantities per month, usage type and subscription; from
``usage.parquet`` within 1.2x. The toolkit's path from a file is
:func:`toolkit.allocate_file` (read in chunks, text columns kept as codes, checked and
reduced per chunk while the next is read); also printed is the in-memory path an analyst
uses to explore (``load_usage`` then ``allocate``, which builds the whole validated frame).
DuckDB and Polars only read and aggregate (no checks, no rules, no rows listed as
unallocated): they are floors, not equivalents. Needs the ``bench`` extra
(``pip install -e .[bench]``). Files are generated in a temporary directory.

Run: ``python benchmarks/bench_end_to_end.py [--rows N]``.
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import best_of, machine, write_usage_files  # noqa: E402
from bench_allocate import bench_tenant  # noqa: E402
from bench_finance import priced  # noqa: E402

from toolkit import allocate, allocate_file, load_usage  # noqa: E402
from toolkit.finance.costs import costs  # noqa: E402


def toolkit_costs(path: Path, tenant):
    return costs(allocate(tenant, load_usage(path, tenant)))


def toolkit_streamed(path: Path, tenant):
    return costs(allocate_file(tenant, path))


def duckdb_sum(path: Path):
    import duckdb

    source = (f"read_csv('{path}', types={{'subscription_id': 'VARCHAR', "
              f"'user_id': 'VARCHAR'}})" if path.suffix == ".csv" else f"read_parquet('{path}')")
    return duckdb.sql(
        f"SELECT date_trunc('month', timestamp) AS month, usage_type, subscription_id, "
        f"sum(quantity) AS quantity FROM {source} GROUP BY ALL").df()


def polars_sum(path: Path):
    import polars as pl

    if path.suffix == ".csv":
        frame = pl.scan_csv(path, schema_overrides={"subscription_id": pl.String,
                                                    "user_id": pl.String, "timestamp": pl.Datetime})
    else:
        frame = pl.scan_parquet(path)
    return (frame.group_by(pl.col("timestamp").dt.truncate("1mo").alias("month"), "usage_type",
                           "subscription_id").agg(pl.col("quantity").sum()).collect())


def compare(label: str, path: Path, tenant, repeats: int, target: float) -> None:
    timings = {}
    for name, work in (("DuckDB", duckdb_sum), ("Polars", polars_sum)):
        timings[name], _ = best_of(repeats, lambda w=work: w(path))
        gc.collect()
    timings["toolkit, from file"], streamed = best_of(repeats,
                                                      lambda: toolkit_streamed(path, tenant))
    gc.collect()
    timings["toolkit, in memory"], table = best_of(repeats, lambda: toolkit_costs(path, tenant))
    assert abs(table["total_cost"].sum() - streamed["total_cost"].sum()) < 1e-6 * max(
        1.0, abs(table["total_cost"].sum()))
    gc.collect()
    print(f"{label}:")
    for name, seconds in timings.items():
        print(f"  {name:<19} {seconds:6.2f} s   {seconds / timings['DuckDB']:5.2f}x DuckDB   "
              f"{seconds / timings['Polars']:5.2f}x Polars")
    met = timings["toolkit, from file"] <= target * timings["DuckDB"]
    print(f"  target: toolkit from file <= {target}x DuckDB: {'met' if met else 'NOT met'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    tenant = priced(bench_tenant(20))
    with tempfile.TemporaryDirectory() as directory:
        csv_path, parquet_path = write_usage_files(Path(directory), args.rows, tenant)
        print(f"{args.rows:,} usage rows: usage.csv {csv_path.stat().st_size / 2**20:,.0f} MiB, "
              f"usage.parquet {parquet_path.stat().st_size / 2**20:,.0f} MiB (UTC tenant)")
        compare("CSV → allocate → costs", csv_path, tenant, args.repeats, 1.5)
        compare("Parquet → allocate → costs", parquet_path, tenant, args.repeats, 1.2)


if __name__ == "__main__":
    main()

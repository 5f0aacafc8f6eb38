"""Helpers shared by the benchmark scripts: machine description, timing, peak memory."""

from __future__ import annotations

import os
import platform
import threading
import time
import tracemalloc
from contextlib import contextmanager


def machine() -> str:
    """One line naming the machine the figures were measured on."""
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"{platform.node()} · {platform.machine()} · {os.cpu_count()} cores · "
            f"{memory:.0f} GiB · Python {platform.python_version()} · {platform.platform()}")


@contextmanager
def peak_memory(result: dict, interval: float = 0.001):
    """Record in ``result['peak']`` the peak memory allocated above the starting level.

    Resident-set readings undercount (freed heap is reused without growing the RSS), so
    allocations are counted where they happen: numpy and Python memory through tracemalloc,
    Arrow's (pandas' string columns) by sampling its memory pool from a thread.
    """
    import pyarrow as pa

    pool = pa.default_memory_pool()
    arrow_start = pool.bytes_allocated()
    arrow_peak = [arrow_start]
    done = threading.Event()

    def sample():
        while not done.is_set():
            arrow_peak[0] = max(arrow_peak[0], pool.bytes_allocated())
            time.sleep(interval)

    tracemalloc.start()
    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield result
    finally:
        done.set()
        thread.join()
        _, traced_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        result["peak"] = traced_peak + max(arrow_peak[0], pool.bytes_allocated()) - arrow_start


def best_of(repeats: int, func):
    """The fastest of ``repeats`` runs, in seconds, and the last result."""
    best, value = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        value = func()
        best = min(best, time.perf_counter() - start)
    return best, value


def write_usage_files(directory, rows: int, tenant, seed: int = 1):
    """``usage.csv`` and ``usage.parquet`` of ``rows`` generated rows (the allocate
    benchmark's mix) in ``directory``, written by Arrow: naive ISO date-times in time order,
    empty user ids."""
    from pathlib import Path

    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq
    from bench_allocate import bench_usage
    from pyarrow import csv

    # exports list usage in time order
    frame = bench_usage(rows, tenant, seed).sort_values("timestamp", ignore_index=True)
    frame["timestamp"] = frame["timestamp"].dt.tz_localize(None)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    csv_path, parquet_path = Path(directory) / "usage.csv", Path(directory) / "usage.parquet"
    pq.write_table(table, parquet_path)
    stamps = pc.strftime(table.column("timestamp"), format="%Y-%m-%dT%H:%M:%S")
    table = table.set_column(0, "timestamp", stamps)
    csv.write_csv(table, csv_path, csv.WriteOptions(quoting_style="none"))
    return csv_path, parquet_path


def best_cpu_of(repeats: int, func) -> float:
    """The least CPU time (this process, all threads) of ``repeats`` runs, in seconds: on a
    shared machine the wall clock also counts other jobs, so growth is judged on this."""
    best = float("inf")
    for _ in range(repeats):
        start = time.process_time()
        func()
        best = min(best, time.process_time() - start)
    return best

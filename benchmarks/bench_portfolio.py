"""Benchmark: a portfolio of tenants on Dask, against the same tenants in one process in a loop.

The floor is the least any portfolio run must do, measured in the same run: compute every
tenant one after the other in this process (the same task function, no Dask). The figures:
the per-tenant overhead of one Dask worker against that loop (target ≤ 10%), and the speed-up
of two workers over one (target ≥ 1.7× on a machine with two cores). Cluster start-up is
printed apart: a partner's run pays it once, not per tenant.

Run: ``python benchmarks/bench_portfolio.py [--tenants 200] [--dir DIR]`` (DIR: where the
synthetic portfolio is written, kept between runs; default a temporary folder).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine  # noqa: E402

from toolkit import portfolio  # noqa: E402
from toolkit.sample import write_portfolio  # noqa: E402


def _loop(paths: list[str]) -> float:
    start = time.perf_counter()
    results = [portfolio.tenant_task(path, name)
               for path, name in zip(paths, portfolio.labels(paths), strict=True)]
    portfolio.roll_up(results)
    return time.perf_counter() - start


def _on_cluster(paths: list[str], workers: int) -> tuple[float, float]:
    """Seconds to start the cluster, and to run every tenant on it once warm."""
    from distributed import Client

    start = time.perf_counter()
    with portfolio.local_cluster(workers) as cluster, Client(cluster) as client:
        # each worker computes one tenant before timing, as the loop's process did (imports,
        # pandera's schemas): both sides are then timed warm
        client.run(portfolio.tenant_task, paths[0], "warm-up")
        started = time.perf_counter()
        portfolio.run(paths, client)
        return started - start, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=200)
    parser.add_argument("--dir", type=Path)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory() as scratch:
        root = args.dir or Path(scratch)
        if not (root / f"tenant-{args.tenants:03d}").exists():
            write_portfolio(root, tenants=args.tenants)
        paths = portfolio.tenant_paths(root)[:args.tenants]
        _loop(paths[:2])  # warm this process's imports
        floor = _loop(paths)
        boot1, one = _on_cluster(paths, 1)
        boot2, two = _on_cluster(paths, 2)
    n = len(paths)
    print(f"{n} tenants")
    print(f"floor, one process in a loop: {floor:8.2f} s  ({floor / n * 1000:.0f} ms a tenant)")
    print(f"1 Dask worker:                {one:8.2f} s  overhead {one / floor - 1:+.1%} a tenant "
          f"(target <= +10%); cluster start {boot1:.1f} s")
    print(f"2 Dask workers:               {two:8.2f} s  speed-up {one / two:.2f}x over 1 worker "
          f"(target >= 1.7x), {floor / two:.2f}x the loop; cluster start {boot2:.1f} s")


if __name__ == "__main__":
    main()

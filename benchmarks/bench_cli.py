"""Benchmark: how long the ``multisub`` command takes to answer, as a whole process.

Targets (issue 13): ``multisub --help`` under 2x ``python -c "import pandas"`` (the floor:
every command works on frames, so pandas is the least it must import), and ``multisub
allocate`` on the bundled sample under 0.8 s of wall time. Each command runs as a fresh
process, in turns with the floor (A B A B ...), so a drift of the machine's speed hits both;
the medians are printed with the machine.

Run: ``python benchmarks/bench_cli.py [--runs N]``.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine  # noqa: E402

FLOOR = [sys.executable, "-c", "import pandas"]
#: the installed console script, as a user runs it (else the module, same code)
MULTISUB = [shutil.which("multisub") or ""] if shutil.which("multisub") else [
    sys.executable, "-m", "toolkit.commands.cli"]


def wall(command: list[str]) -> float:
    """Seconds from start to exit of one run (its output discarded, its status checked)."""
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def paired(command: list[str], runs: int) -> tuple[float, float]:
    """Median wall seconds of ``command`` and of the floor, run in turns after a warm-up."""
    wall(command), wall(FLOOR)
    times, floors = [], []
    for _ in range(runs):
        times.append(wall(command))
        floors.append(wall(FLOOR))
    return statistics.median(times), statistics.median(floors)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    help_time, floor = paired([*MULTISUB, "--help"], args.runs)
    print(f"python -c 'import pandas' (floor): {floor:5.2f} s median of {args.runs}")
    print(f"multisub --help:                   {help_time:5.2f} s = {help_time / floor:.2f}x the "
          f"floor (target < 2x: {'met' if help_time < 2 * floor else 'NOT met'})")
    with tempfile.TemporaryDirectory() as out:
        allocate_time, floor = paired([*MULTISUB, "allocate", "--out",
                                       str(Path(out) / "allocation.csv")], args.runs)
    print(f"multisub allocate (sample):        {allocate_time:5.2f} s = "
          f"{allocate_time / floor:.2f}x the floor "
          f"(target < 0.8 s: {'met' if allocate_time < 0.8 else 'NOT met'})")


if __name__ == "__main__":
    main()

"""Latency of each dashboard widget change on the bundled sample, against the 200 ms target.

Every control of the tenant explorer (notebook 2) and of the ownership what-if (notebook 3) is
set to a sequence of new values, the way a user clicks through them; each change is timed from
``widget.value = …`` until the observers have redrawn (they run synchronously). The floor is
measured in the same run: drawing an empty figure to SVG, the least any redraw costs. Peak
memory is measured in a separate pass (tracing allocations slows the timed code down).

Run: ``python benchmarks/bench_widgets.py``
"""

from __future__ import annotations

import datetime as dt
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import machine, peak_memory  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from toolkit.inputs.dataset import load_tenant_dir  # noqa: E402
from toolkit.present import plots, ui  # noqa: E402
from toolkit.resources import sample_dir  # noqa: E402

TARGET_MS = 200.0
D = dt.date

EXPLORER_CHANGES = [
    ("usage_type", ["ai_agent", "ivr_port", "wfo", "cc_standard_agent"]),
    ("subscription", ["Sub-1001", "Sub-1003", ui.ALL]),
    ("periods", [("2025-01", "2025-12"), ("2024-01", "2026-10")]),
]
WHATIF_CHANGES = [
    ("subscription", ["Sub-1002", "Sub-1004", "Sub-1001"]),
    ("on", [D(2026, 1, 1), D(2025, 6, 1), D(2026, 4, 1)]),
    ("action", ["add", "expire"]),
    ("months", [24, 12]),
]


def floor_ms(repeats: int = 5) -> float:
    def empty_figure():
        figure = Figure(figsize=(9, 3.4))
        figure.subplots()
        return plots.figure_svg(figure)

    return 1000 * min(_timed(empty_figure) for _ in range(repeats))


def _timed(func) -> float:
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def time_changes(dashboard, changes, rounds: int) -> list[tuple[str, list[float]]]:
    """Milliseconds of every change, per control, over ``rounds`` passes of its values."""
    results = []
    for name, values in changes:
        control = getattr(dashboard, name)
        samples = []
        for _ in range(rounds):
            for value in values:
                samples.append(1000 * _timed(lambda c=control, v=value: setattr(c, "value", v)))
        results.append((name, samples))
    return results


def report(title: str, build_ms: float, results, floor: float) -> None:
    print(f"\n{title} (built once in {build_ms:,.0f} ms)")
    print(f"  {'control':<14}{'changes':>8}{'median ms':>11}{'p95 ms':>8}{'max ms':>8}"
          f"{'× floor':>9}{'under 200 ms':>14}")
    for name, samples in results:
        median = statistics.median(samples)
        p95 = statistics.quantiles(samples, n=20, method="inclusive")[-1]
        under = sum(s < TARGET_MS for s in samples) / len(samples)
        print(f"  {name:<14}{len(samples):>8}{median:>11.0f}{p95:>8.0f}{max(samples):>8.0f}"
              f"{median / floor:>9.1f}{under:>14.0%}")


def main(rounds: int = 5) -> None:
    print(f"machine: {machine()}")
    data = load_tenant_dir(sample_dir())
    rows = len(data.usage)
    start = time.perf_counter()
    explorer = ui.explorer(data.tenant, data.usage, data.users)
    explorer_build = 1000 * (time.perf_counter() - start)
    start = time.perf_counter()
    whatif = ui.ownership_whatif(data.tenant, data.usage, data.users, start=D(2024, 1, 1),
                                 end=D(2028, 7, 1), as_of=D(2026, 10, 31))
    whatif_build = 1000 * (time.perf_counter() - start)
    time_changes(explorer, EXPLORER_CHANGES, 1)  # warm-up: fonts, caches
    time_changes(whatif, WHATIF_CHANGES, 1)
    floor = floor_ms()
    print(f"sample: {rows:,} usage rows; floor (empty figure to SVG): {floor:.1f} ms")
    explorer_results = time_changes(explorer, EXPLORER_CHANGES, rounds)
    whatif_results = time_changes(whatif, WHATIF_CHANGES, rounds)
    report("Tenant explorer", explorer_build, explorer_results, floor)
    report("Ownership what-if", whatif_build, whatif_results, floor)
    recomputed = statistics.median(s for name, samples in whatif_results if name != "months"
                                   for s in samples)
    print(f"\nwhat-if, end to end: {rows / (recomputed / 1000):,.0f} sample usage rows per second "
          "of change latency (a change re-allocates only the months from its date onward)")
    memory: dict = {}
    with peak_memory(memory):
        time_changes(explorer, EXPLORER_CHANGES, 1)
        time_changes(whatif, WHATIF_CHANGES, 1)
    print(f"peak memory of one pass over every change: {memory['peak'] / 2**20:,.1f} MiB")


if __name__ == "__main__":
    main()

"""Write the README's chart images (PNG) into docs/img/ from the bundled sample.

The README shows what the toolkit draws; these images are produced by the same plotting
functions the notebooks call, on the same seeded sample, with the notebooks' pinned
matplotlib settings, so rerunning this script after a change of the rules or of the charts
refreshes them: ``python scripts/screenshots.py``.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import matplotlib

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "img"


def main(out: Path = OUT) -> list[Path]:
    matplotlib.rc_file(ROOT / "notebooks" / "matplotlibrc")
    from toolkit import allocate
    from toolkit.inputs.dataset import load_tenant_dir
    from toolkit.present import plots

    data = load_tenant_dir(ROOT / "data" / "sample")
    allocation = allocate(data.tenant, data.usage, data.users)
    charts = {
        "ownership_timeline.png": plots.ownership_chart(
            data.tenant, dt.date(2024, 1, 1), dt.date(2028, 7, 1), as_of=data.as_of()),
        "pooled_overage.png": plots.pooled_chart(allocation, "ai_agent"),
    }
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, figure in charts.items():
        path = out / name
        figure.savefig(path, dpi=100, metadata={"Software": None})
        written.append(path)
    return written


if __name__ == "__main__":
    for path in main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT):
        print(f"wrote {path}")

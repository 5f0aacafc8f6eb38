"""Benchmark: Search API agentSession pages → sessions, and measuring from pages end to end.

Writes 4,000 pages of 250 Agent Session Records (1M records, Cisco's shape, a few still
active) into a temporary folder, then measures in the same run:

1. ``load_agent_sessions`` against the floor of ``json.load`` of every page plus building
   the same columns with pandas (ids, agent ids, login and logout as UTC timestamps), with
   none of the checks: target within 3x;
2. ``multisub measure PAGES --out usage.parquet`` in process (detection, loading, checks,
   measuring, writing) against ``load_agent_sessions`` + ``measure_sessions`` called
   directly: target within 2x.

    python benchmarks/bench_agent_sessions.py                 # 4,000 pages x 250 records
    python benchmarks/bench_agent_sessions.py --pages 400
"""

from __future__ import annotations

import argparse
import json
import tempfile
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
from _common import best_of, machine

from toolkit.commands.cli import main as cli
from toolkit.inputs.webex.search import load_agent_sessions
from toolkit.metering import measure_sessions

START_MS = 1_759_276_800_000  # 2025-10-01T00:00:00Z
PAGE = 250


def write_pages(folder: Path, pages: int, users: int, seed: int) -> int:
    """``pages`` agentSession pages over 30 days; returns the extraction time (epoch ms)."""
    rng = np.random.default_rng(seed)
    n = pages * PAGE
    login = START_MS + rng.integers(0, 30 * 86_400_000, n)
    logout = login + rng.integers(10 * 60_000, 9 * 3_600_000, n)
    as_of = int(logout.max())
    active = rng.random(n) < 0.001
    agent = rng.integers(0, users, n)
    ids = sorted(str(uuid.UUID(bytes=rng.bytes(16), version=4)) for _ in range(n))
    for p in range(pages):
        records = []
        for i in range(p * PAGE, (p + 1) * PAGE):
            records.append({
                "agentSessionId": ids[i], "agentId": f"agent-{agent[i]:05d}",
                "teamName": "team", "siteName": "site", "startTime": int(login[i]),
                "endTime": -1 if active[i] else int(logout[i]), "isActive": bool(active[i]),
                "channelInfo": [{"channelType": "telephony",
                                 "totalDuration": int(logout[i] - login[i])}]})
        last = p + 1 == pages
        page = {"data": {"agentSession": {"agentSessions": records, "pageInfo": {
            "hasNextPage": not last, "endCursor": None if last else ids[(p + 1) * PAGE - 1]}}}}
        (folder / f"page-{p + 1:04d}.json").write_text(json.dumps(page, separators=(",", ":")))
    return as_of


def floor(folder: Path) -> pd.DataFrame:
    """json.load of every page and the same columns built with pandas, no checks."""
    ids, agents, starts, ends = [], [], [], []
    for file in sorted(folder.iterdir()):
        with file.open("rb") as handle:
            records = json.load(handle)["data"]["agentSession"]["agentSessions"]
        ids += [r["agentSessionId"] for r in records]
        agents += [r["agentId"] for r in records]
        starts += [r["startTime"] for r in records]
        ends += [r["endTime"] for r in records]
    return pd.DataFrame({
        "user_id": pd.Series(agents, dtype="str"),
        "login": pd.to_datetime(np.array(starts, dtype=np.int64), unit="ms", utc=True),
        "logout": pd.to_datetime(np.array(ends, dtype=np.int64), unit="ms", utc=True),
        "session_id": pd.Series(ids, dtype="str"),
    })


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=4000)
    parser.add_argument("--users", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(machine())
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "agentSession"
        folder.mkdir()
        as_of_ms = write_pages(folder, args.pages, args.users, seed=7)
        as_of = pd.Timestamp(as_of_ms, unit="ms", tz="UTC")
        size = sum(p.stat().st_size for p in folder.iterdir()) / 2**20
        print(f"{args.pages:,} pages, {args.pages * PAGE:,} records, {size:,.0f} MiB of JSON")

        t_floor, base = best_of(args.repeats, lambda: floor(folder))
        t_load, loaded = best_of(args.repeats, lambda: load_agent_sessions(folder, as_of=as_of))
        assert len(loaded.sessions) == len(base)
        print(f"json.load + columns (floor): {t_floor:7.2f} s")
        print(f"load_agent_sessions:         {t_load:7.2f} s   ratio {t_load / t_floor:.2f}x "
              "(target <= 3x)")

        def direct():
            imported = load_agent_sessions(folder, as_of=as_of)
            return measure_sessions(imported.sessions, timezone="UTC")

        out = Path(tmp) / "usage.parquet"
        argv = ["measure", str(folder), "--as-of", as_of.isoformat(), "--out", str(out),
                "--findings", str(Path(tmp) / "findings.csv")]
        t_direct, usage = best_of(args.repeats, direct)
        t_cli, code = best_of(args.repeats, lambda: cli(argv))
        assert code == 0 and len(pd.read_parquet(out)) == len(usage)
        print(f"load + measure_sessions:     {t_direct:7.2f} s")
        print(f"multisub measure PAGES:      {t_cli:7.2f} s   ratio {t_cli / t_direct:.2f}x "
              "(target <= 2x)")


if __name__ == "__main__":
    main()

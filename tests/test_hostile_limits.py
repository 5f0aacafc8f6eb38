"""No input of a few KB makes a command run longer than 20 s or use more than 1 GB (issue #12).

Each hostile file runs through the real command in a subprocess whose address space is
capped at 1 GiB and whose wall time is capped at 20 s; it must end with exit status 2, one
message and no traceback, and report its peak memory.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from toolkit.resources import sample_dir

ROOT = Path(__file__).resolve().parents[1]
GIB = 1 << 30
LIMITED = """
import resource, runpy, sys
resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))
sys.argv = ["multisub", *sys.argv[1:]]
try:
    runpy.run_module("toolkit.commands.cli", run_name="__main__")
finally:
    print("maxrss_kib", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)
"""
BOMB_LINES = ["a: &a [x, x, x, x, x, x, x, x, x, x]"] + [
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 10)}]" for i in range(9)]
# the expanded value is used (and was printed in a message): 10**10 values
JSON_BOMB = "{" + ", ".join(BOMB_LINES) + ", items: *j}"


def run_limited(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-c", LIMITED.format(limit=GIB), *args], env=env,
                          capture_output=True, text=True, timeout=20)


def tenant_with(tmp_path, tenant_yaml: str) -> Path:
    folder = tmp_path / "tenant"
    folder.mkdir()
    shutil.copy(sample_dir() / "budgets.csv", folder / "budgets.csv")
    (folder / "tenant.yaml").write_text(tenant_yaml)
    return folder


def bomb_tenant(tmp_path):
    text = "anchors:\n" + "".join(f"  {line}\n" for line in BOMB_LINES) + (
        "usage_types: *j\n") + (sample_dir() / "tenant.yaml").read_text()
    return ["validate", str(tenant_with(tmp_path, text))]


def bomb_document(tmp_path):
    """The whole document is the bomb: it was printed in the "not a mapping" message."""
    bomb = "[" + ", ".join(line.split(": ", 1)[1] for line in BOMB_LINES) + "]\n"
    return ["owners", str(tenant_with(tmp_path, bomb)), "--on", "2026-01-01"]


def deep_tenant(tmp_path):
    return ["allocate", str(tenant_with(tmp_path, "[" * 4000)), "--out",
            str(tmp_path / "a.csv")]


def bomb_json(tmp_path):
    (tmp_path / "licenses.json").write_text(JSON_BOMB)
    (tmp_path / "people.json").write_text('{"items": []}')
    return ["import-webex", str(tmp_path / "licenses.json"), str(tmp_path / "people.json"),
            "--out", str(tmp_path / "out")]


@pytest.mark.parametrize("command", [bomb_tenant, bomb_document, deep_tenant, bomb_json])
def test_a_few_kb_of_hostile_input_ends_fast_and_small(tmp_path, command):
    args = command(tmp_path)
    assert sum(p.stat().st_size for p in tmp_path.rglob("*") if p.is_file()) < 8_000
    result = run_limited(*args)  # raises TimeoutExpired after 20 s
    *message, peak = result.stderr.splitlines()
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and "MemoryError" not in result.stderr
    assert message[0].startswith(f"multisub {args[0]}: 1 problem in the input:")
    assert int(peak.removeprefix("maxrss_kib ")) < GIB // 1024

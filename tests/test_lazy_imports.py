"""A command imports only what it uses (issue 13): the report stack (matplotlib, papermill,
ipywidgets) costs most of a second to import, so ``multisub --help``, ``owners`` and the
table commands must never load it. Checked in a fresh interpreter, where ``sys.modules`` shows
exactly what one command pulled in."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("matplotlib", "papermill", "ipywidgets", "nbconvert", "nbformat", "IPython")

PROBE = """
import json, sys
from toolkit.commands.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
"""


def modules_after(*argv: str) -> set[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True, text=True,
                          env=env, cwd=ROOT, check=True)
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize("argv", [
    ("--help",),
    ("owners", "--on", "2025-03-01"),
    ("allocate", "--help"),
], ids=lambda argv: " ".join(argv))
def test_command_never_imports_the_report_stack(argv):
    loaded = modules_after(*argv)
    assert "toolkit" in loaded  # the probe did run the command line
    assert loaded.isdisjoint(HEAVY), sorted(loaded & set(HEAVY))


def test_allocate_never_imports_the_report_stack(tmp_path):
    loaded = modules_after("allocate", "--out", str(tmp_path / "out.csv"))
    assert (tmp_path / "out.csv").exists()
    assert loaded.isdisjoint(HEAVY), sorted(loaded & set(HEAVY))


def test_the_probe_sees_a_heavy_import():
    """The check can fail: importing the plots module does load matplotlib."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    code = "import sys, toolkit.present.plots; print('matplotlib' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          check=True)
    assert done.stdout.strip() == "True"


def full_names_after(*argv: str) -> set[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    probe = PROBE.replace('name.split(".")[0] for name in sys.modules',
                          "name for name in sys.modules")
    done = subprocess.run([sys.executable, "-c", probe, *argv], capture_output=True, text=True,
                          env=env, cwd=ROOT, check=True)
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def test_help_imports_no_command_and_a_command_only_its_own():
    """``--help`` lists every command from the table in ``cli`` without importing one; a
    command imports its own module and no other command's (nor pandera or httpx for --help)."""
    commands = {name for name in full_names_after("--help") if name.startswith("toolkit.commands.")}
    assert commands == {"toolkit.commands.cli"}
    assert not {"pandera", "httpx"} & {n.split(".")[0] for n in full_names_after("--help")}
    owners = {n for n in full_names_after("owners", "--help") if n.startswith("toolkit.commands.")}
    assert owners == {"toolkit.commands.cli", "toolkit.commands.owners"} | (
        {"toolkit.commands.validate"} & owners)  # owners shares validate's evaluation day


ENTRY_PROBE = """
import json, sys
from toolkit.commands.cli import entry
entry()
print(json.dumps(sorted({name.split(".")[0] for name, module in sys.modules.items() if module})))
"""


def test_the_console_script_keeps_pandera_from_importing_hypothesis(tmp_path):
    """hypothesis is installed here (tests use it), and pandera imports it when it can; the
    ``multisub`` script's process does not pay for it, while ``main`` in-process leaves it."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    argv = ["allocate", "--out", str(tmp_path / "out.csv")]
    done = subprocess.run([sys.executable, "-c", ENTRY_PROBE, *argv], capture_output=True,
                          text=True, env=env, cwd=ROOT, check=True)
    loaded = set(json.loads(done.stdout.strip().splitlines()[-1]))
    assert {"pandera", "toolkit"} <= loaded and "hypothesis" not in loaded
    assert (tmp_path / "out.csv").exists()
    assert "hypothesis" in modules_after(*argv)  # main alone: pandera does import it


#: The cluster stack: only ``portfolio`` needs it. Importing ``dask.dataframe`` costs over a
#: second, and pandera imports it the moment a ``DataFrameModel`` becomes a schema (it looks
#: for dask's annotation types), so output frames are declared as ``DataFrameSchema`` objects.
CLUSTER = ("dask", "distributed")


@pytest.mark.parametrize("argv", [
    ("validate",),
    ("costs", "--period", "Q", "--out", "{out}"),
    ("preview",),
], ids=lambda argv: argv[0])
def test_a_single_tenant_command_never_imports_dask(argv, tmp_path):
    loaded = modules_after(*(a.format(out=tmp_path / "out.csv") for a in argv))
    assert "pandera" in loaded and "toolkit" in loaded  # frames were shaped and checked
    assert loaded.isdisjoint(CLUSTER), sorted(loaded & set(CLUSTER))


def test_the_probe_sees_pandera_import_dask_for_a_model():
    """The check can fail: with dask installed, a ``DataFrameModel`` turned into a schema does
    load ``dask`` (pandera 0.35). Should pandera stop doing so, this test says the schemas may
    go back to models."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    code = ("import sys, pandera.pandas as pa\nfrom pandera.typing import Series\n"
            "class M(pa.DataFrameModel):\n    a: Series[int]\n"
            "M.to_schema()\nprint('dask' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          check=True)
    assert done.stdout.strip() == "True"

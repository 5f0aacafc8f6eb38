"""Writing outputs (issue 19, items 7-9): no output is ever half-written, none is an input, and
Ctrl-C (or a kill) stops a command with one line and no partial file.

Every writing command, in every format, is run against a disk that fills part-way through its
last file (a real ``RLIMIT_FSIZE`` in a subprocess, and in-process a disk whose free space runs
out after a byte budget), and is interrupted part-way: the folder must hold exactly the previous
files, byte for byte, and nothing else. Output targets that cannot be regular files, and outputs
that are inputs (also through a symbolic or a hard link), are refused up front with one line.
"""

from __future__ import annotations

import builtins
import errno
import io
import os
import resource
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from toolkit.commands.cli import main
from toolkit.resources import sample_dir

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = sample_dir()
FIXTURES = Path(__file__).parent / "fixtures"
PAGES = FIXTURES / "search" / "agent_sessions"
WEBEX = FIXTURES / "webex"
HAS_FULL = Path("/dev/full").exists()

#: Every writing command and format: its arguments ({out} is the test's output folder) and
#: the files it writes there, in the order it writes them.
WRITERS = {
    "allocate-csv": (["allocate", SAMPLE, "--out", "{out}/a.csv"],
                     ["a.csv", "a.pooled.csv", "a.unallocated.csv"]),
    "allocate-parquet": (["allocate", SAMPLE, "--out", "{out}/a.parquet"],
                         ["a.parquet", "a.pooled.parquet", "a.unallocated.parquet"]),
    "allocate-xlsx": (["allocate", SAMPLE, "--out", "{out}/a.xlsx"], ["a.xlsx"]),
    "costs-csv": (["costs", SAMPLE, "--out", "{out}/c.csv"],
                  ["c.csv", "c.costs.csv", "c.budgets.csv"]),
    "focus-csv": (["focus", SAMPLE, "--out", "{out}/f.csv"], ["f.csv"]),
    "focus-parquet": (["focus", SAMPLE, "--out", "{out}/f.parquet"], ["f.parquet"]),
    "measure": (["measure", PAGES, "--as-of", "2026-10-01T16:00:00Z", "--interval", "1h",
                 "--out", "{out}/u.csv", "--findings", "{out}/findings.xlsx"],
                ["u.csv", "findings.xlsx"]),
    "import-webex": (["import-webex", WEBEX / "licenses.json", WEBEX / "people_pages",
                      "--out", "{out}"], ["users.csv", "licenses.csv", "reconciliation.csv"]),
    "report-html": (["report", SAMPLE, "--department", "Sales", "--department", "Claims",
                     "--out", "{out}"], ["who-made-the-peak.csv", "sales.html", "claims.html"]),
    "report-pdf": (["report", SAMPLE, "--department", "Operations", "--format", "html,pdf",
                    "--out", "{out}"], ["who-made-the-peak.csv", "operations.html",
                                        "operations.pdf"]),
    "workbook": (["workbook", SAMPLE, "--out", "{out}/w.xlsx"], ["w.xlsx"]),
    "peaks-xlsx": (["peaks", SAMPLE, "--sessions", SAMPLE / "raw" / "agentSession", "--out",
                    "{out}/p.xlsx"], ["p.xlsx"]),
    "plan-csv": (["validate", SAMPLE, "--plan", "{out}/plan.csv"], ["plan.csv"]),
    "plan-json": (["validate", SAMPLE, "--plan", "{out}/plan.json", "--licenses",
                   WEBEX / "licenses.json"], ["plan.json"]),
}
#: Exit status of a successful run (validate exits 1: the sample has error findings).
SUCCESS = {"plan-csv": 1, "plan-json": 1}
#: Formats whose writer does not go through Python's ``open`` (pyarrow writes natively):
#: their in-process disk is full for another file, their own case is the RLIMIT one.
NATIVE = {"allocate-parquet", "focus-parquet"}


def run(args: list[str]) -> int:
    """``main`` in-process; Ctrl-C escaping it is a failure here, not the end of the session."""
    try:
        return main(args)
    except KeyboardInterrupt:
        pytest.fail("KeyboardInterrupt escaped main(): a traceback, not one line")


def argv(name: str, out: Path) -> list[str]:
    return [str(arg).replace("{out}", str(out)) for arg in WRITERS[name][0]]


def outputs(name: str) -> list[str]:
    return WRITERS[name][1]


def previous(folder: Path, name: str) -> dict[str, bytes]:
    """Put a distinct "previous" file where each output goes; return the folder's contents."""
    folder.mkdir(parents=True, exist_ok=True)
    for file in outputs(name):
        (folder / file).write_bytes(f"previous {file}\n".encode() * 50)
    return contents(folder)


def lines_of(err: str) -> list[str]:
    """What stderr says, but measure's warning that no --users was given."""
    return [line for line in err.splitlines() if ": warning: no --users" not in line]


def contents(folder: Path) -> dict[str, bytes]:
    """Every file in ``folder`` (hidden temporaries too) with its bytes."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.fixture(scope="module")
def sizes(tmp_path_factory) -> dict[str, dict[str, int]]:
    """Each writer run once normally: the size of every file it writes (the byte budgets of
    the full-disk cases are cut from these), and proof each writes exactly its files."""
    found = {}
    for name in WRITERS:
        out = tmp_path_factory.mktemp(name)
        assert main(argv(name, out)) == SUCCESS.get(name, 0), name
        written = contents(out)
        assert sorted(written) == sorted(outputs(name)), name
        found[name] = {file: len(data) for file, data in written.items()}
    return found


class FillingDisk:
    """``open`` for files under one folder on a disk with ``free`` bytes left: the write that
    goes past it writes what fits and raises ``fault`` (a full disk, or Ctrl-C pressed then)."""

    def __init__(self, folder: Path, free: int, fault: BaseException):
        self.folder, self.free, self.fault = folder.resolve(), free, fault
        self.real_open = builtins.open

    def open(self, file, mode="r", *args, **kwargs):
        handle = self.real_open(file, mode, *args, **kwargs)
        inside = isinstance(file, str | Path) and Path(file).resolve().is_relative_to(self.folder)
        if inside and any(flag in mode for flag in "wax+"):
            return _Metered(handle, self)
        return handle


class _Metered:
    def __init__(self, handle, disk: FillingDisk):
        self._handle, self._disk = handle, disk

    def write(self, data):
        disk = self._disk
        if len(data) > disk.free:
            self._handle.write(data[:disk.free])
            self._handle.flush()
            disk.free = 0
            raise disk.fault
        disk.free -= len(data)
        return self._handle.write(data)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._handle.close()

    def __iter__(self):
        return iter(self._handle)

    def __getattr__(self, name):
        return getattr(self._handle, name)


def fill_disk(monkeypatch, folder: Path, free: int, fault: BaseException) -> None:
    disk = FillingDisk(folder, free, fault)
    monkeypatch.setattr(builtins, "open", disk.open)
    monkeypatch.setattr(io, "open", disk.open)


FAULTS = {
    "disk-full": (OSError(errno.ENOSPC, "No space left on device"), 2,
                  "No space left on device; nothing was changed"),
    "ctrl-c": (KeyboardInterrupt(), 130, "interrupted"),
}


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("name", [n for n in WRITERS if n not in NATIVE])
def test_a_write_failing_part_way_leaves_every_previous_file(name, fault, sizes, tmp_path,
                                                             monkeypatch, capsys):
    """The disk fills (or Ctrl-C comes) half-way through the last file a command writes, after
    its other files are complete: every previous file is intact and nothing else is there."""
    out = tmp_path / "out"
    before = previous(out, name)
    last = sizes[name][outputs(name)[-1]]
    free = sum(sizes[name].values()) - last + last // 2
    error, status, message = FAULTS[fault]
    fill_disk(monkeypatch, out, free, error)
    assert run(argv(name, out)) == status
    err = capsys.readouterr().err
    assert "Traceback" not in err and ".partial" not in err
    [line] = lines_of(err)
    assert line.startswith(f"multisub {argv(name, out)[0]}: ") and line.endswith(message)
    assert contents(out) == before


@pytest.mark.parametrize("name", ["allocate-csv", "allocate-parquet", "focus-parquet",
                                  "measure", "import-webex", "report-html", "workbook",
                                  "plan-json"])
def test_a_file_size_limit_leaves_the_previous_files(name, sizes, tmp_path):
    """A real ``RLIMIT_FSIZE`` below the largest output, in the command's own process: the
    write fails with EFBIG part-way, nothing is replaced and no temporary is left."""
    out = tmp_path / "out"
    before = previous(out, name)
    limit = max(64, max(sizes[name].values()) // 2)

    def limited():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    result = subprocess.run([sys.executable, "-m", "toolkit.commands.cli", *argv(name, out)],
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, preexec_fn=limited,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 2, result.stderr
    [line] = lines_of(result.stderr)
    assert "File too large" in line and line.endswith("; nothing was changed")
    assert contents(out) == before


def test_companions_land_together(tmp_path, sizes, monkeypatch, capsys):
    """The main table and its first companion are complete when the disk fills in the third:
    neither replaces its previous file (before, ``a.csv`` and ``a.pooled.csv`` were new and
    ``a.unallocated.csv`` was cut)."""
    out = tmp_path / "out"
    before = previous(out, "allocate-csv")
    fill_disk(monkeypatch, out, sizes["allocate-csv"]["a.csv"]
              + sizes["allocate-csv"]["a.pooled.csv"] + 10, FAULTS["disk-full"][0])
    assert main(argv("allocate-csv", out)) == 2
    assert contents(out) == before
    assert capsys.readouterr().err == (
        f"multisub allocate: cannot write {out}/a.csv, {out}/a.pooled.csv, "
        f"{out}/a.unallocated.csv: No space left on device; nothing was changed\n")


def test_a_new_file_gets_the_usual_permissions_and_a_replaced_one_keeps_its_own(tmp_path):
    """Temporaries are private (0600) when made; the file that replaces a target must not be."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "f.csv").write_text("old")
    (out / "f.csv").chmod(0o640)
    assert main(argv("focus-csv", out)) == 0
    assert (out / "f.csv").stat().st_mode & 0o777 == 0o640
    assert main(argv("workbook", out)) == 0
    umask = os.umask(0o022)
    os.umask(umask)
    assert (out / "w.xlsx").stat().st_mode & 0o777 == 0o666 & ~umask


# --- targets that cannot be regular files -------------------------------------------------

#: One single-file output option of each writing command, as (arguments before, option).
SINGLE = {
    "allocate": (["allocate", SAMPLE], "--out", ".csv"),
    "costs": (["costs", SAMPLE], "--out", ".xlsx"),
    "focus": (["focus", SAMPLE], "--out", ".parquet"),
    "workbook": (["workbook", SAMPLE], "--out", ".xlsx"),
    "measure": (["measure", PAGES], "--out", ".csv"),
    "peaks": (["peaks", SAMPLE, "--sessions", SAMPLE / "raw" / "agentSession"], "--out", ".csv"),
    "measure-findings": (["measure", PAGES, "--out", "{out}/u.csv"], "--findings", ".csv"),
    "validate": (["validate", SAMPLE], "--plan", ".csv"),
    "validate-json": (["validate", SAMPLE, "--licenses", WEBEX / "licenses.json"], "--plan",
                      ".json"),
}


def single(name: str, out: Path, target: Path) -> list[str]:
    before, option, _ = SINGLE[name]
    return [str(a).replace("{out}", str(out)) for a in before] + [option, str(target)]


@pytest.mark.parametrize("name", SINGLE)
def test_a_directory_as_the_output_is_refused_in_one_line(name, tmp_path, capsys):
    target = tmp_path / f"folder{SINGLE[name][2]}"
    target.mkdir()
    assert main(single(name, tmp_path, target)) == 2
    assert capsys.readouterr().err == (
        f"multisub {SINGLE[name][0][0]}: cannot write {target}: it is a directory, not a "
        "regular file\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == [target.name]
    assert list(target.iterdir()) == []


@pytest.mark.skipif(not HAS_FULL, reason="needs /dev/full")
@pytest.mark.parametrize("name", SINGLE)
def test_a_device_as_the_output_is_refused_in_one_line(name, tmp_path):
    """``--out`` a link to ``/dev/full`` (or ``/dev/full`` itself with the command's suffix
    carried by the link): refused before any work, never a traceback, the device untouched."""
    link = tmp_path / f"out{SINGLE[name][2]}"
    link.symlink_to("/dev/full")
    result = subprocess.run([sys.executable, "-m", "toolkit.commands.cli",
                             *single(name, tmp_path, link)],
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 2
    assert result.stderr == (
        f"multisub {SINGLE[name][0][0]}: cannot write {link} (/dev/full): it is a character "
        "device, not a regular file\n")
    assert link.is_symlink() and Path("/dev/full").is_char_device()
    assert sorted(p.name for p in tmp_path.iterdir()) == [link.name]


@pytest.mark.skipif(not HAS_FULL, reason="needs /dev/full")
@pytest.mark.parametrize("command", [["report", SAMPLE, "--all"],
                                     ["import-webex", WEBEX / "licenses.json",
                                      WEBEX / "people.json"]])
def test_a_device_as_the_output_folder_is_refused(command, tmp_path, capsys):
    link = tmp_path / "out"
    link.symlink_to("/dev/full")
    assert main([*map(str, command), "--out", str(link)]) == 2
    err = capsys.readouterr().err
    assert err == f"multisub {command[0]}: cannot write into {link}: it is not a folder\n"


def test_the_public_writers_refuse_a_directory_too(tmp_path):
    import pandas as pd

    from toolkit.atomic import OutputError
    from toolkit.present.export import write_table

    (tmp_path / "t.csv").mkdir()
    with pytest.raises(OutputError, match="it is a directory, not a regular file"):
        write_table(pd.DataFrame({"a": [1]}), tmp_path / "t.csv")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.csv"]


# --- outputs that are inputs --------------------------------------------------------------

@pytest.fixture
def tenant(tmp_path) -> Path:
    """A copy of the sample tenant directory (its files are the inputs)."""
    folder = tmp_path / "tenant"
    shutil.copytree(SAMPLE, folder)
    return folder


def _refused(command: list, fragment: str, folder: Path, capsys) -> None:
    before = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    assert main([str(part) for part in command]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and fragment in err, err
    assert {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()} == before


@pytest.mark.parametrize("command, output, source", [
    (["allocate", "{t}", "--out"], "{t}/usage.csv", "{t}/usage.csv"),
    (["allocate", "{t}", "--out"], "{t}/usage.parquet", "{t}/usage.parquet"),
    (["costs", "{t}", "--out"], "{t}/budgets.csv", "{t}/budgets.csv"),
    (["focus", "{t}", "--out"], "{t}/sessions.csv", "{t}/sessions.csv"),
    (["workbook", "{t}", "--out"], "{t}/../link.xlsx", "{t}/tenant.yaml"),
    (["validate", "{t}", "--plan"], "{t}/users.csv", "{t}/users.csv"),
    (["validate", "{t}", "--licenses", "{t}/lic.json", "--plan"], "{t}/lic.json",
     "{t}/lic.json"),
    (["measure", "{t}/sessions.csv", "--out"], "{t}/sessions.csv", "{t}/sessions.csv"),
    (["measure", "{t}/sessions.csv", "--users", "{t}/users.csv", "--out"], "{t}/../hard.csv",
     "{t}/users.csv"),
    (["measure", "{t}/raw/agentSession", "--out"], "{t}/raw/agentSession",
     "{t}/raw/agentSession"),
    (["measure", "{t}/raw/agentSession", "--out"], "{t}/raw/agentSession/usage.csv", None),
    (["measure", PAGES, "--tenant", "{t}", "--out"], "{t}/tenant.yaml", "{t}/tenant.yaml"),
    (["report", "{t}", "--all", "--out"], "{t}/usage.csv", "{t}/usage.csv"),
    (["portfolio", "{p}", "--workers", "1", "--out"], "{t}/usage.csv", "{t}/usage.csv"),
    (["import-webex", "{t}/raw/agentSession", WEBEX / "people.json", "--out"],
     "{t}/raw/agentSession", "{t}/raw/agentSession"),
])
def test_an_output_that_is_an_input_is_refused_naming_both(command, output, source, tenant,
                                                           capsys):
    def path(text):
        return str(text).replace("{t}", str(tenant)).replace("{p}", str(tenant.parent))

    (tenant.parent / "link.xlsx").symlink_to(tenant / "tenant.yaml")
    os.link(tenant / "users.csv", tenant.parent / "hard.csv")
    (tenant / "lic.json").write_bytes((WEBEX / "licenses.json").read_bytes())
    shown = Path(path(output))
    if source is None:
        fragment = f"will not write {shown}: it is in the input folder "
    else:
        fragment = f"will not write {shown}: it is the input {path(source)}"
    _refused([path(c) for c in command] + [path(output)], fragment, tenant.parent, capsys)


def test_a_companion_that_is_an_input_is_refused(tenant, capsys):
    """``allocate T --out T/a.csv`` also writes ``T/a.pooled.csv``: when that is an input (here
    a hard link to users.csv), the whole command is refused before anything is written."""
    os.link(tenant / "users.csv", tenant / "a.pooled.csv")
    _refused(["allocate", tenant, "--out", tenant / "a.csv"],
             f"will not write {tenant}/a.pooled.csv: it is the input {tenant}/users.csv",
             tenant, capsys)


def test_out_and_findings_naming_one_file_are_refused(tmp_path, capsys):
    link = tmp_path / "also.csv"
    link.symlink_to(tmp_path / "u.csv")
    for findings in (tmp_path / "u.csv", link):
        assert main(["measure", str(PAGES), "--out", str(tmp_path / "u.csv"),
                     "--findings", str(findings)]) == 2
        assert capsys.readouterr().err == (
            f"multisub measure: will not write {findings} twice: {tmp_path}/u.csv is the same "
            "file\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["also.csv"]


def test_outputs_next_to_the_inputs_are_still_allowed(tenant, capsys):
    """Not a false alarm: the tenant folder takes other files, and measure writes the usage
    that allocate then reads (its --tenant reads only tenant.yaml)."""
    assert main(["allocate", str(tenant), "--out", str(tenant / "allocation.csv")]) == 0
    target = tenant / "usage.csv"
    assert main(["measure", str(PAGES), "--tenant", str(tenant), "--as-of",
                 "2026-10-01T16:00:00Z", "--out", str(target)]) == 0
    assert target.read_text().startswith("timestamp,")


# --- Ctrl-C and kill ----------------------------------------------------------------------

@pytest.mark.parametrize("command", [
    ["owners"], ["validate"], ["allocate", "--out", "{out}/a.csv"], ["costs"],
    ["focus", "--out", "{out}/f.csv"], ["report", "--all", "--out", "{out}"],
    ["workbook", "--out", "{out}/w.xlsx"],
])
def test_ctrl_c_while_reading_is_one_line_and_status_130(command, tmp_path, monkeypatch,
                                                         capsys):
    import toolkit.inputs.dataset

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(toolkit.inputs.dataset, "load_tenant", interrupted)
    assert run([part.replace("{out}", str(tmp_path)) for part in command]) == 130
    assert capsys.readouterr().err == f"multisub {command[0]}: interrupted\n"
    assert list(tmp_path.iterdir()) == []


def test_ctrl_c_before_the_command_is_known_is_quiet(monkeypatch, capsys):
    import toolkit.commands.cli as cli

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "build_parser", interrupted)
    assert run(["allocate", "--out", "x.csv"]) == 130
    assert capsys.readouterr().err == "multisub allocate: interrupted\n"


#: Runs the console script with a disk on which, after ``free`` bytes of the output folder's
#: files, the process sends itself a real signal (as Ctrl-C or ``kill`` would) and keeps
#: writing; prints nothing itself.
SIGNAL_PROBE = """
import builtins, io, os, signal, sys
from pathlib import Path
folder, free, signum = Path(sys.argv[1]).resolve(), int(sys.argv[2]), int(sys.argv[3])
real_open = builtins.open

class Metered:
    def __init__(self, handle):
        self._handle = handle
    def write(self, data):
        global free
        free -= len(data)
        if free < 0:
            os.kill(os.getpid(), signum)
        return self._handle.write(data)
    def __enter__(self):
        return self
    def __exit__(self, *exc):
        self._handle.close()
    def __getattr__(self, name):
        return getattr(self._handle, name)

def metered_open(file, mode="r", *args, **kwargs):
    handle = real_open(file, mode, *args, **kwargs)
    if isinstance(file, (str, Path)) and Path(file).resolve().is_relative_to(folder) \\
            and any(flag in mode for flag in "wax+"):
        return Metered(handle)
    return handle

builtins.open = io.open = metered_open
sys.argv = ["multisub", *sys.argv[4:]]
from toolkit.commands.cli import entry
sys.exit(entry())
"""


@pytest.mark.parametrize("signum, status, word", [(signal.SIGINT, 130, "interrupted"),
                                                  (signal.SIGTERM, 143, "terminated")])
def test_a_real_signal_part_way_through_a_write_leaves_the_previous_files(
        signum, status, word, sizes, tmp_path):
    out = tmp_path / "out"
    before = previous(out, "allocate-csv")
    free = sizes["allocate-csv"]["a.csv"] + 100  # in the middle of a.pooled.csv
    result = subprocess.run([sys.executable, "-c", SIGNAL_PROBE, str(out), str(free),
                             str(int(signum)), *argv("allocate-csv", out)],
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == status
    assert result.stderr == f"multisub allocate: {word}\n"
    assert contents(out) == before

"""Hostile command lines (issue #12): arguments no tenant could mean are refused when parsed,
with exit status 2 and one message; a closed pipe or a full disk ends quietly."""

import io
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from toolkit.commands.cli import main
from toolkit.resources import sample_dir

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("argv, fragment", [
    (["validate", "--horizon", "99999999999"], "a number of days from 0 to 3660"),
    (["validate", "--horizon", "-1"], "a number of days from 0 to 3660"),
    (["validate", "--on", "9999-12-31"], "a day between 1970-01-01 and 2199-12-31"),
    (["validate", "--on", "0001-01-01"], "a day between 1970-01-01 and 2199-12-31"),
    (["owners", "--on", "yesterday"], "a day written YYYY-MM-DD"),
    (["measure", "s.csv", "--out", "u.csv", "--interval", "1ns"], "an interval of whole minutes"),
    (["measure", "s.csv", "--out", "u.csv", "--interval", "7min"], "divides a day"),
    (["measure", "s.csv", "--out", "u.csv", "--interval", "9999999999D"], "an interval of"),
    (["allocate", "--out", "x.csv", "--period", "2M"], "a billing period, one of M"),
    (["allocate", "--out", "x.csv", "--period", "15min"], "a billing period"),
    (["costs", "--out", "x.csv", "--period", "s"], "a billing period"),
    (["focus", "--out", "x.csv", "--period", "W"], "a billing period"),
    (["report", "--all", "--out", "r", "--from", "banana"], "a month written YYYY-MM"),
    (["report", "--all", "--out", "r", "--to", "2026-13"], "a month written YYYY-MM"),
    (["report", "--all", "--out", "r", "--as-of", "99999-01-01"], "a day written YYYY-MM-DD"),
    (["report", "--all", "--out", "r", "--from", "2030-01", "--to", "2020-01"],
     "--to 2020-01 is before --from 2030-01"),
])
def test_arguments_no_tenant_could_mean_are_refused_fast(argv, fragment, capsys):
    begin = time.perf_counter()
    with pytest.raises(SystemExit) as caught:
        main(argv)
    assert caught.value.code == 2
    assert time.perf_counter() - begin < 5
    err = capsys.readouterr().err
    assert fragment in err
    assert "Traceback" not in err


@pytest.mark.parametrize("period, expected", [("M", "M"), ("1m", "M"), ("Q", "Q"), ("3M", "Q"),
                                              ("y", "Y"), ("12M", "Y")])
def test_billing_periods_are_read_as_pandas_frequencies(period, expected):
    from toolkit.commands.cli import billing_period
    assert billing_period(period) == expected


def test_a_quarterly_allocation_still_runs(tmp_path, capsys):
    assert main(["allocate", "--out", str(tmp_path / "q.csv"), "--period", "Q"]) == 0
    assert (tmp_path / "q.csv").read_text().splitlines()[1].startswith("2024Q1,")


def run_cli(*args, stdout=subprocess.PIPE):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "toolkit.commands.cli", *args], env=env,
                          stdout=stdout, stderr=subprocess.PIPE, text=True, timeout=120)


def test_a_closed_pipe_exits_quietly():
    """``multisub validate | head -1``: the reader is gone before the output is written."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "toolkit.commands.cli", "validate",
                             str(sample_dir())], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 141
    assert err == ""


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_stdout_on_a_full_disk_is_one_message_without_traceback():
    with open("/dev/full", "w") as full:
        result = run_cli("owners", "--on", "2026-05-01", stdout=full)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "multisub owners: [Errno 28] No space left on device"]


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_an_output_file_on_a_full_disk_is_one_message(tmp_path):
    (tmp_path / "out.csv").symlink_to("/dev/full")
    result = run_cli("allocate", "--out", str(tmp_path / "out.csv"))
    assert result.returncode == 2
    assert "it is a character device, not a regular file" in result.stderr  # refused up front
    assert "Traceback" not in result.stderr and "Exception ignored" not in result.stderr
    assert len(result.stderr.splitlines()) == 1


class _FullDisk:
    """A stdout whose every write fails as a full disk does."""

    def write(self, text):
        raise OSError(28, "No space left on device")

    def flush(self):
        pass


def test_in_process_full_stdout_exits_2_with_the_message(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdout", _FullDisk())
    assert main(["owners", "--on", "2026-05-01"]) == 2
    assert capsys.readouterr().err == "multisub owners: [Errno 28] No space left on device\n"


class _FullDiskOnFlush(io.StringIO):
    """A block-buffered file on a full disk: writes are buffered, the flush fails."""

    def flush(self):
        raise OSError(28, "No space left on device")


def test_a_full_disk_found_at_the_final_flush_is_the_message_and_exit_2(monkeypatch, capsys):
    """Before, the command returned 0 and the interpreter's own flush printed "Exception
    ignored" with a traceback."""
    monkeypatch.setattr(sys, "stdout", _FullDiskOnFlush())
    assert main(["owners", "--on", "2026-05-01"]) == 2
    assert capsys.readouterr().err == "multisub owners: [Errno 28] No space left on device\n"

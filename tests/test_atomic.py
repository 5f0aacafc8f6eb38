"""Atomic writes: the old file survives any failure; a set of files lands whole or not at all."""

from __future__ import annotations

import pytest

from toolkit.atomic import atomic_paths, write_text


def test_a_failed_write_leaves_the_previous_file_and_no_temporary(tmp_path):
    target = tmp_path / "report.csv"
    target.write_text("good\n")
    with pytest.raises(OSError), atomic_paths(target) as (temp,):
        temp.write_text("half")
        raise OSError(28, "No space left on device")
    assert target.read_text() == "good\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.csv"]


def test_ctrl_c_part_way_leaves_nothing_behind(tmp_path):
    target = tmp_path / "x.csv"
    with pytest.raises(KeyboardInterrupt), atomic_paths(target) as (temp,):
        temp.write_text("half")
        raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def test_several_files_land_together_or_not_at_all(tmp_path):
    names = ["X.csv", "X.pooled.csv", "X.unallocated.csv"]
    for name in names:
        (tmp_path / name).write_text("old")
    with pytest.raises(RuntimeError), atomic_paths(*(tmp_path / n for n in names)) as temps:
        temps[0].write_text("new")
        temps[1].write_text("new")
        raise RuntimeError("the third writer failed")
    assert [(tmp_path / n).read_text() for n in names] == ["old"] * 3
    with atomic_paths(*(tmp_path / n for n in names)) as temps:
        for temp in temps:
            assert temp.parent == tmp_path and temp.suffix == ".csv"
            temp.write_text("new")
    assert [(tmp_path / n).read_text() for n in names] == ["new"] * 3
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(names)


def test_write_text_replaces_whole(tmp_path):
    target = write_text(tmp_path / "a.html", "<p>é</p>")
    assert target.read_bytes() == "<p>é</p>".encode()

"""Atomic writes: every file the toolkit writes is either the previous one or the new one whole.

A disk that fills, a file-size limit, Ctrl-C or a kill part-way through a write must never leave a
truncated report where a good one stood, and a command that writes several files (an allocation
and its companions) must write all of them or none. So every writer writes into temporary files
in the target's own folder (a rename is atomic only within one file system), flushes them to disk,
and only when all are complete renames them over their targets. On any failure, including
``KeyboardInterrupt``, the temporaries are removed and the targets are untouched.

The temporaries keep the target's suffix, because writers such as pandas pick the format from it.
Every wing may use this module: it knows nothing of tenants, only of files.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_paths(*targets: str | Path) -> Iterator[list[Path]]:
    """Yield one temporary path per target; on success they replace the targets together.

    The caller writes each temporary path completely (with whatever library it likes); when the
    ``with`` block ends without an exception every temporary is flushed to disk and renamed over
    its target, the last rename after all the writing. If the block raises, nothing is renamed
    and every temporary is removed.
    """
    finals = [Path(target) for target in targets]
    temps: list[Path] = []
    try:
        for final in finals:
            handle, name = tempfile.mkstemp(prefix=f".{final.name}.",
                                            suffix=f".partial{final.suffix}", dir=final.parent)
            os.close(handle)
            temps.append(Path(name))
        yield temps
        for temp in temps:
            _flush_to_disk(temp)
        for temp, final in zip(temps, finals, strict=True):
            os.replace(temp, final)
        _flush_folders({final.parent for final in finals})
    finally:
        for temp in temps:
            temp.unlink(missing_ok=True)


def write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically and return the path."""
    with atomic_paths(path) as (temp,):
        temp.write_bytes(data)
    return Path(path)


def write_text(path: str | Path, text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically (UTF-8 by default) and return the path."""
    return write_bytes(path, text.encode(encoding))


def _flush_to_disk(path: Path) -> None:
    with open(path, "rb+") as handle:
        os.fsync(handle.fileno())


def _flush_folders(folders: set[Path]) -> None:
    """Make the renames themselves durable (where the platform lets a folder be synced)."""
    for folder in folders:
        try:
            descriptor = os.open(folder, os.O_RDONLY)
        except OSError:
            continue
        try:
            os.fsync(descriptor)
        except OSError:
            pass
        finally:
            os.close(descriptor)

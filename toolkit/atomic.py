"""Atomic writes: every file the toolkit writes is either the previous one or the new one whole.

A disk that fills, a file-size limit, Ctrl-C or a kill part-way through a write must never leave a
truncated report where a good one stood, and a command that writes several files (an allocation
and its companions) must write all of them or none. So every writer writes into temporary files
in the target's own folder (a rename is atomic only within one file system), flushes them to disk,
and only when all are complete renames them over their targets. On any failure, including
``KeyboardInterrupt``, the temporaries are removed and the targets are untouched.

A target must be a regular file (or not exist yet): a directory, a device (``/dev/full``,
``/dev/null``), a pipe or a socket cannot be replaced by a rename, and replacing a device node
would be worse than failing, so such a target is refused before anything is written. A symbolic
link is followed: the file it points to is replaced and the link stays. The new file keeps the
previous file's permissions, or gets the usual ones (``0666`` less the umask) when it is new.

A failure is an :class:`OutputError`: one line naming the target (never the temporary) and the
reason, which the command line prints as it prints any other input problem (exit status 2).

The temporaries keep the target's suffix, because writers such as pandas pick the format from it.
Every wing may use this module: it knows nothing of tenants, only of files.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

#: What a target that is not a regular file is, by its ``stat`` type, in words.
NOT_REGULAR = ((stat.S_ISDIR, "a directory"), (stat.S_ISCHR, "a character device"),
               (stat.S_ISBLK, "a block device"), (stat.S_ISFIFO, "a named pipe"),
               (stat.S_ISSOCK, "a socket"))


class OutputError(OSError):
    """A file that cannot (or may not) be written, in one line: which file, and why.

    An ``OSError`` (with the cause's ``errno`` when there is one), so every caller that already
    handles a failing disk handles this too; its text never names a temporary file.
    """

    def __init__(self, message: str, code: int | None = None):
        super().__init__(code, message)
        self.message = message

    def __str__(self) -> str:
        return self.message


def check_target(path: str | Path) -> Path:
    """The file a write to ``path`` replaces (links followed), or :class:`OutputError` when
    it cannot be a regular file: it is a directory, a device, a pipe or a socket, or its
    folder is not a folder."""
    final = Path(os.path.realpath(path))
    try:
        mode = final.stat().st_mode
    except FileNotFoundError:
        parent = final.parent
        if parent.exists() and not parent.is_dir():
            raise OutputError(f"cannot write {path}: {parent} is not a folder",
                              errno.ENOTDIR) from None
        return final
    except OSError as error:
        raise OutputError(f"cannot write {path}: {error.strerror or error}", error.errno) \
            from None
    for test, kind in NOT_REGULAR:
        if test(mode):
            shown = f"{path}" if str(final) == os.path.abspath(path) else f"{path} ({final})"
            raise OutputError(f"cannot write {shown}: it is {kind}, not a regular file",
                              errno.EISDIR if kind == "a directory" else errno.EINVAL)
    return final


@contextmanager
def atomic_paths(*targets: str | Path) -> Iterator[list[Path]]:
    """Yield one temporary path per target; on success they replace the targets together.

    The caller writes each temporary path completely (with whatever library it likes); when the
    ``with`` block ends without an exception every temporary is flushed to disk and renamed over
    its target, the last rename after all the writing. If the block raises, nothing is renamed
    and every temporary is removed; an ``OSError`` (a full disk, a file-size limit), also one
    a writing library wrapped in its own exception, becomes an :class:`OutputError` naming the
    target.
    """
    finals = [check_target(target) for target in targets]
    temps: list[Path] = []
    try:
        for final in finals:
            temps.append(_temporary(final))
        yield temps
        for temp in temps:
            _flush_to_disk(temp)
        for temp, final in zip(temps, finals, strict=True):
            os.replace(temp, final)
        _flush_folders({final.parent for final in finals})
    except OutputError:
        raise
    except Exception as error:  # noqa: BLE001 - only a disk error behind it is translated
        cause = disk_error(error)
        if cause is None:
            raise
        raise _failed(cause, targets, temps) from error
    finally:
        for temp in temps:
            temp.unlink(missing_ok=True)


def disk_error(error: BaseException) -> OSError | None:
    """The ``OSError`` behind ``error``: itself, or the one a library wrapped in its own
    exception (XlsxWriter's ``FileCreateError`` holds it as its argument; others chain it)."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, OSError):
            return error
        seen.add(id(error))
        wrapped = next((a for a in error.args if isinstance(a, OSError)), None)
        error = wrapped or error.__cause__ or error.__context__  # type: ignore[assignment]
    return None


def write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically and return the path."""
    with atomic_paths(path) as (temp,):
        temp.write_bytes(data)
    return Path(path)


def write_text(path: str | Path, text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically (UTF-8 by default) and return the path."""
    return write_bytes(path, text.encode(encoding))


def _temporary(final: Path) -> Path:
    """An empty file next to ``final`` with the permissions ``final`` has (or would get):
    ``mkstemp`` makes it private (``0600``), which would silently change who may read it."""
    handle, name = tempfile.mkstemp(prefix=f".{final.name}.", suffix=f".partial{final.suffix}",
                                    dir=final.parent)
    try:
        os.fchmod(handle, _mode_for(final))
    finally:
        os.close(handle)
    return Path(name)


def _mode_for(final: Path) -> int:
    try:
        return stat.S_IMODE(final.stat().st_mode)
    except FileNotFoundError:
        return 0o666 & ~_umask()


def _umask() -> int:
    """The process's umask, read without changing it where Linux shows it (setting it, the
    only portable way to read it, would race with a thread creating a file)."""
    try:
        status = Path("/proc/self/status").read_text(encoding="ascii", errors="replace")
        return int(re.search(r"^Umask:\s*([0-7]+)", status, re.M)[1], 8)  # type: ignore[index]
    except (OSError, TypeError):
        mask = os.umask(0o022)
        os.umask(mask)
        return mask


def _failed(error: OSError, targets: tuple[str | Path, ...], temps: list[Path]) -> OutputError:
    """The failure as the user sees it: the target(s) it concerns and the reason."""
    names = [str(target) for target in targets]
    for temp, target in zip(temps, targets, strict=False):
        if error.filename is not None and os.fspath(error.filename) == str(temp):
            names = [str(target)]
    reason = error.strerror or str(error)
    return OutputError(f"cannot write {', '.join(names)}: {reason}; nothing was changed",
                       error.errno)


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

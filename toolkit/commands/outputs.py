"""One home for the check every writing command makes first: its outputs are never its inputs.

``multisub allocate T --out T/usage.csv`` would replace the usage it has just read with its own
allocation; ``measure S --out S`` would turn a folder of pages into a file; ``--out`` and
``--findings`` naming the same file would keep only one of the two tables. Each is refused
before any work is done, with a line naming both files. "The same" is judged after links are
followed (a symbolic link to an input is that input) and, for files that exist, by identity
(``os.path.samefile``: a hard link too).

The check also refuses, up front, an output that can never be a regular file (a directory, a
device such as ``/dev/full``, a pipe): :func:`toolkit.atomic.check_target`, the same rule every
writer applies again when it writes.

A command names what it reads: files, and folders it reads whole (every file in a folder of
saved pages is read as a page, so nothing may be written inside one). A tenant directory is not
read whole: :func:`tenant_inputs` lists the files in it that are read, so ``allocate T --out
T/allocation.csv`` is fine. New commands (and their outputs) call :func:`check_outputs` before
they compute anything.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from toolkit.atomic import OutputError, check_target
from toolkit.inputs.ai_agents import AI_AGENTS_FILE
from toolkit.inputs.dataset import table_files
from toolkit.model import BUDGETS_FILE, SESSIONS_FILE, TENANT_FILE, USAGE_FILE, USERS_FILE

#: The tables a tenant directory holds next to its tenant file (each a CSV or a Parquet file).
TENANT_TABLES = (USAGE_FILE, USERS_FILE, BUDGETS_FILE, SESSIONS_FILE, AI_AGENTS_FILE)


def check_outputs(outputs: Iterable[str | Path], inputs: Iterable[str | Path | None] = (),
                  folders: Iterable[str | Path] = ()) -> None:
    """Refuse, with an :class:`~toolkit.atomic.OutputError` (one line per problem, exit status
    2 on the command line), any output file that is an input, lies in a folder read whole, is
    named twice, or cannot be a regular file; and any output ``folders`` (a folder the command
    writes its files into, e.g. ``report --out DIR``) that is an input file or not a folder.

    ``inputs`` are what the command reads: a path that is an existing directory is a folder read
    whole, anything else a file (it need not exist: a name the loader would look for counts);
    ``None`` entries (options not given) are skipped.
    """
    sources = [Path(path) for path in inputs if path is not None]
    problems: list[str] = []
    refused: list[Path] = []
    for folder in map(Path, folders):
        problem = _as_input(folder, sources) or _not_folder(folder)
        if problem:
            problems.append(problem)
            refused.append(folder)
    seen: list[Path] = []
    for output in map(Path, outputs):
        if any(_inside(output, folder) for folder in refused):
            continue  # its folder is refused already: one line, not one per file
        problem = _as_input(output, sources) or _repeated(output, seen) or _irregular(output)
        if problem:
            problems.append(problem)
        seen.append(output)
    if problems:
        raise OutputError("\n".join(dict.fromkeys(problems)))


def tenant_inputs(path: str | Path) -> list[Path]:
    """The files a command reads from tenant directory ``path`` (or from the folder of the
    tenant file ``path``): the tenant file and each table under either of its names."""
    path = Path(path)
    directory = path if path.is_dir() else path.parent
    tenant_file = directory / TENANT_FILE if path.is_dir() else path
    return [tenant_file, *(file for table in TENANT_TABLES
                           for file in table_files(directory, table))]


def _as_input(output: Path, sources: list[Path]) -> str | None:
    for source in sources:
        if _same(output, source):
            return f"will not write {output}: it is the input {source}"
        if source.is_dir() and _inside(output, source):
            return (f"will not write {output}: it is in the input folder {source}, whose "
                    "every file is read")
    return None


def _repeated(output: Path, seen: list[Path]) -> str | None:
    for earlier in seen:
        if _same(output, earlier):
            return f"will not write {output} twice: {earlier} is the same file"
    return None


def _irregular(output: Path) -> str | None:
    try:
        check_target(output)
    except OutputError as error:
        return str(error)
    return None


def _not_folder(folder: Path) -> str | None:
    final = Path(os.path.realpath(folder))
    if final.exists() and not final.is_dir():
        return f"cannot write into {folder}: it is not a folder"
    return None


def _same(one: Path, other: Path) -> bool:
    """The same file: one path once links are followed, or the same inode."""
    if os.path.realpath(one) == os.path.realpath(other):
        return True
    try:
        return os.path.samefile(one, other)
    except OSError:  # one of them does not exist (yet)
        return False


def _inside(path: Path, folder: Path) -> bool:
    return Path(os.path.realpath(path)).is_relative_to(os.path.realpath(folder))

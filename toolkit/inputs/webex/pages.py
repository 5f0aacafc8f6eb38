"""Reading saved API pages: one JSON response, or a folder of them (docs/rules.md §6).

An export is a folder of pages saved verbatim, one response per file; names and order carry
no meaning (a resumed pull adds pages, a colleague renames them). Every file of the folder is
a page, except hidden files (``.name``), where a pull keeps its own bookkeeping. A file that
is not JSON (truncated by a failed save, empty) is a problem of that file; the other files
are still read so one run names every problem.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd

from toolkit.errors import InputError, Problem

#: The bookkeeping file a pull keeps beside the pages of one source (hidden: not a page).
PULL_STATE = ".pull-state"  # no .json suffix: page readers that take *.json skip it


def export_time(path: str | Path):
    """The extraction time of a pulled folder (its ``to``), or None (docs/rules.md M3a).

    Records still active at the pull end then, not at the latest instant a record shows.
    """
    state = Path(path) / PULL_STATE
    if not state.is_file():
        return None
    try:
        to = json.loads(state.read_text(encoding="utf-8")).get("to")
        return pd.Timestamp(to) if to else None
    except (ValueError, AttributeError):
        return None


def page_files(path: str | Path) -> list[Path]:
    """The page files of ``path`` (a file, or a folder's non-hidden files), sorted by name."""
    path = Path(path)
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise InputError([Problem(str(path), "", "", None, "an existing JSON file or folder")])
    files = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
    if not files:
        raise InputError([Problem(str(path), "", "", None,
                                  "a folder holding at least one JSON page")])
    return files


def iter_pages(path: str | Path) -> Iterator[tuple[str, object, Problem | None]]:
    """Page by page (file name, parsed JSON or None, the problem or None): a loader that
    keeps only the columns it needs lets each page's objects go before the next is read."""
    return _parsed(page_files(path))


def _parsed(files: list[Path]) -> Iterator[tuple[str, object, Problem | None]]:
    for file in files:
        name = str(file)
        try:
            data = file.read_bytes()
        except OSError as exc:
            yield name, None, Problem(name, "", "", None, f"a readable file ({exc.strerror})")
            continue
        if not data.strip():
            yield name, None, Problem(name, "", "", None, "a JSON response (the file is empty)")
            continue
        try:
            yield name, json.loads(data), None
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            where = f"line {exc.lineno}" if isinstance(exc, json.JSONDecodeError) else ""
            reason = exc.msg if isinstance(exc, json.JSONDecodeError) else "not UTF-8"
            yield name, None, Problem(name, where, "", None,
                                      f"complete JSON ({reason}: truncated or not a page?)")


def page_records(path: str | Path, records_of: Callable[[object], list | None], expected: str,
                 problems: list[Problem]) -> Iterator[tuple[str, list]]:
    """Page by page, the file and the records of every page of the expected kind.

    A file that is not JSON, and a page whose shape ``records_of`` does not recognise (it
    returns None), are appended to ``problems`` naming what was ``expected``: one loop for
    every loader of saved pages, so none skips a page silently.
    """
    for file, payload, unreadable in iter_pages(path):
        if unreadable is not None:
            problems.append(unreadable)
            continue
        records = records_of(payload)
        if records is None:
            problems.append(Problem(file, "", "", describe(payload), expected))
            continue
        yield file, records


def describe(payload: object) -> str:
    """A few words on what a page that is not the expected kind looks like."""
    if isinstance(payload, dict):
        keys = sorted(str(k) for k in payload)[:4]
        if "items" in payload:
            return "a Webex list response ('items': a /v1/licenses or /v1/people page?)"
        return "an object with keys " + ", ".join(keys) if keys else "an empty object"
    return f"a JSON {type(payload).__name__}"

"""Reading saved API pages: one JSON response, or a folder of them (docs/rules.md §6).

An export is a folder of pages saved verbatim, one response per file; names and order carry
no meaning (a resumed pull adds pages, a colleague renames them). Every file of the folder is
a page, except hidden files (``.name``), where a pull keeps its own bookkeeping. A file that
is not JSON (truncated by a failed save, empty) is a problem of that file; the other files
are still read so one run names every problem.

Every Webex JSON text (a saved page, a response the pull receives, its ``.pull-state``) is
parsed by :func:`read_json`, the one checked reader: nesting deeper than :data:`MAX_DEPTH`
(``[`` x 200000 otherwise raises RecursionError), a key given twice in one object, a lone
surrogate (``"\\ud800"``) and bytes that are not UTF-8 are problems naming the file and the
place (``data.agentSession.agentSessions[3]``), never a traceback or a silent last-wins.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd

from toolkit.errors import InputError, Problem, raise_if_any
from toolkit.inputs.yaml_text import nested_beyond

#: The bookkeeping file a pull keeps beside the pages of one source (hidden: not a page).
PULL_STATE = ".pull-state"  # no .json suffix: page readers that take *.json skip it


#: Levels of arrays and objects inside each other; a Search API page uses five.
MAX_DEPTH = 200
TOO_DEEP = f"JSON nested less deeply (at most {MAX_DEPTH} levels)"
#: A string, or one bracket: what the depth scan steps over (strings hide brackets).
_STRUCTURE = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def read_json(data: bytes | str, name: str) -> tuple[object, list[Problem]]:
    """The parsed JSON of ``data`` and its problems, each naming ``name`` and the place.

    The payload is None when the text cannot be read at all (empty, not JSON, nested deeper
    than :data:`MAX_DEPTH`, a number of more than 4,300 digits). Repeated keys (the last
    value is kept), lone surrogates and invalid UTF-8 inside strings are problems beside a
    payload, so a loader can still name the page's other problems.
    """
    text, bad_byte = _decoded(data)
    if not text.strip():
        return None, [Problem(name, "", "", None, "a JSON response (the file is empty)")]
    deep = nested_beyond(text, _STRUCTURE, MAX_DEPTH)
    if deep is not None:
        return None, [Problem(name, f"line {deep}", "", None, TOO_DEEP)]
    repeated: list[tuple[dict, list[str]]] = []

    def pairs(items: list[tuple[str, object]]) -> dict:
        obj = dict(items)
        if len(obj) != len(items):
            counts = Counter(key for key, _ in items)
            repeated.append((obj, sorted(k for k, n in counts.items() if n > 1)))
        return obj

    try:
        payload = json.loads(text, object_pairs_hook=pairs)
    except json.JSONDecodeError as exc:
        reason = f"{exc.msg}: truncated or not a page?"
        if bad_byte is not None:
            reason = f"UTF-8 text; {bad_byte}"
        return None, [Problem(name, f"line {exc.lineno}", "", None,
                              f"complete JSON ({reason})")]
    except RecursionError:  # the depth scan stops it first; kept as a second wall
        return None, [Problem(name, "", "", None, TOO_DEEP)]
    except ValueError:  # an integer of more than 4300 digits
        return None, [Problem(name, "", "", None,
                              "JSON whose numbers have at most 4,300 digits")]
    problems = []
    if repeated or bad_byte is not None or _SURROGATE_ESCAPE.search(text):
        problems = _walk_problems(payload, name, {id(o): keys for o, keys in repeated},
                                  bad_byte)
    return payload, problems


def _decoded(data: bytes | str) -> tuple[str, str | None]:
    """The text (a BOM dropped) and, for bytes that are not UTF-8, where the first one is;
    such bytes become lone surrogates (``surrogateescape``) so the walk can name their place."""
    if isinstance(data, str):
        return data.removeprefix("\ufeff"), None
    data = data.removeprefix(b"\xef\xbb\xbf")
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        where = f"byte 0x{data[exc.start]:02x} at line {line} is not UTF-8"
        return data.decode("utf-8", "surrogateescape"), where


def _walk_problems(payload: object, name: str, repeated: dict[int, list[str]],
                   bad_byte: str | None) -> list[Problem]:
    """Repeated keys and strings that are not text, with their place (iterative: the depth
    is already bounded, but a walk needs no stack of its own)."""
    problems = []
    stack: list[tuple[str, object]] = [("", payload)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, dict):
            for key in repeated.get(id(value), []):
                problems.append(Problem(name, where, key, None,
                                        "each key once per object (it is given twice; "
                                        "which value is meant?)"))
            for key, item in value.items():
                if not _is_text(key):
                    problems.append(_not_text(name, where, key, bad_byte))
                stack.append((f"{where}.{key}" if where else str(key), item))
        elif isinstance(value, list):
            stack.extend((f"{where}[{i}]", item) for i, item in enumerate(value))
        elif isinstance(value, str) and not _is_text(value):
            column = where.rsplit(".", 1)[-1] if "." in where else ""
            place = where.rsplit(".", 1)[0] if "." in where else where
            problems.append(_not_text(name, place, value, bad_byte, column))
    return sorted(problems, key=lambda p: (p.where, p.column))


def _is_text(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _not_text(name: str, where: str, value: str, bad_byte: str | None,
              column: str = "") -> Problem:
    reason = (f"UTF-8 text ({bad_byte})" if bad_byte is not None else
              "text without a lone surrogate (\\ud800-\\udfff is half of a character)")
    return Problem(name, where, column, value, reason)  # quoted with repr: escaped


def read_json_file(file: str | Path) -> tuple[object, list[Problem]]:
    """:func:`read_json` of a file; a file that cannot be read is a problem too."""
    try:
        data = Path(file).read_bytes()
    except OSError as exc:
        return None, [Problem(str(file), "", "", None, f"a readable file ({exc.strerror})")]
    return read_json(data, str(file))


#: The fields of ``.pull-state``: type check and what a message says is expected.
STATE_FIELDS: dict[str, tuple[Callable[[object], bool], str]] = {
    "from": (lambda v: isinstance(v, str) and _instant(v), "an ISO 8601 instant"),
    "to": (lambda v: isinstance(v, str) and _instant(v), "an ISO 8601 instant"),
    "pages": (lambda v: type(v) is int and 0 <= v < 10**8, "a count of pages saved, 0 or more"),
    "window": (lambda v: type(v) is int and 0 <= v < 10**6, "a window number, 0 or more"),
    "cursor": (lambda v: v is None or isinstance(v, str), "a Search API cursor (text) or null"),
    "next_url": (lambda v: v is None or isinstance(v, str), "a URL (text) or null"),
    "complete": (lambda v: type(v) is bool, "true or false"),
    "stopped": (lambda v: v is None or isinstance(v, str), "why a pull stopped (text) or null"),
}
#: Fields a state may lack (their default is then used): a pull writes them all, but a
#: hand-made or generated state (``data/sample/raw``) needs only its window.
STATE_OPTIONAL = {"pages": 0, "window": 0, "cursor": None, "next_url": None,
                  "complete": False, "stopped": None}


def _instant(text: str) -> bool:
    try:
        return pd.Timestamp(text).tzinfo is not None
    except (ValueError, TypeError, OverflowError):
        return False


def read_pull_state(file: str | Path) -> dict:
    """A ``.pull-state`` checked like any input: InputError naming the file and each field
    of the wrong type (a negative page count would name ``page--002.json``)."""
    payload, problems = read_json_file(file)
    name = str(file)
    if payload is not None and not isinstance(payload, dict):
        problems.append(Problem(name, "", "", describe(payload), "a pull-state object"))
    if problems or not isinstance(payload, dict):
        raise InputError(problems)
    for key, (fits, expected) in STATE_FIELDS.items():
        if key not in payload and key in STATE_OPTIONAL:
            continue
        value = payload.get(key)
        if key not in payload or not fits(value):
            problems.append(Problem(name, "", key, value, expected))
    raise_if_any(problems)
    return {**STATE_OPTIONAL, **payload}


def export_time(path: str | Path):
    """The extraction time of a pulled folder (its ``to``), or None (docs/rules.md M3a).

    Records still active at the pull end then, not at the latest instant a record shows.
    A ``.pull-state`` that cannot be read is a problem (its ``to`` decides figures).
    """
    state = Path(path) / PULL_STATE
    if not state.is_file():
        return None
    return pd.Timestamp(read_pull_state(state)["to"])


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


def iter_pages(path: str | Path) -> Iterator[tuple[str, object, list[Problem]]]:
    """Page by page (file name, parsed JSON or None, its problems; see :func:`read_json`):
    a loader that keeps only the columns it needs lets each page's objects go before the
    next is read."""
    for file in page_files(path):
        payload, problems = read_json_file(file)
        yield str(file), payload, problems


def page_records(path: str | Path, records_of: Callable[[object], list | None], expected: str,
                 problems: list[Problem]) -> Iterator[tuple[str, list]]:
    """Page by page, the file and the records of every page of the expected kind.

    A file that is not JSON, and a page whose shape ``records_of`` does not recognise (it
    returns None), are appended to ``problems`` naming what was ``expected``: one loop for
    every loader of saved pages, so none skips a page silently.
    """
    for file, payload, bad in iter_pages(path):
        problems += bad
        if payload is None:
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

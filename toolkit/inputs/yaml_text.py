"""Reading YAML that a careless or hostile hand may have written, without surprises.

PyYAML's ``safe_load`` runs no code, but it still keeps the last of two equal keys (a second
``subscriptions:`` silently drops the first list), expands aliases without limit (a few KB of
nested ``&a``/``*a`` lists become billions of values: minutes of CPU and many GB), and turns
``2025-02-29`` into a bare ``ValueError`` without a place. Here the document is first
*composed* (aliases stay shared nodes, so this is linear in the text), then walked with an
expansion budget and checked for repeated keys, and only then constructed; dates and numbers
that do not exist stay text, so the schema reports them at their place.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import yaml

from toolkit.errors import InputError, Problem

#: Values a document may expand to, aliases counted each time they are used. A tenant file
#: with hundreds of subscriptions holds a few thousand; an alias bomb exceeds it at once.
MAX_VALUES = 200_000
#: Levels of lists and mappings inside each other; a tenant file uses six.
MAX_DEPTH = 50
#: Values reached again through an alias (``*name``), counted each time. Aliases save typing
#: in a hand-written file (a shared term, a shared list of lines); a few KB of them expanding
#: into thousands of subscriptions or lines make every command slow (a 6 KB file took 32 s in
#: ``report``), so the work they cause is bounded here, not only the values they make.
MAX_ALIASED = 1_000
MERGE_KEY = "<<"
#: What the depth pre-check steps over whole: a quoted scalar where one may begin (after a
#: space, an indicator or the line start, so the apostrophe of ``Children's`` opens none) and
#: a comment; what it counts: flow brackets.
_FLOW = re.compile(r"""(?:(?<=[\s\[{,:?-])|^)(?:'(?:[^']|'')*'|"(?:[^"\\]|\\.)*"|#.*)|[\[\]{}]""",
                   re.MULTILINE)
TOO_DEEP = (f"YAML nested less deeply (at most {MAX_DEPTH} levels of lists or mappings inside "
            "each other)")

Place = Callable[[tuple, object], str]


class _Loader(yaml.SafeLoader):
    """SafeLoader whose dates and integers that cannot be built stay text (see module)."""


def _or_text(construct):
    def lenient(loader, node):
        try:
            return construct(loader, node)
        except ValueError:
            return loader.construct_scalar(node)
    return lenient


_Loader.add_constructor("tag:yaml.org,2002:timestamp",
                        _or_text(yaml.SafeLoader.construct_yaml_timestamp))
_Loader.add_constructor("tag:yaml.org,2002:int", _or_text(yaml.SafeLoader.construct_yaml_int))


def read_yaml(text: str, file: str, place: Place | None = None,
              aliases: bool = True) -> tuple[object, list[Problem]]:
    """The document in ``text`` and its repeated keys as problems (each with its place and
    line; the document keeps the last value, so the caller can report its other problems
    too); raise InputError for a document that cannot be read at all.

    ``place(path, document)`` names a path of keys and indexes for a message (default:
    ``a.b[0].c``); ``aliases=False`` refuses anchors and aliases altogether (JSON-like text
    has none).
    """
    node = _compose(text, file)
    if node is None:
        return None, []
    repeated = _walk(node, file, aliases)
    try:
        document = _Loader("").construct_document(node)
    except yaml.YAMLError as exc:
        raise InputError([_yaml_problem(file, exc)]) from None
    except (ValueError, TypeError, RecursionError) as exc:
        raise InputError([Problem(file, "", "", None, f"valid YAML ({exc})")]) from None
    name = place or default_place
    return document, [
        Problem(file, ", ".join(p for p in (name(path, document), f"line {line}") if p),
                key, None, f"each key once in a mapping (also on line {first})")
        for path, key, line, first in repeated
    ]


def default_place(path: tuple, document: object) -> str:
    """``subscriptions[0].terms[1]`` for ``("subscriptions", 0, "terms", 1)``."""
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in path
                   ).lstrip(".")


def _compose(text: str, file: str) -> yaml.Node | None:
    too_deep = nested_beyond(text, _FLOW, MAX_DEPTH)
    if too_deep is not None:
        raise InputError([Problem(file, f"line {too_deep}", "", None, TOO_DEEP)])
    try:
        loader = _Loader(text)  # the reader refuses control characters here already
        try:
            return loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        raise InputError([_yaml_problem(file, exc)]) from None
    except RecursionError:
        raise InputError([Problem(file, "", "", None, TOO_DEEP)]) from None


def nested_beyond(text: str, tokens: re.Pattern, limit: int) -> int | None:
    """The line where brackets first nest beyond ``limit``, or None: a linear scan of
    ``tokens`` (a bracket, or a span that hides brackets, such as a quoted string, stepped
    over whole). Parsers recurse, and PyYAML's scanner also checks one candidate key per open
    bracket at each token, so thousands of ``[`` cost seconds before they fail; this never
    does. YAML and JSON pages share it, each with its own ``tokens``."""
    if text.count("[") + text.count("{") <= limit:
        return None
    depth = 0
    for match in tokens.finditer(text):
        token = match.group()
        if token in ("[", "{"):
            depth += 1
            if depth > limit:
                return text.count("\n", 0, match.start()) + 1
        elif token in ("]", "}"):
            depth = max(depth - 1, 0)
    return None


def _yaml_problem(file: str, exc: yaml.YAMLError) -> Problem:
    mark = getattr(exc, "problem_mark", None)
    where = f"line {mark.line + 1}" if mark else ""
    return Problem(file, where, "", None, f"valid YAML ({exc})")


def _walk(root: yaml.Node, file: str, aliases: bool) -> list[tuple[tuple, str, int, int]]:
    """Repeated keys as (path, key, line, first line); InputError when the document expands
    beyond :data:`MAX_VALUES` values or :data:`MAX_DEPTH` levels (a recursive anchor), or,
    with ``aliases=False``, uses an alias at all. Paths are kept as (parent, part, depth)
    links, so a deep walk costs memory in proportion to its values, not their square."""
    seen_nodes: set[int] = set()
    repeated, reported = [], set()
    stack: list[tuple[yaml.Node, tuple | None, bool]] = [(root, None, False)]
    budget, aliased = MAX_VALUES, MAX_ALIASED
    while stack:
        node, link, again = stack.pop()
        budget -= 1
        again = again or id(node) in seen_nodes
        aliased -= again
        depth = link[2] if link else 0
        if aliased < 0 or budget < 0 or depth > MAX_DEPTH:
            where = f"line {node.start_mark.line + 1}" if aliased < 0 else ""
            raise InputError([Problem(file, where, "", None,
                                      f"a document of at most {MAX_VALUES:,} values and "
                                      f"{MAX_DEPTH} levels once its aliases (*name) are "
                                      f"expanded, at most {MAX_ALIASED:,} of them repeated "
                                      "through aliases")])
        if id(node) in seen_nodes and not aliases:
            raise InputError([Problem(file, f"line {node.start_mark.line + 1}", "", None,
                                      "JSON (no YAML anchors or aliases)")])
        seen_nodes.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            stack += [(child, (link, i, depth + 1), again)
                      for i, child in enumerate(node.value)]
        elif isinstance(node, yaml.MappingNode):
            first: dict[str, int] = {}
            for key, value in node.value:
                name = key.value if isinstance(key, yaml.ScalarNode) else None
                line = key.start_mark.line + 1
                if name is not None and name != MERGE_KEY:
                    # a mapping reached again through an alias repeats its keys once
                    if name in first and (name, line) not in reported:
                        reported.add((name, line))
                        repeated.append((_path(link), name, line, first[name]))
                    first.setdefault(name, line)
                stack.append((value, (link, name if name is not None else "?", depth + 1),
                              again))
    return sorted(repeated, key=lambda r: r[2])


def _path(link: tuple | None) -> tuple:
    parts = []
    while link is not None:
        link, part, _ = link
        parts.append(part)
    return tuple(reversed(parts))

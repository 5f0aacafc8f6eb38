"""Input problems, collected and reported all at once.

Analysts fix input files in batches: an error that stops at the first problem makes them
run the tool once per typo. Every loader therefore gathers :class:`Problem` records and raises
a single :class:`InputError` that lists them all, each naming file, row, column, the value
found and what was expected.
"""

from __future__ import annotations

from dataclasses import dataclass

#: The longest value a message quotes; a longer one is cut, with its full length given, so
#: a hostile or huge cell (a 1 MB line, an expanded YAML structure) cannot flood a terminal.
EXCERPT = 60


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one place of one input file."""

    file: str
    where: str  # "row 12", "subscriptions[2].terms[0]", or "" for the whole file
    column: str
    value: object
    expected: str

    def __str__(self) -> str:
        place = ", ".join(part for part in (self.file, self.where) if part)
        column = f", column {self.column!r}" if self.column else ""
        value = "" if self.value is None else f": found {excerpt(self.value)}"
        return f"{place}{column}{value}; expected {self.expected}"


def excerpt(value: object, limit: int = EXCERPT, quoted: bool = True) -> str:
    """The value as a message quotes it: text in quotes (or without, ``quoted=False``, for an
    id beside a place) with control and bidi characters escaped (``repr`` does), anything
    else as printed; cut to ``limit`` characters."""
    try:
        shown = repr(value) if isinstance(value, str) else str(value)
        if isinstance(value, str) and not quoted:
            shown = shown[1:-1]
    except ValueError:  # an int of more than 4300 digits refuses to print
        shown = f"a number of {value.bit_length():,} bits" if isinstance(value, int) else "?"
    if len(shown) <= limit:
        return shown
    return f"{shown[:limit]}… ({len(shown):,} characters)"


class InputError(ValueError):
    """Raised by loaders; its message lists every problem found, one per line."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        count = len(self.problems)
        header = f"{count} problem{'s' if count != 1 else ''} in the input:"
        super().__init__("\n".join([header, *(f"  - {p}" for p in self.problems)]))


def raise_if_any(problems: list[Problem]) -> None:
    """Raise :class:`InputError` when ``problems`` is not empty."""
    if problems:
        raise InputError(problems)

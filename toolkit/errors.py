"""Input problems, collected and reported all at once.

Analysts fix input files in batches: an error that stops at the first problem makes them
run the tool once per typo. Every loader therefore gathers :class:`Problem` records and raises
a single :class:`InputError` that lists them all, each naming file, row, column, the value
found and what was expected.
"""

from __future__ import annotations

from dataclasses import dataclass


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
        shown = repr(self.value) if isinstance(self.value, str) else str(self.value)
        value = "" if self.value is None else f": found {shown}"
        return f"{place}{column}{value}; expected {self.expected}"


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

"""The review window and departments as the command line names them (``--from``, ``--to``,
``--department``): ``report`` and ``workbook`` check their arguments here, so a problem names
the flag the user typed, while :mod:`toolkit.present.report` speaks of periods and departments."""

from __future__ import annotations

import dataclasses

from toolkit.errors import InputError, Problem
from toolkit.periods import last_complete_period
from toolkit.present.report import Window, check_departments, choose_window
from toolkit.workspace import Workspace

#: How the review's parameters are spelled on the command line.
FLAGS = {"first": "--from", "last": "--to", "department": "--department"}


def _as_flags(error: InputError) -> InputError:
    return InputError([dataclasses.replace(p, file=FLAGS.get(p.file, p.file))
                       for p in error.problems])


def review_window(book: Workspace, first, last) -> Window:
    """The window for ``--from``/``--to`` (default: the last complete quarter, from the first
    month with usage on), checked to cover months with figures: it may not end after the as-of
    month, nor before the first month with usage (it would be a report of zeros)."""
    periods = book.allocation.by_subscription["period"]
    since = periods.min() if len(periods) else None
    try:
        window = choose_window(book.as_of, first, last, book.freq, since)
    except InputError as error:
        raise _as_flags(error) from None
    earliest = since
    # the default window may end in the period holding the as-of day when the usage is younger
    # than a quarter: the review of the months the tenant has, never a refusal of a flag
    # nobody typed
    latest = max(last_complete_period(book.as_of, book.freq),
                 choose_window(book.as_of, None, None, book.freq, since).last)
    if window.last > latest:
        raise InputError([Problem("--to", "", "", str(window.last),
                                  f"a period no later than {latest}, the last complete one "
                                  f"on the as-of day {book.as_of}")])
    if earliest is not None and window.last < earliest:
        raise InputError([Problem("--to", "", "", str(window.last),
                                  f"a period no earlier than {earliest}, the first with usage")])
    return window


def wanted_departments(book: Workspace, departments: list[str]) -> None:
    """Every ``--department`` must own a subscription of the tenant (all listed at once)."""
    try:
        check_departments(book, departments)
    except InputError as error:
        raise _as_flags(error) from None

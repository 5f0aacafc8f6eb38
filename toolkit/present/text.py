"""Terminal text: the one place that decides how wide a command's output is and how it wraps.

Why one place: every command prints sentences written for a finance analyst (explanations,
findings, budget breaches), and a sentence cut mid-word or a line running to 363 characters is
unreadable in a terminal or a mail. The width follows the terminal (``COLUMNS`` when set, as
``shutil.get_terminal_size`` reads it), capped so that paragraphs stay readable on a wide screen,
and text wraps on word boundaries only.
"""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Iterable

#: Width when the output is not a terminal (a pipe, a file) and ``COLUMNS`` is not set.
FALLBACK_WIDTH = 100
#: Never wider than this, even on a wide terminal: long lines are hard to read.
MAX_WIDTH = 120
#: Never narrower than this, so an indented paragraph keeps a few words per line.
MIN_WIDTH = 40


def terminal_width(width: int | None = None) -> int:
    """The width to print at: ``width`` when given, else the terminal's, within the bounds."""
    if width is None:
        width = shutil.get_terminal_size((FALLBACK_WIDTH, 24)).columns
    return max(MIN_WIDTH, min(width, MAX_WIDTH))


def wrap(text: str, indent: str = "", width: int | None = None,
         first_indent: str | None = None) -> list[str]:
    """``text`` as lines of at most the terminal width, broken between words.

    A single word longer than the line (a URL, an e-mail address) is kept whole rather than
    cut, so it can still be copied.
    """
    return textwrap.wrap(text, width=terminal_width(width),
                         initial_indent=indent if first_indent is None else first_indent,
                         subsequent_indent=indent, break_long_words=False,
                         break_on_hyphens=False) or [indent.rstrip()]


def paragraph(text: str, indent: str = "", width: int | None = None,
              first_indent: str | None = None) -> str:
    """:func:`wrap` joined into one string."""
    return "\n".join(wrap(text, indent, width, first_indent))


def listing(items: Iterable[str], indent: str = "", width: int | None = None) -> str:
    """Comma-separated ``items`` wrapped to the width (subject lists under a grouped finding)."""
    return paragraph(", ".join(items), indent, width)


def plural(count: int, noun: str, many: str | None = None) -> str:
    """``1 finding``, ``2 findings``: a count with its noun agreeing."""
    return f"{count:,} {noun if count == 1 else (many or noun + 's')}"

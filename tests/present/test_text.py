"""Terminal text (toolkit.present.text) and the one as-of day (toolkit.periods.as_of_date)."""

import datetime as dt

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from toolkit.periods import as_of_date
from toolkit.present.text import MAX_WIDTH, MIN_WIDTH, listing, paragraph, plural, terminal_width
from toolkit.present.text import wrap as wrap_text

WORDS = st.lists(st.text(alphabet="abcdefghij-.@", min_size=1, max_size=30), min_size=1,
                 max_size=60)


@given(WORDS, st.integers(MIN_WIDTH, MAX_WIDTH), st.sampled_from(["", "  ", "      "]))
def test_wrapping_breaks_only_between_words_and_fits_the_width(words, width, indent):
    lines = wrap_text(" ".join(words), indent, width)
    assert [w for line in lines for w in line.split()] == words  # no word cut or lost
    for line in lines:
        assert line.startswith(indent)
        assert len(line) <= width or len(line.split()) == 1  # only a lone long word overflows


def test_width_follows_the_terminal_within_bounds(monkeypatch):
    monkeypatch.setenv("COLUMNS", "72")
    assert terminal_width() == 72
    monkeypatch.setenv("COLUMNS", "400")
    assert terminal_width() == MAX_WIDTH
    monkeypatch.setenv("COLUMNS", "10")
    assert terminal_width() == MIN_WIDTH
    assert terminal_width(90) == 90


def test_paragraph_listing_and_plural():
    assert paragraph("one two three four", "  ", 40, first_indent="- ") == "- one two three four"
    assert listing(["u1", "u2"], "    ", 60) == "    u1, u2"
    assert (plural(1, "finding"), plural(2, "finding"), plural(1_000, "body", "bodies")) == (
        "1 finding", "2 findings", "1,000 bodies")


def test_as_of_is_the_last_day_of_the_last_period_with_usage():
    usage = pd.DataFrame({"timestamp": pd.to_datetime(["2026-02-03T10:00", "2026-10-14T09:00"])})
    assert as_of_date(usage, "UTC") == dt.date(2026, 10, 31)
    assert as_of_date(usage, "UTC", "Q") == dt.date(2026, 10, 31)  # never past the data (P1a)
    assert as_of_date(usage.iloc[:1], "UTC") == dt.date(2026, 2, 28)
    assert as_of_date(usage.iloc[:0], "UTC") is None and as_of_date(None, "UTC") is None


def test_as_of_counts_days_in_the_tenants_zone():
    """23:30 UTC on 31 October is already 1 November in Rome: November has usage."""
    usage = pd.DataFrame({"timestamp": pd.to_datetime(["2026-10-31T23:30Z"])})
    assert as_of_date(usage, "UTC") == dt.date(2026, 10, 31)
    assert as_of_date(usage, "Europe/Rome") == dt.date(2026, 11, 30)

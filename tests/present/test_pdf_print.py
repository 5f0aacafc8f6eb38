"""The PDF review is print-ready (issue 20.9): a footer on every page with the tenant, the
section's department, the as-of day and "Page x of y" of the whole document; no heading last
on a page; table headers repeated on continued pages; metadata naming the tenant, the report
and multisub. The PDF is printed once by Chromium and read back page by page with pypdf.
"""

from __future__ import annotations

import importlib.util
import re
import unicodedata

import pytest

from toolkit.present import report, review_page
from toolkit.resources import sample_dir

pytestmark = pytest.mark.skipif(
    not review_page.CHROMIUM.exists() or importlib.util.find_spec("playwright") is None
    or importlib.util.find_spec("pypdf") is None,
    reason="PDF printing needs Chromium, Playwright and pypdf")

FOOTER = re.compile(r"(?P<who>.+) · (?P<section>.+) · figures as of (?P<day>.+?) "
                    r"Page (?P<page>\d+) of (?P<pages>\d+)$")


def _pages(path) -> list[list[str]]:
    import pypdf

    reader = pypdf.PdfReader(path)
    return [[unicodedata.normalize("NFKC", line).strip()
             for line in (page.extract_text() or "").splitlines() if line.strip()]
            for page in reader.pages]


@pytest.fixture(scope="module")
def printed(tmp_path_factory):
    book = report.load_book(sample_dir())
    out = tmp_path_factory.mktemp("pdf")
    window = report.default_window(book.as_of)
    (path,) = review_page.write_reviews(book, window, book.departments, out, ("pdf",),
                                        tenant=True)
    return book, path, _pages(path)


def test_every_page_has_the_footer_with_its_department_and_page_x_of_y(printed):
    book, _, pages = printed
    footers = [FOOTER.match(lines[-1]) for lines in pages]
    assert all(footers), [lines[-1] for lines in pages if not FOOTER.match(lines[-1])]
    assert [int(f["page"]) for f in footers] == list(range(1, len(pages) + 1))
    assert {int(f["pages"]) for f in footers} == {len(pages)}
    assert {f["who"] for f in footers} == {"Assicurazioni Aurora"}
    assert {f["day"] for f in footers} == {"31 October 2026"}
    # each department's pages name it, from the page its section starts on
    sections = [f["section"] for f in footers]
    assert sections[0] == "all departments"
    assert [s for i, s in enumerate(sections) if i == 0 or s != sections[i - 1]] == [
        "all departments", *book.departments]
    for lines, footer in zip(pages, footers, strict=True):
        if footer["section"] != "all departments" and lines[0] == footer["section"]:
            assert lines[0] in book.departments  # the section's title starts its first page


def test_pdf_metadata_names_tenant_report_and_multisub(printed):
    import pypdf

    _, path, _ = printed
    meta = pypdf.PdfReader(path).metadata
    assert meta.title == "Cost review: Assicurazioni Aurora, July–September 2026"
    assert meta.author == "Assicurazioni Aurora"
    assert meta.creator.startswith("multisub")
    assert "Chrome" not in meta.creator and "Mozilla" not in (meta.producer or "")


def test_no_heading_is_the_last_thing_on_a_page(printed):
    _, _, pages = printed
    headings = {"Summary", "Departments", "Overage and who owns it", "Cost per month",
                "Cost by usage type", "Budget", "Forecast to term end", "Subscriptions",
                "Coverage", "Findings"}
    last = [lines[-2] for lines in pages if len(lines) > 1]
    assert not headings & set(last), last
    rule = re.compile(r".+ \((error|warning|info), \d+ findings?\)$")  # a findings group
    assert not [line for line in last if rule.match(line)]


def test_the_summary_shows_warnings_and_coverage_in_the_pdf(printed):
    _, _, pages = printed
    first = " ".join(pages[0])
    assert "Budget warnings" in first
    assert "Collections reached 80% of budget, not above it, in each month of" in first
    assert "Usage covers every month of July–September 2026." in first


def test_a_long_table_repeats_its_header_row_on_every_page(tmp_path):
    rows = [[f"row {i:03d}", f"{i:,.2f}"] for i in range(140)]
    table = review_page.Table(["Item", "Amount (EUR)"], rows, [False, True])
    section = review_page.Section("Long", "a long table", [], [],
                                  [review_page.Block("Lines", "Every line.", None, (table,))])
    doc = review_page.document([section], "Cost review: Long", "Tenant T", report.dt.date(
        2026, 10, 31), ["Dept D"])
    path = tmp_path / "long.pdf"
    review_page.write_pdfs({path: doc})
    pages = _pages(path)
    assert len(pages) >= 3
    for lines in pages:
        assert "Item Amount" in " ".join(lines) or "Item" in lines
        assert lines[-1].startswith("Tenant T · Dept D · figures as of 31 October 2026 Page")
    body = [line for lines in pages for line in lines if line.startswith("row ")]
    assert len(body) == 140  # every row once: none lost at a page break


def test_metadata_of_a_single_section_document(tmp_path):
    import pypdf

    section = review_page.Section("Solo", "", [], [], [review_page.Block("Only", "Text.")])
    doc = review_page.document([section], "Cost review: Solo", "Tenant S",
                               report.dt.date(2026, 1, 31), ["Dept S"])
    path = tmp_path / "solo.pdf"
    review_page.write_pdfs({path: doc})
    reader = pypdf.PdfReader(path)
    assert (reader.metadata.title, reader.metadata.author) == ("Cost review: Solo", "Tenant S")
    text = unicodedata.normalize("NFKC", reader.pages[0].extract_text())
    assert "Tenant S · Dept S · figures as of 31 January 2026" in text
    assert "Page 1 of 1" in text

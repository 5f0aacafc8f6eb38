"""The cost review in a real browser: Debian's Chromium opens the HTML offline (every network
request is refused and recorded) and shows the executive summary with the toolkit's figures;
the PDF printed by the same Chromium starts each department on a new page."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from toolkit.commands.cli import main
from toolkit.present import report
from toolkit.resources import sample_dir

CHROMIUM = Path("/usr/bin/chromium")
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run"]

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not CHROMIUM.exists(),
                                 reason="needs Debian's chromium (apt-get install -y chromium)")]


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    out = tmp_path_factory.mktemp("review")
    assert main(["report", str(sample_dir()), "--tenant", "--format", "html,pdf",
                 "--out", str(out)]) == 0
    return out / "assicurazioni-aurora.html", out / "assicurazioni-aurora.pdf"


@pytest.fixture(scope="module")
def book():
    return report.load_book(sample_dir())


@pytest.fixture(scope="module")
def page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=BROWSER_ARGS,
                                             headless=True)
        context = browser.new_context(viewport={"width": 1200, "height": 900})
        yield context.new_page()
        browser.close()


def test_summary_shows_the_toolkits_figures_offline(page, written, book):
    from playwright.sync_api import expect

    html_path, _ = written
    fetched: list[str] = []

    def refuse(route):
        if route.request.url != html_path.as_uri():
            fetched.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    page.route("**/*", refuse)
    page.goto(html_path.as_uri())
    summary = page.locator("section.review").first.locator("dl.summary")
    tenant = report.department_review(book, None)
    expect(summary).to_be_visible()
    expect(summary).to_contain_text(dict(tenant.summary)["Billed vs budget"])
    expect(page.locator("section.review").first.locator(".card").first).to_contain_text(
        tenant.money(tenant.billed_cents))
    claims = report.department_review(book, "Claims")
    section = page.locator("section.review", has=page.locator("h1", has_text="Claims"))
    expect(section.locator("dl.summary")).to_contain_text(dict(claims.summary)["Overage"])
    assert page.locator("svg").count() >= 8  # the charts render inline
    assert fetched == []


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils")
def test_pdf_starts_each_department_on_a_new_page(written, book):
    _, pdf_path = written
    assert pdf_path.read_bytes().startswith(b"%PDF")
    text = subprocess.run(["pdftotext", "-layout", str(pdf_path), "-"], check=True,
                          capture_output=True, text=True).stdout
    pages = text.split("\f")
    first_lines = [p.strip().splitlines()[0].strip() for p in pages if p.strip()]
    assert first_lines[0] == "Assicurazioni Aurora"
    assert "Summary" in pages[0] and "Departments" in pages[0]
    for department in book.departments:
        assert department in first_lines, department

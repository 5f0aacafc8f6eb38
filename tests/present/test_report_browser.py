"""The cost review in a real browser: Debian's Chromium opens the HTML offline (every network
request is refused and recorded) and shows the executive summary with the toolkit's figures;
the PDF printed by the same Chromium starts each department on a new page."""

from __future__ import annotations

import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
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


def read_in_chromium(html_path: Path) -> dict:
    """Open the page offline in Chromium and read back what a reader sees.

    Runs in a thread of its own: Playwright's sync API refuses to start while another sync
    session (the dashboards' browser fixture) holds this thread's event loop.
    """

    def read() -> dict:
        from playwright.sync_api import sync_playwright

        fetched: list[str] = []
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM),
                                                 args=BROWSER_ARGS, headless=True)
            try:
                page = browser.new_page(viewport={"width": 1200, "height": 900})

                def refuse(route):
                    if route.request.url != html_path.as_uri():
                        fetched.append(route.request.url)
                        route.abort()
                    else:
                        route.continue_()

                page.route("**/*", refuse)
                page.goto(html_path.as_uri(), wait_until="load")
                sections = page.locator("section.review")
                first = sections.first
                claims = page.locator("section.review", has=page.locator("h1", has_text="Claims"))
                return {
                    "summary_visible": first.locator("dl.summary").is_visible(),
                    "summary": first.locator("dl.summary").inner_text(),
                    "first_card": first.locator(".card").first.inner_text(),
                    "claims_summary": claims.locator("dl.summary").inner_text(),
                    "charts": page.locator("svg").count(),
                    "fetched": fetched,
                }
            finally:
                browser.close()

    with ThreadPoolExecutor(max_workers=1) as worker:
        return worker.submit(read).result()


def test_summary_shows_the_toolkits_figures_offline(written, book):
    html_path, _ = written
    seen = read_in_chromium(html_path)
    tenant = report.department_review(book, None)
    claims = report.department_review(book, "Claims")
    assert seen["summary_visible"]
    assert dict(tenant.summary)["Billed vs budget"] in seen["summary"]
    assert tenant.money(tenant.billed_cents) in seen["first_card"]
    assert dict(claims.summary)["Overage"] in seen["claims_summary"]
    assert seen["charts"] >= 8  # the charts render inline
    assert seen["fetched"] == []


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

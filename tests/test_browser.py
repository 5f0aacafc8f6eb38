"""The dashboards in a real browser: Voilà serves notebooks 2 and 3 on 127.0.0.1, Playwright
drives Debian's Chromium, a drop-down is changed and the chart and tables must follow.

Waits are Playwright ``expect`` assertions (they retry until the page matches or time out),
never sleeps. The dashboards carry stable ``multisub-…`` CSS classes for these selectors.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run"]
KERNEL_TIMEOUT_MS = 120_000  # the kernel starts, loads the sample and allocates it
CHANGE_TIMEOUT_MS = 30_000

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not CHROMIUM.exists(),
                                 reason="needs Debian's chromium (apt-get install -y chromium)")]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_serving(url: str, process: subprocess.Popen, timeout: float = 60.0) -> None:
    """Poll the server's front page until it answers (the server, not the page under test)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"voila exited with status {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.25)
    raise TimeoutError(f"voila did not answer on {url} within {timeout:.0f} s")


@pytest.fixture(scope="session")
def voila_url(tmp_path_factory):
    port = free_port()
    log = tmp_path_factory.mktemp("voila") / "voila.log"
    command = [sys.executable, "-m", "voila", str(NOTEBOOKS), "--no-browser",
               f"--port={port}", "--Voila.ip=127.0.0.1", "--show_tracebacks=True"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with log.open("w") as output:
        process = subprocess.Popen(command, cwd=NOTEBOOKS, env=env, stdout=output,
                                   stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until_serving(base + "/", process)
            yield base
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=BROWSER_ARGS,
                                              headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1500, "height": 1100})
    page = context.new_page()
    yield page
    context.close()


def open_dashboard(page, voila_url: str, notebook: str, ready_selector: str):
    from playwright.sync_api import expect

    page.goto(f"{voila_url}/voila/render/{notebook}", timeout=KERNEL_TIMEOUT_MS)
    expect(page.locator(ready_selector)).to_be_visible(timeout=KERNEL_TIMEOUT_MS)


def test_explorer_follows_the_usage_type_and_subscription(page, voila_url):
    from playwright.sync_api import expect

    open_dashboard(page, voila_url, "02_tenant_explorer.ipynb", ".multisub-usage-type select")
    pooled = page.locator(".multisub-pooled-chart")
    table = page.locator(".multisub-table")
    expect(pooled).to_contain_text("Contact Center Standard agent (cc_standard_agent): pooled "
                                   "usage vs pooled entitlement", timeout=CHANGE_TIMEOUT_MS)
    summary = page.locator(".multisub-summary")
    # money beside the quantities, and agents' monthly peaks never added up
    expect(summary).to_contain_text("peak of the monthly peaks 205 agents (in 2026-02)")
    expect(summary).to_contain_text("Cost: committed EUR 540,075.00, overage EUR 4,800.00")
    expect(table).to_contain_text("total (EUR)")

    page.locator(".multisub-usage-type select").select_option(label="AI Agent (ai_agent)")
    expect(pooled).to_contain_text("AI Agent (ai_agent): pooled usage vs pooled entitlement",
                                   timeout=CHANGE_TIMEOUT_MS)
    expect(page.locator(".multisub-subscription-chart")).to_contain_text(
        "AI Agent (ai_agent): usage vs entitlement per subscription", timeout=CHANGE_TIMEOUT_MS)
    expect(table).to_contain_text("Sub-1001", timeout=CHANGE_TIMEOUT_MS)

    page.locator(".multisub-subscription select").select_option(label="Sub-1004")
    expect(table).not_to_contain_text("Sub-1001", timeout=CHANGE_TIMEOUT_MS)
    expect(table).to_contain_text("Sub-1004")
    expect(summary).to_contain_text("Sub-1004")
    expect(summary).to_contain_text("Cost: committed EUR")


def test_whatif_follows_the_chosen_subscription(page, voila_url):
    from playwright.sync_api import expect

    open_dashboard(page, voila_url, "03_overage_ownership_shifts.ipynb",
                   ".multisub-whatif-subscription select")
    message = page.locator(".multisub-whatif-message")
    expect(message).to_contain_text("Sub-1001 expires on 2026-04-01", timeout=CHANGE_TIMEOUT_MS)
    expect(page.locator(".multisub-after-chart")).to_contain_text("after: primary and overage")
    costs = page.locator(".multisub-cost-table")
    # expiring the primary is not a saving: its users' usage is priced as uncovered
    expect(costs).to_contain_text("no subscription would cover this")
    expect(costs).to_contain_text("188,943.04")  # the sample as regenerated (issue 20.12)
    expect(costs).to_contain_text("33,938.70")
    expect(message).to_contain_text("not a saving")

    page.locator(".multisub-whatif-subscription select").select_option(label="Sub-1002")
    expect(message).to_contain_text("Sub-1002 expires on 2026-04-01", timeout=CHANGE_TIMEOUT_MS)
    expect(costs).to_contain_text("Sales", timeout=CHANGE_TIMEOUT_MS)
    expect(page.locator(".multisub-shifts-table")).to_contain_text("ivr_outbound_campaign")

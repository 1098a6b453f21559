"""Playwright (sync API) driving Debian's Chromium against pytest-django's live_server.

`page` opens a fresh browser context on the live server; `screenshot(name)` saves a PNG
under test-results/browser/<test name>/, and a failing test leaves failure.png there.
Without /usr/bin/chromium the tests skip, except under CI=true, where they fail.
"""

import os
import re
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
# Without the networking switches Chromium keeps dialling out, which this network refuses.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
RESULTS = Path(__file__).resolve().parents[2] / "test-results" / "browser"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="package")
def browser():
    if not CHROMIUM.exists():
        message = (
            f"{CHROMIUM} not found: install Debian's chromium package "
            "(apt-get install chromium); Playwright cannot download browsers here."
        )
        if os.environ.get("CI") == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    # Playwright's sync API runs an event loop in the test thread, where the tests and
    # factories still make plain synchronous ORM calls. Only for these tests: the variable
    # must not leak into later tests' subprocesses (`check --deploy` rejects it).
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


@pytest.fixture
def shots_dir(request) -> Path:
    """test-results/browser/<test name>/, emptied so it holds this run's pictures only."""
    path = RESULTS / re.sub(r"[^\w.-]+", "_", request.node.name)
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def _new_page(browser, live_server, **context_options):
    context = browser.new_context(base_url=live_server.url, viewport=DESKTOP, **context_options)
    context.set_default_timeout(10_000)
    return context.new_page()


@pytest.fixture
def page(browser, live_server, shots_dir, request):
    page = _new_page(browser, live_server)
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        page.screenshot(path=shots_dir / "failure.png", full_page=True)
    page.context.close()


@pytest.fixture
def page_without_js(browser, live_server):
    """A page whose browser runs no JavaScript: the forms must work on their own."""
    page = _new_page(browser, live_server, java_script_enabled=False)
    yield page
    page.context.close()


@pytest.fixture
def screenshot(shots_dir):
    """screenshot(page, name): a full-page PNG, numbered in the order the test takes them."""
    taken = []

    def take(page, name: str) -> Path:
        taken.append(name)
        path = shots_dir / f"{len(taken):02d}-{name}.png"
        page.screenshot(path=path, full_page=True)
        return path

    return take


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep the call phase's report on the item, so `page` knows whether the test failed."""
    report = yield
    if report.when == "call":
        item.rep_call = report
    return report

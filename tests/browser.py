"""Headless Chromium for the browser tests, shared by every test that drives it.

Needs Debian's chromium at /usr/bin/chromium (`apt-get install chromium`):
Playwright's own browser download is not used.
"""

import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOT_DIR = Path(os.environ.get("BROWSER_SCREENSHOT_DIR", "/tmp"))


def launch_chromium():
    """Start Chromium and yield it, closing it when the generator is closed."""
    if not CHROMIUM.exists():
        pytest.fail(f"Chromium is missing: expected it at {CHROMIUM}.")
    # Playwright's sync API keeps an event loop in this thread, so Django rejects
    # the test's ORM calls as async-unsafe unless DJANGO_ALLOW_ASYNC_UNSAFE is set.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            headless=True,
        )
        yield browser
        browser.close()
    if previous is None:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def open_page(browser, live_server):
    """Open a page in a fresh browser context, so each persona has its own
    session. The page records the dialogs that opened in `page.dialogs`."""
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1400, "height": 900}
    )
    page = context.new_page()
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.dialogs = dialogs
    return page

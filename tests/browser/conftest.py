"""Fixtures of the browser tests: one Streamlit server and one Chromium per module, a fresh page
(its own browser context, so its own Streamlit session) per test.

Without Chromium or Playwright these tests skip, unless ``CUTMIX_REQUIRE_BROWSER=1`` (as in CI),
where they fail.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from browser.server import CHROMIUM_ARGS, find_chromium, free_port, serve

try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:  # the chromium fixture then skips, or fails under CUTMIX_REQUIRE_BROWSER=1
    expect = sync_playwright = None

TIMEOUT_MS = 20_000  # per condition; the app reruns asynchronously on a shared, busy machine


@pytest.fixture(scope="module")
def chromium() -> str:
    path = find_chromium()
    why = (
        "Chromium not found: apt-get install -y chromium "
        "(or point CUTMIX_CHROMIUM at a Chromium binary)"
    )
    if sync_playwright is None:
        path, why = None, "the playwright package is missing: pip install playwright"
    if path is None:
        if os.environ.get("CUTMIX_REQUIRE_BROWSER") == "1":
            pytest.fail(f"CUTMIX_REQUIRE_BROWSER=1 but {why}")
        pytest.skip(why)
    return path


@pytest.fixture(scope="module")
def app_url(chromium: str) -> Iterator[str]:
    with serve(free_port()) as url:
        yield url


@pytest.fixture(scope="module")
def browser(chromium: str) -> Iterator[Any]:
    with sync_playwright() as p:
        # Playwright gives each launch a fresh temporary user-data dir.
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any, app_url: str) -> Iterator[Any]:
    """A fresh page (own context, so its own Streamlit session) opened on nothing yet."""
    expect.set_options(timeout=TIMEOUT_MS)
    context = browser.new_context(base_url=app_url, viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.js_errors = []  # uncaught exceptions in the page's JavaScript
    page.on("pageerror", lambda err: page.js_errors.append(str(err)))
    yield page
    context.close()

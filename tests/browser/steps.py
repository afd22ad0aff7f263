"""Steps several browser tests take: open the playground and switch B to an upload."""

from __future__ import annotations

import re
from typing import Any

from browser.server import IMAGES_LOADED


def open_upload_b(page: Any) -> Any:
    """Open the playground, wait for its first run, choose "Upload" for image B and return
    B's file input (the page's only one)."""
    from playwright.sync_api import expect

    page.goto("/")
    page.wait_for_function(IMAGES_LOADED, arg=3, timeout=60_000)  # a cold server: the first run
    # Segmented-control buttons (role "radio"): A's source control, then B's.
    upload = page.locator('[data-testid="stButtonGroup"] button').filter(
        has_text=re.compile(r"^Upload$")
    )
    expect(upload).to_have_count(2)
    upload.nth(1).click()
    expect(upload.nth(1)).to_have_attribute("aria-checked", "true")
    file_input = page.locator('input[type="file"]')
    expect(file_input).to_have_count(1)
    return file_input

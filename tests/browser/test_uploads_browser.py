"""A subset of the upload corpus (tests/corpus.py) through Chromium and the real server.

AppTest (tests/app/test_uploads_corpus.py) takes every file on every upload page but skips the
browser's own checks and the server's upload endpoint; here both are in the path. One page
session takes file after file into B's uploader on the playground: odd names decode and say so,
markup in a name stays text (no link, no element injected), refusals name the file, a file at
the byte limit passes the browser, the server and the decoder alike, one byte over is refused
in the browser, and after all of it a good upload gives a mix again with no exception.
"""

from __future__ import annotations

import re

import corpus
import pytest
from browser.server import IMAGES_LOADED
from browser.steps import open_upload_b

try:
    from playwright.sync_api import expect
except ImportError:  # the chromium fixture (conftest.py here) then skips or fails
    expect = None

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ENTRIES = {e.name: e for e in corpus.build()}
# Decoded under odd names; the markup ones also check that nothing in the name is rendered.
DECODED = (
    "photo.png.exe",
    "noextension",
    "UPPER.PNG",
    "**bold** [link](http://x).png",
    "<img src=x onerror=alert(1)>.png",
    "at-size-limit.png",
)
REFUSED = ("notes.png", "empty.png", "page.png", "huge-header.png", "cut.jpg")


#: True once the script has finished its run (Streamlit's status widget shows only while one runs).
IDLE = "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"


def _send(page, file_input, name: str, data: bytes) -> None:
    """Upload one file into B's uploader once the page is idle, and wait for its chip."""
    page.wait_for_function(IDLE, timeout=60_000)
    file_input.set_input_files({"name": name, "mimeType": "image/png", "buffer": data})
    expect(page.locator('[data-testid="stFileChipName"]').last).to_have_attribute("title", name)


def _no_exception(page) -> None:
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)


def test_corpus_subset_through_the_browser_and_the_server(page) -> None:
    file_input = open_upload_b(page)
    main = page.locator('[data-testid="stMain"]')
    errors = main.locator('[data-testid="stAlertContentError"]')
    for name in DECODED + REFUSED:
        entry = ENTRIES[name]
        _send(page, file_input, name, entry.data)
        if entry.outcome == corpus.DECODED:
            # B's caption names the file literally: this run is the one for this file.
            expect(main).to_contain_text(f"B: upload {name}")
            expect(errors).to_have_count(0)
            page.wait_for_function(IMAGES_LOADED, arg=3)  # A, B and the mix
            if entry.note:
                expect(main).to_contain_text(f"{name}: the name ")
        else:
            expect(errors.filter(has_text=f"{name}: ")).to_have_count(1)
            expect(errors).to_have_count(1)
        _no_exception(page)
        # Markup in a name does not act: no link to it, no element injected.
        assert main.locator('a[href^="http://x"]').count() == 0
        assert main.locator('img[src="x"]').count() == 0
    # One byte over the limit: the browser's own check refuses it before the server sees it.
    over = ENTRIES["over-size-limit.png"]
    page.wait_for_function(IDLE, timeout=60_000)
    file_input.set_input_files({"name": over.name, "mimeType": "image/png", "buffer": over.data})
    expect(page.get_by_text(re.compile(r"must be 16(\.0)?\s?MB or smaller"))).to_be_visible()
    _no_exception(page)
    good = ENTRIES["plain.png"]
    _send(page, file_input, good.name, good.data)
    expect(main).to_contain_text("B: upload plain.png")
    expect(errors).to_have_count(0)
    page.wait_for_function(IMAGES_LOADED, arg=3)
    _no_exception(page)
    assert page.js_errors == []

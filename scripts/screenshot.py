"""Save a screenshot for the README: ``python scripts/screenshot.py [OUT]``.

It serves the app on a free loopback port, opens it in Debian's Chromium through Playwright
(Playwright's own browser download is never used) and writes a 1400-pixel-wide PNG, by default
the playground's ``assets/screenshot.png``; an OUT named in ``SHOTS`` gets that shot's page,
window and clip. Serving the app and finding Chromium are shared with the browser
tests: this script loads ``tests/browser/server.py`` by its path (tests are no package, and
nothing is added to ``sys.path``).

Chromium is ``$CUTMIX_CHROMIUM`` if set, else ``chromium`` on the PATH, else /usr/bin/chromium
(``apt-get install -y chromium``).
"""

from __future__ import annotations

import importlib.util
import io
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
SHOT_QUERY = "/?a_class=cat&b_class=ship&seed=3"
VIEWPORT = {"width": 1400, "height": 1000}


def _load_server() -> ModuleType:
    """tests/browser/server.py as a module."""
    spec = importlib.util.spec_from_file_location(
        "cutmix_browser_server", ROOT / "tests" / "browser" / "server.py"
    )
    if spec is None or spec.loader is None:
        raise ImportError("tests/browser/server.py not found")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass(frozen=True)
class Shot:
    """One screenshot README shows.

    Attributes:
        where: the page's path and query.
        images: how many images the page shows once drawn (it is photographed then).
        height: the window's height; Streamlit scrolls inside its own container, so what is
            below the fold needs a taller window.
        clip: JavaScript returning the part of the page to keep ({x, y, width, height} in
            page pixels); None keeps the window.
    """

    where: str
    images: int
    height: int = VIEWPORT["height"]
    clip: str | None = None


#: The two model columns on the Models page, from their headings down to the localizer's
#: pictures (the rows whose caption says where the model thinks B is).
MODEL_COLUMNS = """() => {
    const rows = [...document.querySelectorAll('[data-testid="stHorizontalBlock"]')].filter(
        r => !r.querySelector('[data-testid="stHorizontalBlock"]')
            && r.innerText.includes("Where the model thinks B"));
    const outer = rows[0].parentElement.closest('[data-testid="stHorizontalBlock"]').
        getBoundingClientRect();
    const bottom = Math.max(...rows.map(r => r.getBoundingClientRect().bottom));
    return {x: outer.x, y: outer.y, width: outer.width, height: bottom - outer.y + 16};
}"""

#: Screenshots README shows, by output file.
SHOTS = {
    "screenshot.png": Shot(SHOT_QUERY, 3),
    # A, B, the mix, then per model Grad-CAM for A and for B and the localizer's picture.
    "screenshot_models.png": Shot("/models" + SHOT_QUERY[1:], 9, height=2000),
    # A, then Grad-CAM and the sensitivity map of each of the four shipped models.
    "screenshot_occlusion.png": Shot(
        "/occlusion?oa_class=horse&occ_rows=6-22&occ_cols=8-24", 9, height=2000
    ),
    # Where each model thinks the pasted ship is: a pair on which the baseline's box from
    # B's Grad-CAM misses the pasted box (IoU 0.31) and the CutMix model's finds it (0.71).
    "screenshot_localizer.png": Shot(
        "/models?a_class=cat&b_class=ship&seed=1", 9, height=2600, clip=MODEL_COLUMNS
    ),
}


def _photograph(page: Any, out: Path, shot: Shot, server: ModuleType) -> None:
    # A cold server computes every model's maps first: give the first run time.
    page.wait_for_function(server.IMAGES_LOADED, arg=shot.images, timeout=180_000)
    server.wait_until_rendered(page, shot.images)
    page.wait_for_timeout(500)  # plotly's own fade-in
    out.parent.mkdir(parents=True, exist_ok=True)
    clip = page.evaluate(shot.clip) if shot.clip else None
    # Saved again through Pillow's optimizer: the same pixels, a few per cent smaller.
    Image.open(io.BytesIO(page.screenshot(clip=clip))).save(out, optimize=True)


def main(
    out: Path = ROOT / "assets" / "screenshot.png",
    where: str | None = None,
    images: int | None = None,
) -> None:
    from playwright.sync_api import sync_playwright

    server = _load_server()
    chromium = server.find_chromium()
    if chromium is None:
        sys.exit("Chromium not found: apt-get install -y chromium, or set CUTMIX_CHROMIUM.")
    with server.serve(server.free_port()) as url, sync_playwright() as p:
        # Playwright gives every launch a fresh temporary profile (user-data dir).
        browser = p.chromium.launch(executable_path=chromium, args=server.CHROMIUM_ARGS)
        try:
            shot = SHOTS.get(out.name, SHOTS["screenshot.png"])
            if where is not None:
                shot = Shot(where, images or shot.images, shot.height, shot.clip)
            page = browser.new_page(viewport={**VIEWPORT, "height": shot.height})
            page.goto(url + shot.where)
            _photograph(page, out, shot, server)
        finally:
            browser.close()
    print(f"wrote {out} ({out.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    # python scripts/screenshot.py [OUT.png [PATH?QUERY IMAGES]]; OUT named in SHOTS needs no more
    main(
        Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else ROOT / "assets" / "screenshot.png",
        sys.argv[2] if len(sys.argv) > 2 else None,
        int(sys.argv[3]) if len(sys.argv) > 3 else None,
    )

"""Save a screenshot of the playground for the README: ``python scripts/screenshot.py [OUT]``.

It serves the app on a free loopback port, opens it in Debian's Chromium through Playwright
(Playwright's own browser download is never used) and writes a 1400x1000 PNG, by default to
``assets/screenshot.png``. Serving the app and finding Chromium are shared with the browser
tests: this script loads ``tests/browser/server.py`` by its path (tests are no package, and
nothing is added to ``sys.path``).

Chromium is ``$CUTMIX_CHROMIUM`` if set, else ``chromium`` on the PATH, else /usr/bin/chromium
(``apt-get install -y chromium``).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

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


#: Screenshots README shows: output file -> (page path and query, images on the page).
SHOTS = {
    "screenshot.png": (SHOT_QUERY, 3),
    "screenshot_models.png": ("/models" + SHOT_QUERY[1:], 7),
    # A, then Grad-CAM and the sensitivity map of each of the four shipped models.
    "screenshot_occlusion.png": ("/occlusion?oa_class=horse&occ_rows=6-22&occ_cols=8-24", 9),
}
#: Screenshots whose point is below the fold: taken in a taller window.
TALL = {"screenshot_models.png", "screenshot_occlusion.png"}


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
            # The model page's point (both models' predictions and maps) is below the fold,
            # and Streamlit scrolls inside its own container: a taller window shows it.
            tall = out.name in TALL
            page = browser.new_page(viewport={**VIEWPORT, "height": 2000} if tall else VIEWPORT)
            default_where, default_images = SHOTS.get(out.name, SHOTS["screenshot.png"])
            page.goto(url + (where or default_where))
            # A cold server computes every model's maps first: give the first run time.
            page.wait_for_function(
                server.IMAGES_LOADED, arg=images or default_images, timeout=180_000
            )
            server.wait_until_rendered(page, images or default_images)
            page.wait_for_timeout(500)  # plotly's own fade-in
            out.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(out))
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

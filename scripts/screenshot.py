"""Save a screenshot of the playground for the README: ``python scripts/screenshot.py [OUT]``.

It serves the app on a free loopback port, opens it in Debian's Chromium through Playwright
(Playwright's own browser download is never used) and writes a 1400x1000 PNG, by default to
``assets/screenshot.png``. ``serve`` and ``find_chromium`` are shared with
``tests/test_browser.py``, which imports this file.

Chromium is ``$CUTMIX_CHROMIUM`` if set, else ``chromium`` on the PATH, else /usr/bin/chromium
(``apt-get install -y chromium``).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
SHOT_QUERY = "/?a_class=cat&b_class=ship&seed=3"
VIEWPORT = {"width": 1400, "height": 1000}
# As root on a closed network: no sandbox, no GPU, nothing that phones home.
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


def find_chromium() -> str | None:
    """Chromium's path: $CUTMIX_CHROMIUM, else ``chromium`` on the PATH, else /usr/bin/chromium;
    None when none of them is an existing file."""
    for candidate in (
        os.environ.get("CUTMIX_CHROMIUM"),
        shutil.which("chromium"),
        "/usr/bin/chromium",
    ):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


def free_port() -> int:
    """A TCP port on the loopback interface that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
            return resp.read().strip() == b"ok"
    except OSError:
        return False


@contextmanager
def serve(port: int, *, timeout: float = 60.0) -> Iterator[str]:
    """Run ``streamlit run app.py`` on ``127.0.0.1:port``; yield its base URL; always stop it.

    The bundled CIFAR-10 sample is used whatever the environment says, so pages show what the
    library computes from ``load_sample()``. Raises RuntimeError (with the server's log) when
    the health check does not answer "ok" within ``timeout`` seconds.
    """
    url = f"http://{HOST}:{port}"
    env = {k: v for k, v in os.environ.items() if k != "CUTMIX_CIFAR10"}
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                "app.py",
                "--server.port",
                str(port),
                "--server.address",
                HOST,
                "--server.headless",
                "true",
                "--browser.gatherUsageStats",
                "false",
                # Nobody edits files under a test run; watching them costs CPU.
                "--server.fileWatcherType",
                "none",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + timeout
            while not _healthy(url):
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    tail = log.read().decode(errors="replace")[-2000:]
                    raise RuntimeError(
                        f"streamlit did not come up on {url} (exit code {proc.poll()}):\n{tail}"
                    )
                time.sleep(0.25)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def wait_until_rendered(page, images: int = 3) -> None:
    """Wait until ``images`` images have loaded, every plotly chart is drawn and the app idles."""
    page.wait_for_function(
        """n => {
            const imgs = [...document.querySelectorAll('[data-testid="stImage"] img')];
            return imgs.length === n && imgs.every(i => i.complete && i.naturalWidth > 0);
        }""",
        arg=images,
        timeout=30_000,
    )
    page.wait_for_function(
        """() => {
            const charts = document.querySelectorAll('[data-testid="stPlotlyChart"]');
            return charts.length > 0 && [...charts].every(c => c.querySelector('.main-svg'));
        }""",
        timeout=30_000,
    )
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=30_000
    )


#: Screenshots README shows: output file -> (page path and query, images on the page).
SHOTS = {
    "screenshot.png": (SHOT_QUERY, 3),
    "screenshot_models.png": ("/models" + SHOT_QUERY[1:], 7),
}


def main(
    out: Path = ROOT / "assets" / "screenshot.png",
    where: str | None = None,
    images: int | None = None,
) -> None:
    from playwright.sync_api import sync_playwright

    chromium = find_chromium()
    if chromium is None:
        sys.exit("Chromium not found: apt-get install -y chromium, or set CUTMIX_CHROMIUM.")
    with serve(free_port()) as url, sync_playwright() as p:
        # Playwright gives every launch a fresh temporary profile (user-data dir).
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            # The model page's point (both models' predictions and maps) is below the fold,
            # and Streamlit scrolls inside its own container: a taller window shows it.
            tall = out.name == "screenshot_models.png"
            page = browser.new_page(viewport={**VIEWPORT, "height": 2000} if tall else VIEWPORT)
            default_where, default_images = SHOTS.get(out.name, SHOTS["screenshot.png"])
            page.goto(url + (where or default_where))
            wait_until_rendered(page, images or default_images)
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

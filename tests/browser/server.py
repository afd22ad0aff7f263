"""Serving the app and finding Chromium, for the browser tests and scripts/screenshot.py.

``serve`` runs ``streamlit run app.py`` on a free loopback port with the bundled CIFAR-10
sample; ``find_chromium`` finds Debian's Chromium (Playwright's own browser download is never
used): ``$CUTMIX_CHROMIUM`` if set, else ``chromium`` on the PATH, else /usr/bin/chromium
(``apt-get install -y chromium``). Nothing here imports pytest or Playwright, so the screenshot
script loads this file as it is (by path: it is no package).
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
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Page

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
#: True in the page once exactly ``n`` images are on it and every one of them has loaded.
IMAGES_LOADED = """n => {
    const imgs = [...document.querySelectorAll('[data-testid="stImage"] img')];
    return imgs.length === n && imgs.every(i => i.complete && i.naturalWidth > 0);
}"""
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


def wait_until_rendered(page: Page, images: int = 3) -> None:
    """Wait until ``images`` images have loaded, every plotly chart is drawn and the app idles."""
    page.wait_for_function(IMAGES_LOADED, arg=images, timeout=30_000)
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

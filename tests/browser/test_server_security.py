"""The server's security settings: what .streamlit/config.toml sets, and that the real server
enforces it (XSRF on the upload endpoint, the upload size limit), with README saying the same.

No browser is needed: the endpoint is spoken to directly, as a scripted client would.
"""

from __future__ import annotations

import http.client
import re
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from browser.server import ROOT, free_port, serve

from cutmix_core import defaults


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with serve(free_port()) as url:
        yield url


def test_the_config_turns_the_protections_on_and_agrees_with_the_library() -> None:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["enableXsrfProtection"] is True
    assert config["client"]["showErrorDetails"] == "none"  # no tracebacks for visitors
    assert config["server"]["maxUploadSize"] == defaults.MAX_UPLOAD_MB
    assert defaults.MAX_UPLOAD_BYTES == defaults.MAX_UPLOAD_MB * 1_000_000
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    said = re.search(r"up to (\d+) MB \(([\d,]+) bytes", readme)
    assert said is not None
    assert (int(said[1]), int(said[2].replace(",", ""))) == (
        defaults.MAX_UPLOAD_MB,
        defaults.MAX_UPLOAD_BYTES,
    )


def _put(url: str, body: bytes) -> int | str:
    """PUT a multipart upload without an XSRF token: the HTTP status, or why none came."""
    request = urllib.request.Request(
        f"{url}/_stcore/upload_file/some-session/some-file",
        data=b"--b\r\nContent-Disposition: form-data; name=file; filename=a.png\r\n\r\n"
        + body
        + b"\r\n--b--\r\n",
        method="PUT",
        headers={"Content-Type": "multipart/form-data; boundary=b"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as err:
        return err.code
    except (urllib.error.URLError, ConnectionError, http.client.HTTPException) as err:
        return type(err).__name__


def test_an_upload_without_the_xsrf_token_is_refused(server: str) -> None:
    assert _put(server, b"\x89PNG small") == 403


def test_a_body_over_the_servers_limit_is_not_taken(server: str) -> None:
    """Streamlit's server allows maxUploadSize MiB plus slack; far over it, the connection is
    cut (or refused with 413) before the body is read, whatever the token."""
    outcome = _put(server, b"\0" * (defaults.MAX_UPLOAD_MB + 4) * 2**20)
    assert outcome in (
        413,
        "URLError",
        "ConnectionResetError",
        "BrokenPipeError",
        "RemoteDisconnected",
    )

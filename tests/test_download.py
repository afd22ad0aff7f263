"""Tests for cutmix_core.download against a real HTTP server on localhost (no internet needed):
whole files, checksums, HTTP errors, refused connections, transfers that stall, end early or
just go slowly, and a destination that cannot be written."""

from __future__ import annotations

import hashlib
import http.server
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.error import URLError

import pytest

from cutmix_core import download
from cutmix_core.download import DownloadError, fetch, has_digest

BODY = bytes(range(256)) * 600  # 153,600 bytes
SHA256 = hashlib.sha256(BODY).hexdigest()
MD5 = hashlib.md5(BODY).hexdigest()


class _Handler(http.server.BaseHTTPRequestHandler):
    release: threading.Event  # set by the fixture at teardown: a stalled answer then ends

    def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
        if self.path == "/missing":
            self.send_error(404, "Not Found")
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        if self.path == "/file":
            self.wfile.write(BODY)
        elif self.path == "/stall":  # a first piece, then silence
            self.wfile.write(BODY[:1000])
            self.wfile.flush()
            self.release.wait(10)
        elif self.path == "/short":  # the connection closes before Content-Length bytes
            self.wfile.write(BODY[:1000])
        elif self.path == "/slow":  # moving, but slower in total than the timeout
            for i in range(0, len(BODY), len(BODY) // 6):
                self.wfile.write(BODY[i:i + len(BODY) // 6])
                self.wfile.flush()
                time.sleep(0.15)

    def log_message(self, *args: object) -> None:  # keep the test output clean
        pass


@pytest.fixture
def server(no_proxies: None) -> Iterator[str]:
    """The base URL of a threaded HTTP server on 127.0.0.1 (proxies off, as for a local host)."""
    release = threading.Event()
    handler = type("Handler", (_Handler,), {"release": release})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    release.set()
    httpd.shutdown()
    httpd.server_close()


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_fetch_writes_the_whole_file_and_checks_both_hashes(server: str, tmp_path: Path) -> None:
    dst = tmp_path / "sub" / "w-abc.pth"
    assert fetch(f"{server}/file", dst, sha256_prefix=SHA256[:8], md5=MD5, chunk_size=4096) == dst
    assert dst.read_bytes() == BODY
    assert _leftovers(dst.parent) == ["w-abc.pth"]  # no temporary file left behind
    dst.write_bytes(b"old")  # a second fetch replaces the file
    fetch(f"{server}/file", str(dst), sha256_prefix=SHA256[:8].upper())
    assert dst.read_bytes() == BODY
    assert has_digest(dst, md5=MD5) and not has_digest(dst, md5="0" * 32)
    assert not has_digest(tmp_path / "absent", md5=MD5)


@pytest.mark.parametrize("check", [{"sha256_prefix": "00000000"}, {"md5": "0" * 32}])
def test_a_wrong_checksum_keeps_nothing(server: str, tmp_path: Path, check: dict) -> None:
    with pytest.raises(DownloadError, match="the downloaded file is not the expected one") as info:
        fetch(f"{server}/file", tmp_path / "w.pth", **check)
    assert not info.value.offline
    assert _leftovers(tmp_path) == []


def test_http_error_says_what_the_server_answered(server: str, tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match=r"^the server answered HTTP 404 \(Not Found\)$") as info:
        fetch(f"{server}/missing", tmp_path / "w.pth")
    assert not info.value.offline
    assert _leftovers(tmp_path) == []


def test_refused_connection_is_offline(tmp_path: Path, no_proxies: None) -> None:
    with socket.socket() as s:  # a port that was free a moment ago: nothing listens on it
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(DownloadError, match=r"^this machine appears to be offline \(.*refused")\
            as info:
        fetch(f"http://127.0.0.1:{port}/w.pth", tmp_path / "w.pth", timeout=2)
    assert info.value.offline
    assert _leftovers(tmp_path) == []


def test_no_answer_in_time_is_offline_and_names_the_host(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    seen = []

    def silent(request, timeout):
        seen.append((request.full_url, request.get_header("User-agent"), timeout))
        raise URLError(TimeoutError("timed out"))

    monkeypatch.setattr(download, "urlopen", silent)
    with pytest.raises(DownloadError, match=r"^this machine appears to be offline \(no answer "
                                            r"from files\.example\.org within 0\.5 s\)$"):
        fetch("https://files.example.org/w.pth", tmp_path / "w.pth", timeout=0.5)
    assert seen == [("https://files.example.org/w.pth", "cutmix-lab", 0.5)]


def test_a_stalled_transfer_gives_up_after_the_timeout(server: str, tmp_path: Path) -> None:
    """The connection opens and a first piece arrives, then nothing: torch.hub would wait
    forever here; fetch stops after `timeout` seconds of silence and keeps no partial file."""
    start = time.monotonic()
    with pytest.raises(DownloadError, match=r"^the transfer stalled after 1,000 bytes of 0\.2 MB: "
                                            r"nothing arrived for 0\.3 s$") as info:
        fetch(f"{server}/stall", tmp_path / "w.pth", timeout=0.3, chunk_size=1000)
    assert time.monotonic() - start < 5
    assert not info.value.offline
    assert _leftovers(tmp_path) == []


def test_a_transfer_that_ends_early_is_not_kept(server: str, tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match=r"^the transfer ended after 1,000 bytes of 0\.2 MB$"):
        fetch(f"{server}/short", tmp_path / "w.pth")
    assert _leftovers(tmp_path) == []


def test_a_slow_transfer_that_keeps_moving_finishes(server: str, tmp_path: Path) -> None:
    """The timeout bounds each wait for data, not the whole download (~1 s here)."""
    start = time.monotonic()
    fetch(f"{server}/slow", tmp_path / "w.pth", timeout=0.5, md5=MD5, chunk_size=1 << 14)
    assert time.monotonic() - start > 0.5
    assert (tmp_path / "w.pth").read_bytes() == BODY


def test_unwritable_destination_and_bad_arguments(server: str, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_bytes(b"")
    with pytest.raises(DownloadError, match=r"^could not write to .*a-file"):
        fetch(f"{server}/file", blocker / "w.pth")
    with pytest.raises(ValueError, match=r"must be positive, got 0, 1048576"):
        fetch(f"{server}/file", tmp_path / "w.pth", timeout=0)
    with pytest.raises(ValueError, match=r"got 5.0, 0"):
        fetch(f"{server}/file", tmp_path / "w.pth", chunk_size=0)

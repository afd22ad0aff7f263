"""Tests for cutmix_core.data.download against real servers on localhost (no internet needed): whole
files, checksums, HTTP errors, refused connections, a proxy that refuses, TLS that fails,
servers that go silent, transfers that end early or just go slowly, and destinations that
cannot be written."""

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

from cutmix_core.data import download
from cutmix_core.data.download import (
    DownloadError,
    fetch,
    first_hop,
    has_digest,
    is_online,
    offline_reason,
)

BODY = bytes(range(256)) * 600  # 153,600 bytes
SHA256 = hashlib.sha256(BODY).hexdigest()
MD5 = hashlib.md5(BODY).hexdigest()


@pytest.fixture(autouse=True)
def probe_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    """fetch's connection probe answers "online" without connecting, so that the servers below
    see only the download's own connections; the probe has tests of its own at the end."""
    monkeypatch.setattr(download, "offline_reason", lambda url, *, timeout: None)


class _Handler(http.server.BaseHTTPRequestHandler):
    release: threading.Event  # set by the fixture at teardown: a stalled answer then ends

    def do_GET(self) -> None:
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
            step = len(BODY) // 6
            for i in range(0, len(BODY), step):
                self.wfile.write(BODY[i : i + step])
                self.wfile.flush()
                time.sleep(0.3)

    def log_message(self, *args: object) -> None:  # keep the test output clean
        pass


@pytest.fixture
def server(no_proxies: None) -> Iterator[str]:
    """The base URL of a threaded HTTP server on 127.0.0.1 (proxies off, as for a local host)."""
    release = threading.Event()
    handler = type("Handler", (_Handler,), {"release": release})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    ).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    release.set()
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def raw_server(no_proxies: None) -> Iterator[tuple[int, list[bytes], list[bytes]]]:
    """A bare TCP server on 127.0.0.1: it answers each connection with the next of ``replies``
    (nothing if the list is empty, holding the connection open) and records what it received.
    Yields (port, replies, received)."""
    replies: list[bytes] = []
    received: list[bytes] = []
    done = threading.Event()
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        while not done.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(5)
                try:
                    received.append(conn.recv(4096))
                    if replies:
                        conn.sendall(replies.pop(0))
                    done.wait(10)
                except OSError:
                    pass

    threading.Thread(target=serve, daemon=True).start()
    yield listener.getsockname()[1], replies, received
    done.set()
    listener.close()


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_fetch_writes_the_whole_file_and_checks_both_hashes(server: str, tmp_path: Path) -> None:
    dst = tmp_path / "sub" / "w-abc.pth"
    assert fetch(f"{server}/file", dst, sha256_prefix=SHA256[:8], md5=MD5, chunk_size=4096) == dst
    assert dst.read_bytes() == BODY
    assert _leftovers(dst.parent) == ["w-abc.pth"]  # no temporary file left behind
    assert dst.stat().st_mode & 0o777 == 0o644  # readable by every user of a shared cache
    dst.write_bytes(b"old")  # a second fetch replaces the file
    fetch(f"{server}/file", str(dst), sha256_prefix=SHA256[:8].upper())
    assert dst.read_bytes() == BODY
    assert has_digest(dst, md5=MD5) and not has_digest(dst, md5="0" * 32)
    assert not has_digest(tmp_path / "absent", md5=MD5)


@pytest.mark.parametrize("check", [{"sha256_prefix": "00000000"}, {"md5": "0" * 32}])
def test_a_wrong_checksum_keeps_nothing(server: str, tmp_path: Path, check: dict) -> None:
    dst = tmp_path / "w.pth"
    dst.write_bytes(b"the copy we had")
    with pytest.raises(DownloadError, match="the downloaded file is not the expected one") as info:
        fetch(f"{server}/file", dst, **check)
    assert not info.value.offline
    assert _leftovers(tmp_path) == ["w.pth"] and dst.read_bytes() == b"the copy we had"


def test_http_error_says_what_the_server_answered(server: str, tmp_path: Path) -> None:
    with pytest.raises(
        DownloadError, match=r"^the server answered HTTP 404 \(Not Found\)$"
    ) as info:
        fetch(f"{server}/missing", tmp_path / "w.pth")
    assert not info.value.offline
    assert _leftovers(tmp_path) == []


def test_refused_connection_is_offline(tmp_path: Path, no_proxies: None) -> None:
    with socket.socket() as s:  # a port that was free a moment ago: nothing listens on it
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(
        DownloadError,
        match=rf"^this machine appears to be offline \(no connection "
        rf"to 127\.0\.0\.1:{port}: .*refused",
    ) as info:
        fetch(f"http://127.0.0.1:{port}/w.pth", tmp_path / "w.pth", timeout=2)
    assert info.value.offline
    assert _leftovers(tmp_path) == []


def test_no_answer_in_time_names_the_first_hop(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, no_proxies: None
) -> None:
    """A timeout while connecting (the TCP connection, the TLS handshake, a proxy's answer):
    the probe before it connected, so the message names who fell silent, not "offline"."""
    seen = []

    def silent(request, timeout):
        seen.append((request.full_url, request.get_header("User-agent"), timeout))
        raise URLError(TimeoutError("timed out"))

    monkeypatch.setattr(download, "_open", silent)
    with pytest.raises(
        DownloadError,
        match=r"^files\.example\.org:443 did not answer within "
        r"0\.5 s$",
    ) as info:
        fetch("https://files.example.org/w.pth", tmp_path / "w.pth", timeout=0.5)
    assert not info.value.offline
    monkeypatch.setenv("https_proxy", "http://proxy.school.example:3128")
    with pytest.raises(DownloadError, match=r"^the proxy proxy\.school\.example:3128 did not "):
        fetch("https://files.example.org/w.pth", tmp_path / "w.pth", timeout=0.5)
    assert seen == [("https://files.example.org/w.pth", "cutmix-lab", 0.5)] * 2


def test_first_hop_follows_the_proxy_settings_as_urllib_does(
    monkeypatch: pytest.MonkeyPatch, no_proxies: None
) -> None:
    url = "https://files.example.org/w.pth"
    assert first_hop(url) == ("files.example.org", 443, False)
    assert first_hop("http://files.example.org:8080/w") == ("files.example.org", 8080, False)
    monkeypatch.setenv("https_proxy", "http://proxy.school.example:3128")
    assert first_hop(url) == ("proxy.school.example", 3128, True)
    monkeypatch.setenv("https_proxy", "proxy.school.example")  # no port: the URL's (a tunnel)
    assert first_hop(url) == ("proxy.school.example", 443, True)
    monkeypatch.setenv("https_proxy", "http://proxy.school.example:abc")  # urllib will say no
    assert first_hop(url) == ("proxy.school.example", 443, True)
    monkeypatch.setenv("no_proxy", "example.org")
    assert first_hop(url) == ("files.example.org", 443, False)


@pytest.mark.parametrize(
    ("proxy", "why"), [("http://", "no host given"), ("http:proxy", "nonnumeric port: 'proxy'")]
)
def test_a_malformed_proxy_setting_gets_a_message(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, no_proxies: None, proxy: str, why: str
) -> None:
    monkeypatch.setenv("https_proxy", proxy)
    with pytest.raises(
        DownloadError,
        match=rf"^could not open https://files\.example\.org/w\.pth "
        rf"\({why}\); check the URL and the \*_proxy "
        r"settings$",
    ) as info:
        fetch("https://files.example.org/w.pth", tmp_path / "w.pth")
    assert not info.value.offline
    assert _leftovers(tmp_path) == []


def test_a_proxy_that_refuses_is_not_called_offline(
    raw_server: tuple[int, list[bytes], list[bytes]],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """A school proxy answering CONNECT with 407: urllib reports a URLError, not an HTTPError;
    the machine is online, the proxy said no. Also shows the proxy set now is the one used."""
    port, replies, received = raw_server
    replies.append(b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n")
    monkeypatch.setenv("https_proxy", f"http://127.0.0.1:{port}")
    with pytest.raises(
        DownloadError,
        match=rf"^the proxy 127\.0\.0\.1:{port} would not connect "
        r"to files\.example\.org \(Tunnel connection failed: "
        r"407 Proxy Authentication Required\)$",
    ) as info:
        fetch("https://files.example.org/w.pth", tmp_path / "w.pth", timeout=5)
    assert not info.value.offline
    assert received and received[0].startswith(b"CONNECT files.example.org:443 ")


def test_a_failed_tls_handshake_is_not_called_offline(
    raw_server: tuple[int, list[bytes], list[bytes]], tmp_path: Path
) -> None:
    """https to a server that answers in plain HTTP (as a captive portal may): a TLS error."""
    port, replies, _ = raw_server
    replies.append(b"HTTP/1.1 302 Found\r\nLocation: http://portal.example/\r\n\r\n")
    with pytest.raises(
        DownloadError,
        match=r"^the secure connection through 127\.0\.0\.1:\d+ "
        r"failed \(.*\); a network filter may be intercepting "
        r"it$",
    ) as info:
        fetch(f"https://127.0.0.1:{port}/w.pth", tmp_path / "w.pth", timeout=5)
    assert not info.value.offline
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_a_server_that_accepts_and_says_nothing(
    raw_server: tuple[int, list[bytes], list[bytes]], tmp_path: Path, scheme: str
) -> None:
    """The connection opens, then silence: over http the request is read and not answered,
    over https the TLS handshake never completes. Either way, a message within the timeout."""
    port, _, received = raw_server
    start = time.monotonic()
    expected = {
        "http": "accepted the connection but sent nothing for 1 s",
        "https": "did not answer within 1 s",
    }[scheme]
    with pytest.raises(DownloadError, match=rf"^127\.0\.0\.1:{port} {expected}$") as info:
        fetch(f"{scheme}://127.0.0.1:{port}/w.pth", tmp_path / "w.pth", timeout=1)
    assert time.monotonic() - start < 4
    assert not info.value.offline
    assert received  # it did connect
    assert _leftovers(tmp_path) == []


def test_a_stalled_transfer_gives_up_after_the_timeout(server: str, tmp_path: Path) -> None:
    """The connection opens and a first piece arrives, then nothing: torch.hub would wait
    forever here; fetch stops after `timeout` seconds of silence and keeps no partial file."""
    start = time.monotonic()
    with pytest.raises(
        DownloadError,
        match=r"^the transfer stalled after 1,000 bytes of 0\.2 MB: "
        r"nothing arrived for 1 s$",
    ) as info:
        fetch(f"{server}/stall", tmp_path / "w.pth", timeout=1)
    assert time.monotonic() - start < 4
    assert not info.value.offline
    assert _leftovers(tmp_path) == []


def test_a_transfer_that_ends_early_is_not_kept(server: str, tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match=r"^the transfer ended after 1,000 bytes of 0\.2 MB$"):
        fetch(f"{server}/short", tmp_path / "w.pth")
    assert _leftovers(tmp_path) == []


def test_a_slow_transfer_that_keeps_moving_finishes(server: str, tmp_path: Path) -> None:
    """The timeout bounds each wait for data, not the whole download (~1.8 s here)."""
    start = time.monotonic()
    fetch(f"{server}/slow", tmp_path / "w.pth", timeout=1, md5=MD5)
    assert time.monotonic() - start > 1
    assert (tmp_path / "w.pth").read_bytes() == BODY


def test_an_interrupted_download_leaves_no_temporary_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    class Interrupted:
        headers = {"Content-Length": "10"}

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def read1(self, n):
            raise KeyboardInterrupt  # or Streamlit stopping the script: not an Exception

    monkeypatch.setattr(download, "_open", lambda request, timeout: Interrupted())
    with pytest.raises(KeyboardInterrupt):
        fetch("https://files.example.org/w.pth", tmp_path / "w.pth")
    assert _leftovers(tmp_path) == []


def test_unwritable_destination_and_bad_arguments(server: str, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_bytes(b"")
    with pytest.raises(DownloadError, match=r"^could not write to .*a-file"):
        fetch(f"{server}/file", blocker / "w.pth")
    (tmp_path / "a-folder").mkdir()
    with pytest.raises(DownloadError, match=r"^could not write .*a-folder \(.*Is a directory"):
        fetch(f"{server}/file", tmp_path / "a-folder")  # the rename onto a folder fails
    assert _leftovers(tmp_path) == ["a-file", "a-folder"]
    with pytest.raises(ValueError, match=r"must be positive, got 0, 65536"):
        fetch(f"{server}/file", tmp_path / "w.pth", timeout=0)
    with pytest.raises(ValueError, match=r"got 5.0, 0"):
        fetch(f"{server}/file", tmp_path / "w.pth", chunk_size=0)


# --- the connection probe ------------------------------------------------------------------------


def test_fetch_requests_nothing_when_the_probe_fails(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, no_proxies: None
) -> None:
    """Packets dropped (no answer at all): the probe's timeout bounds the wait and names the
    first hop, and nothing is requested or written."""
    probes = []

    def silent(host: str, port: int = 443, *, timeout: float) -> bool:
        probes.append((host, port, timeout))
        return False

    monkeypatch.setattr(download, "offline_reason", offline_reason)  # the real probe
    monkeypatch.setattr(download, "is_online", silent)
    monkeypatch.setattr(download, "_open", lambda *a, **k: pytest.fail("requested"))
    with pytest.raises(
        DownloadError,
        match=r"^this machine appears to be offline \(no connection "
        r"to files\.example\.org:443 within 0\.5 s\)$",
    ) as info:
        fetch("https://files.example.org/w.pth", tmp_path / "sub" / "w.pth", timeout=0.5)
    assert info.value.offline
    assert probes == [("files.example.org", 443, 0.5)]
    assert _leftovers(tmp_path) == []


def test_is_online_uses_a_socket_with_the_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []

    class Conn:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    def fake_connect(address, timeout):
        calls.append((address, timeout))
        if address[0] == "down.example":
            raise OSError("unreachable")
        return Conn()

    monkeypatch.setattr(download.socket, "create_connection", fake_connect)
    assert is_online("up.example", timeout=0.5) is True
    assert is_online("down.example", timeout=0.5) is False
    assert calls == [(("up.example", 443), 0.5), (("down.example", 443), 0.5)]


def test_offline_reason_probes_the_first_hop_a_download_would_take(
    monkeypatch: pytest.MonkeyPatch, no_proxies: None
) -> None:
    """Behind a proxy (a school network) urllib connects to the proxy: that is what must answer,
    not the file's host, which may well be unreachable directly; no_proxy skips the proxy."""
    probes, up = [], set()

    def probe(host, port, *, timeout):
        probes.append((host, port, timeout))
        return host in up

    monkeypatch.setattr(download, "is_online", probe)
    url = "https://download.example.org/w/resnet.pth"
    assert offline_reason(url, timeout=0.5) == (
        "no connection to download.example.org:443 within 0.5 s"
    )
    up.add("download.example.org")
    assert offline_reason(url) is None
    monkeypatch.setenv("https_proxy", "http://proxy.school.example:3128")
    assert offline_reason(url) == "no connection to the proxy proxy.school.example:3128 within 5 s"
    monkeypatch.setenv("no_proxy", "example.org")
    assert offline_reason("http://download.example.org:8080/x") is None  # http: no http_proxy
    assert offline_reason(url) is None  # bypassed: the host itself answers
    assert probes == [
        ("download.example.org", 443, 0.5),
        ("download.example.org", 443, 5.0),
        ("proxy.school.example", 3128, 5.0),
        ("download.example.org", 8080, 5.0),
        ("download.example.org", 443, 5.0),
    ]

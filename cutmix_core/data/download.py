"""Downloads that give up instead of hanging: :func:`fetch` (url, destination, timeout, checksum).

torch.hub's ``download_url_to_file`` (behind torchvision's weights API) and torchvision's dataset
downloads open their URL with no timeout. When a transfer stalls after its connection has opened
(a classroom firewall that drops packets mid-transfer, a captive portal, a dying proxy) they wait
forever, and in the app every session waiting on that model's cache entry waits with them.
Neither library accepts a timeout, so this module is hand-written: urllib (the same proxy
settings those libraries follow), ``timeout`` on the connection, the TLS handshake and each read
(name resolution keeps the system's own limit), the bytes streamed into a temporary file beside
the destination, checked against the expected hash, then renamed into place. Both libraries
then find the file where they look for it and download nothing. A partial or wrong file never
takes the destination's name, and a failed download leaves an existing destination untouched.
"""

from __future__ import annotations

import hashlib
import http.client
import socket
import ssl
from pathlib import Path
from typing import BinaryIO
from urllib.error import HTTPError, URLError
from urllib.parse import SplitResult, urlsplit
from urllib.request import Request, build_opener, getproxies, proxy_bypass

from cutmix_core.files import atomic_path

USER_AGENT = "cutmix-lab"
_PORTS = {"https": 443, "http": 80}


class DownloadError(OSError):
    """A download failed; ``str()`` says why, for a person. ``offline`` is True when the first
    connection failed outright (no route, no name resolution, refused), rather than a host that
    connected and then fell silent, a refusal, a broken transfer or a bad file."""

    def __init__(self, message: str, *, offline: bool = False) -> None:
        super().__init__(message)
        self.offline = offline


def first_hop(url: str) -> tuple[str, int, bool]:
    """Where a download of ``url`` first connects: (host, port, through a proxy?), following
    the ``https_proxy`` / ``no_proxy`` environment as urllib (so torchvision and torch.hub) does."""
    parts = urlsplit(url)
    default = _PORTS.get(parts.scheme, 80)  # also through a proxy: urllib opens a connection of
    proxy = getproxies().get(parts.scheme)  # the URL's scheme to it (https: a CONNECT tunnel)
    if proxy and not proxy_bypass(parts.hostname or ""):
        via = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
        if via.hostname:
            return via.hostname, _port(via) or default, True
    return parts.hostname or url, _port(parts) or default, False


def _port(parts: SplitResult) -> int | None:
    try:
        return parts.port
    except ValueError:  # "host:abc": urllib will reject it, with a message fetch passes on
        return None


def is_online(host: str, port: int = 443, *, timeout: float = 5.0) -> bool:
    """True if a TCP connection to ``host:port`` opens within ``timeout`` seconds."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except (OSError, UnicodeError):  # UnicodeError: a malformed name ("proxy..school")
        return False


def offline_reason(url: str, *, timeout: float = 5.0) -> str | None:
    """None if a download of ``url`` can open its first connection within ``timeout`` seconds,
    else why not ("no connection to [the proxy ]HOST:PORT within T s")."""
    host, port, proxied = first_hop(url)
    if is_online(host, port, timeout=timeout):
        return None
    return f"no connection to {'the proxy ' if proxied else ''}{host}:{port} within {timeout:g} s"


def fetch(
    url: str,
    dst: str | Path,
    *,
    timeout: float = 5.0,
    sha256_prefix: str | None = None,
    md5: str | None = None,
    chunk_size: int = 1 << 16,
) -> Path:
    """Download ``url`` to ``dst`` (replacing it), giving up after ``timeout`` seconds of silence.

    First a connection probe (:func:`offline_reason`): if the first hop (the host, or the proxy)
    does not accept a connection within ``timeout``, nothing is requested.

    Args:
        url: an http(s) URL; ``*_proxy`` variables apply as they do for urllib.
        dst: the file to write; its folder is created if needed.
        timeout: seconds to wait for the connection and for each read; a slow but moving
            transfer goes on, a stalled one stops.
        sha256_prefix: the file's sha256 must start with this: a full pinned sha256, or the
            prefix torch.hub puts in ``name-<prefix>.pth``; ``md5``: its full md5
            (torchvision's datasets).
        chunk_size: the most bytes taken from the connection at a time.
    Returns:
        ``dst`` as a Path.
    Raises:
        DownloadError: no connection (``offline``), a refusal (HTTP error, proxy, TLS), a stalled
            or broken transfer, a checksum mismatch, or a destination that cannot be written.
        ValueError: if ``timeout`` or ``chunk_size`` is not positive.
    """
    if not timeout > 0 or chunk_size < 1:
        raise ValueError(
            f"timeout and chunk_size must be positive, got {timeout!r}, {chunk_size!r}"
        )
    reason = offline_reason(url, timeout=timeout)  # first: names the host, or proxy, that is
    if reason:  # silent, before anything is written
        raise DownloadError(f"this machine appears to be offline ({reason})", offline=True)
    dst = Path(dst)
    try:
        dst.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise DownloadError(f"could not write to {dst.parent} ({err})") from err
    try:
        # atomic_path: the bytes go to a temporary file beside dst, renamed over it only if the
        # block ends cleanly; on any failure (an interrupt too) it is deleted and dst is kept.
        with atomic_path(dst) as tmp:
            with tmp.open("wb") as out:
                digests = _stream(url, out, dst, timeout=timeout, chunk_size=chunk_size)
            _check(digests, sha256_prefix, md5)
    except DownloadError:
        raise
    except OSError as err:  # creating, closing (the last flush) or renaming: the disk
        raise DownloadError(f"could not write {dst} ({err})") from err
    return dst


def _open(request: Request, timeout: float) -> http.client.HTTPResponse:
    # A fresh opener each time: urllib's urlopen() builds one per process and keeps the proxy
    # settings it saw first, while first_hop (and the connection probe) read them now.
    return build_opener().open(request, timeout=timeout)


def _stream(
    url: str, out: BinaryIO, dst: Path, *, timeout: float, chunk_size: int
) -> dict[str, str]:
    """Copy the response body of ``url`` into ``out`` (bound for ``dst``); returns its sha256
    and md5 hex digests. Every failure, of the network or of the disk, is a DownloadError."""
    host, port, proxied = first_hop(url)
    hop = f"{'the proxy ' if proxied else ''}{host}:{port}"
    sha256, md5 = hashlib.sha256(), hashlib.md5()
    done, total, answered = 0, None, False
    try:
        with _open(Request(url, headers={"User-Agent": USER_AGENT}), timeout) as resp:
            answered = True
            length = resp.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            while chunk := resp.read1(chunk_size):  # read1: what has arrived, counted at once
                try:
                    out.write(chunk)
                except OSError as err:  # a full disk, not the network
                    raise DownloadError(f"could not write {dst} ({err})") from err
                sha256.update(chunk)
                md5.update(chunk)
                done += len(chunk)
    except DownloadError:
        raise
    except HTTPError as err:  # a URLError too, but the server (or a proxy) did answer
        raise DownloadError(f"the server answered HTTP {err.code} ({err.reason})") from err
    except URLError as err:
        raise _connection_error(err.reason, hop, url, timeout) from err
    except (ValueError, http.client.InvalidURL) as err:  # a malformed URL or *_proxy setting
        raise DownloadError(
            f"could not open {url} ({err}); check the URL and the *_proxy settings"
        ) from err
    except TimeoutError as err:  # the connection opened, then went silent
        if not answered:  # (plain http; over https the handshake times out, a URLError)
            raise DownloadError(
                f"{hop} accepted the connection but sent nothing for {timeout:g} s"
            ) from err
        of = f" of {_size(total)}" if total else ""
        raise DownloadError(
            f"the transfer stalled after {_size(done)}{of}: nothing arrived for {timeout:g} s"
        ) from err
    except (OSError, http.client.HTTPException) as err:  # reset, TLS, or not HTTP at all
        detail = " ".join(str(err).split())  # a bad status line may hold raw \r\n
        raise DownloadError(
            f"the connection broke after {_size(done)} ({type(err).__name__}: {detail})"
        ) from err
    if total is not None and done != total:
        raise DownloadError(f"the transfer ended after {_size(done)} of {_size(total)}")
    return {"sha256": sha256.hexdigest(), "md5": md5.hexdigest()}


def _connection_error(reason: object, hop: str, url: str, timeout: float) -> DownloadError:
    """What a URLError's ``reason`` means: offline only when the connection failed outright."""
    if str(reason) == "no host given":  # "https:///x", or a proxy setting of "http://"
        return DownloadError(
            f"could not open {url} (no host given); check the URL and the *_proxy settings"
        )
    if isinstance(reason, ssl.SSLError):  # a TLS-intercepting filter, a captive portal
        return DownloadError(
            f"the secure connection through {hop} failed ({reason}); a network "
            f"filter may be intercepting it"
        )
    if str(reason).startswith("Tunnel connection failed"):  # the proxy's answer to CONNECT
        return DownloadError(f"{hop} would not connect to {urlsplit(url).hostname} ({reason})")
    if isinstance(reason, (TimeoutError, socket.timeout)):  # the TCP connection, the TLS
        # handshake or a proxy's answer: the probe just before connected, so not "offline"
        return DownloadError(f"{hop} did not answer within {timeout:g} s")
    return DownloadError(
        f"this machine appears to be offline (no connection to {hop}: {reason})", offline=True
    )


def _size(n_bytes: int) -> str:
    return f"{n_bytes / 1e6:.1f} MB" if n_bytes >= 100_000 else f"{n_bytes:,} bytes"


def has_digest(path: str | Path, *, md5: str) -> bool:
    """True if ``path`` is a file whose md5 is ``md5`` (an archive fetched before, intact)."""
    digest = hashlib.md5()
    try:
        with Path(path).open("rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                digest.update(chunk)
    except OSError:  # absent or unreadable: fetch it again
        return False
    return digest.hexdigest() == md5.lower()


def _check(digests: dict[str, str], sha256_prefix: str | None, md5: str | None) -> None:
    if sha256_prefix is not None and not digests["sha256"].startswith(sha256_prefix.lower()):
        full = len(sha256_prefix) == len(digests["sha256"])
        raise DownloadError(
            f"the downloaded file is not the expected one (its sha256 "
            f"{'is' if full else 'starts'} {digests['sha256'][: len(sha256_prefix)]}, expected "
            f"{sha256_prefix})"
        )
    if md5 is not None and digests["md5"] != md5.lower():
        raise DownloadError(
            f"the downloaded file is not the expected one (md5 {digests['md5']}, expected {md5})"
        )

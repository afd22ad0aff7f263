"""Downloads that give up instead of hanging: :func:`fetch` (url, destination, timeout, checksum).

torch.hub's ``download_url_to_file`` (behind torchvision's weights API) and torchvision's dataset
downloads open their URL with no timeout. When a transfer stalls after its connection has opened
(a classroom firewall that drops packets mid-transfer, a captive portal, a dying proxy) they wait
forever, and in the app every session waiting on that model's cache entry waits with them.
Neither library accepts a timeout, so this module is hand-written: urllib (the same proxy
settings those libraries follow), ``timeout`` on every socket operation (the connection and each
read), the bytes streamed into a temporary file beside the destination, checked against the
expected hash, then renamed into place. Both libraries then find the file where they look for it
and download nothing. A partial or wrong file never takes the destination's name.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import socket
import tempfile
from pathlib import Path
from urllib.error import HTTPError, URLError
from urllib.parse import urlsplit
from urllib.request import Request, urlopen

USER_AGENT = "cutmix-lab"


class DownloadError(OSError):
    """A download failed; ``str()`` says why, for a person. ``offline`` is True when no
    connection could be made at all (rather than a server's refusal or a broken transfer)."""

    def __init__(self, message: str, *, offline: bool = False) -> None:
        super().__init__(message)
        self.offline = offline


def _size(n_bytes: int) -> str:
    return f"{n_bytes / 1e6:.1f} MB" if n_bytes >= 100_000 else f"{n_bytes:,} bytes"


def fetch(url: str, dst: str | Path, *, timeout: float = 5.0, sha256_prefix: str | None = None,
          md5: str | None = None, chunk_size: int = 1 << 20) -> Path:
    """Download ``url`` to ``dst`` (replacing it), giving up after ``timeout`` seconds of silence.

    Args:
        timeout: seconds to wait for the connection and for each read; a slow but moving
            transfer goes on, a stalled one stops.
        sha256_prefix: the file's sha256 must start with this (torch.hub names files
            ``name-<prefix>.pth``); ``md5``: its full md5 (torchvision's datasets).
    Returns:
        ``dst`` as a Path.
    Raises:
        DownloadError: no connection (``offline``), an HTTP error, a stalled or broken
            transfer, a checksum mismatch, or a destination that cannot be written.
        ValueError: if ``timeout`` or ``chunk_size`` is not positive.
    """
    if not timeout > 0 or chunk_size < 1:
        raise ValueError(f"timeout and chunk_size must be positive, got {timeout!r}, "
                         f"{chunk_size!r}")
    dst = Path(dst)
    host = urlsplit(url).hostname or url
    try:
        dst.parent.mkdir(parents=True, exist_ok=True)
        handle, tmp_name = tempfile.mkstemp(prefix=f".{dst.name}.", suffix=".part", dir=dst.parent)
    except OSError as err:
        raise DownloadError(f"could not write to {dst.parent} ({err})") from err
    tmp = Path(tmp_name)
    try:
        with os.fdopen(handle, "wb") as out:
            digests = _stream(url, host, out, timeout=timeout, chunk_size=chunk_size)
        _check(digests, sha256_prefix, md5)
        os.replace(tmp, dst)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return dst


def _stream(url: str, host: str, out, *, timeout: float, chunk_size: int) -> dict[str, str]:
    """Copy the response body of ``url`` into ``out``; returns its sha256 and md5 hex digests."""
    sha256, md5 = hashlib.sha256(), hashlib.md5()
    done, total = 0, None
    try:
        with urlopen(Request(url, headers={"User-Agent": USER_AGENT}), timeout=timeout) as resp:
            length = resp.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            while chunk := resp.read(chunk_size):
                try:
                    out.write(chunk)
                except OSError as err:
                    raise DownloadError(f"could not write the download ({err})") from err
                sha256.update(chunk)
                md5.update(chunk)
                done += len(chunk)
    except DownloadError:
        raise
    except HTTPError as err:  # a URLError too, but the server (or a proxy) did answer
        raise DownloadError(f"the server answered HTTP {err.code} ({err.reason})") from err
    except URLError as err:  # no connection: name resolution, refused, or no answer in time
        reason = err.reason
        if isinstance(reason, (TimeoutError, socket.timeout)):
            reason = f"no answer from {host} within {timeout:g} s"
        raise DownloadError(f"this machine appears to be offline ({reason})",
                            offline=True) from err
    except (TimeoutError, socket.timeout) as err:  # the connection opened, then went silent
        of = f" of {_size(total)}" if total else ""
        raise DownloadError(f"the transfer stalled after {_size(done)}{of}: nothing arrived for "
                            f"{timeout:g} s") from err
    except (OSError, http.client.HTTPException) as err:  # reset, or the body ended early
        raise DownloadError(f"the connection broke after {_size(done)} "
                            f"({type(err).__name__}: {err})") from err
    if total is not None and done != total:
        raise DownloadError(f"the transfer ended after {_size(done)} of {_size(total)}")
    return {"sha256": sha256.hexdigest(), "md5": md5.hexdigest()}


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
        raise DownloadError(f"the downloaded file is not the expected one (its sha256 starts "
                            f"{digests['sha256'][:len(sha256_prefix)]}, expected "
                            f"{sha256_prefix})")
    if md5 is not None and digests["md5"] != md5.lower():
        raise DownloadError(f"the downloaded file is not the expected one (md5 {digests['md5']}, "
                            f"expected {md5})")

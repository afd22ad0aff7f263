"""Where images come from: the CIFAR-10 set in use (bundled sample or a full copy), its download
button, decoded uploads, and the shared sidebar that chooses among them.

One server serves a whole class, so what a visitor can do here is bounded:

* **No server paths from the browser** unless the server allows them. The CIFAR-10 copy is the
  server's choice (``$CUTMIX_CIFAR10``); a path box appears only when ``$CUTMIX_CIFAR10_ROOT``
  names a folder, and a typed path is used only if it resolves inside it. Every refusal reads
  the same, so no one learns which of the server's paths exist.
* **Bounded memory.** An upload is decoded once (``st.cache_data``, :data:`DECODE_CACHE_ENTRIES`
  entries of at most ``MAX_SIDE`` x ``MAX_SIDE`` pixels each), at reduced size where the format
  allows, and at most ``defaults.LARGE_DECODES`` large decodes run at once.
* **Plain text.** File names and paths are shown with :func:`plain`, never as markdown.

Loaders are cached at the edge (CONVENTIONS.md point 10): a CIFAR-10 set is decoded once per
server and shared by every session, an upload once per file.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import threading
from pathlib import Path

import streamlit as st

from app_ui.state import init_state
from cutmix_core import defaults
from cutmix_core.data.cifar import (
    CifarError,
    CifarSet,
    cifar_root,
    download_cifar10,
    load_cifar10,
    load_sample,
    resolve_under,
)
from cutmix_core.data.images import Decoded, ImageError, decode_image, header_pixels
from cutmix_core.data.names import markdown_text, short_name

DOWNLOAD_ROOT = Path.home() / ".cache" / "cutmix_lab" / "cifar10"
#: Decoded uploads kept per server; each is at most MAX_SIDE x MAX_SIDE x 3 bytes (0.8 MB),
#: so the cache holds at most about 50 MB however many sessions upload.
DECODE_CACHE_ENTRIES = 64
#: What a refused sidebar path shows: one sentence for a path outside the root, a missing one
#: and an unreadable one alike.
PATH_REFUSED = (
    "{path}: there is no CIFAR-10 copy there that this server may read (paths are relative to "
    "the folder the server allows). Using the bundled sample."
)
# Held while a large image decodes, so that a class uploading at once queues instead of
# multiplying the peak memory of a decode (CONVENTIONS.md point 10: shared by all sessions).
_LARGE_DECODES = threading.BoundedSemaphore(defaults.LARGE_DECODES)


def plain(text: str) -> str:
    """``text`` made to show literally in Streamlit's markdown (a file name, a path, a message
    quoting one): markup, HTML and links in it stay characters."""
    return markdown_text(text)


@st.cache_resource(show_spinner="Loading the bundled CIFAR-10 sample…")
def _sample() -> CifarSet:
    return load_sample()


@st.cache_resource(show_spinner="Decoding CIFAR-10 (once per server)…", max_entries=4)
def _full(*, path: str, split: str, source: str) -> CifarSet:
    # ``source`` replaces the path in what the app shows: visitors need not see the server's
    # folders. It stays unique per copy, since caches of images downstream are keyed by it.
    return dataclasses.replace(load_cifar10(path, split=split), source=source)


def decode_now(name: str, background: tuple[int, int, int], data: bytes) -> Decoded:
    """Decode one upload (uncached): reduced to ``defaults.MAX_SIDE``, and while it is over
    ``defaults.LARGE_DECODE_PIXELS``, holding one of ``defaults.LARGE_DECODES`` slots."""
    large = header_pixels(data) > defaults.LARGE_DECODE_PIXELS
    with _LARGE_DECODES if large else contextlib.nullcontext():
        return decode_image(data, name, background=background, max_side=defaults.MAX_SIDE)


@st.cache_data(max_entries=DECODE_CACHE_ENTRIES, show_spinner=False)
def _decode(
    *, file_id: str, name: str, background: tuple[int, int, int], _data: bytes
) -> Decoded | ImageError:
    # Keyed on the upload's id, not its bytes: hashing a 16 MB photo on every rerun is wasted
    # work. A refusal is cached too, so a broken 16 MB file is not decoded again on each rerun.
    try:
        return decode_now(name, background, _data)
    except ImageError as err:
        return err


def decode_upload(
    file_id: str, name: str, data: bytes, background: tuple[int, int, int]
) -> Decoded:
    """An uploaded file decoded by its content, whatever its name: HWC uint8 RGB, transparency
    composited onto ``background``, the longer side at most ``defaults.MAX_SIDE``; once per upload.

    Raises:
        ImageError: naming the file (shortened, see ``short_name``), when it is not an image
            this app reads.
    """
    out = _decode(file_id=file_id, name=short_name(name), background=background, _data=data)
    if isinstance(out, ImageError):
        raise ImageError(str(out))
    return out


def _download() -> None:
    try:
        download_cifar10(DOWNLOAD_ROOT, split=st.session_state.get("cifar_split", "test"))
    except CifarError as err:
        st.session_state["cifar_notice"] = str(err)
    else:
        st.session_state["cifar_downloaded"] = True
        st.session_state["cifar_path"] = ""  # the download is what this session asked for
        st.session_state["cifar_notice"] = None


def sidebar() -> None:
    """The shared sidebar: where CIFAR-10 images come from."""
    with st.sidebar:
        st.subheader("CIFAR-10 source")
        init_state({"cifar_path": "", "cifar_split": "test"})
        if cifar_root() is not None:
            st.text_input(
                "Full data set (folder or zip)",
                key="cifar_path",
                placeholder="empty: the server's copy or the bundled sample",
                help="A path relative to the folder this server allows: torchvision's CIFAR10 "
                "folder, a class-folder JPEG folder, or its zip.",
            )
        st.selectbox("Split", ("test", "train"), key="cifar_split")
        st.button(
            "Download CIFAR-10",
            on_click=_download,
            help="Needs internet on the server: 170 MB, checked by its md5 and kept in the "
            "server's cache folder; an intact copy already there is reused offline",
        )
        in_use = cifar()  # first, so that a load problem of this run is shown in this run
        for key in ("cifar_notice", "cifar_load_notice"):
            if st.session_state.get(key):
                st.warning(plain(st.session_state[key]))
        st.caption(f"In use: {plain(short_name(in_use.source, 100))}")


def _chosen() -> tuple[Path, str] | str | None:
    """The copy this session asked for, as (path, what to call it); a refusal notice; or None
    for the bundled sample."""
    root = cifar_root()
    typed = str(st.session_state.get("cifar_path") or "").strip() if root else ""
    if root is not None and typed:
        path = resolve_under(root, typed)
        if path is None:
            return PATH_REFUSED.format(path=short_name(typed, 80))
        # Named by where it lies under the root: unique per copy, and the root stays unsaid.
        return path, f"{path.relative_to(root).as_posix()} (in the server's CIFAR-10 folder)"
    if st.session_state.get("cifar_downloaded"):
        return DOWNLOAD_ROOT, "CIFAR-10 downloaded to the server"
    server = os.environ.get(defaults.CIFAR_ENV, "").strip()
    if server:
        return Path(server).expanduser(), "the server's CIFAR-10 copy"
    return None


def cifar() -> CifarSet:
    """The CIFAR-10 set in use: the one the sidebar names, else the downloaded one, else the
    server's ``$CUTMIX_CIFAR10``, else the bundled sample.

    A copy that cannot be used gives a warning in the sidebar and falls back to the sample, so
    the pages keep working. Messages about a visitor's path name it as typed, never the
    server's folders.
    """
    st.session_state["cifar_load_notice"] = None
    chosen = _chosen()
    if chosen is None:
        return _sample()
    if isinstance(chosen, str):
        st.session_state["cifar_load_notice"] = chosen
        return _sample()
    path, source = chosen
    try:
        split = st.session_state.get("cifar_split", "test")
        return _full(path=str(path), split=split, source=source)
    except CifarError as err:
        notice = f"{_relative(str(err), path, source)} Using the bundled sample."
    except Exception as err:
        notice = f"{source}: could not be read as CIFAR-10 ({type(err).__name__}). "
        notice += "Using the bundled sample."
    st.session_state["cifar_load_notice"] = notice
    return _sample()


def _relative(message: str, path: Path, source: str) -> str:
    # Loader messages name absolute paths; show them relative to the copy the visitor chose.
    return message.replace(str(path) + os.sep, "").replace(str(path), source)

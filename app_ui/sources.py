"""Where images come from: the CIFAR-10 set in use (bundled sample or a full copy), its download
button, decoded uploads, and the shared sidebar that chooses among them.

Loaders are cached at the edge (CONVENTIONS.md point 10): a CIFAR-10 set is decoded once per
server and shared by every session, an upload once per file.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import streamlit as st

from app_ui.state import init_state
from cutmix_core import defaults
from cutmix_core.data.cifar import (
    CifarError,
    CifarSet,
    download_cifar10,
    load_cifar10,
    load_sample,
    resolve_path,
)
from cutmix_core.data.images import limit_side, load_image

DOWNLOAD_ROOT = Path.home() / ".cache" / "cutmix_lab" / "cifar10"


@st.cache_resource(show_spinner="Loading the bundled CIFAR-10 sample…")
def _sample() -> CifarSet:
    return load_sample()


@st.cache_resource(show_spinner="Decoding CIFAR-10 (once per server)…", max_entries=4)
def _full(path: str, split: str) -> CifarSet:
    return load_cifar10(path, split=split)


@st.cache_data(max_entries=64, show_spinner=False)
def _decode(file_id: str, name: str, background: tuple[int, int, int], _data: bytes) -> np.ndarray:
    # Keyed on the upload's id, not its bytes: hashing a 16 MB photo on every rerun is wasted
    # work. Decoded once and reduced to MAX_SIDE, so slider reruns never touch the file again.
    return limit_side(load_image(_data, name, background=background))


def decode_upload(
    file_id: str, name: str, data: bytes, background: tuple[int, int, int]
) -> np.ndarray:
    """An uploaded file as HWC uint8 RGB, transparency composited onto ``background`` and the
    longer side reduced to ``defaults.MAX_SIDE``; decoded once per upload.

    Raises:
        ImageError: naming the file, when it cannot be used as an image.
    """
    return _decode(file_id, name, background, data)


def _download() -> None:
    try:
        download_cifar10(DOWNLOAD_ROOT, split=st.session_state.get("cifar_split", "test"))
    except CifarError as err:
        st.session_state["cifar_notice"] = str(err)
    else:
        st.session_state["cifar_path"] = str(DOWNLOAD_ROOT)
        st.session_state["cifar_notice"] = None


def sidebar() -> None:
    """The shared sidebar: where CIFAR-10 images come from."""
    with st.sidebar:
        st.subheader("CIFAR-10 source")
        init_state({"cifar_path": os.environ.get(defaults.CIFAR_ENV, ""), "cifar_split": "test"})
        st.text_input(
            "Full data set (folder or zip)",
            key="cifar_path",
            placeholder="empty: the bundled sample",
            help="torchvision's CIFAR10 folder, a class-folder JPEG folder, or its zip. "
            f"The {defaults.CIFAR_ENV} environment variable sets the default.",
        )
        st.selectbox("Split", ("test", "train"), key="cifar_split")
        st.button(
            "Download CIFAR-10",
            on_click=_download,
            help=f"Needs internet: 170 MB, checked by its md5 and extracted into "
            f"{DOWNLOAD_ROOT}; an intact copy already there is reused offline",
        )
        in_use = cifar()  # first, so that a load problem of this run is shown in this run
        for key in ("cifar_notice", "cifar_load_notice"):
            if st.session_state.get(key):
                st.warning(st.session_state[key])
        st.caption(f"In use: {in_use.source}")


def cifar() -> CifarSet:
    """The CIFAR-10 set in use: the full one the sidebar names, else the bundled sample.

    A path that cannot be read gives a warning in the sidebar and falls back to the sample, so
    the pages keep working.
    """
    st.session_state["cifar_load_notice"] = None
    path = resolve_path(st.session_state.get("cifar_path") or None, environ={})
    if path is None:
        return _sample()
    try:
        return _full(str(path), st.session_state.get("cifar_split", "test"))
    except CifarError as err:
        st.session_state["cifar_load_notice"] = f"{err} Using the bundled sample."
        return _sample()
    except Exception as err:
        st.session_state["cifar_load_notice"] = (
            f"{path}: could not be read as CIFAR-10 ({type(err).__name__}: {err}). "
            "Using the bundled sample."
        )
        return _sample()

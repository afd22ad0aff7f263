"""Choosing images: one image (a CIFAR-10 pick, an upload or a camera shot), a seeded random
pair, and how two images of different sizes are brought to one size.

A picker's widgets live under ``<slot>_src``, ``<slot>_class``, ``<slot>_idx``, ``<slot>_name``,
``<slot>_file`` and ``<slot>_cam``; ``pick_params`` makes the matching link settings, so a
page's URL names the same keys as its widgets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import streamlit as st

from app_ui.sources import cifar, decode_upload, plain
from app_ui.state import init_state
from cutmix_core import defaults
from cutmix_core.data.cifar import CLASSES, CifarSet, random_pair
from cutmix_core.data.images import (
    DEFAULT_SIZE_POLICY,
    SIZE_POLICIES,
    ImageError,
    fit_pair,
    name_note,
)
from cutmix_core.data.names import short_name
from cutmix_core.views.describe import missing_index_notice
from cutmix_core.views.links import Param

SOURCES = ("CIFAR-10", "Upload", "Camera")
#: The classes A and B show before anything is picked.
DEFAULT_CLASSES = ("cat", "dog")
#: What the uploader's help says it reads. The uploader itself takes any file name (no
#: ``type=``): Streamlit's own check would refuse ``photo.PNG.bak`` with a misleading message in
#: the browser and raise on the server for a scripted client, so the decoder decides by content.
UPLOAD_HELP = (
    f"PNG, JPEG, WebP, BMP, GIF or TIFF, up to {defaults.MAX_UPLOAD_MB} MB "
    f"({defaults.MAX_UPLOAD_BYTES:,} bytes) and {defaults.MAX_PIXELS / 1e6:g} megapixels; "
    "read by content, whatever the file is called."
)


@dataclass(frozen=True)
class Picked:
    """One image chosen by the user: HWC uint8 pixels, a class name, and where it came from.

    ``label`` is the CIFAR-10 class index for CIFAR picks and None for uploads; ``key`` names
    the image for caches (the set and position, or the upload's id and background). ``origin``
    is safe to show as markdown: a file name in it is shortened and escaped.
    """

    image: np.ndarray
    name: str
    label: int | None
    origin: str
    key: str


def pick_params(slots: Sequence[str], idx_max: int) -> tuple[Param, ...]:
    """Link settings for the CIFAR-10 picks of ``slots``: ``<slot>_class`` and ``<slot>_idx``.

    Args:
        slots: the pickers' slots, A's first ("a", "b" or "ca", "cb").
        idx_max: the largest image index a link may carry (the picker clamps it to the set).
    """
    return tuple(
        param
        for slot, default in zip(slots, DEFAULT_CLASSES)
        for param in (
            Param(f"{slot}_class", "choice", default, choices=CLASSES),
            Param(f"{slot}_idx", "int", 0, 0, idx_max),
        )
    )


def pick_random_pair(slots: Sequence[str] = ("a", "b"), seed_key: str = "pair_seed") -> None:
    """Callback: choose a seeded random pair of CIFAR-10 images into the A and B widgets."""
    ds = cifar()
    seed = int(st.session_state.get(seed_key, 0))
    pa, pb = random_pair(ds, rng=np.random.default_rng(seed))
    for slot, pos in zip(slots, (pa, pb)):
        label = ds.label(pos)
        st.session_state[f"{slot}_src"] = "CIFAR-10"
        st.session_state[f"{slot}_class"] = CLASSES[label]
        st.session_state[f"{slot}_idx"] = int(np.flatnonzero(ds.positions_of(label) == pos)[0])
    st.session_state[seed_key] = seed + 1


def _cifar_pick(slot: str, title: str, ds: CifarSet) -> Picked:
    name = st.selectbox("Class", CLASSES, key=f"{slot}_class")
    label = CLASSES.index(name)
    positions = ds.positions_of(label)
    if st.session_state[f"{slot}_idx"] >= len(positions):  # a smaller set than before
        wanted = st.session_state[f"{slot}_idx"]
        st.warning(plain(missing_index_notice(title, wanted, name, ds.source, len(positions))))
        st.session_state[f"{slot}_idx"] = 0
    idx = st.number_input(
        f"Image of that class (0–{len(positions) - 1})",
        min_value=0,
        max_value=len(positions) - 1,
        key=f"{slot}_idx",
    )
    pos = int(positions[min(int(idx), len(positions) - 1)])
    origin = f"CIFAR-10 {ds.split} #{int(ds.indices[pos])} ({name})"
    return Picked(ds.image(pos), name, label, origin, f"cifar:{ds.source}:{ds.split}:{pos}")


def image_picker(slot: str, title: str, default_class: str, ds: CifarSet) -> Picked | None:
    """Widgets for one image (CIFAR-10 pick, upload or camera); None until there is an image.

    A file that cannot be used gives an ``st.error`` naming it and the reason; the rest of the
    page keeps working.
    """
    init_state(
        {
            f"{slot}_src": "CIFAR-10",
            f"{slot}_class": default_class,
            f"{slot}_idx": 0,
            f"{slot}_name": slot.upper(),
        }
    )
    st.markdown(f"**{title}**")
    source = (
        st.segmented_control("Source", SOURCES, key=f"{slot}_src", label_visibility="collapsed")
        or "CIFAR-10"
    )
    if source == "CIFAR-10":
        return _cifar_pick(slot, title, ds)
    if source == "Upload":
        file = st.file_uploader("Image file", key=f"{slot}_file", help=UPLOAD_HELP)
    else:
        file = st.camera_input("Snapshot", key=f"{slot}_cam")
    name = st.text_input("Class name", key=f"{slot}_name") or slot.upper()
    if file is None:
        st.info(f"Choose a file for {title}, or pick from CIFAR-10.")
        return None
    hex_colour = st.session_state.get("background", "#ffffff")
    background = (int(hex_colour[1:3], 16), int(hex_colour[3:5], 16), int(hex_colour[5:7], 16))
    shown = short_name(file.name)
    try:
        decoded = decode_upload(file.file_id, file.name, file.getvalue(), background)
    except ImageError as err:  # its message starts with the (shortened) file name
        st.error(plain(str(err)))
        return None
    note = name_note(shown, decoded.format)
    if note is not None and source == "Upload":
        st.caption(plain(note))
    key = f"file:{file.file_id}:{background}"
    return Picked(decoded.image, name, None, f"upload {plain(shown)}", key)


def size_policy_controls() -> tuple[str, int]:
    """Widgets for how A and B are brought to one size, and the transparency background."""
    init_state(
        {"policy": DEFAULT_SIZE_POLICY, "side": defaults.SQUARE_SIDE, "background": "#ffffff"}
    )
    with st.expander("Sizes and transparency (for uploads)"):
        policy = st.selectbox(
            "When A and B differ in size",
            list(SIZE_POLICIES),
            format_func=_policy_label,
            key="policy",
        )
        side = st.number_input(
            "N (side of the square)",
            8,
            defaults.SQUARE_SIDE_MAX,
            step=8,
            key="side",
            disabled=policy == DEFAULT_SIZE_POLICY,
        )
        st.color_picker("Background for transparent pixels", key="background")
        st.caption(
            f"Default: {_policy_label(DEFAULT_SIZE_POLICY)}; transparent pixels are "
            f"composited onto the background colour (white by default). Uploads are "
            f"reduced to at most {defaults.MAX_SIDE} px on the longer side."
        )
    return policy, int(side)


def size_params() -> tuple[Param, ...]:
    """Link settings for the size policy and the square's side N."""
    return (
        Param("policy", "choice", DEFAULT_SIZE_POLICY, choices=tuple(SIZE_POLICIES)),
        Param("side", "int", defaults.SQUARE_SIDE, 8, defaults.SQUARE_SIDE_MAX),
    )


def _policy_label(key: str) -> str:
    label = SIZE_POLICIES[key]
    return getattr(label, "label", label)


# At most 32 pairs of at most SQUARE_SIDE_MAX (or MAX_SIDE) squared pixels: about 50 MB per
# server, whatever the sessions choose.
@st.cache_data(max_entries=32, show_spinner=False)
def _fit(
    *, key_a: str, key_b: str, policy: str, side: int, _a: np.ndarray, _b: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    return fit_pair(_a, _b, policy, side=side)


def fitted_pair(a: Picked, b: Picked, policy: str, side: int) -> tuple[np.ndarray, np.ndarray]:
    """A and B at one size, computed once per (A, B, policy, N), not on every slider move."""
    if a.image.shape == b.image.shape and policy == DEFAULT_SIZE_POLICY:
        return a.image, b.image
    return _fit(key_a=a.key, key_b=b.key, policy=policy, side=side, _a=a.image, _b=b.image)

"""Streamlit-only helpers shared by the pages: caching, the CIFAR-10 source, the image pickers.

This is the one module outside ``cutmix_core`` that pages share (CONVENTIONS.md, Layout). It
holds everything that needs ``st``: cached loaders (cache at the edge, point 10), widgets that
several pages use, and the shared sidebar. No maths lives here.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import numpy as np
import streamlit as st

from cutmix_core import defaults
from cutmix_core.data.cifar import (
    CLASSES,
    CifarError,
    CifarSet,
    download_cifar10,
    load_cifar10,
    load_sample,
    random_pair,
    resolve_path,
)
from cutmix_core.data.images import (
    DEFAULT_SIZE_POLICY,
    SIZE_POLICIES,
    ImageError,
    fit_pair,
    limit_side,
    load_image,
)
from cutmix_core.models.checkpoints import (
    CheckpointError,
    LoadedModel,
    load_checkpoint,
    load_imagenet_model,
)
from cutmix_core.views.links import Param, encode_params, parse_params
from cutmix_core.views.model_view import (
    MODELS_DIR,
    ShippedModel,
    class_for,
    find_models,
    predict_mix,
)

DOWNLOAD_ROOT = Path.home() / ".cache" / "cutmix_lab" / "cifar10"
SOURCES = ("CIFAR-10", "Upload", "Camera")


@dataclass(frozen=True)
class Picked:
    """One image chosen by the user: HWC uint8 pixels, a class name, and where it came from.

    ``label`` is the CIFAR-10 class index for CIFAR picks and None for uploads.
    """

    image: np.ndarray
    name: str
    label: int | None
    origin: str
    key: str


def init_state(values: dict[str, object]) -> None:
    """Give widgets their defaults once, through session state, so that callbacks and links can
    set them later without Streamlit's "default value and session state" warning."""
    for key, value in values.items():
        st.session_state.setdefault(key, value)


# ---------------------------------------------------------------------------- cached loaders
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


# ---------------------------------------------------------------------------- CIFAR-10 source
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


# ---------------------------------------------------------------------------- models
#: The torchvision ImageNet models the model page offers for photos (downloaded on first use),
#: by torchvision name; the first is the default. ResNet-18 is the light one for a classroom
#: laptop: 45 MB of weights and 1.8 GFLOPs an image against ResNet-50's 98 MB and 4.1 GFLOPs.
IMAGENET_MODELS = {"resnet50": "ResNet-50", "resnet18": "ResNet-18"}


def shipped_models() -> tuple[ShippedModel, ...]:
    """The checkpoints in assets/models/, or in the folder $CUTMIX_MODELS names; read again
    when the folder changes (models copied in while the app runs appear on the next rerun)."""
    folder = Path(os.environ.get(defaults.MODELS_ENV) or MODELS_DIR)
    try:
        stamp = folder.stat().st_mtime
    except OSError:
        stamp = 0.0
    return _shipped(str(folder), stamp)


@st.cache_resource(show_spinner=False, max_entries=4)
def _shipped(folder: str, stamp: float) -> tuple[ShippedModel, ...]:
    return find_models(folder)


@st.cache_resource(show_spinner="Loading the model…", max_entries=8)
def _checkpoint(path: str, mtime: float) -> LoadedModel:
    # One model object serves every session: it is in eval mode with frozen parameters, and
    # cutmix_core's predict and gradcam never write to it (no hooks, no .grad), so no lock.
    return load_checkpoint(path)


@st.cache_resource(
    show_spinner="Loading torchvision's ImageNet weights (downloaded on first use, 45 to 100 MB)…",
    max_entries=2,
)
def _imagenet(name: str) -> LoadedModel:
    return load_imagenet_model(name)  # a CheckpointError is not cached: see _imagenet_failures


@st.cache_resource
def _imagenet_failures() -> dict[str, tuple[float, str]]:
    """Recent load failures by model name: (time.monotonic(), message), shared by sessions."""
    return {}


#: How long a failed ImageNet load is not retried: an offline classroom should not wait for a
#: failed download on every slider move, and should see it work once the network is back.
RETRY_AFTER_S = 120.0


def forget_imagenet() -> None:
    """Drop the cached ImageNet models and failures (for tests, and after fixing the cache)."""
    _imagenet.clear()
    _imagenet_failures().clear()


def load_model(key: str) -> LoadedModel | str:
    """A shipped model by its key, or ``"imagenet:<name>"``; an error message if it cannot load."""
    if key.startswith("imagenet:"):
        name = key.removeprefix("imagenet:")
        failures = _imagenet_failures()
        if name in failures and time.monotonic() - failures[name][0] < RETRY_AFTER_S:
            return failures[name][1]
        try:
            return _imagenet(name)
        except CheckpointError as err:
            failures[name] = (time.monotonic(), str(err))
            return str(err)
    found = {m.key: m for m in shipped_models()}
    if key not in found:
        return f"no model {key!r} in assets/models (train with scripts/train_shipped.sh)"
    path = found[key].path
    try:
        return _checkpoint(str(path), path.stat().st_mtime)
    except (CheckpointError, OSError) as err:
        return str(err)


def model_says(a: Picked, b: Picked, img_a: np.ndarray, img_b: np.ndarray, res: Any) -> None:
    """A compact "what the trained models say" row for a CutMix result: the shipped baseline
    and CutMix models' p(A) and p(B) on the mixed image against the soft label. Nothing is
    shown when no models are shipped."""
    picks = [m for m in shipped_models() if m.aug in ("none", "cutmix")][:2] or list(
        shipped_models()[:2]
    )
    if not picks:
        return
    with st.container(border=True):
        st.markdown(
            f"**What the trained models say** about the mixed image · the label is "
            f"{res.lam_adjusted:.2f} A + {1 - res.lam_adjusted:.2f} B"
        )
        for column, shipped in zip(st.columns(len(picks)), picks):
            loaded = load_model(shipped.key)
            if isinstance(loaded, str):
                column.warning(loaded)
                continue
            ca = class_for(a.label, a.name, loaded.classes)
            cb = class_for(b.label, b.name, loaded.classes)
            pm = predict_mix(loaded, img_a, img_b, res.image, class_a=ca, class_b=cb)
            column.markdown(
                f"{shipped.label}: p({loaded.classes[pm.class_a]}) = **{pm.p_a:.2f}**, "
                f"p({loaded.classes[pm.class_b]}) = **{pm.p_b:.2f}**; top-1 {pm.top1}"
            )
        st.page_link(
            "app_pages/models.py", label="Predictions and Grad-CAM on the Models page", icon="🔬"
        )


# ---------------------------------------------------------------------------- image pickers
def pick_random_pair(seed_key: str = "pair_seed") -> None:
    """Callback: choose a seeded random pair of CIFAR-10 images into the A and B widgets."""
    ds = cifar()
    seed = int(st.session_state.get(seed_key, 0))
    pa, pb = random_pair(ds, rng=np.random.default_rng(seed))
    for slot, pos in (("a", pa), ("b", pb)):
        label = ds.label(pos)
        st.session_state[f"{slot}_src"] = "CIFAR-10"
        st.session_state[f"{slot}_class"] = CLASSES[label]
        st.session_state[f"{slot}_idx"] = int(np.flatnonzero(ds.positions_of(label) == pos)[0])
    st.session_state[seed_key] = seed + 1


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
        name = st.selectbox("Class", CLASSES, key=f"{slot}_class")
        label = CLASSES.index(name)
        positions = ds.positions_of(label)
        if st.session_state[f"{slot}_idx"] >= len(positions):  # a smaller set than before
            st.warning(
                f"{title}: image {st.session_state[f'{slot}_idx']} of class {name} is not "
                f"in the set in use ({ds.source}, {len(positions)} images of that class); "
                f"showing image 0. A link made with the full CIFAR-10 needs it here "
                f"too (sidebar)."
            )
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
    if source == "Upload":
        file = st.file_uploader(
            "Image file",
            key=f"{slot}_file",
            type=["png", "jpg", "jpeg", "webp", "bmp", "gif", "tif", "tiff"],
        )
    else:
        file = st.camera_input("Snapshot", key=f"{slot}_cam")
    name = st.text_input("Class name", key=f"{slot}_name") or slot.upper()
    if file is None:
        st.info(f"Choose a file for {title}, or pick from CIFAR-10.")
        return None
    background = tuple(
        int(st.session_state.get("background", "#ffffff")[i : i + 2], 16) for i in (1, 3, 5)
    )
    try:
        image = _decode(file.file_id, file.name, background, file.getvalue())
    except ImageError as err:
        st.error(str(err))
        return None
    return Picked(image, name, None, f"upload {file.name}", f"file:{file.file_id}:{background}")


def size_policy_controls() -> tuple[str, int]:
    """Widgets for how A and B are brought to one size, and the transparency background."""
    init_state(
        {"policy": DEFAULT_SIZE_POLICY, "side": defaults.SQUARE_SIDE, "background": "#ffffff"}
    )
    with st.expander("Sizes and transparency (for uploads)"):
        policy = st.selectbox(
            "When A and B differ in size",
            list(SIZE_POLICIES),
            format_func=lambda k: _policy_label(k),
            key="policy",
        )
        side = st.number_input(
            "N (side of the square)",
            8,
            1024,
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


def _policy_label(key: str) -> str:
    label = SIZE_POLICIES[key]
    return getattr(label, "label", label)


@st.cache_data(max_entries=32, show_spinner=False)
def _fit(key_a: str, key_b: str, policy: str, side: int, _a: np.ndarray, _b: np.ndarray):
    return fit_pair(_a, _b, policy, side=side)


def fitted_pair(a: Picked, b: Picked, policy: str, side: int) -> tuple[np.ndarray, np.ndarray]:
    """A and B at one size, computed once per (A, B, policy, N), not on every slider move."""
    if a.image.shape == b.image.shape and policy == DEFAULT_SIZE_POLICY:
        return a.image, b.image
    return _fit(a.key, b.key, policy, side, a.image, b.image)


# ---------------------------------------------------------------------------- shareable links
_STREAMLIT_KEYS = ("embed", "embed_options")


def link_state(page: str, schema: Sequence[Param]) -> None:
    """Call at the top of a page, before its widgets: the URL's settings become widget state.

    On the first run of ``page`` in a session, values from the query string override session
    state; anything missing, malformed or out of range falls back to its default with a notice
    shown on the page. On later runs only missing keys get their defaults.
    """
    loaded = st.session_state.setdefault("_links_loaded", set())
    if page not in loaded:
        loaded.add(page)
        query = {k: v for k, v in st.query_params.to_dict().items() if k not in _STREAMLIT_KEYS}
        values, notices = parse_params(query, schema)
        for param in schema:
            if param.key in query:
                st.session_state[param.key] = values[param.key]
        if notices:
            st.warning(
                "This link had settings that could not be used:\n\n- " + "\n- ".join(notices)
            )
    init_state({p.key: p.default for p in schema})


def clamp_state(key: str, lo: int, hi: int) -> None:
    """Keep a slider's stored value (a number or a range) inside [lo, hi] for a new image size."""
    value = st.session_state.get(key)
    if isinstance(value, (tuple, list)):
        first, second = (min(max(int(v), lo), hi) for v in value)
        st.session_state[key] = (first, second)
    elif value is not None:
        st.session_state[key] = min(max(int(value), lo), hi)


def current_values(schema: Sequence[Param]) -> dict[str, Any]:
    """The schema's values from session state; defaults for widgets not shown or invalid."""
    values = {}
    for param in schema:
        value = st.session_state.get(param.key, param.default)
        if isinstance(value, list):  # range sliders may hand back lists
            value = tuple(value)
        values[param.key] = value if param.check(value) is None else param.default
    return values


def share_link(schema: Sequence[Param], *, uploads: bool = False) -> None:
    """Mirror the page's settings into the URL and offer the link to copy.

    Args:
        schema: the page's linkable settings.
        uploads: True when an uploaded image is on screen: the link cannot carry it.
    """
    params = encode_params(current_values(schema), schema)
    st.query_params.from_dict(params)
    base = (st.context.url or "").split("?")[0]
    with st.popover("🔗 Share this view"):
        st.code(f"{base}?{urlencode(params)}", language=None, wrap_lines=True)
        st.caption(
            "The address bar holds the same link. Uploaded images cannot be in a "
            "link: it reopens with the CIFAR-10 picks and every other setting."
        )
    if uploads:
        st.caption("🔗 Uploaded images cannot be shared in a link.")

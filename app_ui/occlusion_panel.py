"""The occlusion lab's Streamlit side: the hidden region's sliders, each model's verdict on the
occluded image, and its occlusion-sensitivity map beside its Grad-CAM (cached per server).

The numbers and sentences come from :mod:`cutmix_core.views.occlusion_view`; only shipped
CIFAR-10 models are offered, since a sensitivity map is one forward pass per patch.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from app_ui.controls import box_sliders
from app_ui.models import load_model, shipped_models
from app_ui.pickers import Picked
from app_ui.state import init_state
from cutmix_core import Box
from cutmix_core.data.images import display_scale, draw_box, resize
from cutmix_core.models.gradcam import gradcam
from cutmix_core.models.inference import LoadedModel
from cutmix_core.views.figures import BOX_RGB
from cutmix_core.views.model_figures import cam_panel
from cutmix_core.views.model_view import class_for, predict_images, to_input
from cutmix_core.views.occlusion_view import (
    OcclusionMap,
    fill_image,
    occlude,
    occlusion_line,
    occlusion_map,
    sensitivity_caption,
)


def hidden_region(h: int, w: int) -> Box:
    """Two range sliders (rows, columns) for the region to hide, kept inside an h x w image."""
    labels = ("Rows hidden", "Columns hidden")
    return box_sliders(h, w, rows_key="occ_rows", cols_key="occ_cols", labels=labels)


def chosen_models() -> list[tuple[str, str, LoadedModel]]:
    """The shipped models the user picked (key, label, model); warnings for any that fail."""
    shipped = {m.key: m for m in shipped_models()}
    if not shipped:
        st.info("No trained models in assets/models (train them with scripts/train_shipped.sh).")
        return []
    init_state({"occ_models": list(shipped)})
    st.session_state["occ_models"] = [k for k in st.session_state["occ_models"] if k in shipped]
    keys = st.multiselect(
        "Models", list(shipped), format_func=lambda k: shipped[k].label, key="occ_models"
    )
    out = []
    for key in keys:
        loaded = load_model(key)
        if isinstance(loaded, str):
            st.warning(loaded)
        else:
            out.append((key, shipped[key].label, loaded))
    return out


def true_class(a: Picked, loaded: LoadedModel, image: np.ndarray) -> int:
    """The class to watch: A's CIFAR-10 label or matching name, else the model's top-1 on A."""
    c = class_for(a.label, a.name, loaded.classes)
    if c is None:
        c = int(np.argmax(predict_images(loaded, [image])[0]))
    return c


def verdicts(
    models: list[tuple[str, str, LoadedModel]], a: Picked, image: np.ndarray, hidden: np.ndarray
) -> None:
    """Each model's probability of A's class before and after the region is hidden."""
    for _, label, loaded in models:
        c = true_class(a, loaded, image)
        probs = predict_images(loaded, [image, hidden])  # (2, num_classes), each alone
        top1 = loaded.classes[int(np.argmax(probs[1]))]
        st.markdown(
            occlusion_line(label, loaded.classes[c], float(probs[0, c]), float(probs[1, c]), top1)
        )


@st.cache_data(max_entries=64, show_spinner="Hiding every patch…")
def _sensitivity(
    *,
    key: str,
    weights: str | None,
    label: int,
    patch: int,
    stride: int,
    fill: str,
    seed: int,
    image: np.ndarray,
    other: np.ndarray,
    _loaded: LoadedModel,
) -> OcclusionMap:
    return occlusion_map(
        _loaded, image, label, patch=patch, stride=stride, fill=fill, other=other, seed=seed
    )


def sensitivity_maps(
    models: list[tuple[str, str, LoadedModel]],
    a: Picked,
    image: np.ndarray,
    other: np.ndarray,
    *,
    patch: int,
    stride: int,
    fill: str,
    seed: int,
) -> None:
    """Per model, its Grad-CAM for A's class beside its occlusion-sensitivity map."""
    for key, label, loaded in models:
        c = true_class(a, loaded, image)
        side = loaded.input_size
        small = resize(image, side, side)
        weights = loaded.card.get("sha256")
        result = _sensitivity(
            key=key,
            weights=weights,
            label=c,
            patch=patch,
            stride=stride,
            fill=fill,
            seed=seed,
            image=image,
            other=other,
            _loaded=loaded,
        )
        cam = gradcam(loaded.model, to_input(loaded, [small])[0], (c,)).normalized(joint=False)
        scale = display_scale(side, side, 224)
        st.markdown(f"**{label}**")
        cam_col, occ_col = st.columns(2)
        name = loaded.classes[c]
        cam_col.image(cam_panel(small, cam[0], None, scale=scale), caption=f"Grad-CAM for {name}")
        occ_col.image(
            cam_panel(small, result.normalized(), None, scale=scale),
            caption=f"Occlusion sensitivity for {name}",
        )
        occ_col.caption(sensitivity_caption(name, result))  # long: beside, not under, the map


def hidden_image(
    image: np.ndarray, other: np.ndarray, box: Box, fill: str, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """The occluded image and its display copy with the region outlined."""
    hidden = occlude(image, box, fill_image(image, fill, other=other, seed=seed))
    h, w = image.shape[:2]
    shown = draw_box(hidden, box, color=BOX_RGB, scale=display_scale(h, w)) if box.area else hidden
    return hidden, shown

"""Occlusion lab: hide part of an image and watch each model's belief in its class."""

import streamlit as st

from app_ui import prose
from app_ui.box_drawer import box_drawer
from app_ui.controls import box_params, seed_input
from app_ui.occlusion_panel import (
    chosen_models,
    hidden_image,
    hidden_region,
    sensitivity_maps,
    verdicts,
)
from app_ui.pickers import (
    DEFAULT_CLASSES,
    DEFAULT_SIZE_POLICY,
    fitted_pair,
    image_picker,
    pick_params,
)
from app_ui.sources import cifar
from app_ui.state import link_state, seed_param, share_link
from cutmix_core import defaults
from cutmix_core.views.links import Param
from cutmix_core.views.occlusion_view import FILLS

LINK = (
    *pick_params(("oa", "ob"), idx_max=59_999),
    Param("occ_fill", "choice", "grey", choices=tuple(FILLS)),
    seed_param("occ_seed"),
    *box_params("occ_rows", "occ_cols"),
    Param("occ_patch", "int", 8, 2, 16),
    Param("occ_stride", "int", 4, 1, 16),
)

link_state("occlusion", LINK)
st.title("Occlusion lab")
st.caption(prose.OCCLUSION_CAPTION)

ds = cifar()
col_a, col_b, col_c = st.columns([2, 2, 3])
with col_a:
    a = image_picker("oa", "Image A: the one to hide part of", DEFAULT_CLASSES[0], ds)
with col_b:
    b = image_picker("ob", "Image B: the fill for 'image B'", DEFAULT_CLASSES[1], ds)
with col_c:
    fill = st.selectbox(
        "Fill the hidden region with", list(FILLS), format_func=FILLS.get, key="occ_fill"
    )
    seed = seed_input("occ_seed", label="Seed (of the noise fill)")
    patch = st.slider("Patch side (model pixels)", 2, 16, key="occ_patch")
    stride = st.slider("Stride (model pixels)", 1, 16, key="occ_stride")
    models = chosen_models()
    share_link(LINK, uploads=any(p is not None and p.label is None for p in (a, b)))
if a is None or b is None:
    st.stop()
image, other = fitted_pair(a, b, DEFAULT_SIZE_POLICY, defaults.SQUARE_SIDE)

st.subheader("Hide a region")
box = hidden_region(*image.shape[:2])
hidden, shown = hidden_image(image, other, box, fill, seed)
pic, said = st.columns([1, 2])
with pic:
    st.caption(prose.DRAG_CAPTION)
    box_drawer(image, box, key="occ_drag", rows_key="occ_rows", cols_key="occ_cols")
    st.image(shown, caption=f"A with {box.area} pixels hidden ({FILLS[fill]})", output_format="PNG")
with said:
    verdicts(models, a, image, hidden)

st.subheader("Where hiding hurts: occlusion sensitivity beside Grad-CAM")
st.caption(prose.SENSITIVITY_CAPTION)
sensitivity_maps(models, a, image, other, patch=patch, stride=stride, fill=fill, seed=seed)

"""Playground: mix two images with CutMix; see the box, both lambdas and the soft label."""

import json

import numpy as np
import streamlit as st

from app_ui import prose
from app_ui.box_drawer import box_drawer
from app_ui.controls import (
    MODES,
    PairControls,
    box_params,
    box_sliders,
    mode_param,
    mode_radio,
    pair_controls,
)
from app_ui.models import model_says
from app_ui.pickers import pick_params, size_params
from app_ui.render import png
from app_ui.state import alpha_param, clamp_state, link_state, seed_param
from cutmix_core import box_from_center, cutmix, defaults, soft_label
from cutmix_core.data.cifar import CLASSES
from cutmix_core.data.images import display_scale
from cutmix_core.views.describe import describe_box, explain_lambdas, label_space, mix_record
from cutmix_core.views.figures import BOX_RGB, beta_density_chart, soft_label_chart
from cutmix_core.views.links import Param

LINK = (
    *pick_params(("a", "b"), idx_max=59_999),
    mode_param(tuple(MODES)),
    alpha_param("alpha"),
    seed_param("seed"),
    Param("lam", "float", defaults.LAM_BY_HAND, 0.0, 1.0),
    Param("cy", "int", 16, 0, 4096),
    Param("cx", "int", 16, 0, 4096),
    *box_params(),
    *size_params(),
)

link_state("playground", LINK)
st.title("CutMix playground")
st.caption(prose.PLAYGROUND_CAPTION)

pair = pair_controls(
    PairControls(sample_when=("mode", "sample")),
    LINK,
    top=lambda: mode_radio(tuple(MODES)),
)
a, b, img_a, img_b, alpha, seed = pair.a, pair.b, pair.img_a, pair.img_b, pair.alpha, pair.seed
mode = st.session_state["mode"]
h, w = img_a.shape[:2]
if mode == "sample":
    res = cutmix(img_a, img_b, alpha, rng=np.random.default_rng(seed))
elif mode == "lambda":
    lam_col, cy_col, cx_col = st.columns(3)
    clamp_state("cy", 0, h - 1)
    clamp_state("cx", 0, w - 1)
    lam = lam_col.slider("λ", 0.0, 1.0, step=0.01, key="lam")
    # max(…, 1): a slider needs two distinct ends, even for a one-pixel-high image.
    cy = min(cy_col.slider("Box centre row", 0, max(h - 1, 1), key="cy"), h - 1)
    cx = min(cx_col.slider("Box centre column", 0, max(w - 1, 1), key="cx"), w - 1)
    res = cutmix(img_a, img_b, lam=lam, box=box_from_center(h, w, lam, cy, cx))
else:
    res = cutmix(img_a, img_b, box=box_sliders(h, w))
    with st.columns([1, 2])[0]:
        st.caption(prose.DRAG_CAPTION)
        box_drawer(img_a, res.box, key="box_drag")
lam = None if mode == "box" else res.lam

scale = display_scale(h, w)
shown = st.columns(3)
shown[0].image(png(img_a, scale=scale), caption=f"A: {a.origin}", output_format="PNG")
shown[1].image(png(img_b, scale=scale), caption=f"B: {b.origin}", output_format="PNG")
shown[2].image(
    png(res.image, scale=scale, box=res.box, color=BOX_RGB),
    caption="Mixed: A outside the box, B inside",
    output_format="PNG",
)

m1, m2, m3 = st.columns(3)
m1.metric(
    "λ set by hand" if mode == "lambda" else "λ sampled", "—" if lam is None else f"{lam:.4f}"
)
m2.metric("λ adjusted (weight of A's label)", f"{res.lam_adjusted:.4f}")
m3.metric("Pixels from B", f"{res.box.area} of {h * w}")
st.markdown(f"**Box:** {describe_box(res.box, h, w)}")
st.info(explain_lambdas(h, w, lam, res.box).sentence)

names, y_a, y_b = label_space(a.name, a.label, b.name, b.label, CLASSES)
target = soft_label(y_a, y_b, res.lam_adjusted, len(names))
chart_l, chart_r = st.columns(2)
if lam is not None:
    chart_l.plotly_chart(beta_density_chart(alpha, res.lam, res.lam_adjusted), key="beta_fig")
chart_r.plotly_chart(soft_label_chart(target, names, class_a=y_a, class_b=y_b), key="label_fig")

model_says(a, b, img_a, img_b, res)

record = mix_record(
    alpha=alpha if mode == "sample" else None,
    seed=seed,
    lam=lam,
    lam_adjusted=res.lam_adjusted,
    box=res.box,
    size=(h, w),
    labels={"A": a.name, "B": b.name, "A_origin": a.origin, "B_origin": b.origin},
    target=target.tolist(),
    class_names=names,
    mode=mode,
)
d1, d2 = st.columns(2)
d1.download_button(
    "Download mixed image (PNG, exact pixels)",
    png(res.image),
    file_name="cutmix.png",
    mime="image/png",
)
d2.download_button(
    "Download parameters (JSON)",
    json.dumps(record, indent=2),
    file_name="cutmix.json",
    mime="application/json",
)

with st.expander("How CutMix works"):
    prose.render(prose.HOW_CUTMIX_WORKS)

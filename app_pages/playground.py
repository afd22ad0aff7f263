"""Playground: mix two images with CutMix; see the box, both lambdas and the soft label."""

import json

import numpy as np
import streamlit as st

import ui
from cutmix_core import Box, box_from_center, cutmix, defaults, soft_label
from cutmix_core.data.cifar import CLASSES
from cutmix_core.data.images import (
    DEFAULT_SIZE_POLICY,
    SIZE_POLICIES,
    display_scale,
    draw_box,
    to_png_bytes,
    upscale_nearest,
)
from cutmix_core.views.describe import describe_box, explain_lambdas, label_space, mix_record
from cutmix_core.views.figures import BOX_RGB, beta_density_figure, soft_label_figure
from cutmix_core.views.links import Param

ALPHAS = defaults.ALPHAS
MODES = {
    "sample": "Sample λ ~ Beta(α, α)",
    "lambda": "Set λ by hand",
    "box": "Draw the box by hand",
}
LINK = (
    Param("a_class", "choice", "cat", choices=CLASSES),
    Param("a_idx", "int", 0, 0, 59_999),
    Param("b_class", "choice", "dog", choices=CLASSES),
    Param("b_idx", "int", 0, 0, 59_999),
    Param("mode", "choice", "sample", choices=tuple(MODES)),
    Param("alpha", "choice", defaults.ALPHA, choices=ALPHAS),
    Param("seed", "int", defaults.SEED, 0, 2**31 - 1),
    Param("lam", "float", 0.7, 0.0, 1.0),
    Param("cy", "int", 16, 0, 4096),
    Param("cx", "int", 16, 0, 4096),
    Param("rows", "range", (8, 24), 0, 4096),
    Param("cols", "range", (8, 24), 0, 4096),
    Param("policy", "choice", DEFAULT_SIZE_POLICY, choices=tuple(SIZE_POLICIES)),
    Param("side", "int", defaults.SQUARE_SIDE, 8, 1024),
)

ui.link_state("playground", LINK)
ui.init_state({"pair_seed": 0})
st.title("CutMix playground")
st.caption(
    "CutMix pastes a rectangle of image B into image A and mixes their labels by area "
    "(Yun et al., ICCV 2019, [arXiv 1905.04899](https://arxiv.org/abs/1905.04899))."
)

ds = ui.cifar()
col_a, col_b, col_c = st.columns([2, 2, 3])
with col_a:
    a = ui.image_picker("a", "Image A: the base", "cat", ds)
with col_b:
    b = ui.image_picker("b", "Image B: pasted in", "dog", ds)
with col_c:
    mode = st.radio("How λ and the box are chosen", MODES, format_func=MODES.get, key="mode")
    alpha = st.select_slider(
        "α (log scale)", ALPHAS, key="alpha", disabled=mode != "sample", help="λ ~ Beta(α, α)"
    )
    seed_col, button_col = st.columns([3, 2], vertical_alignment="bottom")
    seed = seed_col.number_input("Seed", min_value=0, max_value=2**31 - 1, step=1, key="seed")
    button_col.button("🎲 Resample", on_click=lambda: st.session_state.update(seed=seed + 1))
    st.button(
        "Random CIFAR-10 pair",
        on_click=ui.pick_random_pair,
        help="A seeded pick of two images of different classes",
    )
    policy, side = ui.size_policy_controls()
    if a is not None and b is not None:
        ui.share_link(LINK, uploads=a.label is None or b.label is None)

if a is None or b is None:
    st.stop()
img_a, img_b = ui.fitted_pair(a, b, policy, side)
h, w = img_a.shape[:2]
rng = np.random.default_rng(int(seed))
if mode == "sample":
    res = cutmix(img_a, img_b, alpha, rng=rng)
elif mode == "lambda":
    lam_col, cy_col, cx_col = st.columns(3)
    ui.clamp_state("cy", 0, h - 1)
    ui.clamp_state("cx", 0, w - 1)
    lam = lam_col.slider("λ", 0.0, 1.0, step=0.01, key="lam")
    # max(…, 1): a slider needs two distinct ends, even for a one-pixel-high image.
    cy = min(cy_col.slider("Box centre row", 0, max(h - 1, 1), key="cy"), h - 1)
    cx = min(cx_col.slider("Box centre column", 0, max(w - 1, 1), key="cx"), w - 1)
    res = cutmix(img_a, img_b, lam=lam, box=box_from_center(h, w, lam, cy, cx))
else:
    rows_col, cols_col = st.columns(2)
    ui.clamp_state("rows", 0, h)
    ui.clamp_state("cols", 0, w)
    y0, y1 = rows_col.slider("Box rows [y0, y1)", 0, h, key="rows")
    x0, x1 = cols_col.slider("Box columns [x0, x1)", 0, w, key="cols")
    res = cutmix(img_a, img_b, box=Box(y0, y1, x0, x1))
lam = None if mode == "box" else res.lam

scale = display_scale(h, w)
shown = st.columns(3)
shown[0].image(upscale_nearest(img_a, scale), caption=f"A: {a.origin}", output_format="PNG")
shown[1].image(upscale_nearest(img_b, scale), caption=f"B: {b.origin}", output_format="PNG")
shown[2].image(
    draw_box(res.image, res.box, color=BOX_RGB, scale=scale),
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
    chart_l.plotly_chart(beta_density_figure(alpha, res.lam, res.lam_adjusted), key="beta_fig")
chart_r.plotly_chart(soft_label_figure(target, names, class_a=y_a, class_b=y_b), key="label_fig")

ui.model_says(a, b, img_a, img_b, res)

record = mix_record(
    alpha=alpha if mode == "sample" else None,
    seed=int(seed),
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
    to_png_bytes(res.image),
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
    st.markdown(
        "Draw λ from a Beta distribution, cut a box whose sides shrink with √(1 − λ), "
        "centre it anywhere, clip it at the borders, and paste B's pixels into it:"
    )
    st.latex(
        r"\lambda \sim \mathrm{Beta}(\alpha, \alpha), \quad "
        r"r_h = \lfloor H\sqrt{1-\lambda} \rfloor,\; r_w = \lfloor W\sqrt{1-\lambda}\rfloor"
    )
    st.latex(
        r"\tilde x = M \odot x_A + (1 - M) \odot x_B, \qquad "
        r"\lambda_{adj} = 1 - \frac{|\text{box}|}{HW}, \qquad "
        r"\tilde y = \lambda_{adj}\, y_A + (1 - \lambda_{adj})\, y_B"
    )
    st.markdown(
        "M is 0 inside the box and 1 outside. The label uses λ_adj, the share of pixels "
        "that really come from A, as the paper's code does after clipping. Reference: "
        "S. Yun et al., *CutMix: Regularization Strategy to Train Strong Classifiers "
        "with Localizable Features*, ICCV 2019, arXiv 1905.04899."
    )

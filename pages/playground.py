"""Playground: mix two images with CutMix; see the box, both lambdas and the soft label."""

import json

import numpy as np
import streamlit as st

import ui
from cutmix_core import Box, box_from_center, cutmix, defaults, soft_label
from cutmix_core.cifar import CLASSES
from cutmix_core.describe import describe_box, explain_lambdas, label_space, mix_record
from cutmix_core.figures import BOX_RGB, beta_density_figure, soft_label_figure
from cutmix_core.images import display_scale, draw_box, to_png_bytes, upscale_nearest

ALPHAS = (0.05, 0.07, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.7, 1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 7.0,
          10.0, 15.0, 20.0)
MODES = ("Sample λ ~ Beta(α, α)", "Set λ by hand", "Draw the box by hand")

ui.init_state({"alpha": defaults.ALPHA, "seed": defaults.SEED, "mode": MODES[0], "pair_seed": 0})
st.title("CutMix playground")
st.caption("CutMix pastes a rectangle of image B into image A and mixes their labels by area "
           "(Yun et al., ICCV 2019, [arXiv 1905.04899](https://arxiv.org/abs/1905.04899)).")

ds = ui.cifar()
col_a, col_b, col_c = st.columns([2, 2, 3])
with col_a:
    a = ui.image_picker("a", "Image A: the base", "cat", ds)
with col_b:
    b = ui.image_picker("b", "Image B: pasted in", "dog", ds)
with col_c:
    mode = st.radio("How λ and the box are chosen", MODES, key="mode")
    alpha = st.select_slider("α (log scale)", ALPHAS, key="alpha",
                             disabled=mode != MODES[0], help="λ ~ Beta(α, α)")
    seed_col, button_col = st.columns([3, 2], vertical_alignment="bottom")
    seed = seed_col.number_input("Seed", min_value=0, max_value=2**31 - 1, step=1, key="seed")
    button_col.button("🎲 Resample", on_click=lambda: st.session_state.update(seed=seed + 1))
    st.button("Random CIFAR-10 pair", on_click=ui.pick_random_pair,
              help="A seeded pick of two images of different classes")
    policy, side = ui.size_policy_controls()

if a is None or b is None:
    st.stop()
img_a, img_b = ui.fitted_pair(a, b, policy, side)
h, w = img_a.shape[:2]
rng = np.random.default_rng(int(seed))
if mode == MODES[0]:
    res = cutmix(img_a, img_b, alpha, rng=rng)
elif mode == MODES[1]:
    lam_col, cy_col, cx_col = st.columns(3)
    lam = lam_col.slider("λ", 0.0, 1.0, 0.7, 0.01, key="manual_lam")
    # Keys carry the size so a new image never meets a stale out-of-range value.
    cy = min(cy_col.slider("Box centre row", 0, max(h - 1, 1), h // 2, key=f"cy_{h}"), h - 1)
    cx = min(cx_col.slider("Box centre column", 0, max(w - 1, 1), w // 2, key=f"cx_{w}"), w - 1)
    res = cutmix(img_a, img_b, lam=lam, box=box_from_center(h, w, lam, cy, cx))
else:
    rows_col, cols_col = st.columns(2)
    y0, y1 = rows_col.slider("Box rows [y0, y1)", 0, h, (h // 4, 3 * h // 4), key=f"rows_{h}")
    x0, x1 = cols_col.slider("Box columns [x0, x1)", 0, w, (w // 4, 3 * w // 4),
                             key=f"cols_{w}")
    res = cutmix(img_a, img_b, box=Box(y0, y1, x0, x1))
lam = None if mode == MODES[2] else res.lam

scale = display_scale(h, w)
shown = st.columns(3)
shown[0].image(upscale_nearest(img_a, scale), caption=f"A: {a.origin}")
shown[1].image(upscale_nearest(img_b, scale), caption=f"B: {b.origin}")
shown[2].image(draw_box(res.image, res.box, color=BOX_RGB, scale=scale),
               caption="Mixed: A outside the box, B inside")

m1, m2, m3 = st.columns(3)
m1.metric("λ sampled", "—" if lam is None else f"{lam:.4f}")
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

record = mix_record(alpha=alpha if mode == MODES[0] else None, seed=int(seed), lam=lam,
                    lam_adjusted=res.lam_adjusted, box=res.box, size=(h, w),
                    labels={"A": a.name, "B": b.name, "A_origin": a.origin,
                            "B_origin": b.origin}, target=target.tolist(), class_names=names,
                    mode=mode)
d1, d2 = st.columns(2)
d1.download_button("Download mixed image (PNG, exact pixels)", to_png_bytes(res.image),
                   file_name="cutmix.png", mime="image/png")
d2.download_button("Download parameters (JSON)", json.dumps(record, indent=2),
                   file_name="cutmix.json", mime="application/json")

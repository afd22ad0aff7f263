"""Compare: Mixup, Cutout and CutMix on the same A, B, λ and box, each with its soft label."""

import numpy as np
import streamlit as st

import ui
from cutmix_core import defaults
from cutmix_core.data.cifar import CLASSES
from cutmix_core.data.images import display_scale, draw_box
from cutmix_core.mixing.pair import sample_cutmix
from cutmix_core.views.batch_view import CUTOUT_FILLS, DEFAULT_FILL, compare_three
from cutmix_core.views.describe import label_space
from cutmix_core.views.figures import BOX_RGB, soft_label_figure
from cutmix_core.views.links import Param

ALPHAS = defaults.ALPHAS
LAM_MODES = {"sample": "Sample λ ~ Beta(α, α)", "manual": "Set λ by hand"}
FILL_LABELS = {"grey": "grey (128, 128, 128)", "black": "black (0, 0, 0)"}
IDX_MAX = 4999  # CIFAR-10 train has 5,000 images per class; the picker clamps to the set in use
LINK = (
    Param("ca_class", "choice", "cat", choices=CLASSES),
    Param("ca_idx", "int", 0, lo=0, hi=IDX_MAX),
    Param("cb_class", "choice", "dog", choices=CLASSES),
    Param("cb_idx", "int", 0, lo=0, hi=IDX_MAX),
    Param("cmp_lam_mode", "choice", "sample", choices=tuple(LAM_MODES)),
    Param("cmp_alpha", "choice", defaults.ALPHA, choices=ALPHAS),
    Param("cmp_lam", "float", 0.7, lo=0.0, hi=1.0),
    Param("cmp_seed", "int", defaults.SEED, lo=0, hi=2**31 - 1),
    Param("cmp_fill", "choice", DEFAULT_FILL, choices=tuple(CUTOUT_FILLS)),
)

ui.link_state("compare", LINK)
st.title("CutMix vs Mixup vs Cutout")
st.caption(
    "The three methods the CutMix paper compares, on the same images A and B, the same λ "
    "and, for Cutout and CutMix, the same box."
)

ds = ui.cifar()
col_a, col_b, col_c = st.columns([2, 2, 3])
with col_a:
    a = ui.image_picker("ca", "Image A: the base", "cat", ds)
with col_b:
    b = ui.image_picker("cb", "Image B: mixed in", "dog", ds)
with col_c:
    lam_mode = st.radio(
        "λ", list(LAM_MODES), format_func=LAM_MODES.get, key="cmp_lam_mode", horizontal=True
    )
    alpha = st.select_slider(
        "α (log scale)",
        ALPHAS,
        key="cmp_alpha",
        disabled=lam_mode != "sample",
        help="λ ~ Beta(α, α)",
    )
    lam_set = st.slider(
        "λ set by hand", 0.0, 1.0, step=0.01, key="cmp_lam", disabled=lam_mode != "manual"
    )
    seed = st.number_input(
        "Seed (λ and the box)", min_value=0, max_value=2**31 - 1, step=1, key="cmp_seed"
    )
    fill = st.selectbox(
        "Cutout fill", list(CUTOUT_FILLS), format_func=FILL_LABELS.get, key="cmp_fill"
    )
    policy, side = ui.size_policy_controls()
ui.share_link(LINK, uploads=any(p is not None and p.label is None for p in (a, b)))

if a is None or b is None:
    st.stop()
img_a, img_b = ui.fitted_pair(a, b, policy, side)
h, w = img_a.shape[:2]
rng = np.random.default_rng(int(seed))  # the draws of cutmix() with this seed
lam, box = sample_cutmix(h, w, alpha, rng=rng, lam=None if lam_mode == "sample" else lam_set)
names, y_a, y_b = label_space(a.name, a.label, b.name, b.label, CLASSES)
cmp = compare_three(
    img_a, img_b, lam, box, y_a=y_a, y_b=y_b, class_names=names, fill=CUTOUT_FILLS[fill]
)

m1, m2, m3 = st.columns(3)
m1.metric("λ sampled" if lam_mode == "sample" else "λ set", f"{lam:.4f}")
m2.metric("λ adjusted (CutMix label weight of A)", f"{cmp.cutmix.result.lam_adjusted:.4f}")
m3.metric("Pixels in the box", f"{box.area} of {h * w}")

scale = display_scale(h, w)
for col, view in zip(st.columns(3), cmp.methods):
    with col:
        st.subheader(view.name)
        st.image(
            draw_box(view.result.image, view.result.box, color=BOX_RGB, scale=scale),
            output_format="PNG",
        )
        st.markdown(view.label_text)
        st.plotly_chart(
            soft_label_figure(
                view.target, names, class_a=y_a, class_b=None if view.name == "Cutout" else y_b
            ),
            key=f"label_{view.name}",
        )
st.caption(
    "Model predictions on these three images will appear here when trained models are shipped."
)

st.subheader("What the three methods do")
st.markdown(
    "All three start from an image A with one-hot label $y_A$; Mixup and CutMix also "
    "use a second image B. $\\lambda \\sim \\mathrm{Beta}(\\alpha, \\alpha)$ sets how "
    "much of A is kept."
)
st.markdown(
    "**Mixup** ([Zhang et al., 2018, arXiv 1710.09412](https://arxiv.org/abs/1710.09412))"
    " blends every pixel, and the label by the same λ:"
)
st.latex(
    r"\tilde x = \lambda x_A + (1-\lambda) x_B, \qquad "
    r"\tilde y = \lambda y_A + (1-\lambda) y_B"
)
st.markdown(
    "**Cutout** ([DeVries & Taylor, 2017, arXiv 1708.04552]"
    "(https://arxiv.org/abs/1708.04552)) blanks a box of A with one colour (here "
    f"{FILL_LABELS[fill]}) and keeps the label:"
)
st.latex(r"\tilde x = M \odot x_A + (1-M)\,c, \qquad \tilde y = y_A")
st.markdown(
    "**CutMix** ([Yun et al., ICCV 2019, arXiv 1905.04899]"
    "(https://arxiv.org/abs/1905.04899)) fills the box with the same region of B and "
    "mixes the labels by area:"
)
st.latex(
    r"\tilde x = M \odot x_A + (1-M) \odot x_B, \qquad "
    r"\tilde y = \lambda_{adj}\, y_A + (1-\lambda_{adj})\, y_B, \qquad "
    r"\lambda_{adj} = 1 - \frac{|\text{box}|}{HW}"
)
st.markdown(
    "$M$ is 0 inside the box and 1 outside; the box has sides $\\sqrt{1-\\lambda}$ times "
    "the image's and a uniform centre, and is clipped at the borders, so "
    "$\\lambda_{adj} \\ge \\lambda$. Mixup's images look unnatural (two ghosts), Cutout "
    "wastes the blanked pixels, CutMix keeps every pixel informative: that is the "
    "paper's argument."
)

"""Compare: Mixup, Cutout and CutMix on the same A, B, λ and box, each with its soft label."""

import numpy as np
import streamlit as st

from app_ui import prose
from app_ui.controls import PairControls, pair_controls
from app_ui.models import methods_say
from app_ui.pickers import pick_params
from app_ui.state import alpha_param, link_state, seed_param
from cutmix_core import defaults
from cutmix_core.data.cifar import CLASSES
from cutmix_core.data.images import display_scale, draw_box
from cutmix_core.mixing.pair import sample_cutmix
from cutmix_core.views.batch_view import CUTOUT_FILLS, DEFAULT_FILL, compare_three
from cutmix_core.views.describe import label_space
from cutmix_core.views.figures import BOX_RGB, soft_label_chart
from cutmix_core.views.links import Param

LAM_MODES = {"sample": "Sample λ ~ Beta(α, α)", "manual": "Set λ by hand"}
FILL_LABELS = {"grey": "grey (128, 128, 128)", "black": "black (0, 0, 0)"}
IDX_MAX = 4999  # CIFAR-10 train has 5,000 images per class; the picker clamps to the set in use
LINK = (
    *pick_params(("ca", "cb"), idx_max=IDX_MAX),
    Param("cmp_lam_mode", "choice", "sample", choices=tuple(LAM_MODES)),
    alpha_param("cmp_alpha"),
    Param("cmp_lam", "float", defaults.LAM_BY_HAND, lo=0.0, hi=1.0),
    seed_param("cmp_seed"),
    Param("cmp_fill", "choice", DEFAULT_FILL, choices=tuple(CUTOUT_FILLS)),
)
SPEC = PairControls(
    slots=("ca", "cb"),
    b_title="Image B: mixed in",
    alpha_key="cmp_alpha",
    seed_key="cmp_seed",
    sample_when=("cmp_lam_mode", "sample"),
    seed_label="Seed (λ and the box)",
    resample=False,
    random_pair=False,
    share_always=True,
)

link_state("compare", LINK)
st.title("CutMix vs Mixup vs Cutout")
st.caption(prose.COMPARE_CAPTION)

pair = pair_controls(
    SPEC,
    LINK,
    top=lambda: st.radio(
        "λ", list(LAM_MODES), format_func=LAM_MODES.get, key="cmp_lam_mode", horizontal=True
    ),
    after_alpha=lambda: st.slider(
        "λ set by hand",
        0.0,
        1.0,
        step=0.01,
        key="cmp_lam",
        disabled=st.session_state["cmp_lam_mode"] != "manual",
    ),
    after_seed=lambda: st.selectbox(
        "Cutout fill", list(CUTOUT_FILLS), format_func=FILL_LABELS.get, key="cmp_fill"
    ),
)
a, b, fill = pair.a, pair.b, st.session_state["cmp_fill"]
sampled = st.session_state["cmp_lam_mode"] == "sample"
h, w = pair.img_a.shape[:2]
rng = np.random.default_rng(pair.seed)  # the draws of cutmix() with this seed
lam_set = None if sampled else st.session_state["cmp_lam"]
lam, box = sample_cutmix(h, w, pair.alpha, rng=rng, lam=lam_set)
names, y_a, y_b = label_space(a.name, a.label, b.name, b.label, CLASSES)
cmp = compare_three(
    pair.img_a, pair.img_b, lam, box, y_a=y_a, y_b=y_b, class_names=names, fill=CUTOUT_FILLS[fill]
)

m1, m2, m3 = st.columns(3)
m1.metric("λ sampled" if sampled else "λ set", f"{lam:.4f}")
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
            soft_label_chart(
                view.target, names, class_a=y_a, class_b=None if view.name == "Cutout" else y_b
            ),
            key=f"label_{view.name}",
        )
st.subheader("What the trained models say")
st.caption(prose.COMPARE_MODELS_CAPTION)
methods_say(a, b, pair.img_a, pair.img_b, cmp)

st.subheader("What the three methods do")
prose.render(prose.THREE_METHODS, {"fill": FILL_LABELS[fill]})

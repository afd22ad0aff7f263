"""Models and Grad-CAM: what a classifier trained with or without CutMix makes of a mixed image."""

import numpy as np
import streamlit as st

from app_ui import prose
from app_ui.box_drawer import box_drawer
from app_ui.controls import (
    PairControls,
    box_params,
    box_sliders,
    mode_param,
    mode_radio,
    pair_controls,
)
from app_ui.model_cache import evaluation_view, training_view
from app_ui.model_panel import model_columns, sweep_chart, threshold_slider
from app_ui.models import default_model, model_labels, shipped_models
from app_ui.pickers import pick_params
from app_ui.render import png
from app_ui.state import alpha_param, link_state, seed_param
from cutmix_core import cutmix, paths
from cutmix_core.data.images import display_scale
from cutmix_core.models.localize import FRACTION
from cutmix_core.views.describe import (
    mixed_caption,
    report_box_share_caption,
    report_caption,
    target_story,
)
from cutmix_core.views.figures import BOX_RGB
from cutmix_core.views.links import Param
from cutmix_core.views.localize_text import report_localizer_caption

LABELS = model_labels()
CHOICES = tuple(LABELS)
MODES = ("sample", "box")  # the box sampled from α and the seed, or drawn by hand
LINK = (
    *pick_params(("a", "b"), idx_max=59_999),
    mode_param(MODES),
    alpha_param("alpha"),
    seed_param("seed"),
    Param("left", "choice", default_model("none", 0), choices=CHOICES),
    Param("right", "choice", default_model("cutmix", 1), choices=CHOICES),
    Param("cam_fraction", "float", FRACTION, lo=0.05, hi=1.0),
    *box_params(),
)


def _choose() -> None:
    st.selectbox("Left model", CHOICES, format_func=LABELS.get, key="left")
    st.selectbox("Right model", CHOICES, format_func=LABELS.get, key="right")
    mode_radio(MODES)


link_state("models", LINK)
st.title("Models and Grad-CAM")
st.caption(prose.MODELS_CAPTION)
if not shipped_models():
    st.warning(prose.NO_MODELS_WARNING)

spec = PairControls(
    alpha_help="λ ~ Beta(α, α); the box covers about 1 − λ of the image",
    sample_when=("mode", "sample"),
)
pair = pair_controls(spec, LINK, top=_choose, after_seed=lambda: threshold_slider("cam_fraction"))
a, b = pair.a, pair.b
h, w = pair.img_a.shape[:2]
by_hand = st.session_state["mode"] == "box"
if by_hand:
    res = cutmix(pair.img_a, pair.img_b, box=box_sliders(h, w))
else:
    res = cutmix(pair.img_a, pair.img_b, pair.alpha, rng=np.random.default_rng(pair.seed))
scale = display_scale(h, w, 192)
shown = st.columns([1, 1, 1, 2])
if by_hand:  # image A, on which a drag sets the sliders' box
    with shown[0]:
        box_drawer(pair.img_a, res.box, key="models_drag", height=h * scale)
        st.caption(f"A: {a.origin}. {prose.DRAG_CAPTION}")
else:
    shown[0].image(png(pair.img_a, scale=scale), caption=f"A: {a.origin}", output_format="PNG")
shown[1].image(png(pair.img_b, scale=scale), caption=f"B: {b.origin}", output_format="PNG")
shown[2].image(
    png(res.image, scale=scale, box=res.box, color=BOX_RGB),
    caption=mixed_caption(res.lam_adjusted),
    output_format="PNG",
)
shown[3].markdown(target_story(res.lam_adjusted, a.name, b.name))

fraction = float(st.session_state["cam_fraction"])
keys = [st.session_state["left"], st.session_state["right"]]
columns = model_columns(keys, LABELS, pair, res, fraction=fraction)
sweep_chart(columns, pair, res, name_a=a.name, name_b=b.name)

if trained := training_view(shipped_models()):
    figure, caption = trained
    st.subheader("How they trained")
    st.plotly_chart(figure, key="curves")
    st.caption(caption)

st.divider()
st.header("Evaluation on the CIFAR-10 test set")
try:
    evaluation = evaluation_view(paths.report_path())
except ValueError as err:
    st.info(f"No evaluation to show: {err}.")
    st.stop()
report = evaluation.report
st.caption(report_caption(report))
st.dataframe(evaluation.rows, hide_index=True)
e1, e2 = st.columns(2)
e1.plotly_chart(evaluation.split, key="eval_split")
e2.plotly_chart(evaluation.occlusion, key="eval_occlusion")
st.caption(report_box_share_caption(report.box_share))
st.caption(report_localizer_caption(report))

"""Models and Grad-CAM: what a classifier trained with or without CutMix makes of a mixed image."""

import os

import numpy as np
import streamlit as st

import ui
from cutmix_core import Box, cutmix, defaults, paths, soft_label
from cutmix_core.data.cifar import CLASSES
from cutmix_core.data.images import display_scale, draw_box, upscale_nearest
from cutmix_core.evaluation.report import load_report
from cutmix_core.views.evaluation_figures import (
    AUG_COLORS,
    display_rows,
    occlusion_figure,
    split_figure,
)
from cutmix_core.views.figures import BOX_RGB
from cutmix_core.views.links import Param
from cutmix_core.views.model_figures import cam_panel, prediction_figure, sweep_figure
from cutmix_core.views.model_view import class_for, explain_mix, mass_text, sweep_split

REPORT = paths.REPORT_PATH
SHIPPED = ui.shipped_models()
IMAGENET = {
    f"imagenet:{name}": f"{label} · ImageNet (torchvision)"
    for name, label in ui.IMAGENET_MODELS.items()
}
LABELS = {m.key: m.label for m in SHIPPED} | IMAGENET
CHOICES = tuple(LABELS)


def _default(aug: str, fallback: int) -> str:
    keys = (
        [m.key for m in SHIPPED if m.aug == aug]
        or [m.key for m in SHIPPED][fallback:]
        or list(IMAGENET)[:1]
    )
    return keys[0]


LINK = (
    Param("a_class", "choice", "cat", choices=CLASSES),
    Param("a_idx", "int", 0, 0, 59_999),
    Param("b_class", "choice", "dog", choices=CLASSES),
    Param("b_idx", "int", 0, 0, 59_999),
    Param("alpha", "choice", defaults.ALPHA, choices=defaults.ALPHAS),
    Param("seed", "int", defaults.SEED, 0, 2**31 - 1),
    Param("left", "choice", _default("none", 0), choices=CHOICES),
    Param("right", "choice", _default("cutmix", 1), choices=CHOICES),
)

ui.link_state("models", LINK)
ui.init_state({"pair_seed": 0})
st.title("Models and Grad-CAM")
st.caption(
    "Two models side by side (by default ResNet-20s trained on CIFAR-10 by this project, "
    "one without and one with CutMix): does the prediction on a mixed image split between "
    "the two classes by area, and does each class's Grad-CAM look where that class's pixels "
    "are?"
)
if not SHIPPED:
    st.warning(
        "No trained CIFAR-10 models in assets/models/. Train them with "
        "`scripts/train_shipped.sh`; the ImageNet models still work online."
    )

ds = ui.cifar()
col_a, col_b, col_c = st.columns([2, 2, 3])
with col_a:
    a = ui.image_picker("a", "Image A: the base", "cat", ds)
with col_b:
    b = ui.image_picker("b", "Image B: pasted in", "dog", ds)
with col_c:
    left_key = st.selectbox("Left model", CHOICES, format_func=LABELS.get, key="left")
    right_key = st.selectbox("Right model", CHOICES, format_func=LABELS.get, key="right")
    alpha = st.select_slider(
        "α (log scale)",
        defaults.ALPHAS,
        key="alpha",
        help="λ ~ Beta(α, α); the box covers about 1 − λ of the image",
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
res = cutmix(img_a, img_b, alpha, rng=np.random.default_rng(int(seed)))
scale = display_scale(h, w, 192)
shown = st.columns([1, 1, 1, 2])
shown[0].image(upscale_nearest(img_a, scale), caption=f"A: {a.origin}", output_format="PNG")
shown[1].image(upscale_nearest(img_b, scale), caption=f"B: {b.origin}", output_format="PNG")
shown[2].image(
    draw_box(res.image, res.box, color=BOX_RGB, scale=scale),
    caption=f"Mixed: λ_adj = {res.lam_adjusted:.3f} of the pixels from A",
    output_format="PNG",
)
shown[3].markdown(
    f"The label CutMix trains on is **{res.lam_adjusted:.2f} × {a.name} + "
    f"{1 - res.lam_adjusted:.2f} × {b.name}**. A model that learned it should give p(A) ≈ "
    f"{res.lam_adjusted:.2f} and p(B) ≈ {1 - res.lam_adjusted:.2f} on the mixed image. "
    "Grad-CAM maps are on one scale per model, so A's and B's maps can be compared; the "
    "pasted region is outlined in yellow here and in white on the maps."
)


@st.cache_data(max_entries=64, show_spinner=False)
def _explain(
    key: str,
    weights: str | None,
    pair: tuple,
    box: tuple,
    class_a: int | None,
    class_b: int | None,
    _loaded,
    _a: np.ndarray,
    _b: np.ndarray,
    _mixed: np.ndarray,
):
    # Keyed on the model and its weights' sha256 (a retrained checkpoint copied over the old one
    # is not served from the cache), the picks (with size policy), the box and the classes:
    # going back to a setting, or another session asking for the same view, costs nothing.
    ex = explain_mix(_loaded, _a, _b, _mixed, Box(*box), class_a=class_a, class_b=class_b)
    return ex, sweep_split(_loaded, _a, _b, Box(*box), ex.class_a, ex.class_b)


sweeps, colors = [], []
pair_key = (a.key, b.key, policy, side)
box_key = tuple(res.box.as_dict().values())
for where, column, key in zip(("left", "right"), st.columns(2, border=True), (left_key, right_key)):
    with column:
        st.subheader(LABELS[key])
        loaded = ui.load_model(key)
        if isinstance(loaded, str):
            st.warning(loaded)
            continue
        ca = class_for(a.label, a.name, loaded.classes)
        cb = class_for(b.label, b.name, loaded.classes)
        ex, sweep = _explain(
            key,
            loaded.card.get("sha256"),
            pair_key,
            box_key,
            ca,
            cb,
            loaded,
            img_a,
            img_b,
            res.image,
        )
        sweeps.append((LABELS[key], sweep))
        colors.append(AUG_COLORS.get(loaded.card.get("aug"), "#17becf"))
        name_a, name_b = loaded.classes[ex.class_a], loaded.classes[ex.class_b]
        if ca is None or cb is None:
            st.caption(
                f"Classes A and B are the model's top-1 on each image alone "
                f"({name_a}, {name_b}): its classes do not include "
                + " / ".join(n for n, c in ((a.name, ca), (b.name, cb)) if c is None)
                + "."
            )
        card = loaded.card
        if card.get("test_accuracy") is not None:
            st.caption(
                f"CIFAR-10 test accuracy {card['test_accuracy']:.2%} · "
                f"{card.get('epochs', '?')} epochs · {card.get('num_parameters', 0):,} "
                f"parameters · trained on {card.get('device', '?')} in "
                f"{card.get('wall_time_s', 0) / 60:.0f} min"
            )
        same = ex.class_a == ex.class_b
        m1, m2, m3 = st.columns(3)
        m1.metric(
            f"p(A: {name_a})",
            f"{ex.p_a:.2f}",
            f"{ex.p_a - ex.lam_adjusted:+.2f} vs λ_adj",
            delta_color="off",
        )
        m2.metric(
            f"p(B: {name_b})",
            f"{ex.p_b:.2f}",
            f"{ex.p_b - (1 - ex.lam_adjusted):+.2f} vs 1 − λ_adj",
            delta_color="off",
        )
        m3.metric("A and B are the top 2", "—" if same else "yes" if ex.both_in_top2 else "no")
        if same:
            st.caption(
                f"A and B are both {name_a} for this model, so p(A) = p(B) and the "
                "label is one-hot: pick two different classes to see a split."
            )
        target = soft_label(ex.class_a, ex.class_b, ex.lam_adjusted, len(loaded.classes))
        st.plotly_chart(
            prediction_figure(
                ex.probs_mixed,
                loaded.classes,
                target=target,
                class_a=ex.class_a,
                class_b=ex.class_b,
                title="On the mixed image",
            ),
            key=f"pred_{where}_mix",
        )
        cam_scale = display_scale(h, w, 224)
        g1, g2 = st.columns(2)
        g1.image(
            cam_panel(res.image, ex.cam_a, res.box, scale=cam_scale),
            caption=f"Grad-CAM for A ({name_a}): {mass_text(ex.mass_a_inside)}",
        )
        g2.image(
            cam_panel(res.image, ex.cam_b, res.box, scale=cam_scale),
            caption=f"Grad-CAM for B ({name_b}): {mass_text(ex.mass_b_inside)}",
        )
        st.caption(
            f"The box (white) holds {1 - ex.lam_adjusted:.0%} of the pixels: a map that "
            f"ignored the box would have about that share inside it."
        )
        with st.expander("On A and B alone"):
            for probs, label, which in (
                (ex.probs_a, ex.class_a, "A"),
                (ex.probs_b, ex.class_b, "B"),
            ):
                onehot = soft_label(label, label, 1.0, len(loaded.classes))
                st.plotly_chart(
                    prediction_figure(
                        probs,
                        loaded.classes,
                        target=onehot,
                        class_a=ex.class_a if which == "A" else None,
                        class_b=ex.class_b if which == "B" else None,
                        title=f"On image {which}",
                    ),
                    key=f"pred_{where}_{which}",
                )

if sweeps:
    st.plotly_chart(
        sweep_figure(
            sweeps, name_a=a.name, name_b=b.name, colors=colors, t_now=1 - res.lam_adjusted
        ),
        key="sweep",
    )
    st.caption(
        "The same pair with boxes of B from nothing to the whole image, about this box's "
        "centre. A model that learned CutMix's label would follow the dashed lines."
    )

st.divider()
st.header("Evaluation on the CIFAR-10 test set")
try:
    report = load_report(os.environ.get(defaults.EVALUATION_ENV) or REPORT)
except ValueError as err:
    st.info(f"No evaluation to show: {err}.")
    st.stop()
st.caption(
    f"{report.test_images:,} test images ({report.data}), {report.pairs:,} seeded CutMix "
    f"pairs (α = {report.alpha:g}), on {report.device}, {report.date[:10]}. Reproduce "
    f"with `{report.command}`."
)
st.dataframe(display_rows(report), hide_index=True)
e1, e2 = st.columns(2)
e1.plotly_chart(split_figure(report), key="eval_split")
e2.plotly_chart(occlusion_figure(report), key="eval_occlusion")
st.caption(
    f"In the box lie {report.box_share:.0%} of the pixels on average: a Grad-CAM map "
    "blind to the box would put about that share of its mass there."
)

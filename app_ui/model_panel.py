"""One model's column on the Models page: its predictions on the mix against the soft label,
Grad-CAM for class A and class B with the box outlined, the box a localizer draws from B's map
against the pasted one, and its predictions on A and B alone.

The page draws two of these side by side, then the sweep of every column drawn, and asks for
the localizer's threshold with :func:`threshold_slider`; every number comes from
``explain_mix`` and ``sweep_split`` (cached in ``app_ui.models``) and ``localize``, every
sentence from ``cutmix_core.views``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st

from app_ui import prose
from app_ui.controls import Pair
from app_ui.models import explain, load_model, show_card
from cutmix_core import MixResult, soft_label
from cutmix_core.data.images import display_scale
from cutmix_core.models.localize import FRACTION, localize
from cutmix_core.views.describe import (
    box_share_caption,
    fallback_classes_caption,
    model_metrics,
    same_class_caption,
)
from cutmix_core.views.evaluation_figures import AUG_COLORS
from cutmix_core.views.localize_text import localizer_caption, localizer_method, percent
from cutmix_core.views.model_figures import (
    cam_panel,
    localizer_panel,
    prediction_figure,
    sweep_figure,
)
from cutmix_core.views.model_view import MixExplanation, SplitSweep, cam_caption, class_for

#: The sweep's colour for a model whose card names no known augmentation (ImageNet models).
OTHER_COLOR = "#17becf"


@dataclass(frozen=True)
class Column:
    """What one column hands back for the page's sweep figure."""

    label: str
    sweep: SplitSweep
    color: str


def threshold_slider(key: str) -> float:
    """The localizer's threshold: a share of B's map's maximum, in [0.05, 1]."""
    return st.slider(
        "Localizer threshold (share of the map's maximum)",
        0.05,
        1.0,
        step=0.05,
        key=key,
        help="Where the model thinks B is: the box around the largest region of B's Grad-CAM "
        f"at or above this share of its maximum (default: CAM's {percent(FRACTION)})",
    )


def model_column(
    where: str, key: str, label: str, pair: Pair, res: MixResult, *, fraction: float
) -> Column | None:
    """Draw the column of model ``key`` (``where``: "left" or "right", for element keys), its
    localizer thresholding B's map at ``fraction`` of its maximum; None when the model cannot
    be loaded, after a warning saying why."""
    st.subheader(label)
    loaded = load_model(key)
    if isinstance(loaded, str):
        st.warning(loaded)
        return None
    a, b = pair.a, pair.b
    ca = class_for(a.label, a.name, loaded.classes)
    cb = class_for(b.label, b.name, loaded.classes)
    picks = (a.key, b.key, pair.policy, pair.side)
    ex, sweep = explain(key, loaded, picks, pair.img_a, pair.img_b, res, ca, cb)
    name_a, name_b = loaded.classes[ex.class_a], loaded.classes[ex.class_b]
    if ca is None or cb is None:
        missing = [n for n, c in ((a.name, ca), (b.name, cb)) if c is None]
        st.caption(fallback_classes_caption(name_a, name_b, missing))
    show_card(loaded)
    same = ex.class_a == ex.class_b
    shown = model_metrics(
        ex.p_a, ex.p_b, ex.lam_adjusted, name_a, name_b, same=same, both_in_top2=ex.both_in_top2
    )
    for column, m in zip(st.columns(3), shown):
        if m.delta is None:
            column.metric(m.label, m.value)
        else:
            column.metric(m.label, m.value, m.delta, delta_color="off")
    if same:
        st.caption(same_class_caption(name_a))
    target = soft_label(ex.class_a, ex.class_b, ex.lam_adjusted, len(loaded.classes))
    figure = prediction_figure(
        ex.probs_mixed,
        loaded.classes,
        target=target,
        class_a=ex.class_a,
        class_b=ex.class_b,
        title="On the mixed image",
    )
    st.plotly_chart(figure, key=f"pred_{where}_mix")
    _grad_cams(ex, res, name_a, name_b)
    st.caption(box_share_caption(ex.lam_adjusted))
    _localizer(ex, res, name_b, fraction)
    with st.expander("On A and B alone"):
        for probs, label_ab, which in (
            (ex.probs_a, ex.class_a, "A"),
            (ex.probs_b, ex.class_b, "B"),
        ):
            onehot = soft_label(label_ab, label_ab, 1.0, len(loaded.classes))
            figure = prediction_figure(
                probs,
                loaded.classes,
                target=onehot,
                class_a=ex.class_a if which == "A" else None,
                class_b=ex.class_b if which == "B" else None,
                title=f"On image {which}",
            )
            st.plotly_chart(figure, key=f"pred_{where}_{which}")
    return Column(label, sweep, AUG_COLORS.get(str(loaded.card.get("aug")), OTHER_COLOR))


def _grad_cams(ex: MixExplanation, res: MixResult, name_a: str, name_b: str) -> None:
    h, w = res.image.shape[:2]
    scale = display_scale(h, w, 224)
    maps: tuple[tuple[np.ndarray, str], ...] = (
        (ex.cam_a, cam_caption("A", name_a, ex.mass_a_inside)),
        (ex.cam_b, cam_caption("B", name_b, ex.mass_b_inside)),
    )
    for column, (cam, caption) in zip(st.columns(2), maps):
        column.image(cam_panel(res.image, cam, res.box, scale=scale), caption=caption)


def _localizer(ex: MixExplanation, res: MixResult, name_b: str, fraction: float) -> None:
    h, w = res.image.shape[:2]
    loc = localize(ex.cam_b, ex.box, fraction)  # B's map, any scale: the threshold is relative
    picture, how = st.columns(2)
    picture.image(
        localizer_panel(res.image, ex.box, loc.box, scale=display_scale(h, w, 224)),
        caption=localizer_caption(loc, name_b),
    )
    how.caption(localizer_method(fraction))


def sweep_chart(columns: list[Column], name_a: str, name_b: str, *, t_now: float) -> None:
    """The columns' sweeps in one figure, the current mix's t = 1 - λ_adjusted marked; nothing
    when no column could be drawn."""
    if not columns:
        return
    figure = sweep_figure(
        [(c.label, c.sweep) for c in columns],
        name_a=name_a,
        name_b=name_b,
        colors=[c.color for c in columns],
        t_now=t_now,
    )
    st.plotly_chart(figure, key="sweep")
    st.caption(prose.SWEEP_CAPTION)

"""One model's column on the Models page: its predictions on the mix against the soft label,
Grad-CAM for class A and class B with the box outlined, the box a localizer draws from B's map
against the pasted one, and its predictions on A and B alone.

The page draws two of these side by side, then the sweep of every column drawn, and asks for
the localizer's threshold with :func:`threshold_slider`; every number comes from
``explain_mix``, ``sweep_split`` and ``localize``, every figure from
``cutmix_core.views.model_figures``, all made once per setting in ``app_ui.model_cache``, and
every sentence from ``cutmix_core.views``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import streamlit as st

from app_ui import prose
from app_ui.controls import Pair
from app_ui.model_cache import ModelView, cached_sweep_figure, localizer_view, model_views
from app_ui.models import load_model, show_card
from cutmix_core import MixResult
from cutmix_core.data.images import display_scale
from cutmix_core.models.checkpoints import LoadedModel
from cutmix_core.models.localize import FRACTION
from cutmix_core.views.describe import (
    box_share_caption,
    fallback_classes_caption,
    model_metrics,
    same_class_caption,
)
from cutmix_core.views.evaluation_figures import AUG_COLORS
from cutmix_core.views.localize_text import localizer_caption, localizer_method, percent
from cutmix_core.views.model_view import cam_caption, class_for

#: The sweep's colour for a model whose card names no known augmentation (ImageNet models).
OTHER_COLOR = "#17becf"
#: Where the columns' elements get their keys from, in page order.
WHERE = ("left", "right")


@dataclass(frozen=True)
class Column:
    """What one column hands back for the page's sweep figure."""

    label: str
    color: str
    key: str
    loaded: LoadedModel
    view: ModelView


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


def _picks(pair: Pair) -> tuple[object, ...]:
    """What names the pair's images for the caches: their keys and the size policy."""
    return (pair.a.key, pair.b.key, pair.policy, pair.side)


def model_columns(
    keys: Sequence[str], labels: Mapping[str, str], pair: Pair, res: MixResult, *, fraction: float
) -> list[Column]:
    """Draw a bordered column for each model key (at most two: "left", "right"), its localizer
    thresholding B's map at ``fraction`` of its maximum, the models run at once; a model that
    cannot be loaded gets a warning saying why instead. Returns the columns drawn."""
    a, b = pair.a, pair.b
    slots = []
    jobs = []
    for where, slot, key in zip(WHERE, st.columns(len(keys), border=True), keys):
        with slot:
            st.subheader(labels[key])
            loaded = load_model(key)
            if isinstance(loaded, str):
                st.warning(loaded)
                continue
        slots.append((where, slot, key, loaded))
        jobs.append(
            (
                key,
                loaded,
                class_for(a.label, a.name, loaded.classes),
                class_for(b.label, b.name, loaded.classes),
            )
        )
    h, w = res.image.shape[:2]
    scale = display_scale(h, w, 224)
    views = model_views(jobs, _picks(pair), pair.img_a, pair.img_b, res.image, res.box, scale=scale)
    drawn = []
    for (where, slot, key, loaded), (_, _, ca, cb) in zip(slots, jobs):
        with slot:
            _column(where, key, loaded, pair, res, views[key], (ca, cb), fraction=fraction)
        color = AUG_COLORS.get(str(loaded.card.get("aug")), OTHER_COLOR)
        drawn.append(Column(labels[key], color, key, loaded, views[key]))
    return drawn


def _column(
    where: str,
    key: str,
    loaded: LoadedModel,
    pair: Pair,
    res: MixResult,
    view: ModelView,
    classes: tuple[int | None, int | None],
    *,
    fraction: float,
) -> None:
    """One model's column below its title, from its cached view."""
    ex, figures = view.ex, view.figures
    name_a, name_b = loaded.classes[ex.class_a], loaded.classes[ex.class_b]
    if None in classes:
        names = (pair.a.name, pair.b.name)
        missing = [n for n, c in zip(names, classes) if c is None]
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
    st.plotly_chart(figures.on_mix, key=f"pred_{where}_mix")
    cams = (
        (figures.cam_a, cam_caption("A", name_a, ex.mass_a_inside)),
        (figures.cam_b, cam_caption("B", name_b, ex.mass_b_inside)),
    )
    for column, (png, caption) in zip(st.columns(2), cams):
        column.image(png, caption=caption)
    st.caption(box_share_caption(ex.lam_adjusted))
    h, w = res.image.shape[:2]
    panel, loc = localizer_view(
        key, loaded, _picks(pair), ex, res.image, fraction=fraction, scale=display_scale(h, w, 224)
    )
    picture, how = st.columns(2)
    picture.image(panel, caption=localizer_caption(loc, name_b))
    how.caption(localizer_method(fraction))
    with st.expander("On A and B alone"):
        st.plotly_chart(figures.on_a, key=f"pred_{where}_A")
        st.plotly_chart(figures.on_b, key=f"pred_{where}_B")


def sweep_chart(
    columns: Sequence[Column], pair: Pair, res: MixResult, *, name_a: str, name_b: str
) -> None:
    """The columns' sweeps in one figure, the current mix's t = 1 - λ_adjusted marked; nothing
    when no column could be drawn."""
    if not columns:
        return
    figure = cached_sweep_figure(
        [(c.label, c.color, c.key, c.loaded, c.view) for c in columns],
        _picks(pair),
        res.box,
        name_a=name_a,
        name_b=name_b,
        t_now=1 - res.lam_adjusted,
    )
    st.plotly_chart(figure, key="sweep")
    st.caption(prose.SWEEP_CAPTION)

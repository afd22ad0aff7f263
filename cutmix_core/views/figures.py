"""Plotly figure builders for the pages: the Beta(alpha, alpha) density and the soft label, with
their charts; the look every chart of the app shares (:func:`apply_layout`). The image on which
a box is dragged is :mod:`cutmix_core.views.box_select`.

Figures are built here, not in the pages, so they can be tested without a browser and reused by
every page. The Beta density is

    p(lam) = lam^(alpha - 1) (1 - lam)^(alpha - 1) / B(alpha, alpha),
    B(a, a) = Gamma(a)^2 / Gamma(2a),

computed in log space with ``math.lgamma`` (scipy is not a dependency, and the formula is one
line). For alpha < 1 the density is infinite at 0 and 1, so the curve is drawn on an open grid
and the y axis is capped to keep the middle readable.

Every chart of the app gets its look from :func:`apply_layout`. Plotly checks a template named
in ``update_layout`` field by field and deep-copies it (40-odd trace types' defaults) on every
figure, most of what a chart of a page rerun cost. The registered template
is valid already, so :func:`apply_layout` sets it unchecked, as plotly sets its own default
template, and keeps of its per-trace defaults only those of the figure's trace types, which are
all that style it (:func:`template_for`); the figure's JSON is byte for byte what the checked
path gives with that template (a test compares them).

A playground rerun draws both charts anew, though only the lambdas or the soft label changed.
:func:`beta_density_chart` and :func:`soft_label_chart` give the same JSON as their figures
(tests compare them) from the curve and the layout built once (per alpha, per height, the last
:data:`BASE_CACHE_ENTRIES` kept: a few kilobytes each) and only the new lines or bars checked, as
a :class:`~cutmix_core.views.charts.ReadOnlyFigure`.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from functools import cache, lru_cache
from typing import Any

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio

from cutmix_core.mixing.pair import check_alpha
from cutmix_core.views.charts import ReadOnlyFigure, chart_of

#: Colours used for image A and image B everywhere in the app (boxes, bars, markers).
COLOR_A = "#1f77b4"
COLOR_B = "#ff7f0e"
COLOR_OTHER = "#9aa5b1"
#: The box outline colour on mixed images (RGB), chosen to stand out on most photos.
BOX_RGB = (255, 215, 0)
#: The plotly template of every chart (:func:`apply_layout`).
TEMPLATE = "plotly_white"
#: Curves and layouts the chart builders keep, per builder and process.
BASE_CACHE_ENTRIES = 16


def beta_pdf(x: np.ndarray, alpha: float) -> np.ndarray:
    """Density of Beta(alpha, alpha) at ``x`` (0 < x < 1); inf or 0 at the ends.

    Raises:
        ValueError: if alpha is not finite and > 0.
    """
    a = check_alpha(alpha)
    x = np.asarray(x, dtype=np.float64)
    log_norm = math.lgamma(2 * a) - 2 * math.lgamma(a)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_kernel = np.log(x) + np.log1p(-x)
    # (a - 1) * log(0) is 0 * -inf = nan at the ends for alpha = 1, where the density is 1.
    log_p = (a - 1) * log_kernel if a != 1 else np.zeros_like(x)
    log_p = log_p + log_norm
    return np.exp(log_p)


def common_layout(title: str, height: int) -> dict[str, Any]:
    """The layout every chart of the app shares (title, height, margins, legend below), as
    keyword arguments for ``go.Layout``; :func:`apply_layout` adds the template."""
    return dict(
        title=title,
        height=height,
        margin=dict(l=10, r=30, t=40, b=10),  # r: room for the last tick label ("truck")
        # Below the plot: above it, the legend ran into the title.
        legend=dict(orientation="h", yanchor="top", y=-0.2, xanchor="center", x=0.5),
    )


def apply_layout(fig: go.Figure, title: str, height: int) -> go.Figure:
    """The app's common layout for ``fig`` (title, height, margins, legend below, white
    template), so every page's charts look alike; returns ``fig``. Call it once every trace is
    in: the template keeps the defaults of the trace types ``fig`` holds then
    (:func:`set_template`)."""
    fig.update_layout(**common_layout(title, height))
    return set_template(fig, TEMPLATE)


def _figure(data: Sequence[Any], layout: dict[str, Any]) -> go.Figure:
    # One constructor call instead of a figure updated step by step: plotly re-walks the
    # figure on every update call, which cost a rerun's chart two thirds of its time.
    return set_template(go.Figure(data, layout=layout), TEMPLATE)


@cache
def _checked_template(name: str, trace_types: frozenset[str]) -> go.layout.Template:
    # What plotly's check makes of the registered template ``name`` kept to its layout and the
    # defaults of ``trace_types`` (the types a figure has), made once per process for each set
    # of types. Never handed out: read by copying only.
    full = pio.templates[name]
    kept = go.layout.Template(layout=full.layout)
    for kind in sorted(trace_types):
        defaults = getattr(full.data, kind, ())
        if defaults:
            kept.data[kind] = defaults
    return copy.deepcopy(kept)


def template_for(fig: go.Figure, name: str) -> go.layout.Template:
    """The registered plotly template ``name`` as :func:`set_template` gives it to ``fig``: its
    whole layout, and of its per-trace defaults (40-odd trace types in plotly's templates) those
    of the trace types ``fig`` holds; the other types' defaults style nothing ``fig`` draws."""
    return _checked_template(name, frozenset(trace.type for trace in fig.data))


def set_template(fig: go.Figure, name: str) -> go.Figure:
    """Give ``fig`` the registered plotly template ``name`` (:func:`template_for`: what styles
    the traces it holds now) without checking it again (the ``update_layout(template=name)``
    check costs milliseconds a figure); returns ``fig``. Call it once the traces are in.

    The same JSON as ``fig.update_layout(template=template_for(fig, name))``: plotly's own path
    for its default template, which it sets unchecked (``_validate`` off) since a registered
    one is valid.
    """
    template = template_for(fig, name)
    layout = fig.layout
    layout._validate = False  # the layout stores a copy of the template's dict, as checked
    try:
        layout.template = template
    finally:
        layout._validate = fig._validate
    return fig


def beta_density_figure(
    alpha: float,
    lam: float | None = None,
    lam_adjusted: float | None = None,
    *,
    points: int = 400,
    height: int = 300,
) -> go.Figure:
    """The Beta(alpha, alpha) density with the sampled and the area-corrected lambda marked.

    Args:
        alpha: the concentration.
        lam: the sampled (or set) lambda, drawn as a solid line; None to omit.
        lam_adjusted: the label weight, drawn as a dashed line; None to omit.
        points: grid size of the curve.
        height: figure height in pixels.
    """
    curve, cap = _beta_curve(alpha, points)
    return _figure([curve, *_beta_marks(lam, lam_adjusted, cap)], _beta_layout(cap, height))


def beta_density_chart(
    alpha: float,
    lam: float | None = None,
    lam_adjusted: float | None = None,
    *,
    points: int = 400,
    height: int = 300,
) -> ReadOnlyFigure:
    """:func:`beta_density_figure` for ``st.plotly_chart``: the same JSON, the curve and layout
    built once per alpha, only the two lambdas' lines each call."""
    base, cap = _beta_base(float(alpha), points, height)
    marks = [mark.to_plotly_json() for mark in _beta_marks(lam, lam_adjusted, cap)]
    return chart_of({"data": [*base["data"], *marks], "layout": base["layout"]})


@lru_cache(maxsize=BASE_CACHE_ENTRIES)
def _beta_base(alpha: float, points: int, height: int) -> tuple[dict[str, Any], float]:
    # The figure without lambdas as a dict, and its cap; shared, never changed.
    curve, cap = _beta_curve(alpha, points)
    return _figure([curve], _beta_layout(cap, height)).to_dict(), cap


def _beta_curve(alpha: float, points: int) -> tuple[go.Scatter, float]:
    """The density's curve, capped, and the cap (the y axis ends at 1.05 cap)."""
    x = np.linspace(0.0, 1.0, points + 2)[1:-1]  # open grid: the density may be inf at 0 and 1
    y = beta_pdf(x, alpha)
    cap = max(4.0, float(np.percentile(y, 90)) * 1.5)
    curve = go.Scatter(
        x=x,
        y=np.minimum(y, cap),
        mode="lines",
        name=f"Beta({alpha:g}, {alpha:g})",
        line=dict(color=COLOR_OTHER, width=3),
        fill="tozeroy",
    )
    return curve, cap


def _beta_marks(lam: float | None, lam_adjusted: float | None, cap: float) -> list[go.Scatter]:
    marks = []
    for value, name, dash in ((lam, "λ sampled", "solid"), (lam_adjusted, "λ adjusted", "dash")):
        if value is not None:
            marks.append(
                go.Scatter(
                    x=[value, value],
                    y=[0, cap],
                    mode="lines",
                    name=f"{name} = {value:.3f}",
                    line=dict(color=COLOR_A, dash=dash, width=2),
                )
            )
    return marks


def _beta_layout(cap: float, height: int) -> dict[str, Any]:
    return dict(
        xaxis=dict(title="λ", range=[0, 1]),
        yaxis=dict(title="density", range=[0, cap * 1.05]),
        **common_layout("Where λ comes from", height),
    )


def soft_label_figure(
    target: Sequence[float] | np.ndarray,
    class_names: Sequence[str],
    *,
    class_a: int | None = None,
    class_b: int | None = None,
    height: int = 300,
) -> go.Figure:
    """A bar chart of a soft label, A's class and B's class in their colours.

    Raises:
        ValueError: if the target and the class names differ in length.
    """
    bars = _soft_label_bars(target, class_names, class_a, class_b)
    return _figure([bars], _soft_label_layout(height))


def soft_label_chart(
    target: Sequence[float] | np.ndarray,
    class_names: Sequence[str],
    *,
    class_a: int | None = None,
    class_b: int | None = None,
    height: int = 300,
) -> ReadOnlyFigure:
    """:func:`soft_label_figure` for ``st.plotly_chart``: the same JSON, the layout built once
    per height, only the bars each call.

    Raises:
        ValueError: as :func:`soft_label_figure`.
    """
    bars = _soft_label_bars(target, class_names, class_a, class_b)
    return chart_of({"data": [bars.to_plotly_json()], "layout": _soft_label_base(height)})


@lru_cache(maxsize=BASE_CACHE_ENTRIES)
def _soft_label_base(height: int) -> dict[str, Any]:
    # The layout as a dict (with the template for bars); shared, never changed.
    layout: dict[str, Any] = _figure([go.Bar()], _soft_label_layout(height)).to_dict()["layout"]
    return layout


def _soft_label_bars(
    target: Sequence[float] | np.ndarray,
    class_names: Sequence[str],
    class_a: int | None,
    class_b: int | None,
) -> go.Bar:
    target = np.asarray(target, dtype=np.float64)
    if target.ndim != 1 or len(target) != len(class_names):
        raise ValueError(
            f"target of shape {target.shape} does not match {len(class_names)} class names"
        )
    colors = [COLOR_OTHER] * len(target)
    if class_b is not None:
        colors[class_b] = COLOR_B
    if class_a is not None:
        colors[class_a] = COLOR_A
    # Plain lists and ``marker=`` (not ``marker_color=``): the trace's dict then is what a
    # figure holding it gives, which :func:`soft_label_chart` relies on (a figure would encode
    # an array as base64 and reorder properties set by underscore names).
    return go.Bar(
        marker=dict(color=colors),
        text=[f"{v:.3f}" if v > 0 else "" for v in target],
        textposition="outside",
        x=list(class_names),
        y=target.tolist(),
    )


def _soft_label_layout(height: int) -> dict[str, Any]:
    return dict(
        xaxis=dict(automargin=True),
        yaxis=dict(title="target weight", range=[0, 1.15]),
        **common_layout("Soft label", height),
    )

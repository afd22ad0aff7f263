"""Plotly figure builders for the pages: the Beta(alpha, alpha) density and the soft label.

Figures are built here, not in the pages, so they can be tested without a browser and reused by
every page. The Beta density is

    p(lam) = lam^(alpha - 1) (1 - lam)^(alpha - 1) / B(alpha, alpha),
    B(a, a) = Gamma(a)^2 / Gamma(2a),

computed in log space with ``math.lgamma`` (scipy is not a dependency, and the formula is one
line). For alpha < 1 the density is infinite at 0 and 1, so the curve is drawn on an open grid
and the y axis is capped to keep the middle readable.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from cutmix_core.mixing.pair import check_alpha

#: Colours used for image A and image B everywhere in the app (boxes, bars, markers).
COLOR_A = "#1f77b4"
COLOR_B = "#ff7f0e"
COLOR_OTHER = "#9aa5b1"
#: The box outline colour on mixed images (RGB), chosen to stand out on most photos.
BOX_RGB = (255, 215, 0)


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


def apply_layout(fig: go.Figure, title: str, height: int) -> go.Figure:
    """The app's common layout for ``fig`` (title, height, margins, legend below, white
    template), so every page's charts look alike; returns ``fig``."""
    fig.update_layout(
        title=title,
        height=height,
        margin=dict(l=10, r=30, t=40, b=10),  # r: room for the last tick label ("truck")
        # Below the plot: above it, the legend ran into the title.
        legend=dict(orientation="h", yanchor="top", y=-0.2, xanchor="center", x=0.5),
        template="plotly_white",
    )
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
    x = np.linspace(0.0, 1.0, points + 2)[1:-1]  # open grid: the density may be inf at 0 and 1
    y = beta_pdf(x, alpha)
    cap = max(4.0, float(np.percentile(y, 90)) * 1.5)
    fig = go.Figure(
        go.Scatter(
            x=x,
            y=np.minimum(y, cap),
            mode="lines",
            name=f"Beta({alpha:g}, {alpha:g})",
            line=dict(color=COLOR_OTHER, width=3),
            fill="tozeroy",
        )
    )
    for value, name, dash in ((lam, "λ sampled", "solid"), (lam_adjusted, "λ adjusted", "dash")):
        if value is not None:
            fig.add_trace(
                go.Scatter(
                    x=[value, value],
                    y=[0, cap],
                    mode="lines",
                    name=f"{name} = {value:.3f}",
                    line=dict(color=COLOR_A, dash=dash, width=2),
                )
            )
    fig.update_xaxes(title="λ", range=[0, 1])
    fig.update_yaxes(title="density", range=[0, cap * 1.05])
    return apply_layout(fig, "Where λ comes from", height)


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
    fig = go.Figure(
        go.Bar(
            x=list(class_names),
            y=target,
            marker_color=colors,
            text=[f"{v:.3f}" if v > 0 else "" for v in target],
            textposition="outside",
        )
    )
    fig.update_yaxes(title="target weight", range=[0, 1.15])
    fig.update_xaxes(automargin=True)
    return apply_layout(fig, "Soft label", height)

"""Plotly figures for the alpha explorer: histograms, a scatter and the box-coverage heatmap.

Histograms are binned here with numpy and sent as bars, and the scatter and heatmap are reduced
(a subsample of points, block means of pixels), so that 100,000 draws or a 1024 x 1024 heatmap
never reach the browser as raw data. Densities are normalised so that the bars integrate to 1
and can be read against the Beta(alpha, alpha) density

    p(lam) = lam^(alpha - 1) (1 - lam)^(alpha - 1) / B(alpha, alpha)

(CutMix: Yun et al., ICCV 2019, https://arxiv.org/abs/1905.04899). Colours come from
``cutmix_core.views.figures``: the first alpha in blue, the second in orange, clipped boxes in grey,
and the heatmap from white to orange, the colour of image B, whose pixels fill the box.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from cutmix_core.mixing.explorer import AlphaStats
from cutmix_core.views.figures import COLOR_A, COLOR_B, COLOR_OTHER, apply_layout, beta_pdf

#: Colour of the first and the second alpha.
SERIES_COLORS = (COLOR_A, COLOR_B)
BINS = 50
SCATTER_POINTS = 2_000
HEATMAP_SIDE = 128


def _legend_below(fig: go.Figure) -> go.Figure:
    # Several series do not fit in one legend row beside the title; put the legend underneath.
    fig.update_layout(
        legend=dict(orientation="h", yanchor="top", y=-0.32, xanchor="left", x=0), margin=dict(b=10)
    )
    fig.update_xaxes(title_standoff=4)
    return fig


def _name(stats: AlphaStats) -> str:
    return f"α = {stats.alpha:g}"


def _density_bars(values: np.ndarray, color: str, name: str, bins: np.ndarray) -> go.Bar:
    heights, edges = np.histogram(values, bins=bins, density=True)
    return go.Bar(
        x=(edges[:-1] + edges[1:]) / 2,
        y=heights,
        width=np.diff(edges),
        name=name,
        marker=dict(color=color, opacity=0.55, line=dict(width=0)),
    )


def lambda_histogram_figure(series: Sequence[AlphaStats], *, height: int = 380) -> go.Figure:
    """Density histogram of the sampled lambda per alpha, with the Beta(alpha, alpha) curve."""
    bins = np.linspace(0.0, 1.0, BINS + 1)
    x = np.linspace(0.0, 1.0, 402)[1:-1]  # open grid: the density may be inf at 0 and 1
    fig = go.Figure()
    top = 0.0
    for stats, color in zip(series, SERIES_COLORS):
        bars = _density_bars(stats.lams, color, f"λ sampled, {_name(stats)}", bins)
        fig.add_trace(bars)
        pdf = beta_pdf(x, stats.alpha)
        top = max(top, float(np.max(bars.y)), float(np.percentile(pdf, 90)) * 1.5)
        fig.add_trace(
            go.Scatter(
                x=x,
                y=np.minimum(pdf, top * 1.05),
                mode="lines",
                name=f"Beta({stats.alpha:g}, {stats.alpha:g}) density",
                line=dict(color=color, width=3),
            )
        )
    fig.update_layout(barmode="overlay", bargap=0)
    fig.update_xaxes(title="λ", range=[0, 1])
    fig.update_yaxes(title="density", range=[0, max(top, 2.0) * 1.05])
    return _legend_below(apply_layout(fig, "Sampled λ against Beta(α, α)", height))


def lam_adjusted_histogram_figure(series: Sequence[AlphaStats], *, height: int = 380) -> go.Figure:
    """Density histogram of lam_adjusted per alpha, its mean dashed and 1/2 dotted."""
    bins = np.linspace(0.0, 1.0, BINS + 1)
    fig = go.Figure()
    top = 0.0
    for stats, color in zip(series, SERIES_COLORS):
        bars = _density_bars(stats.lam_adjusted, color, f"λ adjusted, {_name(stats)}", bins)
        fig.add_trace(bars)
        top = max(top, float(np.max(bars.y)))
    for stats, color in zip(series, SERIES_COLORS):
        fig.add_trace(
            go.Scatter(
                x=[stats.mean_lam_adjusted] * 2,
                y=[0, top * 1.05],
                mode="lines",
                name=f"mean {stats.mean_lam_adjusted:.3f}",
                line=dict(color=color, dash="dash", width=2),
            )
        )
    fig.add_trace(
        go.Scatter(
            x=[0.5, 0.5],
            y=[0, top * 1.05],
            mode="lines",
            name="1/2",
            line=dict(color=COLOR_OTHER, dash="dot", width=2),
        )
    )
    fig.update_layout(barmode="overlay", bargap=0)
    fig.update_xaxes(title="λ adjusted = 1 − box area / (HW)", range=[0, 1])
    fig.update_yaxes(title="density", range=[0, top * 1.05])
    return _legend_below(apply_layout(fig, "λ adjusted: the weight of A's label", height))


def lambda_scatter_figure(
    series: Sequence[AlphaStats], *, points: int = SCATTER_POINTS, height: int = 380
) -> go.Figure:
    """λ sampled against λ adjusted for the first ``points`` draws of each alpha.

    The draws are independent, so the first ``points`` are a uniform subsample.
    """
    fig = go.Figure(
        go.Scatter(
            x=[0, 1],
            y=[0, 1],
            mode="lines",
            name="λ adjusted = λ",
            line=dict(color=COLOR_OTHER, dash="dot"),
        )
    )
    for stats, color in zip(series, SERIES_COLORS):
        fig.add_trace(
            go.Scatter(
                x=stats.lams[:points],
                y=stats.lam_adjusted[:points],
                mode="markers",
                name=_name(stats),
                marker=dict(color=color, size=4, opacity=0.5),
            )
        )
    fig.update_xaxes(title="λ sampled", range=[0, 1])
    fig.update_yaxes(title="λ adjusted", range=[0, 1.02])
    return _legend_below(apply_layout(fig, "Clipping pushes λ adjusted above λ", height))


def area_figure(series: Sequence[AlphaStats], *, points: int = 401, height: int = 380) -> go.Figure:
    """Cumulative distribution of box area / (HW) per alpha, after (solid) and before clipping.

    A CDF rather than a histogram: before clipping the area takes few distinct values on small
    images (``(2 (cut // 2))^2 / (HW)``), which a histogram would show as spikes.
    """
    grid = np.linspace(0.0, 1.0, points)
    fig = go.Figure()
    for stats, color in zip(series, SERIES_COLORS):
        size = stats.h * stats.w
        for areas, when, dash in (
            (stats.boxes.area, "after", "solid"),
            (stats.boxes.unclipped_area, "before", "dash"),
        ):
            share = np.searchsorted(np.sort(areas / size), grid, side="right") / len(areas)
            fig.add_trace(
                go.Scatter(
                    x=grid,
                    y=share,
                    mode="lines",
                    line_shape="hv",
                    name=f"{when} clipping, {_name(stats)}",
                    line=dict(color=color, dash=dash, width=2),
                )
            )
    fig.update_xaxes(title="box area / (HW)", range=[0, 1])
    fig.update_yaxes(title="share of boxes, area ≤ x", range=[0, 1.02])
    return _legend_below(apply_layout(fig, "Box area, before and after clipping", height))


def aspect_figure(stats: AlphaStats, *, height: int = 380) -> go.Figure:
    """Counts of log2(width / height) of non-empty boxes, unclipped and clipped stacked."""
    aspect = stats.boxes.aspect
    keep = ~np.isnan(aspect)
    log_ratio = np.log2(aspect[keep])
    clipped = stats.boxes.clipped[keep]
    span = max(1.0, float(np.ceil(np.abs(log_ratio).max()))) if keep.any() else 1.0
    bins = np.linspace(-span, span, 2 * BINS + 1)
    centres = (bins[:-1] + bins[1:]) / 2
    fig = go.Figure()
    for mask, name, color in (
        (~clipped, "not clipped", SERIES_COLORS[0]),
        (clipped, "clipped by a border", COLOR_OTHER),
    ):
        counts, _ = np.histogram(log_ratio[mask], bins=bins)
        fig.add_trace(
            go.Bar(
                x=centres,
                y=counts,
                width=np.diff(bins),
                name=name,
                marker=dict(color=color, line=dict(width=0)),
            )
        )
    ticks = np.arange(-int(span), int(span) + 1)
    fig.update_layout(barmode="stack", bargap=0)
    fig.update_xaxes(
        title="box width / height (log scale)",
        tickvals=ticks,
        ticktext=[f"{2.0**t:g}" if t >= 0 else f"1/{2**-t}" for t in ticks],
    )
    fig.update_yaxes(title="boxes")
    empty = int((~keep).sum())
    return _legend_below(
        apply_layout(fig, f"Aspect ratio, {_name(stats)} ({empty} empty boxes left out)", height)
    )


def block_mean(values: np.ndarray, max_side: int = HEATMAP_SIDE) -> tuple[np.ndarray, int]:
    """Average ``values`` (h, w) over square blocks so neither side exceeds ``max_side``.

    Returns:
        (reduced, step): the block means, and the block side in pixels (1: unchanged). Edge
        blocks may be smaller; each is the mean of the pixels it holds.
    """
    h, w = values.shape
    step = max(1, -(-max(h, w) // max_side))
    if step == 1:
        return values, 1
    rows, cols = np.arange(0, h, step), np.arange(0, w, step)
    sums = np.add.reduceat(np.add.reduceat(values, rows, axis=0), cols, axis=1)
    counts = np.outer(np.diff(np.append(rows, h)), np.diff(np.append(cols, w)))
    return sums / counts, step


def coverage_figure(stats: AlphaStats, *, height: int = 360) -> go.Figure:
    """Heatmap: the share of draws whose box covers each pixel (white 0 to orange 1)."""
    cov, step = block_mean(stats.coverage)
    centre = (step - 1) / 2
    fig = go.Figure(
        go.Heatmap(
            z=cov,
            x=np.arange(cov.shape[1]) * step + centre,
            y=np.arange(cov.shape[0]) * step + centre,
            colorscale=[[0.0, "#ffffff"], [1.0, COLOR_B]],
            zmin=0.0,
            colorbar=dict(title="in box"),
            hovertemplate="row %{y}, column %{x}: %{z:.3f}<extra></extra>",
        )
    )
    fig.update_yaxes(title="row", autorange="reversed", scaleanchor="x", constrain="domain")
    fig.update_xaxes(title="column", constrain="domain")
    note = "" if step == 1 else f" ({step}×{step} blocks)"
    return apply_layout(fig, f"Pixel coverage by the box, {_name(stats)}{note}", height)

"""Plotly figures of an evaluation report (:mod:`cutmix_core.evaluation.report`) for the app.

* :func:`occlusion_figure`: test accuracy against the side of a square hole filled with the
  training-set mean colour, one colour per model, solid for a centred hole and dashed for a
  hole at a random place (the paper's occlusion experiment, Yun et al., ICCV 2019,
  arXiv 1905.04899).
* :func:`split_figure`: mean p(B) on CutMix images against t = 1 - lam_adjusted, the share of
  pixels pasted from B, in bins. A model that had learnt CutMix's target
  ``(1 - t) y_A + t y_B`` exactly would lie on the dotted line p(B) = t.
* ``summary_rows`` (from :mod:`cutmix_core.evaluation.report`): the table README shows, with
  the localizer's columns (mean IoU of the box drawn from class B's Grad-CAM against the pasted
  box, and the share at IoU >= 0.5; "–" for a report made before they existed).
"""

from __future__ import annotations

import plotly.graph_objects as go

from cutmix_core.evaluation.report import (
    IOU_COLUMN,
    EvaluationReport,
    ModelEvaluation,
    summary_rows,
)
from cutmix_core.views.figures import COLOR_OTHER, apply_layout

#: One colour per training augmentation; COLOR_A / COLOR_B stay reserved for images A and B.
AUG_COLORS = {"none": "#5b6770", "cutmix": "#d62728", "mixup": "#2ca02c", "cutout": "#9467bd"}
_SPARE = ("#8c564b", "#e377c2", "#bcbd22", "#17becf", "#7f7f7f")
PLACEMENT_DASH = {"centre": "solid", "random": "dash"}


def _colors(report: EvaluationReport) -> dict[str, str]:
    """Model name -> colour: by aug; a second model with the same aug gets a spare colour."""
    used: set[str] = set()
    out = {}
    spare = iter(_SPARE * (1 + len(report.models) // len(_SPARE)))
    for m in report.models:
        color = AUG_COLORS.get(m.aug)
        out[m.name] = color if color and color not in used else next(spare)
        used.add(out[m.name])
    return out


def _label(m: ModelEvaluation) -> str:
    return m.name if not m.aug or m.aug in m.name else f"{m.name} ({m.aug})"


def occlusion_figure(report: EvaluationReport, *, height: int = 380) -> go.Figure:
    """Accuracy against hole side: per model a solid (centre) and a dashed (random) line."""
    fig = go.Figure()
    colors = _colors(report)
    for m in report.models:
        for curve in m.occlusion:
            fig.add_trace(
                go.Scatter(
                    x=list(curve.holes),
                    y=list(curve.accuracy),
                    mode="lines+markers",
                    name=f"{_label(m)}, {curve.placement}",
                    legendgroup=m.name,
                    line=dict(color=colors[m.name], dash=PLACEMENT_DASH.get(curve.placement)),
                    hovertemplate="hole %{x} px: %{y:.1%}<extra>%{fullData.name}</extra>",
                )
            )
    fig.update_xaxes(title="hole side (px), filled with the mean colour", dtick=4)
    fig.update_yaxes(title="test accuracy", tickformat=".0%", rangemode="tozero")
    return apply_layout(
        fig, "Accuracy under occlusion (solid: centre, dashed: random place)", height
    )


def split_figure(report: EvaluationReport, *, height: int = 380) -> go.Figure:
    """Mean p(B) per bin of t = 1 - lam_adjusted for each model, with the ideal p(B) = t."""
    fig = go.Figure(
        go.Scatter(
            x=[0, 1],
            y=[0, 1],
            mode="lines",
            name="ideal: p(B) = t",
            line=dict(color=COLOR_OTHER, dash="dot"),
        )
    )
    colors = _colors(report)
    for m in report.models:
        c = m.pairs.curve
        keep = [i for i, n in enumerate(c.counts) if n > 0]  # empty bins have no mean
        fig.add_trace(
            go.Scatter(
                x=[c.centres[i] for i in keep],
                y=[c.mean_p_b[i] for i in keep],
                customdata=[c.counts[i] for i in keep],
                mode="lines+markers",
                name=_label(m),
                line=dict(color=colors[m.name]),
                hovertemplate="t ≈ %{x:.2f}: mean p(B) %{y:.2f} (%{customdata} pairs)"
                "<extra>%{fullData.name}</extra>",
            )
        )
    fig.update_xaxes(title="t = 1 − λ adjusted (share of pixels from B)", range=[0, 1])
    fig.update_yaxes(title="mean p(B) on the mixed image", range=[0, 1])
    return apply_layout(fig, f"Does p(B) follow the pasted area? ({report.pairs} pairs)", height)


def display_rows(report: EvaluationReport) -> list[dict[str, str]]:
    """:func:`summary_rows` formatted for reading: accuracies and rates as percentages, with
    how many all-zero Grad-CAM maps the CAM means left out (they flatter a model otherwise)."""
    rows = []
    for row, m in zip(summary_rows(report), report.models):
        out = {}
        for key, value in row.items():
            if value is None or (isinstance(value, float) and value != value):  # None or NaN
                out[key] = "–"
            elif key in ("model", "aug", "epochs"):
                out[key] = str(value)
            elif key == "params":
                out[key] = f"{value / 1e6:.2f}M"
            elif key in ("p(B) corr", "p(B) MAE", IOU_COLUMN):
                out[key] = f"{value:.3f}"
            else:
                out[key] = f"{100 * value:.1f}%"
        out["all-zero CAMs (A / B)"] = f"{m.pairs.cam_skipped_a} / {m.pairs.cam_skipped_b}"
        rows.append(out)
    return rows

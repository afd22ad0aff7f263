"""Pictures for the model page: top-k prediction bars against the target, Grad-CAM panels,
the localizer's box against the pasted one, the sweep, and the shipped models' learning curves.

A Grad-CAM panel is the image upscaled with crisp (nearest) pixels, the map upscaled smoothly
(bilinear) to the same size and blended over it in the jet colours of
:func:`cutmix_core.models.gradcam.overlay`, and the pasted box outlined on top. A localizer
panel is the mixed image with two outlines: the box :mod:`cutmix_core.models.localize` draws
from class B's map, and the pasted box in the app's box colour.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
import torch
import torch.nn.functional as F
from PIL import Image
from plotly.subplots import make_subplots

from cutmix_core.box import Box
from cutmix_core.data.images import check_image, draw_box, upscale_nearest
from cutmix_core.mixing.pair import soft_label
from cutmix_core.models.gradcam import overlay
from cutmix_core.views.evaluation_figures import AUG_COLORS
from cutmix_core.views.figures import (
    BOX_RGB,
    COLOR_A,
    COLOR_B,
    COLOR_OTHER,
    TEMPLATE,
    apply_layout,
    common_layout,
    set_template,
)
from cutmix_core.views.model_view import MixExplanation, SplitSweep
from cutmix_core.views.training_view import TrainingCurve

#: The box outline on Grad-CAM panels (white: visible on every colour of the jet map).
CAM_BOX_RGB = (255, 255, 255)
#: The localizer's box on the mixed image, and the words captions use for the two outlines.
LOCALIZER_RGB = (0, 229, 255)
LOCALIZER_COLOR_NAME = "cyan"
TRUTH_COLOR_NAME = "gold"  # views.figures.BOX_RGB, the pasted box on every mixed image


def prediction_figure(
    probs: np.ndarray,
    classes: Sequence[str],
    *,
    k: int = 5,
    target: np.ndarray | None = None,
    class_a: int | None = None,
    class_b: int | None = None,
    title: str = "Prediction",
    height: int = 260,
) -> go.Figure:
    """Horizontal bars of the ``k`` most likely classes (most likely on top), class A and B in
    their colours, and the target weight of each shown class as a black tick.

    Classes A and B are always shown, even outside the top ``k``, so p(A) and p(B) can be read
    against the target.

    Raises:
        ValueError: if ``probs`` (or ``target``) does not have one value per class.
    """
    probs = np.asarray(probs, dtype=np.float64)
    if probs.ndim != 1 or len(probs) != len(classes):
        raise ValueError(f"probs of shape {probs.shape} does not match {len(classes)} classes")
    if target is not None:
        target = np.asarray(target, dtype=np.float64)
        if target.shape != probs.shape:
            raise ValueError(f"target of shape {target.shape} does not match probs {probs.shape}")
    shown = list(np.argsort(-probs, kind="stable")[:k])
    for c in (class_a, class_b):
        if c is not None and c not in shown:
            shown.append(int(c))
    shown = sorted(shown, key=lambda i: -probs[i])[::-1]  # plotly draws bottom-up
    colors = [COLOR_A if i == class_a else COLOR_B if i == class_b else COLOR_OTHER for i in shown]
    names = [classes[i] for i in shown]
    traces = [
        go.Bar(
            x=[probs[i] for i in shown],
            y=names,
            orientation="h",
            marker_color=colors,
            name="model",
            text=[f"{probs[i]:.2f}" for i in shown],
            textposition="outside",
        )
    ]
    if target is not None:
        traces.append(
            go.Scatter(
                x=[target[i] for i in shown],
                y=names,
                mode="markers",
                marker={
                    "symbol": "line-ns",
                    "size": 18,
                    "color": "black",
                    "line": {"width": 3, "color": "black"},
                },
                name="target (soft label)",
            )
        )
    # One constructor call: plotly re-walks the figure on every update call.
    layout = dict(
        xaxis=dict(range=[0, 1.18]),  # no axis title: it ran into the legend below
        showlegend=target is not None,
        bargap=0.25,
        **common_layout(title, height),
    )
    return set_template(go.Figure(traces, layout=layout), TEMPLATE)


def cam_panel(
    image: np.ndarray, cam: np.ndarray, box: Box | None, *, scale: int = 1, alpha: float = 0.5
) -> np.ndarray:
    """The image (upscaled ``scale`` x, nearest) with ``cam`` (H, W) in [0, 1] blended over it
    (bilinear to the upscaled size) and ``box`` outlined; HWC uint8, a new array.

    Raises:
        ValueError: on a map of another size than the image, values outside [0, 1], a bad
            scale, or a box that does not fit.
    """
    check_image(image)
    cam = np.asarray(cam, dtype=np.float32)
    if cam.shape != image.shape[:2]:
        raise ValueError(f"cam must have the image's shape {image.shape[:2]}, got {cam.shape}")
    big = upscale_nearest(image, scale)
    if scale > 1:
        cam = (
            F.interpolate(
                torch.from_numpy(cam)[None, None],
                size=big.shape[:2],
                mode="bilinear",
                align_corners=False,
            )[0, 0]
            .clamp(0, 1)
            .numpy()
        )
    blended = overlay(big, cam, alpha)
    if box is None:
        return blended
    s = int(scale)
    # White, not the app's gold BOX_RGB: gold vanishes in jet's yellow band.
    return draw_box(
        blended,
        Box(box.y0 * s, box.y1 * s, box.x0 * s, box.x1 * s),
        color=CAM_BOX_RGB,
        thickness=max(2, s // 4),
    )


def panel_bytes(panel: np.ndarray) -> bytes:
    """A panel (HWC uint8) as the page shows it: JPEG at quality 100, the encoding Streamlit's
    ``st.image`` gives an RGB array by default, so encoding it once here shows the same bytes
    under the same media address as handing ``st.image`` the array on every rerun (a test
    compares them)."""
    check_image(panel)
    buf = io.BytesIO()
    Image.fromarray(panel).save(buf, format="JPEG", quality=100)
    return buf.getvalue()


@dataclass(frozen=True, eq=False)
class ColumnFigures:
    """What a model column draws of one :class:`~cutmix_core.views.model_view.MixExplanation`:
    the bars on the mix, on A alone and on B alone, and the Grad-CAM panels for classes A and B
    encoded by :func:`panel_bytes`."""

    on_mix: go.Figure
    on_a: go.Figure
    on_b: go.Figure
    cam_a: bytes
    cam_b: bytes


def column_figures(ex: MixExplanation, image: np.ndarray, *, scale: int = 1) -> ColumnFigures:
    """The figures of one model's column for its explanation ``ex`` of the mixed ``image``
    (HWC uint8): its predictions against the soft label on the mix and against the one-hot
    label on A and B, and both Grad-CAM panels upscaled ``scale`` times with the box outlined.

    Raises:
        ValueError: as :func:`prediction_figure` and :func:`cam_panel`.
    """
    n = len(ex.classes)
    ca, cb = ex.class_a, ex.class_b
    shown = (  # probabilities, target, the classes in their colours, title
        (ex.probs_mixed, soft_label(ca, cb, ex.lam_adjusted, n), ca, cb, "On the mixed image"),
        (ex.probs_a, soft_label(ca, ca, 1.0, n), ca, None, "On image A"),
        (ex.probs_b, soft_label(cb, cb, 1.0, n), None, cb, "On image B"),
    )
    bars = [
        prediction_figure(probs, ex.classes, target=target, class_a=a, class_b=b, title=title)
        for probs, target, a, b, title in shown
    ]
    cams = [panel_bytes(cam_panel(image, cam, ex.box, scale=scale)) for cam in (ex.cam_a, ex.cam_b)]
    return ColumnFigures(*bars, *cams)


def _scaled(box: Box, s: int) -> Box:
    return Box(box.y0 * s, box.y1 * s, box.x0 * s, box.x1 * s)


def localizer_panel(
    image: np.ndarray, truth: Box, found: Box | None, *, scale: int = 1
) -> np.ndarray:
    """The image (upscaled ``scale`` x, nearest) with the localizer's box ``found`` outlined in
    :data:`LOCALIZER_RGB` and the pasted box ``truth`` in the app's gold on top, half as thick,
    so both stay visible where they coincide; HWC uint8, a new array.

    Raises:
        ValueError: on a bad image or scale, or a box that does not fit.
    """
    check_image(image)
    big = upscale_nearest(image, scale)
    s = int(scale)
    line = max(2, s // 4)
    if found is not None:
        big = draw_box(big, _scaled(found, s), color=LOCALIZER_RGB, thickness=2 * line)
    return draw_box(big, _scaled(truth, s), color=BOX_RGB, thickness=line)


def training_figure(curves: Sequence[TrainingCurve], *, height: int = 360) -> go.Figure:
    """Training loss (left) and test accuracy (right) by epoch, one colour per model (by its
    augmentation, as in the evaluation's plots), one legend entry per model."""
    fig = make_subplots(
        rows=1,
        cols=2,
        subplot_titles=("training loss (augmented batches)", "test accuracy (no flip average)"),
        horizontal_spacing=0.1,
    )
    spare = iter(("#8c564b", "#e377c2", "#bcbd22", "#17becf") * (1 + len(curves)))
    used: set[str] = set()
    for curve in curves:
        color = AUG_COLORS.get(curve.aug)
        color = color if color and color not in used else next(spare)
        used.add(color)
        for col, values, hover in (
            (1, curve.loss, "epoch %{x}: loss %{y:.3f}"),
            (2, curve.test_accuracy, "epoch %{x}: %{y:.2%}"),
        ):
            fig.add_trace(
                go.Scatter(
                    x=list(curve.epochs),
                    y=list(values),
                    mode="lines+markers",
                    name=curve.label,
                    legendgroup=curve.key,
                    showlegend=col == 1,
                    line=dict(color=color),
                    marker=dict(size=5),
                    hovertemplate=hover + "<extra>%{fullData.name}</extra>",
                ),
                row=1,
                col=col,
            )
    fig.update_xaxes(title="epoch", dtick=1)
    fig.update_yaxes(title="loss", row=1, col=1)
    fig.update_yaxes(title="accuracy", tickformat=".0%", row=1, col=2)
    return apply_layout(fig, "How they trained", height)


def sweep_figure(
    sweeps: Sequence[tuple[str, SplitSweep]],
    *,
    name_a: str = "A",
    name_b: str = "B",
    colors: Sequence[str] | None = None,
    t_now: float | None = None,
    height: int = 340,
) -> go.Figure:
    """p(B) (solid) and p(A) (dotted) against t = share of pixels from B, one colour per model,
    with the ideal p = t and p = 1 - t of a model that learned the soft label exactly.

    Args:
        sweeps: ``(model label, SplitSweep)`` pairs (see ``model_view.sweep_split``).
        colors: one line colour per model (default: a fixed palette).
        t_now: the current mix's t, marked with a vertical line.
    """
    palette = ("#2ca02c", "#d62728", "#9467bd", "#8c564b")
    traces = [
        go.Scatter(
            x=[0, 1],
            y=[0, 1],
            mode="lines",
            name="label weight of B (t)",
            line=dict(color=COLOR_B, dash="dash", width=1),
        ),
        go.Scatter(
            x=[0, 1],
            y=[1, 0],
            mode="lines",
            name="label weight of A (1 − t)",
            line=dict(color=COLOR_A, dash="dash", width=1),
        ),
    ]
    for i, (label, sweep) in enumerate(sweeps):
        color = colors[i] if colors is not None else palette[i % len(palette)]
        traces.append(
            go.Scatter(
                x=sweep.t,
                y=sweep.p_b,
                mode="lines+markers",
                name=f"{label}: p({name_b})",
                line=dict(color=color),
                marker=dict(size=5),
            )
        )
        traces.append(
            go.Scatter(
                x=sweep.t,
                y=sweep.p_a,
                mode="lines",
                name=f"{label}: p({name_a})",
                line=dict(color=color, dash="dot"),
            )
        )
    layout: dict[str, object] = {}
    if t_now is not None:  # a vertical line over the plot's height, labelled above it
        where = dict(xref="x", yref="y domain")
        line = dict(color="black", width=1)
        layout["shapes"] = [dict(type="line", x0=t_now, x1=t_now, y0=0, y1=1, line=line, **where)]
        mark = dict(text="this mix", showarrow=False, xanchor="center", yanchor="bottom")
        layout["annotations"] = [dict(x=t_now, y=1, **mark, **where)]
    layout.update(
        xaxis=dict(title="t = share of pixels from B (1 − λ_adj)", range=[0, 1]),
        yaxis=dict(title="probability on the mixed image", range=[0, 1.02]),
        **common_layout("As the pasted box grows", height),
    )
    # One constructor call: plotly re-walks the figure on every update call.
    return set_template(go.Figure(traces, layout=layout), TEMPLATE)

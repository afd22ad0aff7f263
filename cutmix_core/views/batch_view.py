"""What the comparison page and the training-batch page show, computed without Streamlit.

Compare (one pair A, B, one lambda, one box): the three methods the CutMix paper (Yun et al.,
ICCV 2019, https://arxiv.org/abs/1905.04899) sets side by side, applied to the same inputs:

    Mixup  (Zhang et al., https://arxiv.org/abs/1710.09412):
        x = lam * x_A + (1 - lam) * x_B              y = lam * y_A + (1 - lam) * y_B
    Cutout (DeVries & Taylor, https://arxiv.org/abs/1708.04552):
        x = x_A with the box filled with one colour  y = y_A  (label unchanged)
    CutMix:
        x = M * x_A + (1 - M) * x_B                  y = lam_adj * y_A + (1 - lam_adj) * y_B
        M is 0 inside the box, 1 outside; lam_adj = 1 - box_area / (H * W)

Mixup's label weight is the lambda itself; CutMix's is the area-corrected ``lam_adj``.

Training batch: a seeded subset of a CIFAR-10 set (:func:`seeded_subset`) goes through
``cutmix_core.mixing.batch.cutmix_batch`` as an ``(N, C, H, W)`` uint8 tensor, converted by
``cutmix_core.data.tensors`` (the one place where numpy ``(N, H, W, C)`` and torch
``(N, C, H, W)`` meet). :func:`batch_grid`, :func:`cell_caption` and
:func:`target_heatmap_figure` turn a ``BatchMixResult`` into what the page draws. Randomness is
passed in; inputs are never modified.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
import torch

from cutmix_core.box import Box
from cutmix_core.data.images import Color, check_image, draw_box
from cutmix_core.data.tensors import to_hwc
from cutmix_core.mixing.batch import BatchMixResult
from cutmix_core.mixing.pair import MixResult, cutmix, cutout, mixup, soft_label
from cutmix_core.views.figures import BOX_RGB

#: Cutout fill colours offered by the compare page. Grey is mid-grey, close to the CIFAR-10
#: mean colour that the original Cutout code's zero (after normalisation) stands for.
CUTOUT_FILLS: dict[str, Color] = {"grey": (128, 128, 128), "black": (0, 0, 0)}
DEFAULT_FILL = "grey"


# --------------------------------------------------------------------------- one pair, 3 methods
@dataclass(frozen=True)
class MethodView:
    """One augmentation of the pair: its name, image result, soft label and one line on it.

    Attributes:
        name: "Mixup", "Cutout" or "CutMix".
        result: the MixResult (image HWC uint8, box, lam, lam_adjusted).
        target: (num_classes,) float64 soft label, sums to 1.
        label_text: one sentence on what the label is, with its numbers.
        weight_a: the weight of A's class in the label (Cutout: 1, B is absent).
    """

    name: str
    result: MixResult
    target: np.ndarray
    label_text: str
    weight_a: float


@dataclass(frozen=True)
class Comparison:
    """Mixup, Cutout and CutMix of the same A, B, lambda and box."""

    mixup: MethodView
    cutout: MethodView
    cutmix: MethodView

    @property
    def methods(self) -> tuple[MethodView, MethodView, MethodView]:
        """The three views in the order the page shows them."""
        return (self.mixup, self.cutout, self.cutmix)


def _mix_text(lam: float, name_a: str, name_b: str) -> str:
    if name_a == name_b:
        return f"1.000 · {name_a}"
    return f"{lam:.3f} · {name_a} + {1.0 - lam:.3f} · {name_b}"


def compare_three(
    a: np.ndarray,
    b: np.ndarray,
    lam: float,
    box: Box,
    *,
    y_a: int,
    y_b: int,
    class_names: Sequence[str],
    fill: Color = CUTOUT_FILLS[DEFAULT_FILL],
) -> Comparison:
    """Apply Mixup (weight ``lam``), Cutout (``box``) and CutMix (``box``) to one pair.

    Args:
        a, b: HWC uint8 images of one shape; not modified.
        lam: the lambda sampled or set (Mixup's blend and label weight).
        box: the CutMix box sampled for ``lam``; Cutout fills the same box.
        y_a, y_b: class indices of A and B in ``class_names``.
        class_names: the label space of the soft labels.
        fill: RGB Cutout fills the box with.

    Raises:
        ValueError: for non-image inputs, lam outside [0, 1], a box that does not fit, classes
            outside the label space or a bad fill.
    """
    check_image(a, "a")
    check_image(b, "b")
    ok = isinstance(fill, (tuple, list)) and len(fill) == 3
    if not ok or not all(isinstance(v, (int, np.integer)) and 0 <= v <= 255 for v in fill):
        raise ValueError(f"fill must be three ints in 0..255, got {fill!r}")
    c = len(class_names)
    if not 0 <= y_a < c or not 0 <= y_b < c:
        raise ValueError(f"y_a and y_b must be in [0, {c}), got {y_a!r} and {y_b!r}")
    name_a, name_b = class_names[y_a], class_names[y_b]

    mix = mixup(a, b, lam)
    mix_view = MethodView(
        "Mixup",
        mix,
        soft_label(y_a, y_b, mix.lam_adjusted, c),
        f"Label = {_mix_text(mix.lam, name_a, name_b)}: the blend weight λ "
        "itself, although every pixel is a blend of both images.",
        mix.lam_adjusted,
    )
    out = cutout(a, box, fill=tuple(int(v) for v in fill))
    out_view = MethodView(
        "Cutout",
        out,
        soft_label(y_a, y_a, 1.0, c),
        f"Label = 1.000 · {name_a}, unchanged: {box.area / _area(a):.1%} of "
        "A's pixels are blanked, but nothing of B comes in.",
        1.0,
    )
    cut = cutmix(a, b, lam=lam, box=box)
    cut_view = MethodView(
        "CutMix",
        cut,
        soft_label(y_a, y_b, cut.lam_adjusted, c),
        f"Label = {_mix_text(cut.lam_adjusted, name_a, name_b)}: the share "
        f"of pixels from each image, λ_adjusted = 1 − {box.area}/{_area(a)}.",
        cut.lam_adjusted,
    )
    return Comparison(mix_view, out_view, cut_view)


def _area(img: np.ndarray) -> int:
    return int(img.shape[0] * img.shape[1])


# --------------------------------------------------------------------------- batch subset
def seeded_subset(n_total: int, size: int, *, rng: np.random.Generator) -> np.ndarray:
    """``size`` distinct positions out of ``n_total``, in the random order drawn (int64).

    The order matters: with ``pairing="roll"`` sample i is paired with sample i - 1.

    Raises:
        ValueError: unless ``1 <= size <= n_total``.
    """
    if isinstance(size, bool) or not 1 <= int(size) <= int(n_total):
        raise ValueError(f"size must be in [1, n_total={n_total}], got {size!r}")
    return rng.choice(int(n_total), size=int(size), replace=False).astype(np.int64)


# --------------------------------------------------------------------------- batch display
@dataclass(frozen=True)
class BatchSummary:
    """Headline numbers of a batch: size, how many samples were mixed, mean label weight."""

    n: int
    n_applied: int
    mean_lam_adjusted: float


def summarize(result: BatchMixResult) -> BatchSummary:
    """The numbers the batch page shows as metrics."""
    return BatchSummary(
        n=int(result.images.shape[0]),
        n_applied=int(result.applied.sum()),
        mean_lam_adjusted=float(result.lams_adjusted.mean()),
    )


def batch_grid(
    result: BatchMixResult, *, scale: int = 3, color: Color = BOX_RGB, thickness: int = 1
) -> list[np.ndarray]:
    """One HWC uint8 image per sample: the mixed image upscaled, its box outlined.

    Cell i equals ``draw_box(to_hwc(result.images)[i], result.boxes[i], ...)``; samples left
    alone have an empty box and show no outline.
    """
    images = to_hwc(result.images)
    return [
        draw_box(img, box, color=color, thickness=thickness, scale=scale)
        for img, box in zip(images, result.boxes)
    ]


def top_weights(
    target: Sequence[float] | np.ndarray, class_names: Sequence[str], k: int = 2
) -> list[tuple[str, float]]:
    """The ``k`` largest non-zero target weights as (class name, weight), largest first (ties by
    class index); at least one entry."""
    t = np.asarray(target, dtype=np.float64)
    if t.ndim != 1 or len(t) != len(class_names):
        raise ValueError(f"target of shape {t.shape} does not match {len(class_names)} classes")
    top = np.argsort(-t, kind="stable")[: max(1, int(k))]
    kept = [int(i) for i in top if t[i] > 0] or [int(top[0])]
    return [(class_names[i], float(t[i])) for i in kept]


def cell_caption(
    i: int,
    result: BatchMixResult,
    labels: Sequence[int],
    class_names: Sequence[str],
    *,
    sep: str = " · ",
) -> str:
    """E.g. ``#3 cat ← dog (#2) · λ_adj 0.7500 · cat 0.750, dog 0.250``.

    A sample left alone reads ``#3 cat (not mixed) · λ_adj 1.0000 · cat 1.000``.

    Args:
        i: the sample's position in the batch.
        result: the batch op's result.
        labels: (N,) class index of each sample, as passed to the batch op.
        class_names: names of the classes.
        sep: what joins the three parts (the page uses a markdown line break).
    """
    n = int(result.images.shape[0])
    if not 0 <= i < n:
        raise ValueError(f"i must be in [0, {n}), got {i!r}")
    own = class_names[int(labels[i])]
    partner = int(result.partners[i])
    who = (
        f"{own} ← {class_names[int(labels[partner])]} (#{partner})"
        if bool(result.applied[i])
        else f"{own} (not mixed)"
    )
    tops = ", ".join(
        f"{name} {w:.3f}" for name, w in top_weights(result.targets[i].cpu().numpy(), class_names)
    )
    return sep.join((f"#{i} {who}", f"λ_adj {float(result.lams_adjusted[i]):.4f}", tops))


def target_heatmap_figure(
    targets: torch.Tensor | np.ndarray,
    class_names: Sequence[str],
    *,
    row_labels: Sequence[str] | None = None,
    height: int | None = None,
) -> go.Figure:
    """The (N, num_classes) target matrix as a heatmap: a row per sample, a column per class.

    Raises:
        ValueError: if ``targets`` is not 2-D with one column per class name, or the row labels
            do not match its rows.
    """
    z = (
        targets.detach().cpu().numpy() if isinstance(targets, torch.Tensor) else np.asarray(targets)
    ).astype(np.float64)
    if z.ndim != 2 or z.shape[1] != len(class_names):
        raise ValueError(f"targets of shape {z.shape} do not match {len(class_names)} classes")
    rows = list(row_labels) if row_labels is not None else [f"#{i}" for i in range(len(z))]
    if len(rows) != len(z):
        raise ValueError(f"{len(rows)} row labels for {len(z)} rows")
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=list(class_names),
            y=rows,
            zmin=0.0,
            zmax=1.0,
            colorscale="Blues",
            hovertemplate="%{y} · %{x}: %{z:.4f}<extra></extra>",
            texttemplate="%{z:.2f}" if len(z) <= 16 else None,
        )
    )
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_layout(
        title="Targets: one row per sample, one column per class",
        height=height or max(300, 22 * len(z) + 120),
        margin=dict(l=10, r=10, t=40, b=10),
        template="plotly_white",
    )
    return fig

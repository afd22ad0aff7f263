"""Many CutMix draws at once: how alpha shapes lambda, the box and the label weight.

CutMix (Yun et al., ICCV 2019, https://arxiv.org/abs/1905.04899) samples, for every pair,

    lam ~ Beta(alpha, alpha),          E[lam] = 1/2,  Var[lam] = 1 / (4 (2 alpha + 1))
    cut_h = int(H sqrt(1 - lam)),      cut_w = int(W sqrt(1 - lam))
    (cy, cx) uniform over the H x W image
    box = [cy - cut_h // 2, cy + cut_h // 2) x [cx - cut_w // 2, cx + cut_w // 2), clipped
    lam_adjusted = 1 - box_area / (H W)

This module draws ``n`` of them at once as numpy arrays and summarises
them for the alpha explorer page: sample moments against the closed forms, the share of boxes
clipped by a border, and how often each pixel lies inside the box.

Why ``E[lam_adjusted]`` is about 0.70, not 0.5, at alpha = 1 on 32 x 32: the centre is uniform
over the whole image, so a box near a border hangs over it and is clipped, and the cut sides are
rounded down (an odd side also loses a row or column to ``cut // 2``). Both make the box smaller
than ``1 - lam`` of the image, so A keeps more than ``lam`` of the pixels on average.

The boxes come from the one box rule, :mod:`cutmix_core.mixing.rule`, vectorised (its
``BoxArrays``, ``boxes_from_centers``, ``sample_boxes`` and ``sample_lambdas`` are re-exported
here), and are drawn in its one order: all lambdas, then the centres box by box (row, column).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cutmix_core import defaults
from cutmix_core.checks import check_int
from cutmix_core.mixing.rule import (
    BoxArrays,
    boxes_from_centers,
    check_alpha,
    check_size,
    sample_boxes,
    sample_cutmix_boxes,
    sample_lambdas,
)

__all__ = [
    "ALPHAS",
    "MAX_SIDE",
    "N_CHOICES",
    "N_DEFAULT",
    "AlphaStats",
    "BoxArrays",
    "alpha_stats",
    "beta_mean_var",
    "boxes_from_centers",
    "coverage",
    "sample_boxes",
    "sample_lambdas",
]

#: The alpha values offered by the UI's log-scale sliders (the playground should import these).
ALPHAS: tuple[float, ...] = defaults.ALPHAS
#: Sample counts offered by the explorer, and its default.
N_CHOICES: tuple[int, ...] = (1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000)
N_DEFAULT: int = 20_000
#: Largest image side the explorer accepts.
MAX_SIDE: int = 1024


def beta_mean_var(alpha: float) -> tuple[float, float]:
    """Closed-form mean and variance of Beta(alpha, alpha): ``(1/2, 1 / (4 (2 alpha + 1)))``.

    Raises:
        ValueError: if alpha is not finite and > 0.
    """
    a = check_alpha(alpha)
    return 0.5, 1.0 / (4.0 * (2.0 * a + 1.0))


def coverage(boxes: BoxArrays, h: int, w: int) -> np.ndarray:
    """How often each pixel lies inside the box: float64 of shape (h, w), values in [0, 1].

    A 2-D difference array: +1 at (y0, x0) and (y1, x1), -1 at (y0, x1) and (y1, x0), then a
    cumulative sum along both axes counts the boxes over every pixel in O(n + h w). Its mean is
    ``mean(area) / (h w) = mean(1 - lam_adjusted)``.

    Raises:
        ValueError: if a box does not fit in the image or there are no boxes.
    """
    h, w = check_size(h, w)
    if len(boxes) == 0:
        raise ValueError("coverage needs at least one box, got 0")
    if boxes.y1.max() > h or boxes.x1.max() > w:
        raise ValueError(f"boxes do not fit in a {h}x{w} image")
    size = (h + 1) * (w + 1)
    diff = np.zeros(size, dtype=np.int64)
    for ys, xs, sign in (
        (boxes.y0, boxes.x0, 1),
        (boxes.y1, boxes.x1, 1),
        (boxes.y0, boxes.x1, -1),
        (boxes.y1, boxes.x0, -1),
    ):
        diff += sign * np.bincount(ys * (w + 1) + xs, minlength=size)
    counts = diff.reshape(h + 1, w + 1).cumsum(axis=0).cumsum(axis=1)[:h, :w]
    return counts / len(boxes)


@dataclass(frozen=True)
class AlphaStats:
    """``n`` CutMix draws for one alpha on an ``h`` x ``w`` image, and their summary.

    Attributes:
        lams, lam_adjusted: float64 (n,). boxes: the boxes. coverage: float64 (h, w).
        mean_lam, var_lam, mean_lam_adjusted, var_lam_adjusted: sample moments (var: ddof=1).
        clipped_share: the share of boxes a border cut.
        mean_area, mean_unclipped_area: mean box area as a fraction of h w, after and before
            clipping (before clipping it is already below ``1 - E[lam]`` from rounding down).
    """

    alpha: float
    h: int
    w: int
    n: int
    lams: np.ndarray
    boxes: BoxArrays
    lam_adjusted: np.ndarray
    coverage: np.ndarray
    mean_lam: float
    var_lam: float
    mean_lam_adjusted: float
    var_lam_adjusted: float
    clipped_share: float
    mean_area: float
    mean_unclipped_area: float


def _var(x: np.ndarray) -> float:
    return float(np.var(x, ddof=1)) if len(x) > 1 else 0.0


def alpha_stats(
    alpha: float = defaults.ALPHA,
    h: int = 32,
    w: int = 32,
    n: int = N_DEFAULT,
    *,
    rng: np.random.Generator,
) -> AlphaStats:
    """Draw ``n`` lambdas and boxes for ``alpha`` on an ``h`` x ``w`` image and summarise them.

    Raises:
        ValueError: for alpha not a finite number > 0, n not an integer >= 1, or a side < 1.
    """
    h, w = check_size(h, w)
    n = check_int(n, "n", lo=1)
    lams, boxes = sample_cutmix_boxes(h, w, alpha, n, rng=rng)
    lam_adj = boxes.lam_adjusted(h, w)
    return AlphaStats(
        alpha=float(alpha),
        h=h,
        w=w,
        n=n,
        lams=lams,
        boxes=boxes,
        lam_adjusted=lam_adj,
        coverage=coverage(boxes, h, w),
        mean_lam=float(lams.mean()),
        var_lam=_var(lams),
        mean_lam_adjusted=float(lam_adj.mean()),
        var_lam_adjusted=_var(lam_adj),
        clipped_share=float(boxes.clipped.mean()),
        mean_area=float(boxes.area.mean()) / (h * w),
        mean_unclipped_area=float(boxes.unclipped_area.mean()) / (h * w),
    )

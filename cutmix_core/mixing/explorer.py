"""Many CutMix draws at once: how alpha shapes lambda, the box and the label weight.

CutMix (Yun et al., ICCV 2019, https://arxiv.org/abs/1905.04899) samples, for every pair,

    lam ~ Beta(alpha, alpha),          E[lam] = 1/2,  Var[lam] = 1 / (4 (2 alpha + 1))
    cut_h = int(H sqrt(1 - lam)),      cut_w = int(W sqrt(1 - lam))
    (cy, cx) uniform over the H x W image
    box = [cy - cut_h // 2, cy + cut_h // 2) x [cx - cut_w // 2, cx + cut_w // 2), clipped
    lam_adjusted = 1 - box_area / (H W)

This module draws ``n`` of them as numpy arrays (100,000 in a few milliseconds) and summarises
them for the alpha explorer page: sample moments against the closed forms, the share of boxes
clipped by a border, and how often each pixel lies inside the box.

Why ``E[lam_adjusted]`` is about 0.70, not 0.5, at alpha = 1 on 32 x 32: the centre is uniform
over the whole image, so a box near a border hangs over it and is clipped, and the cut sides are
rounded down (an odd side also loses a row or column to ``cut // 2``). Both make the box smaller
than ``1 - lam`` of the image, so A keeps more than ``lam`` of the pixels on average.

The vectorised box is a second implementation of ``mixing.box_from_center`` (a per-sample
Python loop would take about a second for 100,000 draws); a test checks that the two agree
exactly on thousands of draws. The draws use one generator in the order: all lambdas, then all
centre rows, then all centre columns.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cutmix_core import defaults
from cutmix_core.mixing.pair import check_alpha

#: The alpha values offered by the UI's log-scale sliders (the playground should import these).
ALPHAS: tuple[float, ...] = defaults.ALPHAS
#: Sample counts offered by the explorer, and its default.
N_CHOICES: tuple[int, ...] = (1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000)
N_DEFAULT: int = 20_000
#: Largest image side the explorer accepts.
MAX_SIDE: int = 1024


def _check_n(n: int) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be an integer >= 1, got {n!r}")
    return int(n)


def _check_hw(h: int, w: int) -> tuple[int, int]:
    for name, side in (("h", h), ("w", w)):
        if isinstance(side, bool) or not isinstance(side, (int, np.integer)) or side < 1:
            raise ValueError(f"image size must be integers >= 1, got {name}={side!r}")
    return int(h), int(w)


def beta_mean_var(alpha: float) -> tuple[float, float]:
    """Closed-form mean and variance of Beta(alpha, alpha): ``(1/2, 1 / (4 (2 alpha + 1)))``.

    Raises:
        ValueError: if alpha is not finite and > 0.
    """
    a = check_alpha(alpha)
    return 0.5, 1.0 / (4.0 * (2.0 * a + 1.0))


def sample_lambdas(alpha: float, n: int, *, rng: np.random.Generator) -> np.ndarray:
    """``n`` draws of ``lam ~ Beta(alpha, alpha)``, float64 of shape (n,).

    Raises:
        ValueError: if alpha is not finite and > 0, or n is not an integer >= 1.
    """
    a = check_alpha(alpha)
    return rng.beta(a, a, size=_check_n(n))


@dataclass(frozen=True)
class BoxArrays:
    """``n`` half-open boxes ``[y0, y1) x [x0, x1)`` as int64 arrays of shape (n,).

    ``cy, cx`` are the centres and ``cut_h, cut_w`` the unclipped cut sizes they came from.
    """

    y0: np.ndarray
    y1: np.ndarray
    x0: np.ndarray
    x1: np.ndarray
    cy: np.ndarray
    cx: np.ndarray
    cut_h: np.ndarray
    cut_w: np.ndarray

    def __len__(self) -> int:
        return len(self.y0)

    @property
    def height(self) -> np.ndarray:
        return self.y1 - self.y0

    @property
    def width(self) -> np.ndarray:
        return self.x1 - self.x0

    @property
    def area(self) -> np.ndarray:
        return self.height * self.width

    @property
    def unclipped_area(self) -> np.ndarray:
        """Area before clipping: ``(2 (cut_h // 2)) (2 (cut_w // 2))``."""
        return (2 * (self.cut_h // 2)) * (2 * (self.cut_w // 2))

    @property
    def clipped(self) -> np.ndarray:
        """True where a border cut the box: it is shorter or narrower than before clipping."""
        return (self.height < 2 * (self.cut_h // 2)) | (self.width < 2 * (self.cut_w // 2))

    @property
    def aspect(self) -> np.ndarray:
        """Width / height as float64; NaN for empty boxes (cut side below 2 pixels)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = self.width / self.height
        return np.where(self.area > 0, ratio, np.nan)

    def lam_adjusted(self, h: int, w: int) -> np.ndarray:
        """``1 - area / (h w)`` for every box: the weight of A's label actually used."""
        h, w = _check_hw(h, w)
        if len(self) and (self.y1.max() > h or self.x1.max() > w):
            raise ValueError(
                f"boxes reach row {self.y1.max()}, column {self.x1.max()}: "
                f"they do not fit in a {h}x{w} image"
            )
        return 1.0 - self.area / (h * w)


def boxes_from_centers(
    h: int, w: int, lams: np.ndarray, cy: np.ndarray, cx: np.ndarray
) -> BoxArrays:
    """The CutMix boxes for given lambdas and centres, clipped: ``box_from_center`` vectorised.

    Args:
        h, w: image height and width.
        lams: lambdas in [0, 1], shape (n,).
        cy, cx: integer centres, ``0 <= cy < h``, ``0 <= cx < w``, shape (n,).

    Raises:
        ValueError: for mismatched shapes, a lambda outside [0, 1] or a centre outside the image.
    """
    h, w = _check_hw(h, w)
    lams = np.asarray(lams, dtype=np.float64)
    cy, cx = np.asarray(cy), np.asarray(cx)
    if lams.ndim != 1 or cy.shape != lams.shape or cx.shape != lams.shape:
        raise ValueError(
            f"lams, cy, cx must be 1-D of one length, got shapes {lams.shape}, "
            f"{cy.shape}, {cx.shape}"
        )
    bad = ~((lams >= 0.0) & (lams <= 1.0))  # also catches NaN
    if bad.any():
        raise ValueError(f"lambda must be in [0, 1], got {lams[bad][0]!r}")
    bad = (cy < 0) | (cy >= h) | (cx < 0) | (cx >= w)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"centre (cy={cy[i]}, cx={cx[i]}) lies outside the {h}x{w} image")
    cy, cx = cy.astype(np.int64), cx.astype(np.int64)
    # Same float operations as cut_size: int(h * math.sqrt(1 - lam)); sqrt is correctly rounded
    # in both, and astype(int) truncates towards zero as int() does.
    ratio = np.sqrt(1.0 - lams)
    cut_h = (h * ratio).astype(np.int64)
    cut_w = (w * ratio).astype(np.int64)
    return BoxArrays(
        y0=np.clip(cy - cut_h // 2, 0, h),
        y1=np.clip(cy + cut_h // 2, 0, h),
        x0=np.clip(cx - cut_w // 2, 0, w),
        x1=np.clip(cx + cut_w // 2, 0, w),
        cy=cy,
        cx=cx,
        cut_h=cut_h,
        cut_w=cut_w,
    )


def sample_boxes(h: int, w: int, lams: np.ndarray, *, rng: np.random.Generator) -> BoxArrays:
    """One box per lambda, centre uniform over the image: ``sample_box`` vectorised.

    The centres are drawn as ``rng.integers(h, size=n)`` then ``rng.integers(w, size=n)``.
    """
    h, w = _check_hw(h, w)
    n = len(np.asarray(lams))
    cy = rng.integers(h, size=n)
    cx = rng.integers(w, size=n)
    return boxes_from_centers(h, w, lams, cy, cx)


def coverage(boxes: BoxArrays, h: int, w: int) -> np.ndarray:
    """How often each pixel lies inside the box: float64 of shape (h, w), values in [0, 1].

    A 2-D difference array: +1 at (y0, x0) and (y1, x1), -1 at (y0, x1) and (y1, x0), then a
    cumulative sum along both axes counts the boxes over every pixel in O(n + h w). Its mean is
    ``mean(area) / (h w) = mean(1 - lam_adjusted)``.

    Raises:
        ValueError: if a box does not fit in the image or there are no boxes.
    """
    h, w = _check_hw(h, w)
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
        ValueError: for alpha not finite and > 0, n < 1, or a side < 1.
    """
    h, w = _check_hw(h, w)
    lams = sample_lambdas(alpha, n, rng=rng)
    boxes = sample_boxes(h, w, lams, rng=rng)
    lam_adj = boxes.lam_adjusted(h, w)
    return AlphaStats(
        alpha=float(alpha),
        h=h,
        w=w,
        n=int(n),
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

"""Where a class activation map says the object is: the box a weakly-supervised localizer draws.

CAM (Zhou et al., "Learning Deep Features for Discriminative Localization", CVPR 2016,
https://arxiv.org/abs/1512.04150, section 2) turns a map into a box in three steps, and the
weakly-supervised localization papers after it, the CutMix paper among them (Yun et al., ICCV
2019, https://arxiv.org/abs/1905.04899), score their maps the same way:

    region = { (i, j) : cam[i, j] >= fraction * max(cam) }       (threshold at a share of the max)
    blob   = the largest connected component of region            (by pixel count)
    box    = the bounding box of blob,   correct  iff  IoU(box, truth) >= 0.5

Here the truth is the box CutMix pasted, and the map is class B's Grad-CAM on the mixed image:
does the network find the patch it was told is B?

* ``fraction`` defaults to 0.2, the "20% of the max value of the CAM" of Zhou et al., the
  customary value. Later papers choose it in different ways (Choe et al., "Evaluating Weakly
  Supervised Object Localization Methods Right", CVPR 2020, arXiv 2001.07437, show how much
  that choice moves the scores), so it is a parameter: a higher fraction keeps only the peak.
* Connectivity is 8 (diagonal neighbours join): the box-extraction code these papers share
  (OpenCV's ``findContours``, e.g. in Choe et al.'s evaluation code) traces 8-connected
  regions, and on a smooth map upsampled from an 8x8 grid two thresholded pixels that touch
  at a corner belong to one hill.
* The labelling is written here (scipy is not a dependency): the region is cut into runs of
  consecutive pixels per row, runs in neighbouring rows that touch (with diagonals) are joined
  by union-find, so the Python loop is over runs, not pixels, and stays fast for the app's
  largest maps.
* IoU ``>= 0.5`` is the PASCAL VOC criterion the ImageNet localization metric both papers
  report uses (:data:`IOU_HIT`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from cutmix_core.box import Box
from cutmix_core.checks import check_number

#: Zhou et al.'s threshold: keep the pixels at >= 20% of the map's maximum.
FRACTION = 0.2
#: A box counts as a correct localization at IoU >= 0.5 (PASCAL VOC, ImageNet localization).
IOU_HIT = 0.5


@dataclass(frozen=True)
class Localization:
    """The localizer's box for one map against the true box, at one threshold ``fraction``."""

    box: Box | None  # None for an all-zero map (no region to box)
    truth: Box
    fraction: float
    iou: float  # IoU(box, truth); NaN when ``box`` is None

    @property
    def hit(self) -> bool:
        """Whether the box counts as a correct localization (IoU >= :data:`IOU_HIT`)."""
        return not math.isnan(self.iou) and self.iou >= IOU_HIT


def intersection(box1: Box, box2: Box) -> Box:
    """The overlap of two half-open boxes (an empty box at ``box1``'s corner if they do not
    meet, so its area is 0)."""
    y0, y1 = max(box1.y0, box2.y0), min(box1.y1, box2.y1)
    x0, x1 = max(box1.x0, box2.x0), min(box1.x1, box2.x1)
    if y1 <= y0 or x1 <= x0:
        return Box(box1.y0, box1.y0, box1.x0, box1.x0)
    return Box(y0, y1, x0, x1)


def iou(box1: Box, box2: Box) -> float:
    """Intersection over union of two half-open boxes, in [0, 1] by area in pixels.

    Returns NaN when both boxes are empty (0 / 0: nothing to compare); 0 when only one is.
    """
    inter = intersection(box1, box2).area
    union = box1.area + box2.area - inter
    return math.nan if union == 0 else inter / union


def _runs(mask: np.ndarray) -> np.ndarray:
    """Runs of True per row of a 2-D bool mask, in raster order: (R, 3) int64 rows of
    ``(row, first column, last column)``, both columns inclusive."""
    padded = np.zeros((mask.shape[0], mask.shape[1] + 2), dtype=np.int8)
    padded[:, 1:-1] = mask
    edges = np.diff(padded, axis=1)  # +1 where a run starts, -1 one past where it ends
    rows, starts = np.nonzero(edges == 1)
    _, ends = np.nonzero(edges == -1)  # same row-major order, one end per start
    return np.stack([rows, starts, ends - 1], axis=1).astype(np.int64)


def _touching(runs: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Pairs ``(i, j)`` of runs where run j lies in the row below run i and touches it,
    diagonals included (``first_j <= last_i + 1`` and ``last_j >= first_i - 1``).

    Runs of one row are disjoint and sorted, so the runs below that touch run i form one
    contiguous range, found by binary search on keys ``row * stride + column``.
    """
    stride = width + 2  # larger than any column +- 1, so keys of different rows never mix
    starts = runs[:, 0] * stride + runs[:, 1]  # (R,) increasing
    ends = runs[:, 0] * stride + runs[:, 2]  # (R,) increasing
    below = (runs[:, 0] + 1) * stride
    lo = np.searchsorted(ends, below + runs[:, 1] - 1, side="left")  # first j ending late enough
    hi = np.searchsorted(starts, below + runs[:, 2] + 1, side="right")  # past the last j
    count = np.maximum(hi - lo, 0)  # (R,)
    i = np.repeat(np.arange(len(runs)), count)
    j = np.repeat(lo, count) + (np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count))
    return i, j


def _roots(n: int, pairs: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Union-find over ``n`` items joined by ``pairs``: (n,) the smallest item of each one's
    group (so a group's label is its first run in raster order)."""
    parent = list(range(n))

    def find(k: int) -> int:
        while parent[k] != k:
            parent[k] = parent[parent[k]]  # path halving keeps the trees flat
            k = parent[k]
        return k

    for a, b in zip(*(p.tolist() for p in pairs)):
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)  # the smaller index stays the root
    return np.array([find(k) for k in range(n)], dtype=np.int64)


def largest_component(mask: np.ndarray) -> Box | None:
    """The bounding box of the largest 8-connected region of True in a 2-D bool mask.

    Largest means most pixels; on a tie, the region whose first pixel in raster order (top row
    first, then left) comes first wins, so the answer depends on nothing but the mask.
    None when the mask has no True pixel.
    """
    mask = np.asarray(mask, dtype=bool)
    runs = _runs(mask)  # (R, 3)
    if not len(runs):
        return None
    roots = _roots(len(runs), _touching(runs, mask.shape[1]))  # (R,) a region's first run
    sizes = np.bincount(roots, weights=runs[:, 2] - runs[:, 1] + 1, minlength=len(runs))
    winner = int(np.argmax(sizes))  # the first maximum: the tied region that starts first
    mine = runs[roots == winner]
    return Box(
        int(mine[:, 0].min()),
        int(mine[:, 0].max()) + 1,
        int(mine[:, 1].min()),
        int(mine[:, 2].max()) + 1,
    )


def cam_box(cam: np.ndarray, fraction: float = FRACTION) -> Box | None:
    """The box a CAM localizer draws on ``cam``: the bounding box of the largest 8-connected
    region at ``>= fraction * cam.max()`` (see the module docstring).

    Args:
        cam: a 2-D finite non-negative map, any scale (only its shape relative to its maximum
            counts); it is not modified.
        fraction: the threshold as a share of the maximum, in (0, 1].
    Returns:
        The box in the map's pixels, or None for an all-zero map.
    Raises:
        ValueError: on a map that is not 2-D, finite and non-negative, or a fraction outside
            (0, 1].
    """
    cam = np.asarray(cam)
    if cam.ndim != 2 or not np.isfinite(cam).all() or (cam < 0).any():
        raise ValueError(f"cam must be a 2-D finite non-negative map, got shape {cam.shape}")
    fraction = check_number(fraction, "fraction", 0.0, 1.0, lo_open=True)
    top = float(cam.max(initial=0.0))
    if top == 0.0:
        return None
    return largest_component(cam >= fraction * top)


def localize(cam: np.ndarray, truth: Box, fraction: float = FRACTION) -> Localization:
    """:func:`cam_box` on ``cam`` scored against the true box ``truth`` by :func:`iou`.

    Raises:
        ValueError: as :func:`cam_box`, or if ``truth`` does not fit the map.
    """
    box = cam_box(cam, fraction)
    if not truth.fits(*np.shape(cam)):
        raise ValueError(f"box {truth} does not fit a map of shape {np.shape(cam)}")
    return Localization(box, truth, float(fraction), math.nan if box is None else iou(box, truth))

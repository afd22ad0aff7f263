"""CutMix pairs for evaluation: which test images are mixed, with which box, and what a model
makes of them (p(A), p(B) against the pasted area, and Grad-CAM mass inside the box).

N pairs (A, B) of test images with *different* labels, each with a box drawn as in training
(:mod:`cutmix_core.mixing`, Yun et al., ICCV 2019, arXiv 1905.04899):

    lam ~ Beta(alpha, alpha),  box = sample_box(32, 32, lam),  x~ = paste(A, B, box)
    t = 1 - lam_adjusted = box.area / (H W)          (the share of x~'s pixels from B)

CutMix trains towards ``(1 - t) y_A + t y_B``, so we ask how p(B) on x~ follows t: its mean, the
Pearson correlation r(p(B), t), the mean absolute error mean |p(B) - t|, how often A and B are
the two most likely classes, and mean p(A), p(B) in 10 bins of t. Grad-CAM
(:mod:`cutmix_core.models.gradcam`) for classes A and B on x~ gives the share of B's map inside
the box and of A's map outside it (pairs with an empty box and all-zero maps are left out and
counted; a uniform map would score about mean t and mean 1 - t).

Class B's map also gives the box a weakly-supervised localizer would draw
(:mod:`cutmix_core.models.localize`: threshold at ``fraction`` of the max, the bounding box of
the largest 8-connected region), scored against the pasted box by IoU: the mean IoU and the
share of pairs at IoU >= 0.5, over the same pairs as B's share in the box (an all-zero map has
no region to box; those pairs are the ones ``cam_skipped_b`` counts).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from cutmix_core import defaults
from cutmix_core.box import Box
from cutmix_core.checks import check_int
from cutmix_core.evaluation.report import PairStats, SplitCurve
from cutmix_core.mixing.pair import box_lambda, paste, sample_cutmix
from cutmix_core.models.checkpoints import LoadedModel
from cutmix_core.models.gradcam import gradcam, mass_inside
from cutmix_core.models.localize import FRACTION, IOU_HIT, localize

PAIRS = 1000
BINS = 10


@dataclass(frozen=True, eq=False)
class PairSet:
    """N sampled pairs: positions and labels of A and B in the test set, boxes, lambdas."""

    index_a: np.ndarray  # (N,) int64
    index_b: np.ndarray  # (N,) int64
    label_a: np.ndarray  # (N,) int64
    label_b: np.ndarray  # (N,) int64, never equal to label_a
    boxes: tuple[Box, ...]
    lams: np.ndarray  # (N,) float64, sampled
    lams_adjusted: np.ndarray  # (N,) float64, 1 - box area / (H W)

    def __post_init__(self) -> None:
        for name in ("index_a", "index_b", "label_a", "label_b", "lams", "lams_adjusted"):
            getattr(self, name).setflags(write=False)  # shared by every model: keep it fixed

    def __len__(self) -> int:
        return len(self.boxes)


def sample_pairs(
    labels: np.ndarray,
    n: int,
    *,
    rng: np.random.Generator,
    alpha: float = defaults.ALPHA,
    size: tuple[int, int] = (32, 32),
) -> PairSet:
    """Draw ``n`` pairs: A uniform, B uniform among images of another class, then lam and box.

    Draws are made pair by pair (A, B, lam, box centre), so the first k of n pairs are the
    pairs of ``n = k``.

    Raises:
        ValueError: ``n < 1``, or ``labels`` is not 1-D or holds fewer than two classes.
    """
    labels = np.asarray(labels)
    check_int(n, "n", lo=1)
    if labels.ndim != 1 or np.unique(labels).size < 2:
        raise ValueError(
            f"labels must be 1-D with at least two classes, got shape "
            f"{labels.shape} with classes {np.unique(labels).tolist()[:3]}"
        )
    h, w = size
    others = {int(c): np.flatnonzero(labels != c) for c in np.unique(labels)}
    a, b, boxes, lams = [], [], [], []
    for _ in range(n):
        a.append(int(rng.integers(labels.size)))
        pool = others[int(labels[a[-1]])]
        b.append(int(pool[rng.integers(pool.size)]))
        lam, box = sample_cutmix(h, w, alpha, rng=rng)
        lams.append(lam)
        boxes.append(box)
    index_a, index_b = np.array(a, dtype=np.int64), np.array(b, dtype=np.int64)
    return PairSet(
        index_a,
        index_b,
        labels[index_a].astype(np.int64),
        labels[index_b].astype(np.int64),
        tuple(boxes),
        np.array(lams),
        np.array([box_lambda(box, h, w) for box in boxes]),
    )


def mix_pairs(images: np.ndarray, pairs: PairSet) -> np.ndarray:
    """The mixed images ``paste(A, B, box)``, (N, H, W, 3) uint8, a new array."""
    return np.stack(
        [
            paste(images[i], images[j], box)
            for i, j, box in zip(pairs.index_a, pairs.index_b, pairs.boxes)
        ]
    )


def split_curve(t: np.ndarray, p_a: np.ndarray, p_b: np.ndarray, bins: int = BINS) -> SplitCurve:
    """Mean p(A), p(B) in ``bins`` equal bins of t in [0, 1] (t = 1 counts in the last bin)."""
    which = np.minimum((np.asarray(t) * bins).astype(np.int64), bins - 1)  # (N,)
    counts = np.bincount(which, minlength=bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_a = np.bincount(which, p_a, minlength=bins) / counts
        mean_b = np.bincount(which, p_b, minlength=bins) / counts
    return SplitCurve(
        tuple(((np.arange(bins) + 0.5) / bins).tolist()),
        tuple(counts.tolist()),
        tuple(mean_a.tolist()),
        tuple(mean_b.tolist()),
    )


def _pearson(x: np.ndarray, y: np.ndarray) -> float:
    if x.size < 2 or x.std() == 0 or y.std() == 0:
        return math.nan
    return float(np.corrcoef(x, y)[0, 1])


def _mean(values: np.ndarray) -> float:  # of the non-NaN values; NaN if there are none
    values = values[~np.isnan(values)]
    return float(values.mean()) if values.size else math.nan


def _share_at_least(values: np.ndarray, bar: float) -> float:  # of the non-NaN values
    values = values[~np.isnan(values)]
    return float((values >= bar).mean()) if values.size else math.nan


def pair_stats(
    loaded: LoadedModel, mixed: np.ndarray, pairs: PairSet, *, fraction: float = FRACTION
) -> PairStats:
    """Predictions and Grad-CAM of one model on the mixed images (see the module docstring).

    Args:
        loaded: a CIFAR-10 model; it is not modified.
        mixed: ``mix_pairs(images, pairs)``, (N, 32, 32, 3) uint8.
        fraction: the localizer's threshold, a share of the maximum of B's map, in (0, 1].
    """
    if len(mixed) != len(pairs):
        raise ValueError(f"mixed holds {len(mixed)} images for {len(pairs)} pairs")
    x = loaded.preprocess(mixed)  # (N, 3, 32, 32)
    probs = loaded.predict_input(x)  # (N, 10)
    rows = np.arange(len(pairs))
    p_a, p_b = probs[rows, pairs.label_a], probs[rows, pairs.label_b]  # (N,) each
    t = 1.0 - pairs.lams_adjusted
    top2 = np.argsort(-probs, axis=1, kind="stable")[:, :2]  # (N, 2)
    both = (top2 == pairs.label_a[:, None]).any(1) & (top2 == pairs.label_b[:, None]).any(1)
    used = [i for i, box in enumerate(pairs.boxes) if box.area]  # an empty box has no inside
    inside, ious = [], []  # (M, 2) share of A's and B's map inside the box; (M,) B's box IoU
    for i in used:
        classes = (int(pairs.label_a[i]), int(pairs.label_b[i]))
        cams = gradcam(loaded.model, x[i], classes).upsampled  # (2, 32, 32), one image a call
        inside.append([mass_inside(cam, pairs.boxes[i]) for cam in cams])
        ious.append(localize(cams[1], pairs.boxes[i], fraction).iou)  # NaN: all-zero map
    shares = np.array(inside, dtype=np.float64).reshape(-1, 2)
    iou_b = np.array(ious, dtype=np.float64)
    skipped = np.isnan(shares).sum(0)  # all-zero maps: no mass to share out
    return PairStats(
        n=len(pairs),
        mean_p_a=float(p_a.mean()),
        mean_p_b=float(p_b.mean()),
        corr_p_b=_pearson(p_b.astype(np.float64), t),
        mae_p_b=float(np.abs(p_b - t).mean()),
        both_top2=float(both.mean()),
        cam_b_in_box=_mean(shares[:, 1]),
        cam_a_outside=_mean(1.0 - shares[:, 0]),
        cam_pairs=len(used),
        cam_skipped_a=int(skipped[0]),
        cam_skipped_b=int(skipped[1]),
        curve=split_curve(t, p_a, p_b),
        cam_b_iou=_mean(iou_b),
        cam_b_iou_hits=_share_at_least(iou_b, IOU_HIT),
    )

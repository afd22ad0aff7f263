"""CutMix, Mixup and Cutout on one pair of images (numpy, HWC).

CutMix (Yun et al., "CutMix: Regularization Strategy to Train Strong Classifiers with Localizable
Features", ICCV 2019, https://arxiv.org/abs/1905.04899) pastes a rectangle of image B into
image A and mixes the labels in proportion to area:

    lam ~ Beta(alpha, alpha)
    cut_h = int(H * sqrt(1 - lam)),  cut_w = int(W * sqrt(1 - lam))
    centre (cy, cx) uniform over the whole image
    box = [cy - cut_h // 2, cy + cut_h // 2) x [cx - cut_w // 2, cx + cut_w // 2), clipped
    lam_adjusted = 1 - box_area / (H * W)
    target = lam_adjusted * onehot(y_A) + (1 - lam_adjusted) * onehot(y_B)

This is the box of the paper's official code (``rand_bbox`` in clovaai/CutMix-PyTorch) and of
``torchvision.transforms.v2.CutMix`` (whose ``int(0.5 * sqrt(1 - lam) * W)`` equals our
``int(W * sqrt(1 - lam)) // 2`` for every W and lam), with one fix: the official code calls the
first spatial size W and the second H, so for non-square images its box is transposed. Here the
height uses H and the width uses W.

Because the centre is uniform over the whole image, the box is often clipped by a border, so
fewer pixels than ``1 - lam`` come from B. ``lam_adjusted`` is the exact fraction of output
pixels that come from A; it drives the label, and the UI shows it next to the sampled ``lam``.

The work is split as in torchvision and timm: *sample* parameters (``sample_lambda``,
``sample_box``, or both in their one order with ``sample_cutmix``) with an explicitly passed
``np.random.Generator``, then *apply* them (``paste``) deterministically, so a UI can show,
override or let the user draw the box. The box rule and the draws live in
:mod:`cutmix_core.mixing.rule`, vectorised; the functions here are its one-box case.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cutmix_core import defaults
from cutmix_core.box import EMPTY_BOX, Box
from cutmix_core.checks import check_int, check_number
from cutmix_core.mixing.rule import (
    area_lambdas,
    boxes_from_centers,
    check_alpha,
    check_lambda,
    check_size,
    clip_boxes,
    cut_sizes,
    sample_boxes,
    sample_cutmix_boxes,
    sample_lambdas,
)

__all__ = [
    "EMPTY_BOX",
    "Box",
    "MixResult",
    "box_from_center",
    "box_from_cut",
    "box_lambda",
    "check_alpha",
    "check_lambda",
    "cut_size",
    "cutmix",
    "cutout",
    "mixup",
    "paste",
    "sample_box",
    "sample_cutmix",
    "sample_lambda",
    "soft_label",
]


@dataclass(frozen=True)
class MixResult:
    """One mixed pair.

    Attributes:
        image: the output, HWC, same dtype as the inputs.
        box: the pasted region (CutMix, Cutout) or ``EMPTY_BOX`` (Mixup).
        lam: the lambda that was sampled or set, before any correction.
        lam_adjusted: the weight of A's label actually used (CutMix: the exact share of pixels
            from A; Mixup: ``lam``; Cutout: 1.0, since the label is unchanged).
    """

    image: np.ndarray
    box: Box
    lam: float
    lam_adjusted: float


def sample_lambda(alpha: float = defaults.ALPHA, *, rng: np.random.Generator) -> float:
    """Draw ``lam ~ Beta(alpha, alpha)``: one draw of ``mixing.rule.sample_lambdas``.

    Raises:
        ValueError: if alpha is not a finite number > 0.
    """
    return float(sample_lambdas(alpha, 1, rng=rng)[0])


def cut_size(h: int, w: int, lam: float) -> tuple[int, int]:
    """Unclipped cut height and width: ``int(H * sqrt(1 - lam))``, ``int(W * sqrt(1 - lam))``."""
    cut_h, cut_w = cut_sizes(h, w, [check_lambda(lam)])
    return int(cut_h[0]), int(cut_w[0])


def box_from_center(h: int, w: int, lam: float, cy: int, cx: int) -> Box:
    """The CutMix box for a given centre, clipped at the borders (the deterministic half).

    Args:
        h, w: image height and width.
        lam: the sampled lambda in [0, 1]; the cut is ``cut_size(h, w, lam)``.
        cy, cx: the box centre, ``0 <= cy < h``, ``0 <= cx < w``.

    Raises:
        ValueError: for a centre outside the image, lam outside [0, 1] or an empty image.
    """
    return boxes_from_centers(h, w, [check_lambda(lam)], [cy], [cx]).box(0)


def box_from_cut(h: int, w: int, cut_h: int, cut_w: int, cy: int, cx: int) -> Box:
    """Centre a ``cut_h`` x ``cut_w`` cut at (cy, cx) and clip it: one box of the rule,
    :func:`~cutmix_core.mixing.rule.clip_boxes` (an odd cut loses a row or column there)."""
    return clip_boxes(h, w, [cut_h], [cut_w], [cy], [cx]).box(0)


def sample_box(h: int, w: int, lam: float, *, rng: np.random.Generator) -> Box:
    """Sample the CutMix box: centre uniform over the image (row, then column), size from
    ``lam``, clipped."""
    return sample_boxes(h, w, [check_lambda(lam)], rng=rng).box(0)


def sample_cutmix(
    h: int,
    w: int,
    alpha: float = defaults.ALPHA,
    *,
    rng: np.random.Generator,
    lam: float | None = None,
) -> tuple[float, Box]:
    """The draws of :func:`cutmix`, in their one order: ``lam ~ Beta(alpha, alpha)`` (unless
    ``lam`` is given), then the box centre row, then its column.

    This is :func:`~cutmix_core.mixing.rule.sample_cutmix_boxes` for one box. A page that shows
    the lambda and box of a CutMix calls this, never the two samplers in turn.

    Returns:
        ``(lam, box)``: the sampled (or given) lambda and the clipped box.
    """
    lams, boxes = sample_cutmix_boxes(h, w, alpha, 1, rng=rng, lam=lam)
    return float(lams[0]), boxes.box(0)


def box_lambda(box: Box, h: int, w: int) -> float:
    """``lam_adjusted = 1 - box.area / (h * w)``: the exact share of output pixels from A."""
    h, w = check_size(h, w)
    if not box.fits(h, w):
        raise ValueError(f"{box} does not fit in a {h}x{w} image")
    return float(area_lambdas(h, w, [box.y0, box.y1, box.x0, box.x1])[0])


def _check_pair(a: np.ndarray, b: np.ndarray) -> None:
    for name, arr in (("a", a), ("b", b)):
        if not isinstance(arr, np.ndarray) or arr.ndim != 3:
            shape = getattr(arr, "shape", type(arr).__name__)
            raise ValueError(f"{name} must be an HWC numpy array, got {shape}")
    if a.shape != b.shape or a.dtype != b.dtype:
        raise ValueError(
            f"a and b must have the same shape and dtype, got {a.shape} {a.dtype} "
            f"and {b.shape} {b.dtype}"
        )
    if a.shape[0] < 1 or a.shape[1] < 1:
        raise ValueError(f"images must be at least 1x1, got {a.shape}")


def paste(a: np.ndarray, b: np.ndarray, box: Box) -> np.ndarray:
    """A new array: ``a`` outside ``box``, ``b`` inside. Neither input is modified.

    Raises:
        ValueError: if a and b differ in shape or dtype, or the box does not fit.
    """
    _check_pair(a, b)
    if not box.fits(a.shape[0], a.shape[1]):
        raise ValueError(f"{box} does not fit in an image of shape {a.shape}")
    out = a.copy()
    out[box.y0 : box.y1, box.x0 : box.x1] = b[box.y0 : box.y1, box.x0 : box.x1]
    return out


def cutmix(
    a: np.ndarray,
    b: np.ndarray,
    alpha: float = defaults.ALPHA,
    *,
    rng: np.random.Generator | None = None,
    lam: float | None = None,
    box: Box | None = None,
) -> MixResult:
    """CutMix one pair: sample (or take) lambda and the box, then paste B's box into A.

    Args:
        a, b: HWC arrays of the same shape and dtype (usually uint8 RGB).
        alpha: Beta(alpha, alpha) concentration, used when ``lam`` is not given.
        rng: the generator for what is sampled; required unless ``box`` is given.
        lam: a lambda set by hand instead of sampled (the box is still sampled).
        box: a box set by hand; then nothing is sampled for it. If ``lam`` is not given with
            it, ``lam`` is reported as ``lam_adjusted``.

    Returns:
        MixResult with the image, the box, the sampled lambda and lam_adjusted.
    """
    _check_pair(a, b)
    h, w = a.shape[:2]
    if box is None:
        if rng is None:
            raise ValueError("cutmix needs rng=np.random.Generator unless the box is given")
        lam, box = sample_cutmix(h, w, alpha, rng=rng, lam=lam)
    lam_adjusted = box_lambda(box, h, w)
    lam = lam_adjusted if lam is None else check_lambda(lam)
    return MixResult(paste(a, b, box), box, lam, lam_adjusted)


def mixup(a: np.ndarray, b: np.ndarray, lam: float) -> MixResult:
    """Mixup (Zhang et al., ICLR 2018, arXiv 1710.09412): ``lam * a + (1 - lam) * b``.

    Integer inputs are rounded back to their dtype; the label weight is ``lam`` itself.
    """
    _check_pair(a, b)
    lam = check_lambda(lam)
    blend = lam * a.astype(np.float64) + (1.0 - lam) * b.astype(np.float64)
    if np.issubdtype(a.dtype, np.integer):
        info = np.iinfo(a.dtype)
        blend = np.clip(np.rint(blend), info.min, info.max)
    return MixResult(blend.astype(a.dtype), EMPTY_BOX, lam, lam)


def cutout(a: np.ndarray, box: Box, fill: int | float | tuple = 0) -> MixResult:
    """Cutout (DeVries & Taylor, 2017, arXiv 1708.04552): fill ``box`` with ``fill``.

    The label is unchanged, so ``lam_adjusted`` is 1.0; ``lam`` reports the share of A's
    pixels that survive, for comparison with CutMix on the same box.
    """
    if not isinstance(a, np.ndarray) or a.ndim != 3:
        raise ValueError(f"a must be an HWC numpy array, got {getattr(a, 'shape', a)!r}")
    h, w = a.shape[:2]
    kept = box_lambda(box, h, w)
    out = a.copy()
    out[box.y0 : box.y1, box.x0 : box.x1] = fill
    return MixResult(out, box, kept, 1.0)


def soft_label(
    y_a: int,
    y_b: int,
    lam_adjusted: float,
    num_classes: int,
    smoothing: float = defaults.SMOOTHING,
) -> np.ndarray:
    """The mixed target ``lam * onehot(y_a) + (1 - lam) * onehot(y_b)`` (float64, sums to 1).

    Label smoothing is applied to each one-hot before mixing, as timm's ``mixup_target`` does:
    off = smoothing / C, on = 1 - smoothing + off. The same class twice gives that class all of
    the "on" mass.

    Raises:
        ValueError: for classes outside ``[0, num_classes)``, lam outside [0, 1], or smoothing
            outside [0, 1).
    """
    num_classes = check_int(num_classes, "num_classes", lo=1)
    y_a = check_int(y_a, "y_a", 0, num_classes - 1)
    y_b = check_int(y_b, "y_b", 0, num_classes - 1)
    lam = check_lambda(lam_adjusted)
    smoothing = check_number(smoothing, "smoothing", 0.0, 1.0, hi_open=True)
    off = smoothing / num_classes
    on = 1.0 - smoothing + off
    target = np.full(num_classes, off, dtype=np.float64)
    target[y_a] += lam * (on - off)
    target[y_b] += (1.0 - lam) * (on - off)
    return target

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
``sample_box``) with an explicitly passed ``np.random.Generator``, then *apply* them (``paste``)
deterministically, so a UI can show, override or let the user draw the box.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from cutmix_core import defaults
from cutmix_core.box import EMPTY_BOX, Box


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


def check_alpha(alpha: float) -> float:
    """Return ``alpha`` as a float, or raise ``ValueError`` if it is not finite and positive."""
    if isinstance(alpha, (bool, str, bytes)) or not isinstance(alpha, (int, float, np.number)):
        raise ValueError(f"alpha must be a positive number, got {alpha!r}")
    value = float(alpha)
    if not math.isfinite(value) or value <= 0.0:
        raise ValueError(f"alpha must be finite and > 0, got {alpha!r}")
    return value


def check_lambda(lam: float) -> float:
    """Return ``lam`` as a float, or raise ``ValueError`` if it is outside [0, 1]."""
    try:
        value = float(lam)
    except (TypeError, ValueError):
        raise ValueError(f"lambda must be a number in [0, 1], got {lam!r}") from None
    if not 0.0 <= value <= 1.0:  # also rejects NaN
        raise ValueError(f"lambda must be in [0, 1], got {lam!r}")
    return value


def _check_size(h: int, w: int) -> None:
    if int(h) < 1 or int(w) < 1:
        raise ValueError(f"image size must be at least 1x1, got h={h!r}, w={w!r}")


def sample_lambda(alpha: float = defaults.ALPHA, *, rng: np.random.Generator) -> float:
    """Draw ``lam ~ Beta(alpha, alpha)``.

    numpy's Beta sampler works in log space for small parameters, so alpha from 0.01 to 1000
    never yields NaN (a property test checks it).

    Raises:
        ValueError: if alpha is not finite and > 0.
    """
    return float(rng.beta(check_alpha(alpha), check_alpha(alpha)))


def cut_size(h: int, w: int, lam: float) -> tuple[int, int]:
    """Unclipped cut height and width: ``int(H * sqrt(1 - lam))``, ``int(W * sqrt(1 - lam))``."""
    _check_size(h, w)
    ratio = math.sqrt(1.0 - check_lambda(lam))
    return int(h * ratio), int(w * ratio)


def box_from_center(h: int, w: int, lam: float, cy: int, cx: int) -> Box:
    """The CutMix box for a given centre, clipped at the borders (the deterministic half).

    Args:
        h, w: image height and width.
        lam: the sampled lambda in [0, 1]; the cut is ``cut_size(h, w, lam)``.
        cy, cx: the box centre, ``0 <= cy < h``, ``0 <= cx < w``.

    Raises:
        ValueError: for a centre outside the image, lam outside [0, 1] or an empty image.
    """
    cut_h, cut_w = cut_size(h, w, lam)
    return box_from_cut(h, w, cut_h, cut_w, cy, cx)


def box_from_cut(h: int, w: int, cut_h: int, cut_w: int, cy: int, cx: int) -> Box:
    """Centre a ``cut_h`` x ``cut_w`` cut at (cy, cx) and clip it, as the official code does.

    The box spans ``cy - cut_h // 2`` to ``cy + cut_h // 2``, so an odd cut loses one row or
    column before clipping: that is the paper's code and torchvision's, kept for exact parity.
    Cutout uses this with a fixed cut size.
    """
    _check_size(h, w)
    if not (0 <= cy < h and 0 <= cx < w):
        raise ValueError(f"centre (cy={cy}, cx={cx}) lies outside the {h}x{w} image")
    if cut_h < 0 or cut_w < 0:
        raise ValueError(f"cut size must be >= 0, got {cut_h}x{cut_w}")
    # np.clip(v, 0, h) of the official code, on Python ints (np.clip on scalars costs ~8 us,
    # which dominated per-sample boxes in the batch op).
    return Box(
        y0=min(max(int(cy) - cut_h // 2, 0), h),
        y1=min(max(int(cy) + cut_h // 2, 0), h),
        x0=min(max(int(cx) - cut_w // 2, 0), w),
        x1=min(max(int(cx) + cut_w // 2, 0), w),
    )


def sample_box(h: int, w: int, lam: float, *, rng: np.random.Generator) -> Box:
    """Sample the CutMix box: centre uniform over the image, size from ``lam``, clipped."""
    _check_size(h, w)
    cy = int(rng.integers(h))
    cx = int(rng.integers(w))
    return box_from_center(h, w, lam, cy, cx)


def sample_cutmix(
    h: int,
    w: int,
    alpha: float = defaults.ALPHA,
    *,
    rng: np.random.Generator,
    lam: float | None = None,
) -> tuple[float, Box]:
    """The draws of :func:`cutmix`, in their one order: ``lam ~ Beta(alpha, alpha)`` (unless
    ``lam`` is given), then the box centre row, then its column (:func:`sample_box`).

    A page that shows the lambda and box of a CutMix calls this, never the two samplers in turn.

    Returns:
        ``(lam, box)``: the sampled (or given) lambda and the clipped box.
    """
    lam = sample_lambda(alpha, rng=rng) if lam is None else check_lambda(lam)
    return lam, sample_box(h, w, lam, rng=rng)


def box_lambda(box: Box, h: int, w: int) -> float:
    """``lam_adjusted = 1 - box.area / (h * w)``: the exact share of output pixels from A."""
    _check_size(h, w)
    if not box.fits(h, w):
        raise ValueError(f"{box} does not fit in a {h}x{w} image")
    return 1.0 - box.area / (h * w)


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
    if box is None and rng is None:
        raise ValueError("cutmix needs rng=np.random.Generator unless the box is given")
    if box is None:
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
    if int(num_classes) < 1:
        raise ValueError(f"num_classes must be >= 1, got {num_classes!r}")
    for name, y in (("y_a", y_a), ("y_b", y_b)):
        if isinstance(y, bool) or not isinstance(y, (int, np.integer)):
            raise ValueError(f"{name} must be an integer class index, got {y!r}")
        if not 0 <= int(y) < num_classes:
            raise ValueError(f"{name} must be in [0, {num_classes}), got {y!r}")
    lam = check_lambda(lam_adjusted)
    if not 0.0 <= float(smoothing) < 1.0:
        raise ValueError(f"smoothing must be in [0, 1), got {smoothing!r}")
    off = float(smoothing) / num_classes
    on = 1.0 - float(smoothing) + off
    target = np.full(num_classes, off, dtype=np.float64)
    target[int(y_a)] += lam * (on - off)
    target[int(y_b)] += (1.0 - lam) * (on - off)
    return target

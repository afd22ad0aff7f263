"""The occlusion lab: hide part of an image and see what a model still recognises.

Two explanations of "where the model looks" side by side. Grad-CAM (Selvaraju et al., 2017)
reads it off the gradients; occlusion sensitivity (Zeiler & Fergus, ECCV 2014,
arXiv 1311.2901) measures it: slide a patch over the image, hide what is under it, and record
how much the probability of the true class drops. CutMix claims robustness to occlusion (Yun et
al., ICCV 2019, Sec. 4.2), since its models are trained on images whose pasted box hides part
of the object; here a student can hide a region by hand, with any fill, and compare models.

Fills: grey (128), black, the image's mean colour, noise (one seeded noise image, so each patch
hides its own region of it), or the same region of another image: the last one is CutMix.

The sensitivity map is computed at the model's input size (32 px for the CIFAR-10 models), on
the image resized to it: every patch position is one image of a single batched pass. Each
pixel of the map is the mean drop over the patches that cover it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cutmix_core.box import Box
from cutmix_core.checks import check_choice, check_int
from cutmix_core.data.images import check_image, resize
from cutmix_core.models.inference import LoadedModel
from cutmix_core.views.model_view import to_input

#: What can fill a hidden region, and how the app names each.
FILLS = {
    "grey": "grey (128)",
    "black": "black",
    "mean": "the image's mean colour",
    "noise": "noise",
    "image": "the same region of image B (CutMix)",
}
GREY = 128


def fill_image(
    image: np.ndarray, fill: str, *, other: np.ndarray | None = None, seed: int = 0
) -> np.ndarray:
    """The image a hidden region is filled from, of ``image``'s shape (HWC uint8, new array).

    Args:
        image: the image to occlude.
        fill: a key of :data:`FILLS`.
        other: for ``"image"``, the image whose region comes in (same shape).
        seed: for ``"noise"``: uniform noise from ``np.random.default_rng(seed)``.
    Raises:
        ValueError: an unknown fill, or ``"image"`` without an image of the same shape.
    """
    check_image(image, "image")
    check_choice(fill, "fill", tuple(FILLS))
    if fill == "grey":
        return np.full_like(image, GREY)
    if fill == "black":
        return np.zeros_like(image)
    if fill == "mean":
        return np.broadcast_to(np.rint(image.mean(axis=(0, 1))), image.shape).astype(np.uint8)
    if fill == "noise":
        rng = np.random.default_rng(seed)
        return rng.integers(0, 256, image.shape, dtype=np.uint8)
    if other is None or other.shape != image.shape:
        got = None if other is None else other.shape
        raise ValueError(f"fill 'image' needs another image of shape {image.shape}, got {got}")
    check_image(other, "other")
    return other.copy()


def occlude(image: np.ndarray, box: Box, source: np.ndarray) -> np.ndarray:
    """``image`` with ``box`` taken from ``source`` (a :func:`fill_image`); a new array."""
    check_image(image, "image")
    if source.shape != image.shape:
        raise ValueError(f"source must have the image's shape {image.shape}, got {source.shape}")
    if not box.fits(*image.shape[:2]):
        raise ValueError(f"box {box} does not fit an image of shape {image.shape}")
    out = image.copy()
    out[box.y0 : box.y1, box.x0 : box.x1] = source[box.y0 : box.y1, box.x0 : box.x1]
    return out


def _starts(side: int, patch: int, stride: int) -> list[int]:
    starts = list(range(0, side - patch + 1, stride))
    if starts[-1] != side - patch:  # the last patch reaches the border
        starts.append(side - patch)
    return starts


def patch_boxes(h: int, w: int, patch: int, stride: int) -> tuple[Box, ...]:
    """The patches a sensitivity map slides: ``patch`` x ``patch`` boxes every ``stride`` px,
    row by row, with a last row and column flush with the border, so every pixel is covered."""
    check_int(h, "h", 1)
    check_int(w, "w", 1)
    check_int(patch, "patch", 1, min(h, w))
    check_int(stride, "stride", 1)
    return tuple(
        Box(y, y + patch, x, x + patch)
        for y in _starts(h, patch, stride)
        for x in _starts(w, patch, stride)
    )


@dataclass(frozen=True, eq=False)
class OcclusionMap:
    """One model's occlusion sensitivity for one image and class.

    Attributes:
        label: the class whose probability is measured.
        p_clean: its probability on the unoccluded image (at the model's input size).
        boxes: the patches, at the model's input size.
        p_occluded: (len(boxes),) its probability with each patch hidden.
        drop: (S, S) float32, the mean of ``p_clean - p_occluded`` over the patches covering
            each pixel: positive where hiding the pixel costs the class probability.
    """

    label: int
    p_clean: float
    boxes: tuple[Box, ...]
    p_occluded: np.ndarray
    drop: np.ndarray

    def normalized(self) -> np.ndarray:
        """The positive part of ``drop`` divided by its maximum, in [0, 1] (all zero if hiding
        never costs anything), for display as a heat map."""
        pos = np.clip(self.drop, 0.0, None)
        top = pos.max()
        return pos / top if top > 0 else np.zeros_like(pos)


def occlusion_map(
    loaded: LoadedModel,
    image: np.ndarray,
    label: int,
    *,
    patch: int,
    stride: int,
    fill: str = "grey",
    other: np.ndarray | None = None,
    seed: int = 0,
    batch_size: int = 256,
) -> OcclusionMap:
    """Occlusion sensitivity of ``loaded`` for class ``label`` on ``image``.

    The image (and ``other``) are resized to the model's input size S first; ``patch`` and
    ``stride`` are in those pixels. All occluded images go through the model in batches of
    ``batch_size``; nothing of ``loaded`` or the inputs is modified.

    Raises:
        ValueError: a bad image, class, patch, stride or fill.
    """
    check_image(image, "image")
    check_int(label, "label", 0, len(loaded.classes) - 1)
    check_int(batch_size, "batch_size", 1)
    side = loaded.input_size
    small = resize(image, side, side)
    small_other = None if other is None else resize(other, side, side)
    source = fill_image(small, fill, other=small_other, seed=seed)
    boxes = patch_boxes(side, side, patch, stride)
    hidden = np.repeat(small[None], len(boxes), axis=0)  # (K, S, S, 3)
    for k, box in enumerate(boxes):
        hidden[k, box.y0 : box.y1, box.x0 : box.x1] = source[box.y0 : box.y1, box.x0 : box.x1]
    p_clean = float(loaded.predict_input(to_input(loaded, [small]))[0, label])
    p_occluded = np.concatenate(
        [
            loaded.predict_input(to_input(loaded, hidden[i : i + batch_size]))[:, label]
            for i in range(0, len(boxes), batch_size)
        ]
    ).astype(np.float32)
    total = np.zeros((side, side), np.float64)
    count = np.zeros((side, side), np.int64)
    for box, p in zip(boxes, p_occluded):
        total[box.y0 : box.y1, box.x0 : box.x1] += p_clean - float(p)
        count[box.y0 : box.y1, box.x0 : box.x1] += 1
    return OcclusionMap(label, p_clean, boxes, p_occluded, (total / count).astype(np.float32))


def occlusion_line(model: str, name: str, p_clean: float, p_hidden: float, top1: str) -> str:
    """One model's verdict on the occluded image, e.g. ``AirNet · CutMix: p(cat) 0.91 → 0.42
    with the region hidden; top-1 dog``."""
    return (
        f"{model}: p({name}) **{p_clean:.2f} → {p_hidden:.2f}** with the region hidden; "
        f"top-1 {top1}"
    )


def sensitivity_caption(name: str, result: OcclusionMap) -> str:
    """The caption of a sensitivity map: what it shows and its largest drop."""
    return (
        f"Occlusion: mean drop in p({name}) when a {result.boxes[0].height}-px patch over a "
        f"pixel is hidden, up to {float(result.drop.max()):.2f} (p = {result.p_clean:.2f} "
        "unoccluded)"
    )

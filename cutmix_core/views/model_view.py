"""What a trained classifier makes of a CutMix image: predictions, Grad-CAM and the box.

For a pair A, B and their mix x~ = M * A + (1 - M) * B (box = pasted region, lam_adj = share of
pixels from A), CutMix trains the network towards the soft label

    y~ = lam_adj * y_A + (1 - lam_adj) * y_B

(Yun et al., ICCV 2019, https://arxiv.org/abs/1905.04899). :func:`explain_mix` runs one model on
A, B and x~ and returns what the app shows beside that target: the class probabilities (does
p(B) on x~ follow 1 - lam_adj?), and Grad-CAM maps for class A and class B on x~ (see
:mod:`cutmix_core.models.gradcam`) on one shared scale, with the share of each map's mass that
falls inside the box (B's evidence should sit in the box, A's outside it).

Images of any size are resized (bicubic, antialiased, :func:`cutmix_core.data.images.resize`) to
the model's square input (32 px for the CIFAR-10 models, 224 for torchvision's ImageNet models)
without a centre crop, since a crop would move the box; the maps are resized back to the image's
size before the masses are measured.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from cutmix_core import paths
from cutmix_core.box import Box
from cutmix_core.checks import check_int
from cutmix_core.data.cifar import CLASSES
from cutmix_core.data.images import check_image, resize
from cutmix_core.mixing.pair import box_lambda, cut_size, paste
from cutmix_core.models.checkpoints import LoadedModel, find_checkpoints
from cutmix_core.models.gradcam import gradcam, mass_inside

#: How the app names a model by its training augmentation (:data:`cutmix_core.defaults.AUGS`).
AUG_LABELS = {"none": "baseline", "cutmix": "CutMix", "mixup": "Mixup", "cutout": "Cutout"}
MODELS_DIR = paths.MODELS_DIR


@dataclass(frozen=True)
class ShippedModel:
    """A checkpoint found on disk, described by its model card (not loaded yet)."""

    key: str  # file stem, e.g. "airnet_cutmix": what links and caches use
    path: Path
    label: str  # e.g. "AirNet · CutMix"
    aug: str
    test_accuracy: float | None


def _arch_label(arch: str) -> str:
    if arch == "airnet":
        return "AirNet"
    return arch.replace("resnet", "ResNet-", 1) if arch.startswith("resnet") else arch


def find_models(folder: Path | str = MODELS_DIR) -> tuple[ShippedModel, ...]:
    """The checkpoints of :func:`~cutmix_core.models.checkpoints.find_checkpoints` (baseline,
    CutMix, Mixup, Cutout first, then the rest by name), described by their cards. Files whose
    card cannot be read are skipped here (loading them gives the reason)."""
    found = []
    for path in find_checkpoints(folder):
        try:
            card = json.loads(path.with_suffix(".json").read_text())
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            continue
        if not isinstance(card, dict):
            continue
        aug = str(card.get("aug", ""))
        acc = card.get("test_accuracy")
        arch = _arch_label(str(card.get("arch", path.stem)))
        found.append(
            ShippedModel(
                path.stem,
                path,
                f"{arch} · {AUG_LABELS.get(aug, aug or '?')}",
                aug,
                float(acc) if isinstance(acc, (int, float)) else None,
            )
        )
    return tuple(found)


@dataclass(frozen=True, eq=False)
class MixPrediction:
    """One model's probabilities ((num_classes,) float32) on A, B and their mix, without
    Grad-CAM: what the playground's compact "model says" row needs."""

    classes: tuple[str, ...]
    class_a: int
    class_b: int
    probs_a: np.ndarray
    probs_b: np.ndarray
    probs_mixed: np.ndarray

    @property
    def p_a(self) -> float:
        """p(class A) on the mixed image."""
        return float(self.probs_mixed[self.class_a])

    @property
    def p_b(self) -> float:
        """p(class B) on the mixed image."""
        return float(self.probs_mixed[self.class_b])

    @property
    def top1(self) -> str:
        """The most likely class on the mixed image (the first on ties)."""
        return self.classes[int(np.argmax(self.probs_mixed))]


@dataclass(frozen=True, eq=False)
class MixExplanation(MixPrediction):
    """One model on A, B and their mix: the predictions of :class:`MixPrediction` and Grad-CAM
    maps, (H, W) float32 at the mixed image's size on ONE scale shared by both (max = 1)."""

    cam_a: np.ndarray
    cam_b: np.ndarray
    box: Box
    lam_adjusted: float
    mass_a_inside: float  # share of class A's map inside the box (NaN for an all-zero map)
    mass_b_inside: float
    input_size: int

    @property
    def both_in_top2(self) -> bool:
        """Whether classes A and B are the two most likely classes on the mixed image."""
        top2 = set(np.argsort(-self.probs_mixed, kind="stable")[:2].tolist())
        return self.class_a != self.class_b and {self.class_a, self.class_b} == top2


def mass_text(mass: float) -> str:
    """How the app words a map's share inside the box: "37% of it in the box", or, for the NaN
    of an all-zero map (no positive evidence for the class anywhere), says so."""
    return (
        "an all-zero map (no positive evidence)"
        if math.isnan(mass)
        else f"{mass:.0%} of it in the box"
    )


def cam_caption(which: str, name: str, mass: float) -> str:
    """The caption of one Grad-CAM map: ``"Grad-CAM for B (dog): 37% of it in the box"``."""
    return f"Grad-CAM for {which} ({name}): {mass_text(mass)}"


def top_k(probs: np.ndarray, classes: Iterable[str], k: int = 5) -> tuple[tuple[str, float], ...]:
    """The ``k`` most likely ``(class name, probability)``, most likely first (ties by index)."""
    names = tuple(classes)
    probs = np.asarray(probs)
    if probs.ndim != 1 or len(probs) != len(names):
        raise ValueError(
            f"probs must be 1-D with one value per class ({len(names)}), got shape {probs.shape}"
        )
    order = np.argsort(-probs, kind="stable")[: max(int(k), 0)]
    return tuple((names[i], float(probs[i])) for i in order)


def to_input(loaded: LoadedModel, images: Iterable[np.ndarray]) -> torch.Tensor:
    """HWC uint8 images -> (N, 3, S, S) normalised float for ``loaded``, S its input size."""
    side = loaded.input_size
    batch = [img if img.shape[:2] == (side, side) else resize(img, side, side) for img in images]
    return loaded.normalize(np.stack(batch))  # (N, 3, S, S)


def _checked_inputs(
    loaded: LoadedModel,
    a: np.ndarray,
    b: np.ndarray,
    mixed: np.ndarray,
    class_a: int | None,
    class_b: int | None,
) -> tuple[torch.Tensor, np.ndarray, int, int]:
    """Validate, then ``(x (3, 3, S, S), probs (3, num_classes), class_a, class_b)``."""
    for name, img in (("a", a), ("b", b), ("mixed", mixed)):
        check_image(img, name)
    if a.shape != mixed.shape or b.shape != mixed.shape:
        raise ValueError(
            f"a, b and mixed must have one shape, got {a.shape}, {b.shape}, {mixed.shape}"
        )
    n = len(loaded.classes)
    for name, c in (("class_a", class_a), ("class_b", class_b)):
        if c is not None:
            check_int(c, name, 0, n - 1)
    x = to_input(loaded, (a, b, mixed))  # (3, 3, S, S)
    probs = _alone(loaded, x)  # (3, num_classes)
    ca = int(np.argmax(probs[0])) if class_a is None else int(class_a)
    cb = int(np.argmax(probs[1])) if class_b is None else int(class_b)
    return x, probs, ca, cb


def _alone(loaded: LoadedModel, x: torch.Tensor) -> np.ndarray:
    # Each image in a batch of its own: a batch's numbers differ from another batch's in the
    # last float bits, so predicting images alone keeps an image's numbers the same wherever
    # it appears (the playground keeps A's and B's and predicts only the new mix).
    return np.stack([loaded.predict_input(x[i : i + 1])[0] for i in range(len(x))])


def predict_images(loaded: LoadedModel, images: Sequence[np.ndarray]) -> np.ndarray:
    """(len(images), num_classes) probabilities, each image predicted alone: the numbers
    :func:`predict_mix` and :func:`explain_mix` give for it, whatever it is shown with.

    Raises:
        ValueError: for an image that is not HWC uint8.
    """
    for i, img in enumerate(images):
        check_image(img, f"images[{i}]")
    return _alone(loaded, to_input(loaded, images))


def mix_prediction(
    loaded: LoadedModel,
    probs: Sequence[np.ndarray],
    *,
    class_a: int | None = None,
    class_b: int | None = None,
) -> MixPrediction:
    """:func:`predict_mix`'s result from the probabilities on A, B and the mix (each from
    :func:`predict_images`), e.g. kept from an earlier rerun for A and B.

    Raises:
        ValueError: unless there are three rows of one probability per class, or for a class
            out of range.
    """
    n = len(loaded.classes)
    rows = [np.asarray(p) for p in probs]
    if len(rows) != 3 or any(r.shape != (n,) for r in rows):
        raise ValueError(f"need probabilities on A, B and the mix, each of {n} classes")
    for name, c in (("class_a", class_a), ("class_b", class_b)):
        if c is not None:
            check_int(c, name, 0, n - 1)
    return MixPrediction(
        classes=tuple(loaded.classes),
        class_a=int(np.argmax(rows[0])) if class_a is None else int(class_a),
        class_b=int(np.argmax(rows[1])) if class_b is None else int(class_b),
        probs_a=rows[0],
        probs_b=rows[1],
        probs_mixed=rows[2],
    )


def predict_mix(
    loaded: LoadedModel,
    a: np.ndarray,
    b: np.ndarray,
    mixed: np.ndarray,
    *,
    class_a: int | None = None,
    class_b: int | None = None,
) -> MixPrediction:
    """Predictions on A, B and the mix, as :func:`explain_mix` gives them, without Grad-CAM.

    Raises:
        ValueError: as :func:`explain_mix` (images of different shapes, a class out of range).
    """
    _, probs, ca, cb = _checked_inputs(loaded, a, b, mixed, class_a, class_b)
    return mix_prediction(loaded, list(probs), class_a=ca, class_b=cb)


def explain_mix(
    loaded: LoadedModel,
    a: np.ndarray,
    b: np.ndarray,
    mixed: np.ndarray,
    box: Box,
    *,
    class_a: int | None = None,
    class_b: int | None = None,
) -> MixExplanation:
    """Predictions on A, B and the mix, and Grad-CAM for classes A and B on the mix.

    Args:
        loaded: a model from :func:`cutmix_core.models.checkpoints.load_checkpoint` or
            :func:`~cutmix_core.models.checkpoints.load_imagenet_model`; it is not modified.
        a, b, mixed: HWC uint8 images of one size; ``mixed`` is A with ``box`` pasted from B.
        class_a, class_b: the classes to explain; None means the model's top-1 class on the
            unmixed image (for uploads, which have no label the model knows).
    Raises:
        ValueError: on images of different shapes, a box that does not fit, or a class index
            outside the model's classes.
    """
    check_image(mixed, "mixed")
    h, w = mixed.shape[:2]
    if not box.fits(h, w):
        raise ValueError(f"box {box} does not fit a {h}x{w} image")
    x, probs, ca, cb = _checked_inputs(loaded, a, b, mixed, class_a, class_b)
    cam = gradcam(loaded.model, x[2:], (ca, cb))
    # One bilinear step from the last stage's grid straight to the image's size (for a 32 x 32
    # CIFAR image the same numbers as cam.upsampled; for other sizes no second resampling).
    up = F.interpolate(
        torch.from_numpy(cam.raw)[:, None], size=(h, w), mode="bilinear", align_corners=False
    )  # (2, 1, H, W)
    raw_maps = up[:, 0].clamp_min(0).numpy()  # (2, H, W)
    top = raw_maps.max()
    maps = raw_maps / top if top > 0 else np.zeros_like(raw_maps)
    return MixExplanation(
        classes=tuple(loaded.classes),
        class_a=ca,
        class_b=cb,
        probs_a=probs[0],
        probs_b=probs[1],
        probs_mixed=probs[2],
        cam_a=maps[0].astype(np.float32),
        cam_b=maps[1].astype(np.float32),
        box=box,
        lam_adjusted=box_lambda(box, h, w),
        mass_a_inside=mass_inside(maps[0], box),
        mass_b_inside=mass_inside(maps[1], box),
        input_size=loaded.input_size,
    )


def class_for(label: int | None, name: str, classes: Sequence[str]) -> int | None:
    """The class index to explain for a picked image: its CIFAR-10 label when the model has the
    CIFAR-10 classes, else the class whose name matches ``name`` (case-insensitive), else None
    (the model's own top-1 is used then)."""
    lowered = [c.lower() for c in classes]
    if label is not None and tuple(lowered) == tuple(c.lower() for c in CLASSES):
        return int(label)
    key = name.strip().lower()
    return lowered.index(key) if key in lowered else None


@dataclass(frozen=True, eq=False)
class SplitSweep:
    """p(A) and p(B) as the pasted box grows about one centre: (K,) float64 arrays each."""

    t: np.ndarray  # share of pixels from B, 1 - lam_adjusted, increasing
    p_a: np.ndarray
    p_b: np.ndarray


def sweep_split(
    loaded: LoadedModel,
    a: np.ndarray,
    b: np.ndarray,
    box: Box,
    class_a: int,
    class_b: int,
    *,
    steps: int = 21,
) -> SplitSweep:
    """Paste ever larger boxes of B into A about the centre of ``box`` and record p(A) and
    p(B): does the prediction follow the area?

    The cut is CutMix's ``cut_size(h, w, lam)`` at ``steps`` values of lam from 1 to 0, but
    shifted to stay inside the image instead of clipped, so its area is exactly the cut's and
    t rises from 0 (A alone) to 1 (B alone) wherever the centre is: nearly evenly, as the
    cut's sides are whole pixels (``int(h sqrt(1 - lam))``), so on small images neighbouring
    steps can give the same box.

    Raises:
        ValueError: on images of different shapes, a box that does not fit, or ``steps < 2``.
    """
    check_image(a, "a")
    check_image(b, "b")
    if a.shape != b.shape:
        raise ValueError(f"a and b must have one shape, got {a.shape} and {b.shape}")
    h, w = a.shape[:2]
    if not box.fits(h, w):
        raise ValueError(f"box {box} does not fit a {h}x{w} image")
    check_int(steps, "steps", 2)
    cy, cx = min((box.y0 + box.y1) // 2, h - 1), min((box.x0 + box.x1) // 2, w - 1)
    boxes = []
    for lam in np.linspace(1.0, 0.0, steps):
        cut_h, cut_w = cut_size(h, w, float(lam))
        y0 = min(max(cy - cut_h // 2, 0), h - cut_h)
        x0 = min(max(cx - cut_w // 2, 0), w - cut_w)
        boxes.append(Box(y0, y0 + cut_h, x0, x0 + cut_w))
    probs = loaded.predict_input(to_input(loaded, [paste(a, b, bx) for bx in boxes]))
    t = np.array([1.0 - box_lambda(bx, h, w) for bx in boxes])
    return SplitSweep(t, probs[:, class_a].astype(np.float64), probs[:, class_b].astype(np.float64))

"""Evaluate the shipped CIFAR-10 models on the test set: ``python -m cutmix_core.evaluation.report``.

For every checkpoint ``*.pt`` with a ``.json`` model card in a folder (default ``assets/models/``):

1. **Clean accuracy** (:func:`cutmix_core.models.checkpoints.accuracy`: the checkpoint loaded back, fp32,
   eval mode, batched) beside the card's ``test_accuracy``, which training measured with the same
   function on the saved checkpoint. On the same test images and machine the two are equal;
   ``card_agrees`` allows one image's difference for other CPUs' kernels.
2. **CutMix pairs.** N pairs (A, B) of test images with *different* labels, each with a box drawn
   as in training (:mod:`cutmix_core.mixing.pair`, Yun et al., ICCV 2019, arXiv 1905.04899):

       lam ~ Beta(alpha, alpha),  box = sample_box(32, 32, lam),  x~ = paste(A, B, box)
       t = 1 - lam_adjusted = box.area / (H W)          (the share of x~'s pixels from B)

   CutMix trains towards ``(1 - t) y_A + t y_B``, so we ask how p(B) on x~ follows t: its mean,
   the Pearson correlation r(p(B), t), the mean absolute error mean |p(B) - t|, how often A and B
   are the two most likely classes, and mean p(A), p(B) in 10 bins of t. Grad-CAM
   (:mod:`cutmix_core.models.gradcam`) for classes A and B on x~ gives the share of B's map inside the
   box and of A's map outside it (pairs with an empty box and all-zero maps are left out and
   counted; a uniform map would score about mean t and mean 1 - t).
3. **Occlusion**, after the paper's occlusion experiment (on ImageNet it zeroes a centre hole, or
   everything outside one, of growing size): a square hole of side s (default 0, 4, ..., 24 px),
   exactly s x s and inside the image, at the centre and at a random place per image. The hole is
   set to 0 *after* normalisation, i.e. to the CIFAR-10 training-set mean colour, which is what
   Cutout writes in training (``cutout_batch(fill=0.0)`` on normalised images in
   :mod:`cutmix_core.training.loop`). Cutout's own box is centred and clipped at the border, so its area
   varies; here every hole of side s has area s^2, so the x axis means what it says.

Pairs, boxes and hole places depend only on the seed and the test labels, never on a model:
they are drawn once (two independent streams spawned from ``seed``) and every model sees the
same ones. Set the number of threads with ``OMP_NUM_THREADS``; the library does not.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shlex
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import torch

from cutmix_core import defaults
from cutmix_core.data import training as data
from cutmix_core.data.cifar import CifarSet
from cutmix_core.mixing.pair import Box, box_lambda, paste, sample_box, sample_lambda
from cutmix_core.models import checkpoints as models
from cutmix_core.models.checkpoints import LoadedModel, predict
from cutmix_core.models.gradcam import gradcam, mass_inside
from cutmix_core.paths import MODELS_DIR, REPORT_PATH
from cutmix_core.training import loop as train

REPORT_VERSION = 1
HOLES: tuple[int, ...] = (0, 4, 8, 12, 16, 20, 24)
PAIRS = 1000
BINS = 10
PLACEMENTS = ("centre", "random")
TABLE_HOLE = defaults.CUTOUT_SIZE  # the Cutout side for CIFAR-10: the table column
CARD_TOLERANCE_IMAGES = 1  # card_agrees: images the two accuracies may differ by
#: The summary table's columns (README and the app show them).
COLUMNS = (
    "model",
    "aug",
    "params",
    "epochs",
    "clean acc",
    "card acc",
    "p(B) corr",
    "p(B) MAE",
    "both top-2",
    "CAM-B in box",
    "CAM-A outside",
    f"occl. {TABLE_HOLE}px centre",
    f"occl. {TABLE_HOLE}px random",
)


class ReportError(ValueError):
    """An evaluation report that cannot be read; the message is meant for the user."""


# ---------------------------------------------------------------- results


def _opt(x: float) -> float | None:  # JSON has no NaN: write null
    return None if x is None or math.isnan(x) else float(x)


def _nan(x: float | None) -> float:
    return math.nan if x is None else float(x)


@dataclass(frozen=True)
class SplitCurve:
    """Mean p(A) and p(B) on the mixed images in equal bins of t = 1 - lam_adjusted (NaN: empty)."""

    centres: tuple[float, ...]
    counts: tuple[int, ...]
    mean_p_a: tuple[float, ...]
    mean_p_b: tuple[float, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "centres": list(self.centres),
            "counts": list(self.counts),
            "mean_p_a": [_opt(v) for v in self.mean_p_a],
            "mean_p_b": [_opt(v) for v in self.mean_p_b],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SplitCurve:
        return cls(
            tuple(float(v) for v in d["centres"]),
            tuple(int(v) for v in d["counts"]),
            tuple(_nan(v) for v in d["mean_p_a"]),
            tuple(_nan(v) for v in d["mean_p_b"]),
        )


@dataclass(frozen=True)
class PairStats:
    """One model on the CutMix pairs (see the module docstring); rates and shares in [0, 1]."""

    n: int
    mean_p_a: float
    mean_p_b: float
    corr_p_b: float  # Pearson r(p(B), t); NaN if either is constant
    mae_p_b: float  # mean |p(B) - t|
    both_top2: float  # share of pairs whose two most likely classes are A and B
    cam_b_in_box: float  # mean share of class B's Grad-CAM mass inside the box
    cam_a_outside: float  # mean share of class A's Grad-CAM mass outside the box
    cam_pairs: int  # pairs with a non-empty box (the CAM means are over these)
    cam_skipped_a: int  # of those, all-zero class-A maps (no mass to share out)
    cam_skipped_b: int
    curve: SplitCurve

    def to_dict(self) -> dict[str, Any]:
        out = {k: (_opt(v) if isinstance(v, float) else v) for k, v in vars(self).items()}
        return {**out, "curve": self.curve.to_dict()}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> PairStats:
        ints = ("n", "cam_pairs", "cam_skipped_a", "cam_skipped_b")
        kw = {
            k: int(d[k]) if k in ints else _nan(d[k])
            for k in cls.__dataclass_fields__
            if k != "curve"
        }
        return cls(**kw, curve=SplitCurve.from_dict(d["curve"]))


@dataclass(frozen=True)
class OcclusionCurve:
    """Accuracy with a square hole of each side in ``holes`` at ``placement`` (centre, random)."""

    placement: str
    holes: tuple[int, ...]
    accuracy: tuple[float, ...]

    def at(self, side: int) -> float | None:
        """The accuracy for a hole of ``side`` pixels, None if it was not measured."""
        return self.accuracy[self.holes.index(side)] if side in self.holes else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "placement": self.placement,
            "holes": list(self.holes),
            "accuracy": list(self.accuracy),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> OcclusionCurve:
        return cls(
            str(d["placement"]),
            tuple(int(v) for v in d["holes"]),
            tuple(float(v) for v in d["accuracy"]),
        )


@dataclass(frozen=True)
class ModelEvaluation:
    """Everything measured for one checkpoint."""

    name: str  # file stem, e.g. "resnet20_cutmix"
    arch: str
    aug: str  # from the card; "" if the card does not say
    num_parameters: int
    epochs: int | None
    test_images: int
    clean_accuracy: float
    card_accuracy: float | None  # the card's test_accuracy
    card_test_images: int | None  # how many test images the card's accuracy was measured on
    pairs: PairStats
    occlusion: tuple[OcclusionCurve, ...]  # one per placement, in PLACEMENTS order
    wall_time_s: float

    @property
    def card_agrees(self) -> bool | None:
        """The two differ by at most one image; None when the card has no accuracy or used
        other images. Counted in images: ``abs(0.8010 - 0.8009) > 1e-4`` in floating point."""
        if self.card_accuracy is None or self.card_test_images not in (None, self.test_images):
            return None
        differ = round(abs(self.clean_accuracy - self.card_accuracy) * self.test_images)
        return differ <= CARD_TOLERANCE_IMAGES

    def occlusion_at(self, placement: str, side: int) -> float | None:
        return next((c.at(side) for c in self.occlusion if c.placement == placement), None)

    def to_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in vars(self).items() if k not in ("pairs", "occlusion")}
        return {
            **out,
            "card_agrees": self.card_agrees,
            "pairs": self.pairs.to_dict(),
            "occlusion": [c.to_dict() for c in self.occlusion],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ModelEvaluation:
        def maybe(key: str, kind: Callable[[Any], Any]) -> Any:
            return None if d[key] is None else kind(d[key])

        return cls(
            str(d["name"]),
            str(d["arch"]),
            str(d["aug"]),
            int(d["num_parameters"]),
            maybe("epochs", int),
            int(d["test_images"]),
            float(d["clean_accuracy"]),
            maybe("card_accuracy", float),
            maybe("card_test_images", int),
            PairStats.from_dict(d["pairs"]),
            tuple(OcclusionCurve.from_dict(c) for c in d["occlusion"]),
            float(d["wall_time_s"]),
        )


@dataclass(frozen=True)
class EvaluationReport:
    """All models plus what is needed to reproduce the numbers (the JSON file's content)."""

    models: tuple[ModelEvaluation, ...]
    command: str  # the command line that wrote it
    seed: int
    pairs: int
    alpha: float
    holes: tuple[int, ...]
    data: str  # the test set's source, e.g. a path and "(first 20 balanced)"
    test_images: int
    box_share: float  # mean t over the pairs: what a uniform Grad-CAM map scores in the box
    device: str
    torch: str
    date: str  # ISO 8601, UTC
    version: int = REPORT_VERSION

    def to_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in vars(self).items() if k != "models"}
        return {
            "version": self.version,
            **out,
            "holes": list(self.holes),
            "models": [m.to_dict() for m in self.models],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> EvaluationReport:
        return cls(
            tuple(ModelEvaluation.from_dict(m) for m in d["models"]),
            str(d["command"]),
            int(d["seed"]),
            int(d["pairs"]),
            float(d["alpha"]),
            tuple(int(h) for h in d["holes"]),
            str(d["data"]),
            int(d["test_images"]),
            float(d["box_share"]),
            str(d["device"]),
            str(d["torch"]),
            str(d["date"]),
            int(d["version"]),
        )


def save_report(report: EvaluationReport, path: str | Path) -> Path:
    """Write ``report`` as JSON (strict: no NaN), atomically; returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(report.to_dict(), indent=1, allow_nan=False) + "\n")
    os.replace(tmp, path)  # never a half-written report for the app to read
    return path


def load_report(path: str | Path = REPORT_PATH) -> EvaluationReport:
    """Read a report written by :func:`save_report`.

    Raises:
        ReportError (a ValueError): the file is missing, not JSON, of another version, or lacks
            a field; the message names the file and says how to rebuild it.
    """
    path = Path(path)
    rebuild = "run `python -m cutmix_core.evaluation.report` to rebuild it"
    if not path.is_file():
        raise ReportError(f"evaluation report {path} does not exist; {rebuild}")
    try:
        d = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ReportError(f"evaluation report {path} is not readable JSON ({err}); {rebuild}")
    version = d.get("version") if isinstance(d, dict) else None
    if version != REPORT_VERSION:
        raise ReportError(
            f"evaluation report {path} has version {version!r}, this code reads "
            f"version {REPORT_VERSION}; {rebuild}"
        )
    try:
        return EvaluationReport.from_dict(d)
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        raise ReportError(
            f"evaluation report {path} is malformed ({type(err).__name__}: {err}); {rebuild}"
        ) from err


# ---------------------------------------------------------------- CutMix pairs


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
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive int, got {n!r}")
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
        lams.append(sample_lambda(alpha, rng=rng))
        boxes.append(sample_box(h, w, lams[-1], rng=rng))
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


def pair_stats(loaded: LoadedModel, mixed: np.ndarray, pairs: PairSet) -> PairStats:
    """Predictions and Grad-CAM of one model on the mixed images (see the module docstring).

    Args:
        loaded: a CIFAR-10 model; it is not modified.
        mixed: ``mix_pairs(images, pairs)``, (N, 32, 32, 3) uint8.
    """
    if len(mixed) != len(pairs):
        raise ValueError(f"mixed holds {len(mixed)} images for {len(pairs)} pairs")
    x = loaded.preprocess(mixed)  # (N, 3, 32, 32)
    probs = predict(loaded.model, x)  # (N, 10)
    rows = np.arange(len(pairs))
    p_a, p_b = probs[rows, pairs.label_a], probs[rows, pairs.label_b]  # (N,) each
    t = 1.0 - pairs.lams_adjusted
    top2 = np.argsort(-probs, axis=1, kind="stable")[:, :2]  # (N, 2)
    both = (top2 == pairs.label_a[:, None]).any(1) & (top2 == pairs.label_b[:, None]).any(1)
    used = [i for i, box in enumerate(pairs.boxes) if box.area]  # an empty box has no inside
    inside = np.array(
        [  # (M, 2): share of class A's and class B's map inside the box
            [
                mass_inside(cam, pairs.boxes[i])
                for cam in gradcam(  # one image per call
                    loaded.model, x[i], (int(pairs.label_a[i]), int(pairs.label_b[i]))
                ).upsampled
            ]
            for i in used
        ]
    ).reshape(-1, 2)
    skipped = np.isnan(inside).sum(0)  # all-zero maps: no mass to share out
    return PairStats(
        n=len(pairs),
        mean_p_a=float(p_a.mean()),
        mean_p_b=float(p_b.mean()),
        corr_p_b=_pearson(p_b.astype(np.float64), t),
        mae_p_b=float(np.abs(p_b - t).mean()),
        both_top2=float(both.mean()),
        cam_b_in_box=_mean(inside[:, 1]),
        cam_a_outside=_mean(1.0 - inside[:, 0]),
        cam_pairs=len(used),
        cam_skipped_a=int(skipped[0]),
        cam_skipped_b=int(skipped[1]),
        curve=split_curve(t, p_a, p_b),
    )


# ---------------------------------------------------------------- occlusion


def sample_hole_places(n: int, *, rng: np.random.Generator) -> np.ndarray:
    """(n, 2) uniform numbers in [0, 1): where each image's random hole goes, for every side."""
    return rng.random((n, 2))


def hole_boxes(
    side: int, placement: str, places: np.ndarray, h: int = 32, w: int = 32
) -> tuple[Box, ...]:
    """One ``side`` x ``side`` box per row of ``places``, inside the image.

    ``centre``: top-left ``((h - side) // 2, (w - side) // 2)`` for all. ``random``: top-left
    ``floor(u * (h - side + 1))`` from each place ``u``, uniform over the positions that fit.

    Raises:
        ValueError: an unknown placement or a side outside [0, min(h, w)].
    """
    if placement not in PLACEMENTS:
        raise ValueError(f"placement must be one of {PLACEMENTS}, got {placement!r}")
    if (
        isinstance(side, bool)
        or not isinstance(side, (int, np.integer))
        or not 0 <= side <= min(h, w)
    ):
        raise ValueError(f"hole side must be an int in [0, {min(h, w)}], got {side!r}")
    places = np.asarray(places, dtype=np.float64).reshape(-1, 2)
    if placement == "centre":
        y0, x0 = np.full(len(places), (h - side) // 2), np.full(len(places), (w - side) // 2)
    else:
        y0 = (places[:, 0] * (h - side + 1)).astype(np.int64)
        x0 = (places[:, 1] * (w - side + 1)).astype(np.int64)
    return tuple(Box(int(y), int(y) + side, int(x), int(x) + side) for y, x in zip(y0, x0))


def fill_holes(x: torch.Tensor, boxes: Sequence[Box]) -> torch.Tensor:
    """A copy of the normalised batch ``x`` (N, C, H, W) with each image's box set to 0, i.e.
    to the training-set mean colour (the value Cutout writes in training)."""
    if not isinstance(x, torch.Tensor) or x.ndim != 4 or len(boxes) != x.shape[0]:
        raise ValueError(
            f"need an (N, C, H, W) tensor and N boxes, got "
            f"{tuple(getattr(x, 'shape', ()))} and {len(boxes)} boxes"
        )
    corners = torch.tensor([(b.y0, b.y1, b.x0, b.x1) for b in boxes]).view(-1, 4, 1)  # (N, 4, 1)
    rows, cols = torch.arange(x.shape[2]), torch.arange(x.shape[3])
    in_rows = (rows >= corners[:, 0]) & (rows < corners[:, 1])  # (N, H)
    in_cols = (cols >= corners[:, 2]) & (cols < corners[:, 3])  # (N, W)
    hole = in_rows[:, None, :, None] & in_cols[:, None, None, :]  # (N, 1, H, W)
    return x.masked_fill(hole.to(x.device), 0.0)


def occlusion_curves(
    loaded: LoadedModel,
    test: CifarSet,
    holes: Sequence[int],
    places: np.ndarray,
    *,
    chunk: int = 1000,
) -> tuple[OcclusionCurve, ...]:
    """Accuracy with a hole of each side, at each placement (``places``: one row per image)."""
    if len(places) != len(test):
        raise ValueError(f"places holds {len(places)} rows for {len(test)} images")
    correct = np.zeros((len(PLACEMENTS), len(holes)), dtype=np.int64)
    for start in range(0, len(test), chunk):
        part = slice(start, start + chunk)
        x = loaded.preprocess(test.images[part])  # (B, 3, 32, 32)
        for p, placement in enumerate(PLACEMENTS):
            for k, side in enumerate(holes):
                boxes = hole_boxes(side, placement, places[part], *x.shape[2:])
                probs = predict(loaded.model, fill_holes(x, boxes))  # (B, 10)
                correct[p, k] += int((probs.argmax(1) == test.labels[part]).sum())
    return tuple(
        OcclusionCurve(placement, tuple(holes), tuple((row / len(test)).tolist()))
        for placement, row in zip(PLACEMENTS, correct)
    )


# ---------------------------------------------------------------- all models


def evaluate_model(
    loaded: LoadedModel,
    test: CifarSet,
    pairs: PairSet,
    mixed: np.ndarray,
    places: np.ndarray,
    holes: Sequence[int],
) -> ModelEvaluation:
    """Clean accuracy, pair statistics and occlusion curves of one model."""
    t0 = time.perf_counter()
    card = loaded.card
    clean = models.accuracy(loaded, test.images, test.labels)
    stats = pair_stats(loaded, mixed, pairs)
    curves = occlusion_curves(loaded, test, holes, places)
    card_acc, card_n, epochs = (card.get(k) for k in ("test_accuracy", "test_images", "epochs"))
    return ModelEvaluation(
        name=loaded.name,
        arch=str(card.get("arch", "")),
        aug=str(card.get("aug") or ""),
        num_parameters=int(card.get("num_parameters") or models.count_parameters(loaded.model)),
        epochs=None if epochs is None else int(epochs),
        test_images=len(test),
        clean_accuracy=clean,
        card_accuracy=None if card_acc is None else float(card_acc),
        card_test_images=None if card_n is None else int(card_n),
        pairs=stats,
        occlusion=curves,
        wall_time_s=round(time.perf_counter() - t0, 2),
    )


def _order(loaded: LoadedModel) -> tuple[int, str]:  # baseline, CutMix, Mixup, Cutout, rest
    aug = str(loaded.card.get("aug"))
    return (train.AUGS.index(aug) if aug in train.AUGS else len(train.AUGS), loaded.name)


def load_models(folder: str | Path, *, device: str | torch.device = "cpu") -> list[LoadedModel]:
    """Every ``*.pt`` with a ``.json`` card in ``folder``, loaded; baseline ("none"), cutmix,
    mixup, cutout first (by the card's ``aug``), each group by name.

    Raises:
        ValueError: the folder holds no such checkpoint. CheckpointError: one cannot be loaded.
    """
    paths = [p for p in sorted(Path(folder).glob("*.pt")) if p.with_suffix(".json").is_file()]
    if not paths:
        raise ValueError(f"no checkpoints (*.pt with a .json card) in {folder}")
    return sorted((models.load_checkpoint(p, map_location=device) for p in paths), key=_order)


def evaluate(
    loaded_models: Sequence[LoadedModel],
    test: CifarSet,
    *,
    seed: int = defaults.SEED,
    n_pairs: int = PAIRS,
    holes: Sequence[int] = HOLES,
    alpha: float = defaults.ALPHA,
    command: str = "",
    log: Callable[[str], None] | None = None,
) -> EvaluationReport:
    """Evaluate each model on ``test`` with pairs and hole places drawn once from ``seed``.

    Args:
        loaded_models: CIFAR-10 models (e.g. from :func:`load_models`), reported in this order.
        test: the test set (uint8 images and labels).
        log: called with one line per finished model (e.g. ``print``).
    Raises:
        ValueError: no hole sides, a side outside [0, 32], or bad pairs (see sample_pairs).
    """
    if not holes or any(
        isinstance(s, bool) or not isinstance(s, (int, np.integer)) or not 0 <= s <= 32
        for s in holes
    ):
        raise ValueError(f"holes must be sides in [0, 32] px, got {tuple(holes)!r}")
    pair_rng, hole_rng = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(2))
    pairs = sample_pairs(test.labels, n_pairs, rng=pair_rng, alpha=alpha)
    mixed = mix_pairs(test.images, pairs)  # (N, 32, 32, 3), shared by every model
    places = sample_hole_places(len(test), rng=hole_rng)
    results = []
    for loaded in loaded_models:
        result = evaluate_model(loaded, test, pairs, mixed, places, holes)
        results.append(result)
        if log is not None:
            log(
                f"{result.name}: clean accuracy {result.clean_accuracy:.4f} (card "
                f"{result.card_accuracy}) in {result.wall_time_s:.1f} s"
            )
    device = next(loaded_models[0].model.parameters()).device if loaded_models else "cpu"
    return EvaluationReport(
        models=tuple(results),
        command=command,
        seed=seed,
        pairs=n_pairs,
        alpha=float(alpha),
        holes=tuple(int(h) for h in holes),
        data=test.source,
        test_images=len(test),
        box_share=float((1.0 - pairs.lams_adjusted).mean()),
        device=train.device_name(torch.device(device)),
        torch=torch.__version__,
        date=datetime.now(timezone.utc).isoformat(timespec="seconds"),
    )


# ---------------------------------------------------------------- tables and command line


def _pct(x: float | None) -> str:
    return "–" if x is None or math.isnan(x) else f"{100 * x:.2f}%"


def _num(x: float | None, digits: int = 3) -> str:
    return "–" if x is None or math.isnan(x) else f"{x:.{digits}f}"


def summary_rows(report: EvaluationReport) -> list[dict[str, Any]]:
    """One dict per model, keys :data:`COLUMNS` (numbers as numbers, None where missing)."""
    rows = []
    for m in report.models:
        p = m.pairs
        values = (
            m.name,
            m.aug,
            m.num_parameters,
            m.epochs,
            m.clean_accuracy,
            m.card_accuracy,
            _opt(p.corr_p_b),
            _opt(p.mae_p_b),
            p.both_top2,
            _opt(p.cam_b_in_box),
            _opt(p.cam_a_outside),
            m.occlusion_at("centre", TABLE_HOLE),
            m.occlusion_at("random", TABLE_HOLE),
        )
        rows.append(dict(zip(COLUMNS, values)))
    return rows


def markdown_table(report: EvaluationReport) -> str:
    """A GitHub markdown table, one row per model (percentages for accuracies and rates)."""
    fmt: dict[str, Callable[[Any], str]] = {
        "model": str,
        "aug": str,
        "params": lambda v: f"{v / 1e6:.2f}M",
        "epochs": lambda v: "–" if v is None else str(v),
        "p(B) corr": _num,
        "p(B) MAE": _num,
    }
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for row in summary_rows(report):
        lines.append("| " + " | ".join(fmt.get(k, _pct)(v) for k, v in row.items()) + " |")
    return "\n".join(lines)


def _holes(text: str) -> tuple[int, ...]:
    try:
        holes = tuple(int(s) for s in text.split(",") if s.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"holes must be comma-separated ints, got {text!r}")
    if not holes or any(not 0 <= h <= 32 for h in holes):
        raise argparse.ArgumentTypeError(f"holes must be sides in [0, 32] px, got {text!r}")
    return holes


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m cutmix_core.evaluation.report",
        description=__doc__.split("\n\n")[0],
        epilog="example: OMP_NUM_THREADS=2 python -m cutmix_core.evaluation.report --data "
        "/data/cifar10 --markdown",
    )
    p.add_argument(
        "--models",
        default=str(MODELS_DIR),
        help="folder of *.pt checkpoints with .json cards (default: assets/models)",
    )
    p.add_argument(
        "--data",
        default=None,
        help=f"CIFAR-10 copy holding the test split (default: ${defaults.CIFAR_ENV})",
    )
    p.add_argument(
        "--cache",
        default="runs/cache",
        help="folder for the decoded uint8 cache, '' disables (default: %(default)s)",
    )
    p.add_argument("--pairs", type=int, default=PAIRS, help="CutMix pairs (default: %(default)s)")
    p.add_argument("--seed", type=int, default=defaults.SEED, help="seed (default: %(default)s)")
    p.add_argument(
        "--holes",
        type=_holes,
        default=HOLES,
        help="hole sides in px (default: " + ",".join(map(str, HOLES)) + ")",
    )
    p.add_argument(
        "--out", default=str(REPORT_PATH), help="report JSON (default: assets/evaluation.json)"
    )
    p.add_argument(
        "--limit",
        type=int,
        default=None,
        metavar="N",
        help="use N test images, balanced over classes (for tests)",
    )
    p.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N or auto (default: cpu)")
    p.add_argument("--markdown", action="store_true", help="print the summary table at the end")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line, evaluate, write the report. Returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    source = args.data or os.environ.get(defaults.CIFAR_ENV, "").strip()
    if not source:
        parser.error(
            f"no CIFAR-10 copy: pass --data PATH or set ${defaults.CIFAR_ENV} (the "
            f"evaluation needs the real test set, not the bundled sample)"
        )
    if args.pairs < 1 or (args.limit is not None and args.limit < 2):
        parser.error(f"--pairs must be >= 1 and --limit >= 2, got {args.pairs} and {args.limit}")
    try:
        test = data.load_cached(source, "test", args.cache or None)
        test = data.balanced_subset(test, args.limit)
        loaded = load_models(args.models, device=train.resolve_device(args.device))
        report = evaluate(
            loaded,
            test,
            seed=args.seed,
            n_pairs=args.pairs,
            holes=args.holes,
            command=shlex.join(["python", "-m", "cutmix_core.evaluation.report", *argv]),
            log=lambda line: print(line, file=sys.stderr, flush=True),
        )
    except ValueError as err:  # CifarError, CheckpointError, no checkpoints: the user's to fix
        parser.error(str(err))
    path = save_report(report, args.out)
    print(f"wrote {path} ({len(report.models)} models, {report.test_images} test images)")
    if args.markdown:
        print(markdown_table(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

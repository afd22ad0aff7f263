"""Occlusion, after the paper's occlusion experiment (on ImageNet it zeroes a centre hole, or
everything outside one, of growing size): a square hole of side s (default 0, 4, ..., 24 px),
exactly s x s and inside the image, at the centre and at a random place per image.

The hole is set to 0 *after* normalisation, i.e. to the CIFAR-10 training-set mean colour, which
is what Cutout writes in training (``cutout_batch(fill=0.0)`` on normalised images). Cutout's own
box is centred and clipped at the border, so its area varies; here every hole of side s has area
s^2, so the x axis means what it says.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from cutmix_core.box import Box
from cutmix_core.checks import check_choice, check_int
from cutmix_core.data.cifar import CifarSet
from cutmix_core.evaluation.report import OcclusionCurve
from cutmix_core.mixing.paste import paste_boxes
from cutmix_core.models.checkpoints import LoadedModel
from cutmix_core.models.inference import count_correct

HOLES: tuple[int, ...] = (0, 4, 8, 12, 16, 20, 24)
PLACEMENTS = ("centre", "random")


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
    check_choice(placement, "placement", PLACEMENTS)
    side = check_int(side, "hole side", lo=0, hi=min(h, w))
    places = np.asarray(places, dtype=np.float64).reshape(-1, 2)
    if placement == "centre":
        y0, x0 = np.full(len(places), (h - side) // 2), np.full(len(places), (w - side) // 2)
    else:
        y0 = (places[:, 0] * (h - side + 1)).astype(np.int64)
        x0 = (places[:, 1] * (w - side + 1)).astype(np.int64)
    return tuple(Box(int(y), int(y) + side, int(x), int(x) + side) for y, x in zip(y0, x0))


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
                probs = loaded.predict_input(paste_boxes(x, boxes))  # (B, 10)
                correct[p, k] += count_correct(probs, test.labels[part])
    return tuple(
        OcclusionCurve(placement, tuple(holes), tuple((row / len(test)).tolist()))
        for placement, row in zip(PLACEMENTS, correct)
    )

"""Evaluate the shipped CIFAR-10 models on the test set (``python -m cutmix_core.evaluation``).

For every checkpoint ``*.pt`` with a ``.json`` model card in a folder (default
``assets/models/``, in :func:`cutmix_core.models.checkpoints.find_checkpoints` order):

1. **Clean accuracy** (:func:`cutmix_core.models.checkpoints.accuracy`: the checkpoint loaded
   back, fp32, eval mode, batched, predicting as the app does) beside the card's
   ``test_accuracy``, which training measured with the same function on the saved checkpoint.
   On the same test images and machine the two are equal; ``card_agrees`` allows one image's
   difference for other CPUs' kernels.
2. **CutMix pairs** (:mod:`cutmix_core.evaluation.pairs`): how p(B) on a CutMix image follows
   the share of B's pixels, how much of B's Grad-CAM mass lies in the box, and how well the
   box a localizer draws from B's map (:mod:`cutmix_core.models.localize`) matches it (IoU).
3. **Occlusion** (:mod:`cutmix_core.evaluation.occlusion`): accuracy with a square hole of
   growing side, at the centre and at a random place.

Pairs, boxes and hole places depend only on the seed and the test labels, never on a model:
they are drawn once (two independent streams spawned from ``seed``) and every model sees the
same ones. Set the number of threads with ``OMP_NUM_THREADS``; the library does not.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import torch

from cutmix_core import defaults
from cutmix_core.checks import check_int, check_number
from cutmix_core.data.cifar import CifarSet
from cutmix_core.evaluation.occlusion import HOLES, occlusion_curves, sample_hole_places
from cutmix_core.evaluation.pairs import PAIRS, PairSet, mix_pairs, pair_stats, sample_pairs
from cutmix_core.evaluation.report import EvaluationReport, ModelEvaluation
from cutmix_core.models import checkpoints as models
from cutmix_core.models.checkpoints import LoadedModel, find_checkpoints
from cutmix_core.models.localize import FRACTION
from cutmix_core.training.devices import device_name


def evaluate_model(
    loaded: LoadedModel,
    test: CifarSet,
    pairs: PairSet,
    mixed: np.ndarray,
    places: np.ndarray,
    holes: Sequence[int],
    *,
    fraction: float = FRACTION,
) -> ModelEvaluation:
    """Clean accuracy, pair statistics (the localizer at ``fraction``) and occlusion curves of
    one model."""
    t0 = time.perf_counter()
    card = loaded.card
    clean = models.accuracy(loaded, test.images, test.labels)
    stats = pair_stats(loaded, mixed, pairs, fraction=fraction)
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


def load_models(folder: str | Path, *, device: str | torch.device = "cpu") -> list[LoadedModel]:
    """Every ``*.pt`` with a ``.json`` card in ``folder``, loaded; baseline ("none"), cutmix,
    mixup, cutout first (by the card's ``aug``), each group by name.

    Raises:
        ValueError: the folder holds no such checkpoint. CheckpointError: one cannot be loaded.
    """
    paths = find_checkpoints(folder)
    if not paths:
        raise ValueError(f"no checkpoints (*.pt with a .json card) in {folder}")
    return [models.load_checkpoint(p, map_location=device) for p in paths]


def evaluate(
    loaded_models: Sequence[LoadedModel],
    test: CifarSet,
    *,
    seed: int = defaults.SEED,
    n_pairs: int = PAIRS,
    holes: Sequence[int] = HOLES,
    alpha: float = defaults.ALPHA,
    fraction: float = FRACTION,
    command: str = "",
    log: Callable[[str], None] | None = None,
) -> EvaluationReport:
    """Evaluate each model on ``test`` with pairs and hole places drawn once from ``seed``.

    Args:
        loaded_models: CIFAR-10 models (e.g. from :func:`load_models`), reported in this order.
        test: the test set (uint8 images and labels).
        fraction: the localizer's threshold on class B's Grad-CAM, a share of its maximum.
        log: called with one line per finished model (e.g. ``print``).
    Raises:
        ValueError: no hole sides, a side outside [0, 32], a fraction outside (0, 1], or bad
            pairs (see sample_pairs).
    """
    fraction = check_number(fraction, "fraction", 0.0, 1.0, lo_open=True)  # before any work
    if not holes:
        raise ValueError("holes must name at least one side in [0, 32] px")
    for side in holes:
        check_int(side, "hole side", lo=0, hi=32)
    pair_rng, hole_rng = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(2))
    pairs = sample_pairs(test.labels, n_pairs, rng=pair_rng, alpha=alpha)
    mixed = mix_pairs(test.images, pairs)  # (N, 32, 32, 3), shared by every model
    places = sample_hole_places(len(test), rng=hole_rng)
    results = []
    for loaded in loaded_models:
        result = evaluate_model(loaded, test, pairs, mixed, places, holes, fraction=fraction)
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
        device=device_name(torch.device(device)),
        torch=torch.__version__,
        date=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        cam_fraction=fraction,
    )

"""Fixtures of the view tests: the evaluation tests' report (tests/evaluation) for the
evaluation figures, and one small untrained model with a random image pair for the model and
methods views."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
import torch
from evaluation.conftest import loaded, models_dir, report, test_set  # noqa: F401

from cutmix_core.models.checkpoints import build_model, load_checkpoint, save_checkpoint
from cutmix_core.views.model_view import LoadedModel


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> LoadedModel:
    """A seeded, untrained ResNet-8 saved as a CutMix checkpoint and loaded back."""
    path = tmp_path_factory.mktemp("m") / "resnet8_cutmix.pt"
    model = build_model("resnet8", generator=torch.Generator().manual_seed(5))
    save_checkpoint(path, model, {"aug": "cutmix"})
    return load_checkpoint(path)


@pytest.fixture
def pair() -> Callable[..., tuple[np.ndarray, np.ndarray]]:
    """``pair(side=32, seed=0)``: two random HWC uint8 images, A and B."""

    def make(side: int = 32, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
        rng = np.random.default_rng(seed)
        a, b = (rng.integers(0, 256, (side, side, 3), dtype=np.uint8) for _ in range(2))
        return a, b

    return make

"""Shared fixtures of the evaluation tests: a fake test set, two tiny fitted models saved as
checkpoints with cards, and one report of both."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from evaluation.fakes import HOLES, N_PAIRS, _fake_set, _fitted

from cutmix_core.data.cifar import CifarSet
from cutmix_core.data.tensors import to_nchw
from cutmix_core.evaluation import report as rep
from cutmix_core.evaluation import run as er
from cutmix_core.models import checkpoints as models
from cutmix_core.training.loop import evaluate_accuracy


@pytest.fixture(scope="module")
def test_set() -> CifarSet:
    return _fake_set()


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory: pytest.TempPathFactory, test_set: CifarSet) -> Path:
    """r8_cutmix (card accuracy right), r8_none (card accuracy wrong), and a stray last.pt."""
    folder = tmp_path_factory.mktemp("models")
    cutmix, none = _fitted(1), _fitted(2, steps=15)
    right = evaluate_accuracy(
        cutmix, to_nchw(test_set.images), torch.from_numpy(np.array(test_set.labels))
    )
    common = {"epochs": 3, "test_images": len(test_set)}
    models.save_checkpoint(
        folder / "r8_cutmix.pt", cutmix, {"aug": "cutmix", "test_accuracy": right, **common}
    )
    models.save_checkpoint(
        folder / "r8_none.pt", none, {"aug": "none", "test_accuracy": 0.5, **common}
    )
    torch.save(none.state_dict(), folder / "last.pt")  # no card: not a shipped model
    return folder


@pytest.fixture(scope="module")
def loaded(models_dir: Path) -> list[models.LoadedModel]:
    return er.load_models(models_dir)


@pytest.fixture(scope="module")
def report(loaded, test_set) -> rep.EvaluationReport:
    return er.evaluate(loaded, test_set, seed=3, n_pairs=N_PAIRS, holes=HOLES, command="test")

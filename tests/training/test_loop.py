"""Tests for cutmix_core.training.loop: the loss, the mixing step, per-epoch accuracy, and whole
runs on the synthetic CIFAR-10 (one epoch of a few steps), resumed or not."""

from __future__ import annotations

import dataclasses
import json
import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from cutmix_core import defaults
from cutmix_core.data import training as data
from cutmix_core.data.cifar import load_cifar10
from cutmix_core.data.tensors import normalize
from cutmix_core.models import checkpoints as models
from cutmix_core.training import loop
from cutmix_core.training.config import TrainConfig

ARCH = "resnet8w4"  # as in tests/training/conftest.py


def _gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_soft_cross_entropy_equals_cross_entropy_on_one_hot_targets() -> None:
    logits = torch.randn(5, 10, generator=_gen())
    y = torch.tensor([0, 3, 9, 3, 1])
    got = loop.soft_cross_entropy(logits, F.one_hot(y, 10).float())
    assert torch.allclose(got, F.cross_entropy(logits, y))


@pytest.mark.parametrize("aug", defaults.AUGS)
def test_mix_gives_images_and_targets_that_sum_to_one(aug) -> None:
    config = TrainConfig(data="d", out="o", aug=aug, cutmix_prob=1.0)
    x = torch.randn(8, 3, 32, 32, generator=_gen())
    y = torch.arange(8)
    images, targets = loop.mix(config, x, y, generator=_gen())
    assert images.shape == x.shape and targets.shape == (8, 10)
    assert torch.allclose(targets.sum(1), torch.ones(8))
    assert torch.equal(images, x) == (aug == "none")


def test_evaluate_accuracy_counts_top1_and_restores_the_mode(cifar_dir) -> None:
    ds = load_cifar10(cifar_dir, "test")
    model = models.build_model(ARCH, generator=_gen()).train()
    x, y = data.to_tensors(ds)
    a = loop.evaluate_accuracy(model, x, y, batch_size=16)
    assert loop.evaluate_accuracy(model, x, y, batch_size=50) == a and 0 <= a <= 1
    assert model.training  # mode restored
    with torch.no_grad():
        top1 = model.eval()(normalize(x)).argmax(1)
    model.train()
    assert loop.evaluate_accuracy(model, x, top1) == 1.0
    with pytest.raises(ValueError, match="uint8"):
        loop.evaluate_accuracy(model, x.float(), y)


@pytest.mark.parametrize("aug", defaults.AUGS)
def test_training_writes_a_loadable_checkpoint_and_card(
    make_config, cifar_dir, tmp_path, aug, capsys
) -> None:
    precision = "auto" if aug == "cutmix" else "fp32"  # auto is bf16 on CPUs that have it
    config = make_config(tmp_path / aug, aug=aug, precision=precision)
    result = loop.run_training(config, progress=False, command="python -m x")
    assert result.epochs_done == 1 and result.checkpoint == tmp_path / aug / f"{ARCH}_{aug}.pt"
    state = torch.load(result.checkpoint, weights_only=True)
    assert all(isinstance(v, torch.Tensor) for v in state.values())
    assert torch.load(result.last, weights_only=True)["epoch"] == 1
    card = json.loads(result.checkpoint.with_suffix(".json").read_text())
    assert card["arch"] == ARCH and card["aug"] == aug and card["train_images"] == 200
    assert card["command"] == "python -m x" and card["history"][0]["epoch"] == 1
    assert {"loss", "test_accuracy", "lr"} <= set(card["history"][0])
    assert (card["alpha"] is None) == (aug in ("none", "cutout"))  # alpha only where it is used
    assert isinstance(card["test_accuracy"], float) and 0.0 <= card["test_accuracy"] <= 1.0
    assert card["images_per_s"] > 0 and card["wall_time_s"] >= 0 and card["device"]
    loaded = models.load_checkpoint(result.checkpoint)
    test = load_cifar10(cifar_dir, "test")
    # The card's number is the evaluation's: the saved checkpoint on the CPU in fp32.
    assert models.accuracy(loaded, test.images, test.labels) == card["test_accuracy"]
    assert card == result.card
    # Without the bar, the epoch's summary still reaches the log.
    assert re.search(
        r"^epoch 1/1 loss \d+\.\d{4} train_acc .* img/s \d+$", capsys.readouterr().err, re.M
    )


def test_one_epoch_of_the_fast_recipe_end_to_end(make_config, cifar_dir, tmp_path) -> None:
    config = make_config(
        tmp_path / "fast", arch="airnet", lr=None, warmup_epochs=None, batch_size=50, aug="cutmix"
    )
    assert config.lookahead and config.alternating_flip and config.checkpoint_dtype == "float16"
    result = loop.run_training(config, progress=False)
    state = torch.load(result.checkpoint, weights_only=True)
    assert state["head.fc.weight"].dtype == torch.float16
    assert state["features.block3.norm.running_var"].dtype == torch.float32
    card = result.card
    assert card["arch"] == "airnet" and card["dtype"] == "float16" and card["epochs"] == 1
    assert result.checkpoint.stat().st_size < 5e6
    test = load_cifar10(cifar_dir, "test")
    loaded = models.load_checkpoint(result.checkpoint)
    assert models.accuracy(loaded, test.images, test.labels) == card["test_accuracy"]


def test_holdout_runs_report_held_out_accuracy_and_never_the_test_set(
    make_config, tmp_path
) -> None:
    result = loop.run_training(make_config(tmp_path / "h", holdout=50), progress=False)
    card = result.card
    assert "test_accuracy" not in card and 0 <= card["holdout_accuracy"] <= 1
    assert card["train_images"] == 150 and card["test_images"] == 50
    assert "test_accuracy" not in card["history"][0]


def test_limit_and_stop_after(make_config, tmp_path) -> None:
    config = make_config(tmp_path / "run", limit=100, epochs=2, aug="none")
    result = loop.run_training(config, stop_after=1, progress=False)
    assert result.checkpoint is None and result.epochs_done == 1
    saved = torch.load(result.last, weights_only=True)
    assert saved["epoch"] == 1 and saved["config"]["limit"] == 100
    with pytest.raises(ValueError, match="batch_size 150 exceeds the 100 train images"):
        loop.run_training(make_config(tmp_path / "big", limit=100, batch_size=150), progress=False)


@pytest.mark.parametrize("arch", [ARCH, "airnet"])
def test_an_interrupted_run_resumed_equals_an_unbroken_one(make_config, tmp_path, arch) -> None:
    # airnet adds lookahead, alternating flips and the whitening bias schedule to the state.
    kw = dict(aug="cutmix", epochs=2, cutmix_prob=1.0, arch=arch)
    whole = loop.run_training(make_config(tmp_path / "whole", **kw), progress=False)
    broken = make_config(tmp_path / "broken", **kw)
    assert loop.run_training(broken, stop_after=1, progress=False).checkpoint is None
    resumed = loop.run_training(broken, resume=True, progress=False)
    a = torch.load(whole.checkpoint, weights_only=True)
    b = torch.load(resumed.checkpoint, weights_only=True)
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k
    assert np.isclose(whole.card["test_accuracy"], resumed.card["test_accuracy"])


def test_resume_refuses_a_different_config(make_config, tmp_path) -> None:
    config = make_config(tmp_path / "run", epochs=2)
    loop.run_training(config, stop_after=1, progress=False)
    with pytest.raises(ValueError, match="alpha: saved 1.0 vs 0.5"):
        loop.run_training(dataclasses.replace(config, alpha=0.5), resume=True, progress=False)

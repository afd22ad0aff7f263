"""Tests for cutmix_core.training.config: validation and the recipes the defaults come from."""

from __future__ import annotations

import pytest

from cutmix_core.training.config import RECIPES, TrainConfig


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("aug", "cutpaste"),
        ("schedule", "step"),
        ("precision", "fp16"),
        ("checkpoint_dtype", "bfloat16"),
        ("epochs", 0),
        ("batch_size", 2.5),
        ("alpha", 0.0),
        ("cutmix_prob", 1.5),
        ("label_smoothing", -0.1),
        ("lr", float("inf")),
        ("warmup_epochs", 99),
        ("bias_lr_scale", 0.0),
        ("limit", 0),
        ("holdout", -1),
        ("seed", -1),
        ("device", "tpu"),
        ("eval_every", True),
        ("alpha", float("nan")),
        ("momentum", "0.9"),
        ("data", ""),
    ],
)
def test_config_rejects_bad_values_by_name(field, value) -> None:
    with pytest.raises(ValueError, match=field):
        TrainConfig(**{"data": "d", "out": "o", field: value})


def test_unset_fields_take_the_recipe_of_the_arch() -> None:
    fast = TrainConfig(data="d", out="o")  # airnet by default
    old = TrainConfig(data="d", out="o", arch="resnet20")
    assert fast.arch == "airnet" and fast.batch_size == 1024 and fast.lookahead is True
    assert fast.schedule == "triangle" and fast.checkpoint_dtype == "float16"
    assert old.batch_size == 256 and old.lookahead is False and old.translate == 4
    assert old.warmup_epochs == RECIPES["resnet"]["warmup_epochs"]
    for name, value in RECIPES["resnet"].items():
        if name != "warmup_fraction":
            assert getattr(old, name) == value, name


def test_the_fast_warm_up_is_a_share_of_the_run_and_given_fields_win() -> None:
    assert TrainConfig(data="d", out="o", epochs=20).warmup_epochs == pytest.approx(4.6)
    assert TrainConfig(data="d", out="o", epochs=2).warmup_epochs == pytest.approx(0.46)
    given = TrainConfig(data="d", out="o", lr=0.3, lookahead=False, warmup_epochs=1.0)
    assert (given.lr, given.lookahead, given.warmup_epochs) == (0.3, False, 1.0)

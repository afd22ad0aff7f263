"""Tests for cutmix_core.training.cli: the flags, and a run broken off and resumed from the
command line, which must equal an unbroken one."""

from __future__ import annotations

import dataclasses
import json
import shlex

import pytest
import torch

from cutmix_core.training import cli, loop
from cutmix_core.training.config import TrainConfig

ARCH = "resnet8w4"  # as in tests/training/conftest.py


def test_resume_through_the_cli_equals_an_unbroken_run(make_config, cifar_dir, tmp_path, capsys):
    kw = dict(aug="cutmix", epochs=2, cutmix_prob=1.0)
    whole = loop.run_training(make_config(tmp_path / "whole", **kw), progress=False)
    out = tmp_path / "broken"
    args = [
        "--data",
        str(cifar_dir),
        "--out",
        str(out),
        "--arch",
        ARCH,
        "--epochs",
        "2",
        "--batch-size",
        "50",
        "--lr",
        "0.05",
        "--warmup-epochs",
        "0.5",
        "--cutmix-prob",
        "1",
        "--cache",
        str(tmp_path / "cache"),
        "--eval-batch-size",
        "32",
        "--no-progress",
    ]
    assert cli.main([*args, "--stop-after", "1"]) == 0
    assert not (out / f"{ARCH}_cutmix.pt").exists()
    with pytest.raises(SystemExit):  # a result-changing flag differs from the saved run
        cli.main(["--out", str(out), "--resume", "--lr", "0.1"])
    assert "lr: saved 0.05 vs 0.1" in capsys.readouterr().err
    assert cli.main(["--out", str(out), "--resume", "--no-progress"]) == 0
    a = torch.load(whole.checkpoint, weights_only=True)
    b = torch.load(out / f"{ARCH}_cutmix.pt", weights_only=True)
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k
    card = torch.load(out / "last.pt", weights_only=True)["config"]
    assert card["lr"] == 0.05  # the resumed run kept the saved settings


def test_the_card_records_a_command_that_trains_the_same_run(cifar_dir, tmp_path) -> None:
    args = [
        "--data",
        str(cifar_dir),
        "--out",
        str(tmp_path / "r"),
        "--arch",
        ARCH,
        "--epochs",
        "1",
        "--batch-size",
        "50",
        "--warmup-epochs",
        "0.5",
        "--cache",
        str(tmp_path / "c"),
        "--no-channels-last",
        "--no-progress",
    ]
    assert cli.main(args) == 0
    card = json.loads((tmp_path / "r" / f"{ARCH}_cutmix.json").read_text())
    words = shlex.split(card["command"])
    assert " ".join(words[:3]) == "python -m cutmix_core.training"
    assert "--no-channels-last" in words and "--lr" not in words  # only what differs is named
    again = cli.build_parser().parse_args(words[3:])
    given = {k: v for k, v in vars(again).items() if v is not None and k in card["config"]}
    assert TrainConfig(**{**given, "cache": given.get("cache") or None}) == TrainConfig(
        **card["config"]
    )


def test_help_lists_every_config_field(capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    for f in dataclasses.fields(TrainConfig):
        assert "--" + f.name.replace("_", "-") in text


def test_a_bad_flag_value_is_a_usage_error_not_a_traceback(capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--data", "d", "--out", "o", "--epochs", "0"])
    assert exit_info.value.code == 2 and "epochs must be an int in [1" in capsys.readouterr().err

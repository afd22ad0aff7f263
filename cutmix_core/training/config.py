"""What defines a training run: :class:`TrainConfig`, and the two recipes its defaults come from.

The shipped models use the fast recipe of :mod:`cutmix_core.models.airnet` (after
KellerJordan/cifar10-airbench): batch 1024, Nesterov SGD with momentum 0.85, BatchNorm shifts at
64 times the learning rate, a triangle learning-rate shape, lookahead, label smoothing 0.2, a
2-pixel translation and alternating flips, 10 epochs. The classic CIFAR ResNet recipe (batch
256, one-cycle schedule, 4-pixel crops, random flips, 30 epochs) stays available with
``arch="resnet20"`` and friends. A field left ``None`` takes its value from the recipe of
``arch``, so ``TrainConfig(data, out, arch="resnet20")`` is the old run and
``TrainConfig(data, out)`` the new one; every field can still be set by hand.

CutMix's probability defaults to the paper's CIFAR command (``--cutmix_prob 0.5``); Cutout's
hole to DeVries & Taylor's 16 pixels (both in :mod:`cutmix_core.defaults`).
"""

from __future__ import annotations

import dataclasses
import math
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cutmix_core import defaults, paths
from cutmix_core.checks import check_choice, check_int, check_number
from cutmix_core.models import airnet
from cutmix_core.training.devices import PRECISIONS
from cutmix_core.training.optim import SCHEDULES

AUGS = defaults.AUGS
CHECKPOINT_DTYPES = ("float16", "float32")
NUM_CLASSES = 10
#: Fields that may change between a run and its resumption: they do not change the result
#: (``data`` may point to the same copy at another path, e.g. on another machine).
RUN_ONLY = frozenset(
    {"data", "out", "cache", "device", "compile", "eval_every", "eval_batch_size", "tta"}
)
#: How the final model predicts (and its card's accuracy is measured): ``flip`` averages the
#: logits of an image and its mirror image; it does not change training, so it is run-only.
TTA = ("none", "flip")
#: Integer fields and their lower bounds.
INT_FIELDS = {
    "epochs": 1,
    "batch_size": 1,
    "eval_batch_size": 1,
    "cutout_size": 0,
    "seed": 0,
    "eval_every": 0,
    "limit": 1,
    "translate": 0,
    "whiten_bias_epochs": 0,
    "holdout": 0,
}
#: Real fields and their closed ranges (open below for those in OPEN_BELOW).
REAL_FIELDS = {
    "alpha": (0.0, math.inf),
    "cutmix_prob": (0.0, 1.0),
    "momentum": (0.0, 1.0),
    "label_smoothing": (0.0, 0.999),
    "lr": (0.0, math.inf),
    "weight_decay": (0.0, math.inf),
    "bias_lr_scale": (0.0, math.inf),
}
OPEN_BELOW = frozenset({"alpha", "bias_lr_scale"})

#: The two recipes: the fast one of :mod:`cutmix_core.models.airnet` (airbench94's settings,
#: its per-1024-images learning rate 11.5 and decay 0.0153 converted to a mean loss: lr
#: 11.5 / (1 + 1 / (1 - 0.85)) = 1.5, decay 0.0153 / 11.5 per unit of lr), and the classic CIFAR
#: ResNet one.
#: A field left None in :class:`TrainConfig` takes its value from the recipe of its ``arch``;
#: ``warmup_fraction`` (if set) makes the warm-up that share of ``epochs``.
RECIPES: dict[str, dict[str, Any]] = {
    "airnet": dict(
        epochs=10,
        batch_size=1024,
        lr=1.5,
        momentum=0.85,
        weight_decay=0.0153 / 11.5,
        label_smoothing=0.2,
        schedule="triangle",
        warmup_fraction=0.23,
        bias_lr_scale=64.0,
        lookahead=True,
        translate=2,
        alternating_flip=True,
        whiten_bias_epochs=3,
        checkpoint_dtype="float16",
        tta="flip",
    ),
    "resnet": dict(
        epochs=30,
        batch_size=256,
        lr=0.2,
        momentum=0.9,
        weight_decay=5e-4,
        label_smoothing=0.0,
        schedule="onecycle",
        warmup_fraction=None,
        warmup_epochs=2.0,
        bias_lr_scale=1.0,
        lookahead=False,
        translate=4,
        alternating_flip=False,
        whiten_bias_epochs=0,
        checkpoint_dtype="float32",
        tta="none",
    ),
}


def recipe_of(arch: str) -> dict[str, Any]:
    """The default training settings for ``arch`` (``airnet`` or a ``resnet...`` name)."""
    return RECIPES["airnet" if arch == airnet.ARCH else "resnet"]


@dataclass(frozen=True)
class TrainConfig:
    """Everything that defines a training run (see the module docstring for the choices)."""

    data: str  # any layout cutmix_core.data.cifar.load_cifar10 accepts
    out: str  # run folder: last.pt, then <arch>_<aug>.pt and its card
    arch: str = airnet.ARCH  # airnet | resnet20, resnet56, ...
    aug: str = "cutmix"  # none | cutmix | mixup | cutout
    alpha: float = defaults.ALPHA  # Beta(alpha, alpha) for CutMix and Mixup
    cutmix_prob: float = defaults.CIFAR_CUTMIX_PROB
    cutout_size: int = defaults.CUTOUT_SIZE
    # Left None, each of these takes its value from the recipe of ``arch`` in __post_init__,
    # so after construction it always has its type (hence the ignores).
    epochs: int = None  # type: ignore[assignment]
    batch_size: int = None  # type: ignore[assignment]
    # peak learning rate (of a mean loss)
    lr: float = None  # type: ignore[assignment]
    momentum: float = None  # type: ignore[assignment]
    nesterov: bool = True
    weight_decay: float = None  # type: ignore[assignment]
    label_smoothing: float = None  # type: ignore[assignment]
    # onecycle | cosine | triangle
    schedule: str = None  # type: ignore[assignment]
    warmup_epochs: float = None  # type: ignore[assignment]
    # BatchNorm shifts' lr multiplier
    bias_lr_scale: float = None  # type: ignore[assignment]
    # slow weights (cutmix_core.training.optim.Lookahead)
    lookahead: bool = None  # type: ignore[assignment]
    # pad of the random crop, pixels
    translate: int = None  # type: ignore[assignment]
    # flip each image every other epoch (else at random)
    alternating_flip: bool = None  # type: ignore[assignment]
    # train the whitening bias this many epochs (airnet)
    whiten_bias_epochs: int = None  # type: ignore[assignment]
    # float16 | float32: how the final weights are stored
    checkpoint_dtype: str = None  # type: ignore[assignment]
    # none | flip: how the final model predicts (see TTA)
    tta: str = None  # type: ignore[assignment]
    holdout: int = 0  # keep this many train images (balanced) out, and report accuracy on them
    seed: int = 0
    device: str = "auto"  # auto | cpu | cuda | cuda:N
    precision: str = "auto"  # auto | bf16 | fp32 (autocast of the forward pass)
    channels_last: bool = True
    compile: bool = False  # torch.compile the training model
    limit: int | None = None  # train on this many images (balanced over classes); None: all
    cache: str | None = paths.CACHE_DIR  # decoded-uint8 cache folder; None: decode every run
    eval_every: int = 1  # test accuracy every N epochs (and always after the last); 0: only last
    eval_batch_size: int = 1000

    def __post_init__(self) -> None:
        if not isinstance(self.arch, str):
            raise ValueError(f"arch must be a string, got {self.arch!r}")
        recipe = dict(recipe_of(self.arch))
        fraction = recipe.pop("warmup_fraction")
        for name, value in recipe.items():
            if getattr(self, name) is None:
                object.__setattr__(self, name, value)
        if self.warmup_epochs is None and isinstance(self.epochs, int):
            object.__setattr__(self, "warmup_epochs", fraction * self.epochs)
        for name, choices in (
            ("aug", AUGS),
            ("schedule", SCHEDULES),
            ("precision", PRECISIONS),
            ("checkpoint_dtype", CHECKPOINT_DTYPES),
            ("tta", TTA),
        ):
            check_choice(getattr(self, name), name, choices)
        for name, lo in INT_FIELDS.items():
            if not (name == "limit" and self.limit is None):
                check_int(getattr(self, name), name, lo=lo)
        for name, (low, high) in REAL_FIELDS.items():
            check_number(getattr(self, name), name, low, high, lo_open=name in OPEN_BELOW)
        check_number(self.warmup_epochs, "warmup_epochs", 0, self.epochs)
        if not self.data or not self.out:
            raise ValueError(
                f"data and out must be non-empty paths, got {self.data!r}, {self.out!r}"
            )
        if not isinstance(self.device, str) or (
            self.device != "auto" and not self.device.startswith(("cpu", "cuda", "mps"))
        ):
            raise ValueError(f"device must be auto, cpu, cuda, cuda:N or mps, got {self.device!r}")


@dataclass(frozen=True)
class TrainResult:
    """What :func:`cutmix_core.training.loop.run_training` did; ``checkpoint`` is None when it
    stopped before the last epoch."""

    epochs_done: int
    checkpoint: Path | None
    card: dict[str, Any] | None
    last: Path


#: The module that trains, as a command.
PROG = "python -m cutmix_core.training"
#: Flags every recorded command names, even at their default values.
ALWAYS_SHOWN = ("data", "out", "arch", "aug", "epochs", "seed")


def command_line(config: TrainConfig) -> str:
    """The command that trains ``config`` from scratch: ``PROG`` with ``ALWAYS_SHOWN`` and every
    flag whose value differs from the recipe of ``config.arch`` (what a model card records)."""
    default = TrainConfig(data=config.data, out=config.out, arch=config.arch)
    words = [PROG]
    for f in dataclasses.fields(TrainConfig):
        value = getattr(config, f.name)
        if f.name not in ALWAYS_SHOWN and value == getattr(default, f.name):
            continue
        flag = "--" + f.name.replace("_", "-")
        if isinstance(value, bool):
            words.append(flag if value else "--no-" + flag[2:])
        else:
            words += [flag, shlex.quote("" if value is None else str(value))]
    return " ".join(words)

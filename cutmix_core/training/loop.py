"""Train a CIFAR-10 ResNet with CutMix, Mixup, Cutout or no mixing: ``python -m cutmix_core.training.loop``.

CutMix (Yun et al., ICCV 2019, https://arxiv.org/abs/1905.04899) is a training-time operation,
so the app's checkpoints come from here. Each step:

    x = augment(x_uint8)                       # padded crop + flip (cutmix_core.data.training)
    x = (x / 255 - mean) / std                 # normalise first, as the official code does,
    mix = cutmix_batch(x, y, 10, alpha, ...)   # so Cutout's 0 fill is the mean colour
    loss = -(mix.targets * log_softmax(model(mix.images))).sum(1).mean()

The mixing maths lives only in :mod:`cutmix_core.mixing.batch`; nothing here re-implements it. Choices:

* **CutMix probability 0.5** by default: the official CIFAR command (clovaai/CutMix-PyTorch,
  ``--beta 1.0 --cutmix_prob 0.5``); ImageNet used 1.0. One coin per batch and one box per batch,
  partners a random permutation, as in the official ``train.py``. Mixup and Cutout always apply
  (Zhang et al. 2018; DeVries & Taylor 2017).
* **Schedules** are per-step multipliers of ``lr`` (:func:`lr_factor`): ``onecycle`` rises
  linearly over ``warmup_epochs`` and falls linearly to 0 (momentum is not cycled); ``cosine``
  warms up the same way and then follows a half cosine to 0.
* **Precision** ``auto`` is bf16 autocast on CUDA GPUs that support it and on CPUs with
  AVX512-BF16 or AMX, else fp32, because that is what measured faster. On a 2-core AMD EPYC with
  AVX512-BF16, a full ResNet-20 CutMix step (crop, flip, mix, forward, backward, SGD; batch 128)
  ran at ~480 img/s fp32, ~610 fp32 + channels_last, ~800 bf16 and ~900 bf16 + channels_last.
  On the 2-core AMD EPYC (Zen 3, AVX2 only) the shipped models trained on, forward + backward +
  SGD of batch 256 ran at ~270-330 img/s fp32 + channels_last, ~210 fp32 and ~20 with bf16
  autocast (emulated bf16 is ten times slower), so ``auto`` is fp32 there. The loss and all
  evaluation run in fp32.
* **Randomness**: one CPU ``torch.Generator`` seeded from ``seed`` draws the model's initial
  weights, the shuffles, crops, flips and mixing parameters, in that order; its state is saved in
  ``last.pt`` after every epoch, so ``resume`` continues exactly where an unbroken run would be.
  Nothing touches global random state.

Outputs, in ``out``: ``last.pt`` (model, optimiser, scheduler and generator states, epoch, config;
loadable with ``torch.load(weights_only=True)``) after each epoch, and at the end
``<arch>_<aug>.pt`` with its JSON model card, written by :func:`cutmix_core.models.checkpoints.save_checkpoint`.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import os
import platform
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from cutmix_core import defaults
from cutmix_core.data import training as data
from cutmix_core.mixing.batch import cutmix_batch, cutout_batch, mixup_batch, soft_targets
from cutmix_core.models import airnet
from cutmix_core.models import checkpoints as models
from cutmix_core.training.optim import SCHEDULES, Lookahead, lr_factor, param_groups

AUGS = ("none", "cutmix", "mixup", "cutout")
PRECISIONS = ("auto", "bf16", "fp32")
NUM_CLASSES = 10
#: Fields that may change between a run and its resumption: they do not change the result
#: (``data`` may point to the same copy at another path, e.g. on another machine).
RUN_ONLY = frozenset({"data", "out", "cache", "device", "compile", "eval_every", "eval_batch_size"})

#: The two recipes: the fast one of :mod:`cutmix_core.models.airnet` (airbench94's settings, with its
#: per-1024-images learning rate 11.5 and decay 0.0153 converted to a mean loss: lr 11.5 / (1 +
#: 1 / (1 - 0.85)) = 1.5, decay 0.0153 / 11.5 per unit of lr), and the classic CIFAR ResNet one.
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
    # None: the recipe of ``arch`` (RECIPES)
    epochs: int | None = None
    batch_size: int | None = None
    lr: float | None = None  # peak learning rate (of a mean loss)
    momentum: float | None = None
    nesterov: bool = True
    weight_decay: float | None = None
    label_smoothing: float | None = None
    schedule: str | None = None  # onecycle | cosine | triangle
    warmup_epochs: float | None = None
    bias_lr_scale: float | None = None  # BatchNorm shifts' lr multiplier
    lookahead: bool | None = None  # slow weights (cutmix_core.training.optim.Lookahead)
    translate: int | None = None  # pad of the random crop, pixels
    alternating_flip: bool | None = None  # flip each image every other epoch (else at random)
    whiten_bias_epochs: int | None = None  # train the whitening bias this many epochs (airnet)
    checkpoint_dtype: str | None = None  # float16 | float32: how the final weights are stored
    holdout: int = 0  # keep this many train images (balanced) out, and report accuracy on them
    seed: int = 0
    device: str = "auto"  # auto | cpu | cuda | cuda:N
    precision: str = "auto"  # auto | bf16 | fp32 (autocast of the forward pass)
    channels_last: bool = True
    compile: bool = False  # torch.compile the training model
    limit: int | None = None  # train on this many images (balanced over classes); None: all
    cache: str | None = "runs/cache"  # decoded-uint8 cache folder; None: decode every run
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
            ("checkpoint_dtype", ("float16", "float32")),
        ):
            if getattr(self, name) not in choices:
                raise ValueError(
                    f"{name} must be one of {', '.join(choices)}; got {getattr(self, name)!r}"
                )
        ints = {
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
        for name, lo in ints.items():
            value = getattr(self, name)
            if not (name == "limit" and value is None) and (
                isinstance(value, bool) or not isinstance(value, int) or value < lo
            ):
                raise ValueError(f"{name} must be an int >= {lo}, got {value!r}")
        reals = {
            "alpha": (0, math.inf),
            "cutmix_prob": (0, 1),
            "momentum": (0, 1),
            "label_smoothing": (0, 0.999),
            "lr": (0, math.inf),
            "weight_decay": (0, math.inf),
            "warmup_epochs": (0, self.epochs),
            "bias_lr_scale": (1e-9, math.inf),
        }
        for name, (lo, hi) in reals.items():
            value = getattr(self, name)
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not lo <= value <= hi
                or not math.isfinite(value)
                or (name == "alpha" and value == 0)
            ):
                raise ValueError(
                    f"{name} must be a finite number in [{lo}, {hi}]"
                    f"{' and > 0' if name == 'alpha' else ''}, got {value!r}"
                )
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
    """What :func:`train` did: ``checkpoint`` is None when it stopped before the last epoch."""

    epochs_done: int
    checkpoint: Path | None
    card: dict[str, Any] | None
    last: Path


# ---------------------------------------------------------------- devices and numerics


def resolve_device(name: str = "auto") -> torch.device:
    """``auto`` picks CUDA when available, else the CPU."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def resolve_precision(precision: str, device: torch.device) -> torch.dtype | None:
    """The autocast dtype (``torch.bfloat16``) or None for fp32; ``auto`` as in the docstring."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}; got {precision!r}")
    if precision == "fp32":
        return None
    if precision == "bf16":
        return torch.bfloat16
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else None
    if device.type == "cpu":
        fast = [
            getattr(torch.cpu, f, lambda: False)
            for f in ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
        ]
        return torch.bfloat16 if any(f() for f in fast) else None
    return None


def device_name(device: torch.device) -> str:
    """A human name for the card: the GPU's name, else the CPU model from /proc/cpuinfo."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return f"{line.split(':', 1)[1].strip()} ({os.cpu_count()} cores)"
    except OSError:
        pass
    return f"{platform.processor() or platform.machine()} ({os.cpu_count()} cores)"


def soft_cross_entropy(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """``-(targets * log_softmax(logits)).sum(1).mean()`` in fp32; targets: (N, K) soft labels."""
    return -(targets * F.log_softmax(logits.float(), dim=1)).sum(1).mean()


def normalize(x: torch.Tensor) -> torch.Tensor:
    """uint8 (N, 3, H, W) to float32 ``(x / 255 - mean) / std`` with the CIFAR-10 statistics."""
    mean = torch.tensor(models.CIFAR10_MEAN, device=x.device).view(1, 3, 1, 1)
    std = torch.tensor(models.CIFAR10_STD, device=x.device).view(1, 3, 1, 1)
    return (x.float() / 255.0 - mean) / std


def mix(
    config: TrainConfig, x: torch.Tensor, y: torch.Tensor, *, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(images, targets (N, 10) float32)``: the configured op of :mod:`cutmix_core.mixing.batch` on
    normalised ``x``; for ``aug="none"`` ``x`` itself and its (smoothed) one-hot targets."""
    s = config.label_smoothing
    if config.aug == "none":
        own = torch.arange(x.shape[0])
        ones = torch.ones(x.shape[0], dtype=torch.float64)
        return x, soft_targets(y, own, ones, NUM_CLASSES, s)
    if config.aug == "cutmix":
        result = cutmix_batch(
            x,
            y,
            NUM_CLASSES,
            config.alpha,
            generator=generator,
            pairing="permutation",
            prob=config.cutmix_prob,
            smoothing=s,
        )
    elif config.aug == "mixup":
        result = mixup_batch(
            x, y, NUM_CLASSES, config.alpha, generator=generator, pairing="permutation", smoothing=s
        )
    else:
        result = cutout_batch(
            x, y, NUM_CLASSES, config.cutout_size, generator=generator, smoothing=s
        )
    return result.images, result.targets


@torch.inference_mode()
def evaluate_accuracy(
    model: torch.nn.Module,
    images: np.ndarray | torch.Tensor,
    labels: np.ndarray | torch.Tensor,
    batch_size: int = 1000,
) -> float:
    """Top-1 accuracy in [0, 1], fp32, eval mode (the model's mode is restored afterwards).

    Args:
        model: a CIFAR-10 classifier; batches go to the device of its parameters.
        images: uint8, numpy (N, 32, 32, 3) HWC as in ``CifarSet`` or torch (N, 3, 32, 32).
        labels: (N,) integer class ids.
        batch_size: images per forward pass.
    Raises:
        ValueError: wrong shapes or dtypes, or no images.
    """
    if isinstance(images, np.ndarray):
        if images.ndim != 4 or images.shape[-1] != 3 or images.dtype != np.uint8:
            raise ValueError(
                f"numpy images must be (N, H, W, 3) uint8, got {images.shape} {images.dtype}"
            )
        images = torch.from_numpy(np.ascontiguousarray(images.transpose(0, 3, 1, 2)))
    if not isinstance(labels, torch.Tensor):
        labels = torch.from_numpy(np.array(labels, dtype=np.int64))
    if images.ndim != 4 or images.shape[1] != 3 or images.dtype != torch.uint8:
        raise ValueError(
            f"images must be (N, 3, H, W) uint8, got {tuple(images.shape)} {images.dtype}"
        )
    if images.shape[0] == 0 or labels.shape != (images.shape[0],):
        raise ValueError(
            f"need N >= 1 images and (N,) labels, got {tuple(images.shape)} and "
            f"{tuple(labels.shape)}"
        )
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    correct = torch.zeros((), dtype=torch.int64, device=device)
    for x, y in data.iterate_batches(images, labels, batch_size, drop_last=False):
        logits = model(normalize(x.to(device)))
        correct += (logits.argmax(1) == y.to(device)).sum()
    model.train(was_training)
    return int(correct) / images.shape[0]


# ---------------------------------------------------------------- progress


class _Progress:
    """tqdm when installed (it is not a dependency), else a plain line every ``every`` steps."""

    def __init__(self, total: int, desc: str, enabled: bool, every: int = 50) -> None:
        self.total, self.desc, self.every, self.step = total, desc, every, 0
        self.bar = None
        self.enabled = enabled
        if enabled:
            try:
                from tqdm.auto import tqdm
            except ImportError:
                tqdm = None
            if tqdm is not None:
                self.bar = tqdm(total=total, desc=desc, leave=True, dynamic_ncols=True)

    def update(self, stats: dict[str, str] | None) -> None:
        """Advance one step; ``stats`` (only passed every few steps) is shown."""
        self.step += 1
        if self.bar is not None:
            self.bar.update(1)
            if stats:
                self.bar.set_postfix(stats, refresh=False)
        elif self.enabled and stats and (self.step % self.every == 0 or self.step == self.total):
            text = " ".join(f"{k}={v}" for k, v in stats.items())
            print(f"{self.desc} step {self.step}/{self.total} {text}", file=sys.stderr, flush=True)

    def close(self, summary: str) -> None:
        if self.bar is not None:
            self.bar.set_postfix_str(summary, refresh=False)
            self.bar.close()
        elif self.enabled:
            print(f"{self.desc} {summary}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- the run


def _state_path(config: TrainConfig) -> Path:
    return Path(config.out) / "last.pt"


def final_checkpoint_path(config: TrainConfig) -> Path:
    """``<out>/<arch>_<aug>.pt``, where :func:`train` writes the final weights."""
    return Path(config.out) / f"{config.arch}_{config.aug}.pt"


def _check_resumable(saved: dict[str, Any], config: TrainConfig) -> None:
    current = dataclasses.asdict(config)
    diff = sorted(k for k in current if k not in RUN_ONLY and saved.get(k) != current[k])
    if diff:
        pairs = ", ".join(f"{k}: saved {saved.get(k)!r} vs {current[k]!r}" for k in diff)
        raise ValueError(f"cannot resume with a different config ({pairs})")


def _save_atomic(obj: Any, path: Path) -> None:
    tmp = path.with_suffix(".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)  # an interrupted save never leaves a broken last.pt


@dataclass(eq=False)
class _Parts:
    """The mutable objects of a run: what last.pt saves and --resume restores."""

    model: torch.nn.Module
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LambdaLR
    generator: torch.Generator
    lookahead: Lookahead | None
    flips: torch.Tensor  # (N,) bool: which train images the first epoch mirrors

    @classmethod
    def build(cls, config: TrainConfig, device: torch.device, x_train: torch.Tensor) -> _Parts:
        """Draws, from one generator seeded with ``config.seed``: the initial weights, then the
        first epoch's flips (used only with ``alternating_flip``)."""
        generator = torch.Generator().manual_seed(config.seed)
        model = models.build_model(config.arch, NUM_CLASSES, generator=generator)
        if isinstance(model, airnet.AirNet):  # deterministic: evenly spaced images, unaugmented
            stride = max(1, x_train.shape[0] // airnet.WHITEN_IMAGES)
            sample = x_train[::stride][: airnet.WHITEN_IMAGES].cpu()
            airnet.init_whitening(model, normalize(sample))
        model = model.to(device)
        if config.channels_last:
            model = model.to(memory_format=torch.channels_last)
        groups = param_groups(model, config.lr, config.weight_decay, config.bias_lr_scale)
        optimizer = torch.optim.SGD(groups, momentum=config.momentum, nesterov=config.nesterov)
        steps_per_epoch = data.num_batches(x_train.shape[0], config.batch_size)
        total = steps_per_epoch * config.epochs
        warmup = round(config.warmup_epochs * steps_per_epoch)
        scheduler = torch.optim.lr_scheduler.LambdaLR(
            optimizer, lambda step: lr_factor(step, total, warmup, config.schedule)
        )
        lookahead = Lookahead(model) if config.lookahead else None
        flips = (
            torch.rand(x_train.shape[0], generator=generator) < 0.5
            if config.alternating_flip
            else torch.zeros(0, dtype=torch.bool)
        )
        return cls(model, optimizer, scheduler, generator, lookahead, flips)

    def state_dict(self) -> dict[str, Any]:
        return {
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "generator": self.generator.get_state(),
            "lookahead": self.lookahead.state_dict() if self.lookahead else {},
            "flips": self.flips,
        }

    def load_state_dict(self, saved: dict[str, Any]) -> None:
        self.model.load_state_dict(saved["model"])
        self.optimizer.load_state_dict(saved["optimizer"])  # moves its state to the params' device
        self.scheduler.load_state_dict(saved["scheduler"])
        self.generator.set_state(saved["generator"])
        if self.lookahead is not None:
            self.lookahead.load_state_dict(saved["lookahead"])
        self.flips = saved["flips"]


def _tensors(config: TrainConfig, device: torch.device) -> tuple[torch.Tensor, ...]:
    """``(x_train, y_train, x_eval, y_eval)`` on ``device``: uint8 (N, 3, 32, 32) and int64 (N,).

    The evaluation set is the test split, or with ``holdout`` the last ``holdout`` train images
    of a balanced order (:func:`cutmix_core.data.training.holdout_split`), which are then not trained on.
    """
    train_set = data.load_cached(config.data, "train", config.cache)
    if config.holdout:
        train_set, eval_set = data.holdout_split(train_set, config.holdout)
    else:
        eval_set = data.load_cached(config.data, "test", config.cache)
    train_set = data.balanced_subset(train_set, config.limit)
    if len(train_set) < config.batch_size:
        raise ValueError(
            f"batch_size {config.batch_size} exceeds the {len(train_set)} train images"
        )
    return (*data.to_tensors(train_set, device), *data.to_tensors(eval_set, device))


def _eval_key(config: TrainConfig) -> str:
    return "holdout_accuracy" if config.holdout else "test_accuracy"


def train(
    config: TrainConfig,
    *,
    resume: bool = False,
    stop_after: int | None = None,
    progress: bool = True,
    command: str | None = None,
) -> TrainResult:
    """Run (or resume) training; see the module docstring.

    Args:
        config: the run.
        resume: continue from ``<out>/last.pt`` (an error if it is missing or from another config).
        stop_after: stop after this many epochs in this call (to fit a time slot); resume later.
        progress: show a progress bar (tqdm if installed) or plain lines on stderr; one
            summary line per epoch goes to stderr either way.
        command: the command line that started the run, recorded in the model card.
    Returns:
        A TrainResult; ``checkpoint`` and ``card`` are set once all epochs are done.
    Raises:
        ValueError: a resume mismatch, or fewer train images than one batch.
        CifarError: the data path cannot be read.
    """
    device = resolve_device(config.device)
    amp_dtype = resolve_precision(config.precision, device)
    Path(config.out).mkdir(parents=True, exist_ok=True)
    x_train, y_train, x_test, y_test = _tensors(config, device)
    steps = data.num_batches(len(y_train), config.batch_size)
    parts = _Parts.build(config, device, x_train)
    state: dict[str, Any] = {"epoch": 0, "train_time_s": 0.0, "wall_time_s": 0.0, "history": []}
    if resume:  # on the CPU, as the generator state must stay there
        saved = torch.load(_state_path(config), map_location="cpu", weights_only=True)
        _check_resumable(saved["config"], config)
        parts.load_state_dict(saved)
        state = {k: saved[k] for k in state}
    step_model = torch.compile(parts.model) if config.compile else parts.model
    end = config.epochs if stop_after is None else min(config.epochs, state["epoch"] + stop_after)
    for epoch in range(state["epoch"] + 1, end + 1):
        t0 = time.perf_counter()
        stats = _train_epoch(
            config, step_model, parts, x_train, y_train, amp_dtype, epoch, steps, progress
        )
        train_s = time.perf_counter() - t0
        test_acc = None
        if epoch == config.epochs or (config.eval_every and epoch % config.eval_every == 0):
            test_acc = evaluate_accuracy(parts.model, x_test, y_test, config.eval_batch_size)
        state["epoch"] = epoch
        state["train_time_s"] += train_s
        state["wall_time_s"] += time.perf_counter() - t0
        state["history"].append(
            {
                "epoch": epoch,
                **stats,
                _eval_key(config): test_acc,
                "images_per_s": steps * config.batch_size / train_s,
            }
        )
        # One line per epoch even without the bar, so a log of a long run shows how it goes.
        print(
            f"epoch {epoch}/{config.epochs} loss {stats['loss']:.4f} train_acc "
            f"{stats['train_accuracy']:.4f} {_eval_key(config)} {test_acc} img/s "
            f"{state['history'][-1]['images_per_s']:.0f}",
            file=sys.stderr,
            flush=True,
        )
        _save_atomic(
            {"config": dataclasses.asdict(config), **parts.state_dict(), **state},
            _state_path(config),
        )
    if state["epoch"] < config.epochs:
        return TrainResult(state["epoch"], None, None, _state_path(config))
    card = _card(config, parts.model, device, amp_dtype, state, len(y_train), len(y_test))
    card["command"] = command
    path = final_checkpoint_path(config)
    model = parts.model.to(memory_format=torch.contiguous_format)
    dtype = getattr(torch, config.checkpoint_dtype)
    models.save_checkpoint(path, model, card, dtype=dtype)
    # The card's accuracy is measured the way the evaluation command measures it: on the saved
    # checkpoint, loaded back, on the CPU in fp32 (the number above came from the training
    # model, channels_last, perhaps in bf16 or on a GPU with TF32, and may differ a little).
    loaded = models.load_checkpoint(path)
    card[_eval_key(config)] = models.accuracy(
        loaded, x_test.permute(0, 2, 3, 1).cpu().numpy(), y_test.cpu().numpy()
    )
    card = models.save_checkpoint(path, model, card, dtype=dtype)
    return TrainResult(state["epoch"], path, card, _state_path(config))


def _train_epoch(
    config: TrainConfig,
    model: torch.nn.Module,
    parts: _Parts,
    x_all: torch.Tensor,
    y_all: torch.Tensor,
    amp_dtype: torch.dtype | None,
    epoch: int,
    steps: int,
    progress: bool,
) -> dict[str, float]:
    """One pass over the train set; returns mean loss, train accuracy (own label) and last lr.

    ``model`` is ``parts.model`` or its torch.compile wrapper.
    """
    model.train()
    device = x_all.device
    loss_sum = torch.zeros((), device=device)
    correct = torch.zeros((), dtype=torch.int64, device=device)
    seen, t0 = 0, time.perf_counter()
    bar = _Progress(steps, f"epoch {epoch}/{config.epochs}", progress)
    memory = torch.channels_last if config.channels_last else torch.contiguous_format
    generator, optimizer = parts.generator, parts.optimizer
    whiten = getattr(parts.model, "whiten", None)
    if whiten is not None and whiten.bias is not None:  # trained only for the first epochs
        whiten.bias.requires_grad_(epoch <= config.whiten_bias_epochs)
    if config.alternating_flip:  # every image mirrored every other epoch (airbench94)
        flip = (parts.flips ^ (epoch % 2 == 0)).to(device).view(-1, 1, 1, 1)
        x_all = torch.where(flip, x_all.flip(-1), x_all)
    total_steps = steps * config.epochs
    batches = data.iterate_batches(x_all, y_all, config.batch_size, generator=generator)
    for i, (x, y) in enumerate(batches):
        x = data.augment(
            x, generator=generator, pad=config.translate, flip=not config.alternating_flip
        )
        images, targets = mix(config, normalize(x), y, generator=generator)  # (B, 3, 32, 32)
        with torch.autocast(device.type, dtype=amp_dtype, enabled=amp_dtype is not None):
            logits = model(images.contiguous(memory_format=memory))
        loss = soft_cross_entropy(logits, targets)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        parts.scheduler.step()
        if parts.lookahead is not None:
            parts.lookahead.step(parts.model, (epoch - 1) * steps + i + 1, total_steps)
        loss_sum += loss.detach()
        correct += (logits.detach().argmax(1) == y).sum()
        seen += y.shape[0]
        shown = None
        if (i + 1) % 10 == 0 or i + 1 == steps:  # syncs the device: only every few steps
            shown = {
                "loss": f"{float(loss_sum) / (i + 1):.4f}",
                "acc": f"{int(correct) / seen:.3f}",
                "img/s": f"{seen / (time.perf_counter() - t0):.0f}",
            }
        bar.update(shown)
    result = {
        "loss": float(loss_sum) / steps,
        "train_accuracy": int(correct) / seen,
        "lr": optimizer.param_groups[0]["lr"],
    }
    bar.close(
        f"loss {result['loss']:.4f} acc {result['train_accuracy']:.3f} "
        f"img/s {seen / (time.perf_counter() - t0):.0f}"
    )
    return result


def _card(
    config: TrainConfig,
    model: torch.nn.Module,
    device: torch.device,
    amp_dtype: torch.dtype | None,
    state: dict[str, Any],
    n_train: int,
    n_test: int,
) -> dict[str, Any]:
    """The model card (save_checkpoint adds num_parameters, classes, sha256 and dtype)."""
    images = n_train // config.batch_size * config.batch_size * config.epochs
    return {
        "arch": config.arch,
        "aug": config.aug,
        "alpha": config.alpha if config.aug in ("cutmix", "mixup") else None,  # unused otherwise
        "cutmix_prob": config.cutmix_prob if config.aug == "cutmix" else None,
        "cutout_size": config.cutout_size if config.aug == "cutout" else None,
        "epochs": config.epochs,
        "batch_size": config.batch_size,
        "seed": config.seed,
        _eval_key(config): state["history"][-1][_eval_key(config)],  # replaced by train()
        "train_images": n_train,
        "test_images": n_test,
        "data": config.data,
        "wall_time_s": round(state["wall_time_s"], 1),
        "images_per_s": round(images / state["train_time_s"], 1),
        "device": device_name(device),
        "precision": "bf16 autocast" if amp_dtype is not None else "fp32",
        "torch": torch.__version__,
        "history": state["history"],
        "config": dataclasses.asdict(config),
    }


# ---------------------------------------------------------------- command line


_HELP = {
    "data": f"CIFAR-10 copy: folder, zip or torchvision folder (default: ${defaults.CIFAR_ENV})",
    "out": "run folder for last.pt and the final <arch>_<aug>.pt + .json card",
    "arch": "resnet20, resnet56, resnet20x4, ... (cutmix_core.models.checkpoints.build_model)",
    "aug": "mixing op from cutmix_core.mixing.batch (on top of crop + flip)",
    "alpha": "Beta(alpha, alpha) for CutMix and Mixup",
    "cutmix_prob": "chance a batch is CutMixed (official CIFAR: 0.5)",
    "cutout_size": "side of the Cutout hole in pixels",
    "lr": "peak learning rate (SGD)",
    "warmup_epochs": "linear warm-up length (may be fractional)",
    "device": "auto, cpu, cuda, cuda:N",
    "precision": "auto: bf16 autocast on CUDA and on CPUs with AVX512-BF16/AMX, else fp32",
    "compile": "torch.compile the model for training",
    "limit": "train on this many images, balanced over classes (for tests)",
    "cache": "folder for the decoded uint8 cache ('' disables it)",
    "eval_every": "test accuracy every N epochs (0: only at the end)",
}


def build_parser() -> argparse.ArgumentParser:
    """The CLI: one flag per TrainConfig field (default None = "not given") plus run controls."""
    p = argparse.ArgumentParser(
        prog="python -m cutmix_core.training.loop",
        description=__doc__.split("\n\n")[0],
        epilog="example: python -m cutmix_core.training.loop --data /data/cifar10 --out runs/r20-cutmix "
        "--arch resnet20 --aug cutmix --epochs 30   (then --out runs/r20-cutmix --resume "
        "to continue an interrupted run)",
    )
    types = {"int": int, "float": float, "int | None": int, "float | None": float}
    choices = {
        "aug": AUGS,
        "schedule": SCHEDULES,
        "precision": PRECISIONS,
        "checkpoint_dtype": ("float16", "float32"),
    }
    for f in dataclasses.fields(TrainConfig):
        flag = "--" + f.name.replace("_", "-")
        text = _HELP.get(f.name, f.name.replace("_", " "))
        if f.default is not dataclasses.MISSING:
            text += f" (default: {f.default})"
        if str(f.type) in ("bool", "bool | None"):
            p.add_argument(flag, action=argparse.BooleanOptionalAction, default=None, help=text)
        else:
            p.add_argument(
                flag,
                type=types.get(str(f.type), str),
                default=None,
                help=text,
                choices=choices.get(f.name),
            )
    p.add_argument(
        "--resume",
        action="store_true",
        help="continue from <out>/last.pt; flags not given are taken from it",
    )
    p.add_argument(
        "--stop-after",
        type=int,
        default=None,
        metavar="N",
        help="stop after N epochs in this call (resume later)",
    )
    p.add_argument(
        "--no-progress", action="store_true", help="no progress bar (one line per epoch remains)"
    )
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line, train, print where the checkpoint went. Returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    names = [f.name for f in dataclasses.fields(TrainConfig)]
    given = {k: getattr(args, k) for k in names if getattr(args, k) is not None}
    if given.get("cache") == "":
        given["cache"] = None
    base: dict[str, Any] = {"data": os.environ.get(defaults.CIFAR_ENV) or None}
    if args.resume:  # the saved config, overridden only by the flags given
        if "out" not in given:
            parser.error("--resume needs --out")
        last = Path(given["out"]) / "last.pt"
        if not last.is_file():
            parser.error(f"--resume: {last} does not exist")
        base = torch.load(last, map_location="cpu", weights_only=True)["config"]
    merged = {**base, **given}
    for name in ("data", "out"):
        if not merged.get(name):
            parser.error(
                f"--{name} is required"
                + (f" (or set ${defaults.CIFAR_ENV})" if name == "data" else "")
            )
    try:
        config = TrainConfig(**merged)
    except ValueError as err:
        parser.error(str(err))
    try:
        result = train(
            config,
            resume=args.resume,
            stop_after=args.stop_after,
            progress=not args.no_progress,
            command=" ".join(
                ["python -m cutmix_core.training.loop", *sys.argv[1:]]
                if argv is None
                else ["python -m cutmix_core.training.loop", *argv]
            ),
        )
    except ValueError as err:  # CifarError, a resume mismatch, too few images: the user's to fix
        parser.error(str(err))
    if result.checkpoint is None:
        print(
            f"stopped after epoch {result.epochs_done}/{config.epochs}; continue with: "
            f"python -m cutmix_core.training.loop --out {config.out} --resume",
            file=sys.stderr,
        )
    else:
        key = _eval_key(config)
        print(f"wrote {result.checkpoint} ({key.replace('_', ' ')} {result.card[key]:.4f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

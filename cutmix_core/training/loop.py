"""The training loop: ``run_training(config)`` trains (or resumes) one CIFAR-10 model.

CutMix (Yun et al., ICCV 2019, https://arxiv.org/abs/1905.04899) is a training-time operation,
so the app's checkpoints come from here. Each step:

    x = augment(x_uint8)                       # translate (+ flip) (cutmix_core.data.training)
    x = (x / 255 - mean) / std                 # normalise first, as the official code does,
    mix = cutmix_batch(x, y, 10, alpha, ...)   # so Cutout's 0 fill is the mean colour
    loss = -(mix.targets * log_softmax(model(mix.images))).sum(1).mean()

The mixing maths lives only in :mod:`cutmix_core.mixing.batch`; nothing here re-implements it.
CutMix: one coin per batch (``cutmix_prob``) and one box per batch, partners a random
permutation, as in the official ``train.py``; Mixup and Cutout always apply (Zhang et al. 2018;
DeVries & Taylor 2017). The recipes (learning rates, schedules, lookahead, flips) are in
:mod:`cutmix_core.training.config`.

**Randomness**: one CPU ``torch.Generator`` seeded from ``seed`` draws the model's initial
weights, then (with ``alternating_flip``) which images the first epoch mirrors, then per epoch
the shuffle and per batch the crops, flips and mixing parameters, in that order; its state is
saved in ``last.pt`` after every epoch, so ``resume`` continues exactly where an unbroken run
would be. Nothing touches global random state.

Outputs, in ``out``: ``last.pt`` (model, optimiser, scheduler, lookahead and generator states,
epoch, history, config; loadable with ``torch.load(weights_only=True)``) after each epoch, and at
the end ``<arch>_<aug>.pt`` with its JSON model card (per-epoch loss and accuracy, wall time,
machine, precision, the command), written by
:func:`cutmix_core.models.checkpoints.save_checkpoint`.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from cutmix_core.data import training as data
from cutmix_core.data.tensors import normalize, to_hwc
from cutmix_core.mixing.batch import cutmix_batch, cutout_batch, mixup_batch, soft_targets
from cutmix_core.models import checkpoints as models
from cutmix_core.models.inference import count_correct
from cutmix_core.training.config import NUM_CLASSES, TrainConfig, TrainResult, command_line
from cutmix_core.training.devices import device_name, resolve_device, resolve_precision
from cutmix_core.training.progress import Progress
from cutmix_core.training.state import (
    RunState,
    check_resumable,
    final_checkpoint_path,
    save_atomic,
    state_path,
)


def soft_cross_entropy(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """``-(targets * log_softmax(logits)).sum(1).mean()`` in fp32; targets: (N, K) soft labels."""
    return -(targets * F.log_softmax(logits.float(), dim=1)).sum(1).mean()


def mix(
    config: TrainConfig, x: torch.Tensor, y: torch.Tensor, *, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(images, targets (N, 10) float32)``: the configured op of
    :mod:`cutmix_core.mixing.batch` on normalised ``x``; for ``aug="none"`` ``x`` itself and its
    (smoothed) one-hot targets."""
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
    images: torch.Tensor,
    labels: torch.Tensor,
    batch_size: int = 1000,
) -> float:
    """Top-1 accuracy in [0, 1] of the model being trained, fp32, eval mode (its mode is restored
    afterwards): the per-epoch record, without flip averaging, counted by
    :func:`~cutmix_core.models.inference.count_correct` like every accuracy here. The model
    card's figure is measured on the saved checkpoint, the way the app predicts, by
    :func:`cutmix_core.models.inference.accuracy`.

    Args:
        model: a CIFAR-10 classifier; batches go to the device of its parameters.
        images: (N, 3, 32, 32) uint8, as :func:`cutmix_core.data.training.to_tensors` gives.
        labels: (N,) integer class ids.
    Raises:
        ValueError: wrong shapes or dtypes, or no images.
    """
    if not isinstance(images, torch.Tensor) or images.ndim != 4 or images.dtype != torch.uint8:
        got = (tuple(images.shape), images.dtype) if isinstance(images, torch.Tensor) else images
        raise ValueError(f"images must be an (N, 3, H, W) uint8 tensor, got {got}")
    if images.shape[0] == 0 or tuple(labels.shape) != (images.shape[0],):
        raise ValueError(
            f"need N >= 1 images and (N,) labels, got {tuple(images.shape)} and "
            f"{tuple(labels.shape)}"
        )
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    correct = 0
    for x, y in data.iterate_batches(images, labels, batch_size, drop_last=False):
        correct += count_correct(model(normalize(x.to(device))), y)
    model.train(was_training)
    return correct / images.shape[0]


def _tensors(config: TrainConfig, device: torch.device) -> tuple[torch.Tensor, ...]:
    """``(x_train, y_train, x_eval, y_eval)`` on ``device``: uint8 (N, 3, 32, 32) and int64 (N,).

    The evaluation set is the test split, or with ``holdout`` the last ``holdout`` train images
    of a balanced order (:func:`cutmix_core.data.training.holdout_split`), not trained on.
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


def eval_key(config: TrainConfig) -> str:
    return "holdout_accuracy" if config.holdout else "test_accuracy"


def run_training(
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
        command: recorded in the model card; default: the command that trains ``config`` from
            scratch (:func:`cutmix_core.training.config.command_line`).
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
    parts = RunState.build(config, device, x_train)
    state: dict[str, Any] = {"epoch": 0, "train_time_s": 0.0, "wall_time_s": 0.0, "history": []}
    if resume:  # on the CPU, as the generator state must stay there
        saved = torch.load(state_path(config), map_location="cpu", weights_only=True)
        check_resumable(saved["config"], config)
        parts.load_state_dict(saved)
        state = {k: saved[k] for k in state}
    step_model: torch.nn.Module = (
        torch.compile(parts.model) if config.compile else parts.model  # type: ignore[assignment]
    )
    end = config.epochs if stop_after is None else min(config.epochs, state["epoch"] + stop_after)
    for epoch in range(state["epoch"] + 1, end + 1):
        t0 = time.perf_counter()
        stats = train_epoch(
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
                eval_key(config): test_acc,
                "images_per_s": steps * config.batch_size / train_s,
            }
        )
        # One line per epoch even without the bar, so a log of a long run shows how it goes.
        print(
            f"epoch {epoch}/{config.epochs} loss {stats['loss']:.4f} train_acc "
            f"{stats['train_accuracy']:.4f} {eval_key(config)} {test_acc} img/s "
            f"{state['history'][-1]['images_per_s']:.0f}",
            file=sys.stderr,
            flush=True,
        )
        save_atomic(
            {"config": dataclasses.asdict(config), **parts.state_dict(), **state},
            state_path(config),
        )
    if state["epoch"] < config.epochs:
        return TrainResult(state["epoch"], None, None, state_path(config))
    card = _card(config, parts.model, device, amp_dtype, state, len(y_train), len(y_test))
    card["command"] = command or command_line(config)
    path = final_checkpoint_path(config)
    model = parts.model.to(memory_format=torch.contiguous_format)
    dtype = getattr(torch, config.checkpoint_dtype)
    models.save_checkpoint(path, model, card, dtype=dtype)
    # The card's accuracy is measured the way the evaluation command measures it: on the saved
    # checkpoint, loaded back, on the CPU in fp32 (the number above came from the training
    # model, channels_last, perhaps in bf16 or on a GPU with TF32, and may differ a little).
    loaded = models.load_checkpoint(path)
    card[eval_key(config)] = models.accuracy(loaded, to_hwc(x_test), y_test.cpu().numpy())
    card = models.save_checkpoint(path, model, card, dtype=dtype)
    return TrainResult(state["epoch"], path, card, state_path(config))


def train_epoch(
    config: TrainConfig,
    model: torch.nn.Module,
    parts: RunState,
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
    bar = Progress(steps, f"epoch {epoch}/{config.epochs}", progress)
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
        eval_key(config): state["history"][-1][eval_key(config)],  # replaced by run_training()
        "train_images": n_train,
        "test_images": n_test,
        "data": config.data,
        "wall_time_s": round(state["wall_time_s"], 1),
        "images_per_s": round(images / state["train_time_s"], 1),
        "device": device_name(device),
        "precision": "bf16 autocast" if amp_dtype is not None else "fp32",
        "tta": config.tta,  # how the checkpoint predicts; its accuracy is measured that way
        "torch": torch.__version__,
        "history": state["history"],
        "config": dataclasses.asdict(config),
    }

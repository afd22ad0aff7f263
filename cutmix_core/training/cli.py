"""The command line of training: ``python -m cutmix_core.training`` (one flag per
:class:`~cutmix_core.training.config.TrainConfig` field, plus ``--resume``, ``--stop-after`` and
``--no-progress``)."""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from cutmix_core import defaults
from cutmix_core.training.config import AUGS, CHECKPOINT_DTYPES, PRECISIONS, PROG, TTA, TrainConfig
from cutmix_core.training.loop import eval_key, run_training
from cutmix_core.training.optim import SCHEDULES

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
        prog=PROG,
        description=__doc__.split("\n\n")[0],
        epilog="example: python -m cutmix_core.training --data /data/cifar10 --out runs/r20-cutmix "
        "--arch resnet20 --aug cutmix --epochs 30   (then --out runs/r20-cutmix --resume "
        "to continue an interrupted run)",
    )
    types = {"int": int, "float": float, "int | None": int, "float | None": float}
    choices = {
        "aug": AUGS,
        "schedule": SCHEDULES,
        "precision": PRECISIONS,
        "checkpoint_dtype": CHECKPOINT_DTYPES,
        "tta": TTA,
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
        result = run_training(
            config,
            resume=args.resume,
            stop_after=args.stop_after,
            progress=not args.no_progress,
        )
    except ValueError as err:  # CifarError, a resume mismatch, too few images: the user's to fix
        parser.error(str(err))
    if result.checkpoint is None:
        print(
            f"stopped after epoch {result.epochs_done}/{config.epochs}; continue with: "
            f"python -m cutmix_core.training --out {config.out} --resume",
            file=sys.stderr,
        )
    else:
        key = eval_key(config)
        card = result.card or {}
        print(f"wrote {result.checkpoint} ({key.replace('_', ' ')} {card[key]:.4f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""What a run carries from step to step and saves in ``last.pt`` after every epoch: the model,
optimiser, learning-rate schedule, lookahead weights, random generator and the first epoch's
flips, so that ``--resume`` continues exactly where an unbroken run would be."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from cutmix_core.data import training as data
from cutmix_core.data.tensors import normalize
from cutmix_core.files import atomic_path
from cutmix_core.models import airnet
from cutmix_core.models import checkpoints as models
from cutmix_core.training.config import NUM_CLASSES, RUN_ONLY, TrainConfig
from cutmix_core.training.optim import Lookahead, lr_factor, param_groups


def state_path(config: TrainConfig) -> Path:
    return Path(config.out) / "last.pt"


def final_checkpoint_path(config: TrainConfig) -> Path:
    """``<out>/<arch>_<aug>.pt``: where ``run_training`` writes the final weights."""
    return Path(config.out) / f"{config.arch}_{config.aug}.pt"


def check_resumable(saved: dict[str, Any], config: TrainConfig) -> None:
    current = dataclasses.asdict(config)
    diff = sorted(k for k in current if k not in RUN_ONLY and saved.get(k) != current[k])
    if diff:
        pairs = ", ".join(f"{k}: saved {saved.get(k)!r} vs {current[k]!r}" for k in diff)
        raise ValueError(f"cannot resume with a different config ({pairs})")


def save_atomic(obj: Any, path: Path) -> None:
    with atomic_path(path) as tmp:  # an interrupted save never leaves a broken last.pt
        torch.save(obj, tmp)


@dataclass(eq=False)
class RunState:
    """The mutable objects of a run: what last.pt saves and --resume restores."""

    model: torch.nn.Module
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LambdaLR
    generator: torch.Generator
    lookahead: Lookahead | None
    flips: torch.Tensor  # (N,) bool: which train images the first epoch mirrors

    @classmethod
    def build(cls, config: TrainConfig, device: torch.device, x_train: torch.Tensor) -> RunState:
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

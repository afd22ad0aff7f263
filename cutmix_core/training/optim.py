"""Optimiser pieces of the fast recipe: parameter groups, the learning-rate shapes, lookahead.

The fast recipe (:mod:`cutmix_core.models.airnet`, after KellerJordan/cifar10-airbench) trains with
Nesterov SGD in which BatchNorm shifts take a learning rate ``bias_lr_scale`` times larger while
their weight decay per step stays that of the other weights, and it keeps a slow copy of the
weights (lookahead, Zhang et al. 2019, https://arxiv.org/abs/1907.08610) that the fast weights
are pulled back to every few steps, with a pull that grows over the run:

    every k steps:  slow = slow + (1 - d_t) (fast - slow);   fast = slow
    d_t = base^k * (t / T)^3          (0 early: no averaging; base^k at the end)

and at the very end the network takes the slow weights. All float entries of the state dict
(BatchNorm running statistics included) are averaged.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

SCHEDULES = ("onecycle", "cosine", "triangle")
#: The triangle schedule's multipliers of the peak rate at the first and the last step.
TRIANGLE_START, TRIANGLE_END = 0.2, 0.07


def lr_factor(step: int, total_steps: int, warmup_steps: int, schedule: str) -> float:
    """Multiplier of the peak ``lr`` at optimiser step ``step`` (0-based) of ``total_steps``.

    ``onecycle``: linear from ~0 to 1 over ``warmup_steps``, then linearly to 0 at the end.
    ``cosine``: the same warm-up, then a half cosine to 0. ``triangle``: linear from
    ``TRIANGLE_START`` to 1 over ``warmup_steps``, then linear to ``TRIANGLE_END``.
    """
    if schedule not in SCHEDULES:
        raise ValueError(f"schedule must be one of {', '.join(SCHEDULES)}; got {schedule!r}")
    if step < warmup_steps:
        if schedule == "triangle":
            return TRIANGLE_START + (1 - TRIANGLE_START) * step / warmup_steps
        return (step + 1) / warmup_steps
    rest = max(total_steps - warmup_steps, 1)
    t = min((step - warmup_steps) / rest, 1.0)  # 0 -> 1 after the warm-up
    if schedule == "triangle":
        return 1.0 - (1.0 - TRIANGLE_END) * t
    return 1.0 - t if schedule == "onecycle" else 0.5 * (1.0 + math.cos(math.pi * t))


def param_groups(
    model: nn.Module, lr: float, weight_decay: float, bias_lr_scale: float = 1.0
) -> list[dict[str, Any]]:
    """SGD groups: BatchNorm shifts at ``lr * bias_lr_scale`` with ``weight_decay /
    bias_lr_scale`` (the same decay per step), everything else trainable at ``lr``.

    Frozen parameters (``requires_grad=False``) are left out, so a parameter frozen later in a
    run (the whitening bias) must be trainable when the optimiser is built.
    """
    if not bias_lr_scale > 0:
        raise ValueError(f"bias_lr_scale must be > 0, got {bias_lr_scale!r}")
    norm_shifts = {
        id(m.bias)
        for m in model.modules()
        if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.bias is not None
    }
    trainable = [p for p in model.parameters() if p.requires_grad]
    shifts = [p for p in trainable if id(p) in norm_shifts]
    others = [p for p in trainable if id(p) not in norm_shifts]
    return [
        {"params": shifts, "lr": lr * bias_lr_scale, "weight_decay": weight_decay / bias_lr_scale},
        {"params": others, "lr": lr, "weight_decay": weight_decay},
    ]


class Lookahead:
    """The slow weights of the module docstring, for one model (their state is saved in runs)."""

    EVERY = 5
    BASE = 0.95

    def __init__(self, model: nn.Module) -> None:
        self.slow = {
            k: v.detach().clone() for k, v in model.state_dict().items() if v.is_floating_point()
        }

    def decay(self, step: int, total_steps: int) -> float:
        """``d_t`` of the docstring after optimiser step ``step`` (1-based)."""
        return self.BASE**self.EVERY * (step / total_steps) ** 3

    @torch.no_grad()
    def update(self, model: nn.Module, decay: float) -> None:
        """``slow += (1 - decay) (fast - slow)``, then the model takes the slow weights."""
        state = model.state_dict()
        for name, slow in self.slow.items():
            slow.lerp_(state[name], 1.0 - decay)
            state[name].copy_(slow)

    def step(self, model: nn.Module, step: int, total_steps: int) -> None:
        """Call after every optimiser step ``step`` (1-based): updates every ``EVERY`` steps, and
        at the last step hands the model the slow weights."""
        if step % self.EVERY == 0:
            self.update(model, self.decay(step, total_steps))
        if step == total_steps:
            self.update(model, 1.0)

    def state_dict(self) -> dict[str, torch.Tensor]:
        return dict(self.slow)

    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        if set(state) != set(self.slow):
            raise ValueError("lookahead state does not match the model's state dict")
        for name, value in state.items():
            self.slow[name].copy_(value)

"""Networks built on the meta device, then given CPU memory: the one way the CIFAR networks
(:mod:`~cutmix_core.models.resnet`, :mod:`~cutmix_core.models.airnet`) are built, so that
building one never draws from (or depends on) torch's global random state; each then
initialises its weights from the generator it is given.

``nn.Module.to_empty`` would allocate the same tensors, but it calls ``torch.empty_like`` on
meta tensors, which torch answers with its Python reference implementations and symbolic shapes:
the first call in a process imports sympy and mpmath, on the path of a cold start that only
wants to load a checkpoint (README, *Speed*). :func:`on_cpu` allocates each tensor by shape and
dtype instead, through ``nn.Module._apply`` as ``to_empty`` does (tests/models/test_meta.py
compares the two).
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["on_cpu"]


def on_cpu(module: nn.Module) -> nn.Module:
    """Give every parameter and buffer of ``module`` (built under ``torch.device("meta")``)
    uninitialised CPU memory of its shape and dtype, in place, as ``module.to_empty(device=
    "cpu")`` does; returns ``module``. The caller initialises the values."""
    return module._apply(lambda t: torch.empty(t.shape, dtype=t.dtype, device="cpu"))

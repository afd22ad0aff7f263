"""Where and in what precision a run computes, and a human name for the machine.

``precision="auto"`` is bf16 autocast where the hardware computes bf16 natively (CUDA GPUs that
support it; CPUs with AVX512-BF16 or AMX) and fp32 elsewhere, because emulated bf16 is much
slower than fp32 (the benchmark report has the figures). The loss and all evaluation run in fp32.
"""

from __future__ import annotations

import os
import platform
from pathlib import Path

import torch

from cutmix_core.checks import check_choice

PRECISIONS = ("auto", "bf16", "fp32")


def resolve_device(name: str = "auto") -> torch.device:
    """``auto`` picks CUDA when available, else the CPU."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def resolve_precision(precision: str, device: torch.device) -> torch.dtype | None:
    """The autocast dtype (``torch.bfloat16``) or None for fp32; ``auto`` as in the docstring."""
    check_choice(precision, "precision", PRECISIONS)
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

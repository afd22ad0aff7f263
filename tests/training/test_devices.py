"""Tests for cutmix_core.training.devices: precision choices and the machine's name."""

from __future__ import annotations

import pytest
import torch

from cutmix_core.training import devices


def test_explicit_precisions_and_auto_follow_the_cpu(monkeypatch) -> None:
    cpu = torch.device("cpu")
    assert devices.resolve_precision("fp32", cpu) is None
    assert devices.resolve_precision("bf16", cpu) is torch.bfloat16
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: True, raising=False)
    assert devices.resolve_precision("auto", cpu) is torch.bfloat16
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: False, raising=False)
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: False, raising=False)
    assert devices.resolve_precision("auto", cpu) is None  # emulated bf16 is slow: fp32
    with pytest.raises(ValueError, match="precision must be one of auto, bf16, fp32"):
        devices.resolve_precision("fp16", cpu)


def test_device_name_says_the_cpu_and_its_cores() -> None:
    name = devices.device_name(torch.device("cpu"))
    assert name.endswith("cores)") and len(name) > len(" (2 cores)")
    assert devices.resolve_device("cpu") == torch.device("cpu")

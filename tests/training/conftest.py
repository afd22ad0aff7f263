"""Training tests share one tiny run configuration on the synthetic CIFAR-10 of ``cifar_dir``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cutmix_core.training.config import TrainConfig

#: One block per stage, base width 4: a ResNet small enough to train for a few steps in seconds.
ARCH = "resnet8w4"


@pytest.fixture
def make_config(cifar_dir: Path):
    """``make_config(out, **fields)``: a TrainConfig of a one-epoch run with batches of 50."""

    def make(out: Path, **kw: Any) -> TrainConfig:
        base: dict[str, Any] = dict(
            data=str(cifar_dir),
            out=str(out),
            arch=ARCH,
            epochs=1,
            batch_size=50,
            lr=0.05,
            warmup_epochs=0.5,
            cache=str(out.parent / "cache"),
            eval_batch_size=32,
        )
        return TrainConfig(**{**base, **kw})

    return make

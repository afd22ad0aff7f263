"""Fakes for the evaluation tests: a colour-cast test set and tiny fitted models."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image

from cutmix_core.data.cifar import CLASSES, CifarSet
from cutmix_core.models import checkpoints as models

ARCH = "resnet8w4"


HOLES = (0, 8, 16)


N_PAIRS = 24


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _fake_set(n_per_class: int = 6, seed: int = 0) -> CifarSet:
    """Noise with a class-dependent colour cast, so a few training steps separate the classes."""
    rng = np.random.default_rng(seed)
    labels = np.tile(np.arange(len(CLASSES)), n_per_class)  # (N,)
    images = rng.integers(0, 120, (labels.size, 32, 32, 3), dtype=np.uint8)  # (N, 32, 32, 3)
    for c in range(len(CLASSES)):
        images[labels == c, :, :, c % 3] += np.uint8(40 + 13 * c)
    return CifarSet(images, labels, np.arange(labels.size), "test", "fake test set")


def _fitted(seed: int, steps: int = 25) -> models.CifarResNet:
    """A tiny model after a few full-batch SGD steps on another fake set: its predictions vary
    from image to image (a fresh one predicts one or two classes for everything)."""
    model = models.build_model(ARCH, generator=_gen(seed))
    fit = _fake_set(seed=10 + seed)
    x, y = models.preprocess(fit.images), torch.from_numpy(np.array(fit.labels))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    for _ in range(steps):
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()
    return model.eval()


def _write_test_split(root: Path, per_class: int = 3) -> None:
    rng = np.random.default_rng(1)
    for name in CLASSES:
        folder = root / "test" / name
        folder.mkdir(parents=True)
        for i in range(per_class):
            Image.fromarray(rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)).save(
                folder / f"{i}.png"
            )

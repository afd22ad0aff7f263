"""Fixtures shared by the CIFAR-10 tests: torchvision's pickled batches, written small."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from cutmix_core.data.cifar_set import CLASSES, CifarSet


def _write_batches(folder: Path, protocol: int = 2, old_numpy: bool = False) -> dict:
    """torchvision's cifar-10-batches-py format with 2 images per train batch and 3 in test."""
    rng = np.random.default_rng(1)
    folder.mkdir(parents=True)
    expected = {}
    sizes = {f"data_batch_{i}": 2 for i in range(1, 6)} | {"test_batch": 3}
    for name, n in sizes.items():
        imgs = rng.integers(0, 256, size=(n, 32, 32, 3), dtype=np.uint8)  # (N, H, W, C)
        labels = rng.integers(0, 10, size=n).tolist()
        batch = {
            b"batch_label": name.encode(),
            b"labels": labels,
            b"data": imgs.transpose(0, 3, 1, 2).reshape(n, 3072),  # rows: 1024 R, 1024 G, 1024 B
            b"filenames": [f"{name}_{k}.png".encode() for k in range(n)],
        }
        blob = pickle.dumps(batch, protocol=protocol)
        if old_numpy:  # how numpy 1.x (and the real CIFAR files) name the array constructor
            blob = blob.replace(b"numpy._core.multiarray", b"numpy.core.multiarray")
        (folder / name).write_bytes(blob)
        expected[name] = (imgs, labels)
    meta = {b"label_names": [c.encode() for c in CLASSES], b"num_cases_per_batch": 10000}
    (folder / "batches.meta").write_bytes(pickle.dumps(meta, protocol=2))
    train = [expected[f"data_batch_{i}"] for i in range(1, 6)]
    return {
        "test": expected["test_batch"],
        "train": (np.concatenate([t[0] for t in train]), sum((t[1] for t in train), [])),
    }


def _check_batches(ds: CifarSet, expected: dict, split: str) -> None:
    imgs, labels = expected[split]
    assert ds.split == split and len(ds) == len(labels)
    assert np.array_equal(ds.images, imgs)
    assert ds.labels.tolist() == labels
    assert ds.indices.tolist() == list(range(len(labels)))


@pytest.fixture
def write_batches() -> Callable[..., dict]:
    """``write_batches(folder, protocol=2, old_numpy=False) -> expected``: small batches in
    torchvision's ``cifar-10-batches-py`` format; ``expected[split] = (images, labels)``."""
    return _write_batches


@pytest.fixture
def check_batches() -> Callable[[CifarSet, dict, str], None]:
    """``check_batches(ds, expected, split)``: ``ds`` is exactly that split of the batches."""
    return _check_batches

"""Tests for cutmix_core.data.cifar: the bundled sample, the path precedence, the full split."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT

from cutmix_core.data.cifar import CifarError, CifarSet, load_cifar10, load_sample, resolve_path

SHARED_CIFAR = ROOT.parent / "shared" / "data" / "cifar10"


def test_bundled_sample():
    ds = load_sample()
    assert ds.images.shape == (100, 32, 32, 3) and ds.images.dtype == np.uint8
    assert np.bincount(ds.labels, minlength=10).tolist() == [10] * 10
    assert np.all(np.diff(ds.labels) >= 0)  # stored class by class
    assert len(np.unique(ds.indices)) == 100 and ds.indices.min() >= 0 and ds.indices.max() < 10000
    assert ds.split == "test" and ds.source == "bundled sample (100 test images)"
    assert not ds.images.flags.writeable
    assert ds.images.std() > 30  # real pictures, not a blank placeholder


def test_sample_missing_or_corrupt(tmp_path):
    with pytest.raises(CifarError, match=r"none\.npz not found.*make_cifar_sample"):
        load_sample(tmp_path / "none.npz")
    (tmp_path / "garbage.npz").write_bytes(b"\x00" * 100)
    with pytest.raises(CifarError, match=r"garbage\.npz is corrupt"):
        load_sample(tmp_path / "garbage.npz")
    np.savez(tmp_path / "nolabels.npz", images=np.zeros((1, 32, 32, 3), np.uint8))
    with pytest.raises(CifarError, match=r"nolabels\.npz is corrupt"):
        load_sample(tmp_path / "nolabels.npz")


@pytest.fixture(scope="module")
def full_test_split() -> CifarSet:
    if not (SHARED_CIFAR / "cifar10-test-jpg.zip").is_file():
        pytest.skip(f"no CIFAR-10 test zip at {SHARED_CIFAR}")
    return load_cifar10(SHARED_CIFAR, "test")


def test_full_test_split_and_sample_match_it(full_test_split):
    full, sample = full_test_split, load_sample()
    assert len(full) == 10000 and np.bincount(full.labels).tolist() == [1000] * 10
    assert np.array_equal(full.images[sample.indices], sample.images)
    assert np.array_equal(full.labels[sample.indices], sample.labels)


def test_resolve_path_precedence(tmp_path):
    env = {"CUTMIX_CIFAR10": str(tmp_path / "env")}
    assert resolve_path(str(tmp_path / "ui"), env) == tmp_path / "ui"
    assert resolve_path("  ", env) == tmp_path / "env"
    assert resolve_path(None, env) == tmp_path / "env"
    assert resolve_path(None, {"CUTMIX_CIFAR10": " "}) is None
    assert resolve_path(None, {}) is None
    assert resolve_path("~/x", {}) == Path.home() / "x"

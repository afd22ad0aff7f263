"""Tests for cutmix_core.data.cifar_set: the read-only CifarSet and random pairs."""

from __future__ import annotations

import numpy as np
import pytest

from cutmix_core.data.cifar_set import CifarSet, random_pair


def _tiny_set(labels: list[int]) -> CifarSet:
    n = len(labels)
    images = np.arange(n, dtype=np.uint8)[:, None, None, None] * np.ones((1, 32, 32, 3), np.uint8)
    return CifarSet(images, np.array(labels), np.arange(n) + 100, "test", "tiny")


def test_set_is_read_only_and_leaves_inputs_untouched():
    images = np.zeros((3, 32, 32, 3), np.uint8)
    labels = np.array([0, 1, 2], dtype=np.int32)
    indices = np.array([5, 6, 7])
    before = (images.copy(), labels.copy(), indices.copy())
    ds = CifarSet(images, labels, indices, "train", "x")
    assert ds.labels.dtype == np.int64 and ds.indices.dtype == np.int64
    for arr in (ds.images, ds.labels, ds.indices):
        with pytest.raises(ValueError, match="read-only"):
            arr[0] = 1
    assert images.flags.writeable and labels.flags.writeable and indices.flags.writeable
    for got, want in zip((images, labels, indices), before):
        assert np.array_equal(got, want)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"images": np.zeros((2, 32, 32), np.uint8)}, r"\(2, 32, 32\)"),
        ({"images": np.zeros((2, 32, 32, 3), np.float32)}, "float32"),
        ({"labels": np.array([0, 1, 2])}, r"labels must be \(2,\).*\(3,\)"),
        ({"labels": np.array([0, 10])}, r"0\.\.10"),
        ({"indices": np.array([0.0, 1.0])}, "indices.*float64"),
        ({"split": "val"}, "'val'"),
    ],
)
def test_set_rejects_bad_fields(kwargs, match):
    fields = {
        "images": np.zeros((2, 32, 32, 3), np.uint8),
        "labels": np.array([0, 1]),
        "indices": np.array([0, 1]),
        "split": "test",
        "source": "x",
    }
    with pytest.raises(ValueError, match=match):
        CifarSet(**(fields | kwargs))


def test_positions_image_and_label():
    ds = _tiny_set([3, 1, 3, 0])
    assert ds.positions_of(3).tolist() == [0, 2]
    assert ds.positions_of(9).tolist() == []
    assert ds.label(2) == 3 and isinstance(ds.label(2), int)
    img = ds.image(1)
    img[:] = 99  # a copy: writable, and the set is unchanged
    assert int(ds.images[1, 0, 0, 0]) == 1
    with pytest.raises(ValueError, match="got 4"):
        ds.image(4)
    with pytest.raises(ValueError, match="got 10"):
        ds.positions_of(10)


def test_random_pair_is_seeded_and_crosses_classes():
    ds = _tiny_set([0, 0, 0, 1, 2, 2])
    pairs = [random_pair(ds, rng=np.random.default_rng(s)) for s in range(60)]
    assert pairs == [random_pair(ds, rng=np.random.default_rng(s)) for s in range(60)]
    assert all(isinstance(p, int) and 0 <= p < 6 for pair in pairs for p in pair)
    assert all(ds.label(i) != ds.label(j) for i, j in pairs)
    assert len(set(pairs)) > 10  # not stuck on one pair
    rngs = [np.random.default_rng(s) for s in range(60)]
    same = [random_pair(ds, rng=r, distinct_classes=False) for r in rngs]
    assert all(i != j for i, j in same)
    assert any(ds.label(i) == ds.label(j) for i, j in same)


def test_random_pair_needs_two_images_and_two_classes():
    with pytest.raises(ValueError, match="got 1"):
        random_pair(_tiny_set([3]), rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="'cat'"):
        random_pair(_tiny_set([3, 3]), rng=np.random.default_rng(0))
    assert random_pair(_tiny_set([3, 3]), rng=np.random.default_rng(0), distinct_classes=False) in {
        (0, 1),
        (1, 0),
    }

"""Tests for cutmix_core.data.training: the decoded cache, vectorised crop and flip, the batch
loader, balanced subsets and the held-out split (on a synthetic class-folder CIFAR-10 written by
the ``cifar_dir`` fixture)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from cutmix_core.data import training as data
from cutmix_core.data.cifar import CifarSet, load_cifar10


def _gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _uint8(n: int = 6, h: int = 32, w: int = 32, seed: int = 0) -> torch.Tensor:
    return torch.randint(0, 256, (n, 3, h, w), dtype=torch.uint8, generator=_gen(seed))


@pytest.mark.parametrize(("padding", "mode"), [("reflect", "reflect"), ("zeros", "constant")])
@pytest.mark.parametrize("dtype", [torch.uint8, torch.float32])
def test_crop_equals_slicing_a_padded_image(padding, mode, dtype) -> None:
    x = _uint8(8, 12, 10).to(dtype)
    before = x.clone()
    dy, dx = data.sample_crop_offsets(8, 3, generator=_gen())
    out = data.crop(x, dy, dx, 3, padding)
    padded = F.pad(x.float(), (3, 3, 3, 3), mode=mode)
    expected = torch.stack([padded[i, :, dy[i] : dy[i] + 12, dx[i] : dx[i] + 10] for i in range(8)])
    assert out.dtype == dtype and out.shape == x.shape
    assert torch.equal(out, expected.to(dtype))
    assert torch.equal(x, before)


def test_crop_offsets_cover_the_range_and_zero_offset_is_identity() -> None:
    dy, dx = data.sample_crop_offsets(2000, 4, generator=_gen())
    assert set(dy.tolist()) == set(range(9)) == set(dx.tolist())
    x = _uint8()
    centre = torch.full((6,), 4)
    assert torch.equal(data.crop(x, centre, centre, 4), x)


def test_flip_is_an_exact_mirror_or_nothing() -> None:
    x = _uint8(64)
    assert torch.equal(data.batch_flip(x, generator=_gen(), p=1.0), x.flip(-1))
    assert torch.equal(data.batch_flip(x, generator=_gen(), p=0.0), x)
    out = data.batch_flip(x, generator=_gen())
    flipped = [bool(torch.equal(o, xi.flip(-1))) for o, xi in zip(out, x)]
    kept = [bool(torch.equal(o, xi)) for o, xi in zip(out, x)]
    assert all(f != k for f, k in zip(flipped, kept)) and 10 < sum(flipped) < 54


def test_augment_keeps_shape_dtype_and_input_and_is_seeded() -> None:
    x = _uint8(16)
    before = x.clone()
    a = data.augment(x, generator=_gen(3))
    assert a.shape == x.shape and a.dtype == torch.uint8 and torch.equal(x, before)
    assert torch.equal(a, data.augment(x, generator=_gen(3)))
    assert not torch.equal(a, data.augment(x, generator=_gen(4)))


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: data.crop(torch.zeros(3, 8, 8), torch.zeros(3), torch.zeros(3)), "NCHW"),
        (lambda: data.crop(_uint8(2), torch.zeros(2), torch.zeros(2), 4, "edge"), "padding"),
        (lambda: data.crop(_uint8(2, 4, 4), torch.zeros(2), torch.zeros(2), 4), "reflect padding"),
        (lambda: data.crop(_uint8(2), torch.zeros(3), torch.zeros(3)), r"dy and dx must be \(2,\)"),
        (lambda: data.sample_crop_offsets(2, -1, generator=_gen()), r"pad must be an int in \[0,"),
        (lambda: data.batch_flip(_uint8(2), generator=_gen(), p=1.5), r"p must be in \[0, 1\]"),
        (lambda: next(data.iterate_batches(_uint8(2), torch.zeros(2), 0)), "batch_size"),
    ],
)
def test_augmentation_errors_name_the_bad_value(call, match) -> None:
    with pytest.raises(ValueError, match=match):
        call()


def test_iterate_batches_shuffles_whole_batches_with_aligned_labels() -> None:
    x = torch.arange(10, dtype=torch.uint8).view(10, 1, 1, 1).expand(10, 3, 2, 2).contiguous()
    y = torch.arange(10)
    batches = list(data.iterate_batches(x, y, 4, generator=_gen()))
    assert len(batches) == data.num_batches(10, 4) == 2  # the last 2 images are dropped
    seen = torch.cat([b[1] for b in batches])
    assert len(set(seen.tolist())) == 8 and not torch.equal(seen, torch.arange(8))
    assert all(torch.equal(bx[:, 0, 0, 0].long(), by) for bx, by in batches)
    ordered = list(data.iterate_batches(x, y, 4, drop_last=False))
    assert [b[1].tolist() for b in ordered] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


def test_balanced_subset_takes_classes_round_robin() -> None:
    labels = np.repeat(np.arange(10), 5)  # class-sorted, like a class-folder copy
    ds = CifarSet(np.zeros((50, 32, 32, 3), np.uint8), labels, np.arange(50), "train", "x")
    sub = data.balanced_subset(ds, 23)
    assert len(sub) == 23 and np.bincount(sub.labels, minlength=10).tolist() == [3] * 3 + [2] * 7
    assert np.all(np.diff(sub.indices) > 0)
    assert data.balanced_subset(ds, None) is ds
    with pytest.raises(ValueError, match=r"limit must be an int"):
        data.balanced_subset(ds, 0)


def test_cache_is_written_once_then_read_without_decoding(cifar_dir, tmp_path, monkeypatch) -> None:
    cache = tmp_path / "cache"
    first = data.load_cached(cifar_dir, "test", cache)
    files = list(cache.glob("*.npz"))
    assert [f.name for f in files] == [data.cache_file(cifar_dir, "test", cache).name]

    def no_decoding(*args, **kwargs):
        raise AssertionError("decoded again instead of using the cache")

    monkeypatch.setattr(data, "load_cifar10", no_decoding)
    second = data.load_cached(cifar_dir, "test", cache)
    assert np.array_equal(first.images, second.images)
    assert np.array_equal(first.labels, second.labels) and second.source == first.source
    assert list(cache.glob("*")) == files  # nothing new, no temporary files left
    assert data.cache_file(cifar_dir, "train", cache) != files[0]


def test_to_tensors_is_nchw_of_the_set(cifar_dir) -> None:
    ds = load_cifar10(cifar_dir, "test")
    x, y = data.to_tensors(ds)
    assert x.shape == (50, 3, 32, 32) and x.dtype == torch.uint8 and y.dtype == torch.int64
    assert np.array_equal(x.permute(0, 2, 3, 1).numpy(), ds.images)


def test_holdout_split_keeps_the_last_balanced_images_apart(cifar_dir) -> None:
    ds = load_cifar10(cifar_dir, "train")  # 20 per class
    rest, held = data.holdout_split(ds, 50)
    assert len(rest) == 150 and len(held) == 50
    assert set(rest.indices.tolist()).isdisjoint(held.indices.tolist())
    assert sorted([*rest.indices.tolist(), *held.indices.tolist()]) == sorted(ds.indices.tolist())
    assert np.bincount(held.labels, minlength=10).tolist() == [5] * 10  # balanced
    again = data.holdout_split(ds, 50)[1]
    assert np.array_equal(again.indices, held.indices)  # deterministic
    with pytest.raises(ValueError, match="holdout must be an int in"):
        data.holdout_split(ds, len(ds))

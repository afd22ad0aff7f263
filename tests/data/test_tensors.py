"""Tests for cutmix_core.data.tensors: HWC uint8 <-> NCHW and per-channel normalisation."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from cutmix_core.data.tensors import CIFAR10_MEAN, CIFAR10_STD, normalize, to_hwc, to_nchw


def _images(n: int = 2, h: int = 3, w: int = 4, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (n, h, w, 3), dtype=np.uint8)


def test_to_nchw_moves_channels_first_for_numpy_and_torch() -> None:
    imgs = _images()
    x = to_nchw(imgs)
    assert x.shape == (2, 3, 3, 4) and x.dtype == torch.uint8 and x.is_contiguous()
    assert x[1, 2, 0, 3].item() == imgs[1, 0, 3, 2]
    np.testing.assert_array_equal(x.numpy(), imgs.transpose(0, 3, 1, 2))
    assert torch.equal(to_nchw(torch.from_numpy(imgs)), x)
    assert torch.equal(to_nchw(imgs[0]), x[:1])  # one HWC image -> a batch of one


def test_to_nchw_never_shares_memory_with_its_input() -> None:
    imgs = _images()
    before = imgs.copy()
    read_only = imgs.view()
    read_only.setflags(write=False)  # as a cached CifarSet's images are
    for source in (imgs, read_only, torch.from_numpy(imgs)):
        x = to_nchw(source)
        x.fill_(7)
        assert np.array_equal(imgs, before)
    flipped = imgs[:, ::-1]  # negative strides, which torch.from_numpy refuses
    np.testing.assert_array_equal(to_nchw(flipped).numpy(), flipped.transpose(0, 3, 1, 2))


@pytest.mark.parametrize(
    ("bad", "shape"),
    [
        (np.zeros((4, 4, 3), np.float32), r"\(4, 4, 3\) dtype float32"),
        (np.zeros((4, 4), np.uint8), r"\(4, 4\)"),
        (np.zeros((1, 3, 4, 4), np.uint8), r"\(1, 3, 4, 4\)"),  # already NCHW
        (torch.zeros(4, 4, 3), r"\(4, 4, 3\) dtype torch.float32"),
    ],
)
def test_to_nchw_rejects_what_is_not_hwc_uint8(bad, shape: str) -> None:
    with pytest.raises(ValueError, match=rf"HWC or NHWC uint8.*got shape {shape}"):
        to_nchw(bad)


def test_to_hwc_inverts_to_nchw_and_returns_a_new_array() -> None:
    imgs = _images(seed=1)
    x = to_nchw(imgs)
    back = to_hwc(x)
    np.testing.assert_array_equal(back, imgs)
    np.testing.assert_array_equal(to_hwc(x[0]), imgs[0])  # CHW -> HWC
    back[:] = 0
    assert x.sum() > 0  # not a view of the tensor
    f = torch.rand(2, 3, 5, 6, generator=torch.Generator().manual_seed(0))
    assert to_hwc(f).dtype == np.float32 and to_hwc(f).shape == (2, 5, 6, 3)
    with pytest.raises(ValueError, match=r"CHW or NCHW tensor, got \(2, 3\)"):
        to_hwc(torch.zeros(2, 3))
    with pytest.raises(ValueError, match="ndarray"):
        to_hwc(imgs)


def test_normalize_is_pixel_over_255_minus_mean_over_std() -> None:
    x = torch.tensor([0, 51, 255], dtype=torch.uint8).view(1, 3, 1, 1).repeat(2, 1, 2, 2)
    out = normalize(x, mean=(0.0, 0.1, 0.5), std=(1.0, 0.5, 0.25))
    assert out.shape == (2, 3, 2, 2) and out.dtype == torch.float32
    assert out[0, :, 0, 0].tolist() == pytest.approx([0.0, (0.2 - 0.1) / 0.5, (1 - 0.5) / 0.25])
    cifar = normalize(x)  # the CIFAR-10 training-set statistics by default
    expected = [(v / 255 - m) / s for v, m, s in zip((0, 51, 255), CIFAR10_MEAN, CIFAR10_STD)]
    assert cifar[1, :, 1, 1].tolist() == pytest.approx(expected, abs=1e-6)
    assert torch.equal(
        x, torch.tensor([0, 51, 255], dtype=torch.uint8).view(1, 3, 1, 1).repeat(2, 1, 2, 2)
    )


def test_normalize_rejects_floats_and_channel_mismatches() -> None:
    with pytest.raises(
        ValueError, match=r"NCHW uint8 tensor, got \(\(1, 3, 2, 2\), torch.float32\)"
    ):
        normalize(torch.zeros(1, 3, 2, 2))
    with pytest.raises(ValueError, match="NCHW uint8 tensor"):
        normalize(torch.zeros(3, 2, 2, dtype=torch.uint8))
    with pytest.raises(ValueError, match="mean and std need 3 channels, got 1 and 1"):
        normalize(torch.zeros(1, 3, 2, 2, dtype=torch.uint8), (0.5,), (0.5,))

"""Images as arrays and as network inputs: the one place for the HWC uint8 <-> NCHW conversion
and for normalisation with per-channel statistics.

The app and the pair ops speak numpy ``(H, W, 3)`` / ``(N, H, W, 3)`` uint8 RGB; networks and
the batch ops speak torch ``(N, 3, H, W)``. Networks see ``(pixel / 255 - mean) / std`` with the
mean and standard deviation of their training set, per channel.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

#: Per-channel mean and standard deviation of the 50,000 CIFAR-10 training images (pixel / 255).
#: (The often-copied std (0.2023, 0.1994, 0.2010) is a per-image average, not the dataset std.)
CIFAR10_MEAN: tuple[float, float, float] = (0.4914, 0.4822, 0.4465)
CIFAR10_STD: tuple[float, float, float] = (0.2470, 0.2435, 0.2616)


def to_nchw(images: np.ndarray | torch.Tensor) -> torch.Tensor:
    """HWC or NHWC uint8 RGB (numpy or torch) -> a new contiguous ``(N, 3, H, W)`` uint8 tensor.

    The result never shares memory with ``images``, which may be read-only (a cached
    :class:`~cutmix_core.data.cifar_set.CifarSet`) or a view with negative strides (``img[::-1]``).

    Raises:
        ValueError: if ``images`` is not uint8 with 3 channels last.
    """
    if isinstance(images, torch.Tensor):
        _check_hwc(tuple(images.shape), images.dtype == torch.uint8, images.dtype)
        t = images.unsqueeze(0) if images.ndim == 3 else images  # (N, H, W, 3)
        return t.permute(0, 3, 1, 2).clone(memory_format=torch.contiguous_format)
    arr = np.asarray(images)
    _check_hwc(arr.shape, arr.dtype == np.uint8, arr.dtype)
    arr = arr[None] if arr.ndim == 3 else arr  # (N, H, W, 3)
    return torch.from_numpy(np.array(arr.transpose(0, 3, 1, 2), order="C"))  # a C-order copy


def _check_hwc(shape: tuple[int, ...], is_uint8: bool, dtype: object) -> None:
    if not is_uint8 or len(shape) not in (3, 4) or shape[-1] != 3:
        raise ValueError(
            f"images must be HWC or NHWC uint8 with 3 channels, got shape {shape} dtype {dtype}"
        )


def to_hwc(x: torch.Tensor) -> np.ndarray:
    """``(N, C, H, W)`` or ``(C, H, W)`` tensor -> numpy ``(N, H, W, C)`` / ``(H, W, C)``, same
    dtype, a new array."""
    if not isinstance(x, torch.Tensor) or x.ndim not in (3, 4):
        got = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
        raise ValueError(f"x must be a CHW or NCHW tensor, got {got}")
    order = (1, 2, 0) if x.ndim == 3 else (0, 2, 3, 1)
    return x.detach().cpu().permute(*order).contiguous().numpy().copy()


def normalize(
    x: torch.Tensor,
    mean: Sequence[float] = CIFAR10_MEAN,
    std: Sequence[float] = CIFAR10_STD,
) -> torch.Tensor:
    """``(N, C, H, W)`` uint8 pixels -> float32 ``(pixel / 255 - mean) / std``, on x's device.

    Raises:
        ValueError: if ``x`` is not an NCHW uint8 tensor with as many channels as ``mean``.
    """
    if not isinstance(x, torch.Tensor) or x.ndim != 4 or x.dtype != torch.uint8:
        got = (tuple(x.shape), x.dtype) if isinstance(x, torch.Tensor) else type(x)
        raise ValueError(f"x must be an NCHW uint8 tensor, got {got}")
    if not len(mean) == len(std) == x.shape[1]:
        raise ValueError(f"mean and std need {x.shape[1]} channels, got {len(mean)} and {len(std)}")
    m = torch.tensor(tuple(mean), dtype=torch.float32, device=x.device).view(1, -1, 1, 1)
    s = torch.tensor(tuple(std), dtype=torch.float32, device=x.device).view(1, -1, 1, 1)
    return (x.float() / 255.0 - m) / s

"""A fast CIFAR-10 network in the style of airbench94, with an 8x8 last stage for Grad-CAM.

Keller Jordan, "94% on CIFAR-10 in 3.29 Seconds on a Single GPU" (2024,
https://arxiv.org/abs/2404.00498; code: KellerJordan/cifar10-airbench) trains a small VGG-like
network to 94% in about ten epochs. Its ideas, written here afresh for this project:

* a frozen first layer that *whitens* 2x2 patches: the weights are the eigenvectors of the
  patch covariance of training images, scaled by ``1 / sqrt(eigenvalue + eps)``, stacked with
  their negatives (24 channels for 12 patch dimensions), so the network starts on decorrelated
  inputs; only its bias trains, and only for the first epochs (:mod:`cutmix_core.training.loop`);
* BatchNorm with a fixed scale of 1 (only the shift trains) and a fast running average;
* convolutions initialised as identity (Dirac) on their first input-many channels;
* GELU activations, max pooling, a linear head without bias whose logits are scaled by 1/9.

The layout on a 32x32 input (channels, side):

    pad right and bottom by 1 (replicate) -> whiten 2x2 conv, 24, GELU          (24, 32)
    block1: conv 64 -> max-pool 2 -> BN -> GELU -> conv 64 -> BN -> GELU        (64, 16)
    block2: conv 256 -> max-pool 2 -> BN -> GELU -> conv 256 -> BN -> GELU      (256, 8)
    block3: conv 256 -> BN -> GELU                    = end of ``features``     (256, 8)
            max-pool 2 -> conv 256 -> BN -> GELU      (``head`` from here)      (256, 4)
    global max-pool -> linear 256 -> 10, no bias -> x 1/9

Two changes from airbench94, both for Grad-CAM, which needs a spatial map of at least 8x8 deep
in the network: the input is padded by one pixel before the 2x2 whitening conv, so the stages
run at 32/16/8/4 instead of 31/15/7/3, and block3 normalises and activates its first conv
*before* pooling (airbench94 pools first), so that activation is an 8x8 map from the fifth of
seven conv layers: the Grad-CAM layer, the output of ``features``. The last conv runs at 4x4,
too coarse to tell a CutMix box from the rest of a 32x32 image; 8x8 is also the resolution of
the CIFAR ResNets' last stage, so the maps of old and new models are comparable. A variant whose
block3 did not pool at all (all of it at 8x8) did worse on held-out training images.

Like the CIFAR ResNets, the network is ``features`` then ``head``, so
:mod:`cutmix_core.models.gradcam` runs it without hooks, and its inputs are normalised with the
CIFAR-10 mean and std (:func:`cutmix_core.data.tensors.normalize`).
"""

from __future__ import annotations

from collections import OrderedDict

import torch
import torch.nn.functional as F
from torch import nn

from cutmix_core.checks import check_int
from cutmix_core.models.meta import on_cpu

ARCH = "airnet"
#: Channels of the three blocks (airbench94's widths).
WIDTHS: tuple[int, int, int] = (64, 256, 256)
#: Side of the whitening patches and the eigenvalue floor of the whitening.
WHITEN_KERNEL = 2
WHITEN_EPS = 5e-4
#: Logit scale of the head.
LOGIT_SCALE = 1 / 9
#: How many training images :func:`init_whitening` uses by default.
WHITEN_IMAGES = 5000


class FixedScaleBatchNorm(nn.BatchNorm2d):
    """BatchNorm whose scale stays 1 (not trained); the shift trains. ``momentum`` is torch's
    convention (weight of the new batch in the running average)."""

    def __init__(self, num_features: int, momentum: float = 0.4, eps: float = 1e-12) -> None:
        super().__init__(num_features, eps=eps, momentum=momentum)
        self.weight.requires_grad_(False)


class MaxPool(nn.MaxPool2d):
    """``nn.MaxPool2d(2)`` that, on a contiguous (NCHW) CPU tensor where no gradient is wanted,
    takes the larger of each column pair, then of each row pair (two ``torch.maximum``):
    torch's CPU kernel for NCHW pooling is the slow one here (``python
    scripts/profile_misses.py models`` times both), its channels-last and CUDA kernels are
    not, so those inputs keep it. The same values (a window's largest, the sign of a zero
    included; NaN if it holds one); with a gradient the module is ``nn.MaxPool2d``, whose
    backward gives a tie to one input where ``maximum``'s would split it
    (tests/models/test_airnet.py)."""

    def __init__(self) -> None:
        super().__init__(2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        wants_grad = torch.is_grad_enabled() and x.requires_grad
        nchw_cpu = x.device.type == "cpu" and x.ndim == 4 and x.is_contiguous()
        if wants_grad or not nchw_cpu or x.shape[-2] % 2 or x.shape[-1] % 2:
            return super().forward(x)
        cols = torch.maximum(x[..., 0::2], x[..., 1::2])
        return torch.maximum(cols[..., 0::2, :], cols[..., 1::2, :])


class ConvBlock(nn.Module):
    """conv -> max-pool 2 -> BN -> GELU -> conv -> BN -> GELU: (B, c_in, H, W) to
    (B, c_out, H/2, W/2)."""

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, padding=1, bias=False)
        self.pool = MaxPool()
        self.norm1 = FixedScaleBatchNorm(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1, bias=False)
        self.norm2 = FixedScaleBatchNorm(c_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.gelu(self.norm1(self.pool(self.conv1(x))))
        return F.gelu(self.norm2(self.conv2(x)))


class ConvAct(nn.Module):
    """conv -> BN -> GELU at the input's resolution (one half of block3)."""

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, 3, padding=1, bias=False)
        self.norm = FixedScaleBatchNorm(c_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.gelu(self.norm(self.conv(x)))


class Scale(nn.Module):
    """Multiply by a constant (the head's logit scale)."""

    def __init__(self, factor: float) -> None:
        super().__init__()
        self.factor = factor

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.factor


class AirNet(nn.Module):
    """The network of the module docstring: ``features`` to (B, 256, 8, 8), then ``head``."""

    def __init__(self, num_classes: int = 10, *, generator: torch.Generator | None = None) -> None:
        super().__init__()
        check_int(num_classes, "num_classes", lo=1)
        self.arch = ARCH
        whiten_width = 2 * 3 * WHITEN_KERNEL**2
        w1, w2, w3 = WIDTHS
        with torch.device("meta"):  # allocate and initialise below with our own generator
            self.features = nn.Sequential(
                OrderedDict(
                    pad=nn.ReplicationPad2d((0, 1, 0, 1)),
                    whiten=nn.Conv2d(3, whiten_width, WHITEN_KERNEL, bias=True),
                    act=nn.GELU(),
                    block1=ConvBlock(whiten_width, w1),
                    block2=ConvBlock(w1, w2),
                    block3=ConvAct(w2, w3),
                )
            )
            self.head = nn.Sequential(
                OrderedDict(
                    pool3=MaxPool(),
                    block3b=ConvAct(w3, w3),
                    pool=nn.AdaptiveMaxPool2d(1),
                    flatten=nn.Flatten(1),
                    fc=nn.Linear(w3, num_classes, bias=False),
                    scale=Scale(LOGIT_SCALE),
                )
            )
        on_cpu(self)
        _init_weights(self, torch.Generator().manual_seed(0) if generator is None else generator)
        self.whiten.weight.requires_grad_(False)  # set from data by init_whitening, never trained

    @property
    def whiten(self) -> nn.Conv2d:
        """The frozen patch-whitening convolution (its bias trains early in a run)."""
        conv = self.features.get_submodule("whiten")
        assert isinstance(conv, nn.Conv2d)
        return conv

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, 3, 32, 32) -> (B, num_classes)
        return self.head(self.features(x))


def _init_weights(model: nn.Module, generator: torch.Generator) -> None:
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            # PyTorch's default conv init (kaiming_uniform with a = sqrt(5): bound 1/sqrt(fan_in)),
            # drawn from our generator, then identity on the first c_in output channels.
            bound = (m.in_channels * m.kernel_size[0] * m.kernel_size[1]) ** -0.5
            with torch.no_grad():
                nn.init.uniform_(m.weight, -bound, bound, generator=generator)
                nn.init.dirac_(m.weight[: m.in_channels])
                if m.bias is not None:
                    m.bias.zero_()
        elif isinstance(m, nn.BatchNorm2d):
            m.reset_parameters()
        elif isinstance(m, nn.Linear):
            bound = m.in_features**-0.5
            nn.init.uniform_(m.weight, -bound, bound, generator=generator)


def whitening_weights(
    images: torch.Tensor, kernel: int = WHITEN_KERNEL, eps: float = WHITEN_EPS
) -> torch.Tensor:
    """``(2 * C k^2, C, k, k)`` conv weights that whiten the k x k patches of ``images``.

    With the patch covariance ``S = V diag(e) V^T`` (eigenvalues descending), the filters are
    ``V^T / sqrt(e + eps)`` followed by their negatives (so a ReLU-like activation after the layer
    keeps both signs of every component).

    Args:
        images: normalised NCHW float images (e.g. 5,000 training images).
    Raises:
        ValueError: if ``images`` is not a non-empty NCHW float tensor at least k pixels a side.
    """
    if (
        not isinstance(images, torch.Tensor)
        or images.ndim != 4
        or not images.is_floating_point()
        or images.shape[0] == 0
        or min(images.shape[-2:]) < kernel
    ):
        got = (tuple(images.shape), images.dtype) if isinstance(images, torch.Tensor) else images
        raise ValueError(f"images must be a non-empty NCHW float tensor, got {got}")
    c = images.shape[1]
    patches = images.double().unfold(2, kernel, 1).unfold(3, kernel, 1)  # (N, C, h, w, k, k)
    flat = patches.permute(0, 2, 3, 1, 4, 5).reshape(-1, c * kernel * kernel)  # (P, C k k)
    cov = flat.T @ flat / flat.shape[0]
    eigenvalues, eigenvectors = torch.linalg.eigh(cov)  # ascending
    eigenvalues, eigenvectors = eigenvalues.flip(0), eigenvectors.flip(1)
    filters = eigenvectors.T / torch.sqrt(eigenvalues.clamp_min(0) + eps)[:, None]
    filters = filters.reshape(-1, c, kernel, kernel)
    return torch.cat((filters, -filters)).float()


def init_whitening(model: AirNet, images: torch.Tensor) -> None:
    """Set ``model``'s whitening conv from ``images`` (normalised NCHW float) and zero its bias.

    This is the one step that changes a model in place: it is part of building a model to train.
    """
    weights = whitening_weights(images)
    conv = model.whiten
    if weights.shape != conv.weight.shape:
        raise ValueError(
            f"images with {images.shape[1]} channels give whitening weights of "
            f"shape {tuple(weights.shape)}, the model needs "
            f"{tuple(conv.weight.shape)}"
        )
    with torch.no_grad():
        conv.weight.copy_(weights.to(conv.weight.device))
        if conv.bias is not None:
            conv.bias.zero_()

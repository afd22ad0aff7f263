"""The CIFAR variant of ResNet: BasicBlock, CifarResNet and its initialisation.

He et al., "Deep Residual Learning for Image Recognition" (CVPR 2016,
https://arxiv.org/abs/1512.03385, section 4.2); CutMix (Yun et al., ICCV 2019,
https://arxiv.org/abs/1905.04899) also reports on this family for CIFAR:

    depth = 6 n + 2       (resnet20: n = 3, resnet32: n = 5, resnet56: n = 9)
    3x3 conv (w) -> n BasicBlocks at 32x32 (w) -> n at 16x16 (2w) -> n at 8x8 (4w) -> GAP -> linear

with base width w = 16 (``resnet20x4``: w = 64). Shortcuts are the paper's option A (identity;
where the shape changes, stride-2 subsampling and zero-padded channels, no parameters), so
resnet20 has 0.27M and resnet56 0.85M parameters as in the paper's Table 6; ``-b`` names
(``resnet20-b``) use option B (1x1 conv + BatchNorm projections where the shape changes).
The network is two parts, ``features`` (output (B, 4w, 8, 8)) and ``head`` (pool, flatten, fc),
so Grad-CAM can run one and then the other without hooks (see :mod:`cutmix_core.models.gradcam`).
"""

from __future__ import annotations

import re
from collections import OrderedDict

import torch
import torch.nn.functional as F
from torch import nn

from cutmix_core.checks import check_int
from cutmix_core.models.meta import on_cpu

#: ``resnet<depth>[x<multiplier> | w<width>][-b]``, the names :func:`resnet_from_name` reads.
ARCH_PATTERN = re.compile(
    r"resnet(?P<depth>\d+)(?:x(?P<mult>\d+)|w(?P<width>\d+))?(?P<option_b>-b)?"
)


class BasicBlock(nn.Module):
    """Two 3x3 conv-BN layers plus a shortcut, ReLU after the sum (He et al. 2016, figure 2)."""

    def __init__(self, c_in: int, c_out: int, stride: int, option_b: bool) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.pad = (c_out - c_in) // 2, c_out - c_in - (c_out - c_in) // 2
        self.stride = stride
        self.projection: nn.Module | None = None
        if option_b and (stride != 1 or c_in != c_out):
            self.projection = nn.Sequential(
                nn.Conv2d(c_in, c_out, 1, stride, bias=False), nn.BatchNorm2d(c_out)
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, c_in, H, W) -> (B, c_out, H/s, W/s)
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.projection is not None:
            shortcut = self.projection(x)
        else:  # option A: subsample, then zero channels on both sides (no parameters)
            shortcut = F.pad(x[:, :, :: self.stride, :: self.stride], (0, 0, 0, 0, *self.pad))
        return F.relu(out + shortcut)


class CifarResNet(nn.Module):
    """CIFAR ResNet as ``features`` (stem + 3 stages, (B, 4w, 8, 8) at 32x32) then ``head``."""

    def __init__(
        self,
        depth: int = 20,
        *,
        width: int = 16,
        num_classes: int = 10,
        option_b: bool = False,
        generator: torch.Generator | None = None,
    ) -> None:
        super().__init__()
        check_int(width, "width", 1)
        check_int(num_classes, "num_classes", 1)
        if check_int(depth, "depth") < 8 or (depth - 2) % 6:
            raise ValueError(f"depth must be 6n+2 with n >= 1 (8, 20, 32, 56, ...), got {depth!r}")
        n = (depth - 2) // 6
        widen = "" if width == 16 else f"x{width // 16}" if width % 16 == 0 else f"w{width}"
        self.arch = f"resnet{depth}{widen}" + "-b" * option_b  # the name build_model parses
        # Build on the meta device, then allocate and initialise with our own generator, so that
        # building a model never draws from (or depends on) torch's global random state.
        with torch.device("meta"):
            layers: OrderedDict[str, nn.Module] = OrderedDict(
                conv=nn.Conv2d(3, width, 3, 1, 1, bias=False),
                bn=nn.BatchNorm2d(width),
                relu=nn.ReLU(),
            )
            c_in = width
            for stage, c_out in enumerate((width, 2 * width, 4 * width), start=1):
                blocks = [
                    BasicBlock(
                        c_in if i == 0 else c_out, c_out, 1 if i or stage == 1 else 2, option_b
                    )
                    for i in range(n)
                ]
                layers[f"stage{stage}"] = nn.Sequential(*blocks)
                c_in = c_out
            self.features = nn.Sequential(layers)
            self.head = nn.Sequential(
                OrderedDict(
                    pool=nn.AdaptiveAvgPool2d(1),
                    flatten=nn.Flatten(1),
                    fc=nn.Linear(4 * width, num_classes),
                )
            )
        on_cpu(self)
        _init_weights(self, torch.Generator().manual_seed(0) if generator is None else generator)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, 3, H, W) -> (B, num_classes)
        return self.head(self.features(x))


def _init_weights(model: nn.Module, generator: torch.Generator) -> None:
    for m in model.modules():
        if isinstance(m, nn.Conv2d):  # He init for ReLU nets, as in torchvision's ResNet
            nn.init.kaiming_normal_(
                m.weight, mode="fan_out", nonlinearity="relu", generator=generator
            )
        elif isinstance(m, nn.BatchNorm2d):
            m.reset_parameters()  # gamma 1, beta 0, running mean 0 / var 1
        elif isinstance(m, nn.Linear):  # PyTorch's default bound 1 / sqrt(fan_in)
            bound = m.in_features**-0.5
            nn.init.uniform_(m.weight, -bound, bound, generator=generator)
            nn.init.uniform_(m.bias, -bound, bound, generator=generator)


def resnet_from_name(
    arch: str, num_classes: int = 10, *, generator: torch.Generator | None = None
) -> CifarResNet:
    """A freshly initialised CIFAR ResNet from a name such as ``resnet20``, ``resnet56``,
    ``resnet20x4`` (4x wider: base width 64), ``resnet20w24`` (base width 24) or ``resnet20-b``
    (option-B shortcuts); ``model.arch`` gives the name back.

    Args:
        generator: seeds the initial weights; ``None`` means a generator seeded with 0.
    Raises:
        ValueError: if the name does not parse, or its depth is not 6n+2 or its width not >= 1.
    """
    match = ARCH_PATTERN.fullmatch(arch) if isinstance(arch, str) else None
    if match is None:
        raise ValueError(f"arch must look like resnet20, resnet56x2, resnet20-b; got {arch!r}")
    width = int(match["width"]) if match["width"] else 16 * int(match["mult"] or 1)
    return CifarResNet(
        int(match["depth"]),
        width=width,
        num_classes=num_classes,
        option_b=bool(match["option_b"]),
        generator=generator,
    )

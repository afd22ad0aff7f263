"""Tests for cutmix_core.models.resnet: the CIFAR ResNets' shapes, sizes, names and seeding."""

from __future__ import annotations

import pytest
import torch

from cutmix_core.models.checkpoints import count_parameters
from cutmix_core.models.resnet import resnet_from_name


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _batch(n: int = 2, seed: int = 0) -> torch.Tensor:
    return torch.randn(n, 3, 32, 32, generator=_gen(seed))  # (N, 3, 32, 32)


@pytest.mark.parametrize(
    ("arch", "channels"),
    [("resnet8", 64), ("resnet20", 64), ("resnet8x2", 128), ("resnet8w24", 96)],
)
def test_features_end_at_8x8_and_head_gives_the_logits(arch: str, channels: int) -> None:
    model = resnet_from_name(arch, num_classes=7).eval()
    x = _batch()
    with torch.no_grad():
        feats = model.features(x)
        assert feats.shape == (2, channels, 8, 8)
        assert torch.equal(model.head(feats), model(x))
        assert model(x).shape == (2, 7)


def test_parameter_counts_match_the_paper() -> None:
    # He et al. 2016, table 6 (option A shortcuts): 0.27M, 0.46M, 0.85M.
    assert count_parameters(resnet_from_name("resnet20")) == 269_722
    assert count_parameters(resnet_from_name("resnet32")) == 464_154
    assert count_parameters(resnet_from_name("resnet56")) == 853_018
    # Option B adds 1x1 projections (+BN) at the two downsampling blocks: 16*32 + 64 + 32*64 + 128.
    assert count_parameters(resnet_from_name("resnet20-b")) == 269_722 + 512 + 64 + 2048 + 128


def test_arch_names_round_trip_and_bad_names_raise() -> None:
    for arch in ("resnet20", "resnet56", "resnet20x4", "resnet8w24", "resnet32-b"):
        assert resnet_from_name(arch).arch == arch
    for bad in ("resnet21", "resnet2", "vgg16", "resnet20x0", "ResNet20", 20):
        with pytest.raises(ValueError, match="arch must|depth must|width must"):
            resnet_from_name(bad)


def test_initialisation_uses_only_the_given_generator() -> None:
    state = torch.get_rng_state()
    a = resnet_from_name("resnet8", generator=_gen(1)).state_dict()
    b = resnet_from_name("resnet8", generator=_gen(1)).state_dict()
    c = resnet_from_name("resnet8", generator=_gen(2)).state_dict()
    assert torch.equal(torch.get_rng_state(), state)  # global RNG neither used nor advanced
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not torch.equal(a["features.conv.weight"], c["features.conv.weight"])
    assert a["features.bn.running_var"].eq(1).all()  # buffers initialised, not left empty

"""Tests for cutmix_core.models.airnet: shapes, the frozen whitening and BatchNorm scale, a float16
checkpoint round trip, seeded construction, and its max pooling against torch's."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from cutmix_core.models.airnet import (
    WHITEN_EPS,
    AirNet,
    FixedScaleBatchNorm,
    MaxPool,
    init_whitening,
    whitening_weights,
)
from cutmix_core.models.checkpoints import build_model, load_checkpoint, save_checkpoint


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _correlated_images(n: int = 64, side: int = 12, seed: int = 0) -> torch.Tensor:
    """(N, 3, side, side) float images whose neighbouring pixels and channels are correlated,
    as in photos, so that whitening has something to undo, plus some independent noise."""
    g = _gen(seed)
    noise = torch.randn(n, 3, side + 1, side + 1, generator=g)
    smooth = F.avg_pool2d(noise, 2, stride=1)  # neighbours share three of four inputs
    mix = torch.tensor([[1.0, 0.6, 0.3], [0.6, 1.0, 0.6], [0.3, 0.6, 1.0]])
    sensor = 0.3 * torch.randn(n, 3, side, side, generator=g)  # keeps every variance >> eps
    return torch.einsum("dc,nchw->ndhw", mix, smooth) + sensor + 0.1


def test_output_and_feature_shapes() -> None:
    model = build_model("airnet", generator=_gen(0)).eval()
    x = torch.randn(3, 3, 32, 32, generator=_gen(1))
    with torch.no_grad():
        feats = model.features(x)
        assert feats.shape == (3, 256, 8, 8)  # the Grad-CAM layer
        logits = model(x)
    assert logits.shape == (3, 10)
    assert torch.equal(model.head(feats), logits)
    assert AirNet(4).eval()(x).shape == (3, 4)


def test_whitening_weights_whiten_the_patches() -> None:
    images = _correlated_images()
    weights = whitening_weights(images)  # (24, 3, 2, 2)
    assert weights.shape == (24, 3, 2, 2)
    assert torch.equal(weights[12:], -weights[:12])  # each filter and its negative
    # The patch covariance, computed independently in numpy (uncentred, as the layer's).
    x = images.double().numpy()
    patches = np.stack(
        [x[:, :, i : i + 11, j : j + 11] for i in range(2) for j in range(2)], axis=2
    )  # (N, C, 4, 11, 11): the 2x2 offsets in (row, col) order
    flat = patches.transpose(0, 3, 4, 1, 2).reshape(-1, 12)  # (P, C k k)
    eig = np.linalg.eigvalsh(flat.T @ flat / len(flat))[::-1]
    assert eig[0] / eig[-1] > 10  # the data is far from white
    out = F.conv2d(images.double(), weights[:12].double())  # (N, 12, 11, 11)
    z = out.permute(0, 2, 3, 1).reshape(-1, 12).numpy()
    cov = z.T @ z / len(z)
    # W S W^T = diag(e / (e + eps)): the identity up to the eps floor.
    np.testing.assert_allclose(cov, np.diag(eig / (eig + WHITEN_EPS)), atol=1e-4)
    np.testing.assert_allclose(cov, np.eye(12), atol=2e-2)


def test_whitening_and_batchnorm_scales_are_frozen() -> None:
    model = build_model("airnet")
    assert not model.whiten.weight.requires_grad and model.whiten.bias.requires_grad
    norms = [m for m in model.modules() if isinstance(m, FixedScaleBatchNorm)]
    assert len(norms) == 6
    for norm in norms:
        assert not norm.weight.requires_grad and norm.bias.requires_grad
        assert torch.equal(norm.weight, torch.ones_like(norm.weight))
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert "features.whiten.weight" not in trainable and "features.whiten.bias" in trainable
    images = _correlated_images(8, 32)
    init_whitening(model, images)
    assert torch.equal(model.whiten.weight, whitening_weights(images))
    assert not model.whiten.weight.requires_grad and not model.whiten.bias.any()


def test_float16_checkpoint_round_trip(tmp_path: Path) -> None:
    model = build_model("airnet", generator=_gen(2))
    init_whitening(model, _correlated_images(16, 32))
    with torch.no_grad():  # statistics like a trained model's, so the round trip must carry them
        for name, buf in model.named_buffers():
            if name.endswith("running_mean"):
                buf.normal_(0.0, 0.1, generator=_gen(3))
            elif name.endswith("running_var"):
                buf.uniform_(0.5, 2.0, generator=_gen(4))
    model.eval()
    path = tmp_path / "airnet.pt"
    card = save_checkpoint(path, model, {"aug": "cutmix"}, dtype=torch.float16)
    assert card["dtype"] == "float16" and card["arch"] == "airnet"
    assert path.stat().st_size < 5e6
    state = torch.load(path, weights_only=True)
    assert state["features.block1.conv1.weight"].dtype == torch.float16
    stats = [k for k in state if k.endswith(("running_mean", "running_var"))]
    assert len(stats) == 12 and all(state[k].dtype == torch.float32 for k in stats)
    loaded = load_checkpoint(path)
    assert all(p.dtype == torch.float32 for p in loaded.model.parameters())
    images = np.random.default_rng(5).integers(0, 256, (8, 32, 32, 3), dtype=np.uint8)
    x = loaded.preprocess(images)
    with torch.no_grad():
        reference, got = model(x), loaded.model(x)  # logits, spread over about +-0.3
    torch.testing.assert_close(got, reference, rtol=0, atol=1e-3)  # float16 rounding only
    np.testing.assert_allclose(loaded.predict(images), reference.softmax(1).numpy(), atol=1e-4)


def test_build_model_is_deterministic_given_a_generator() -> None:
    rng_state = torch.get_rng_state()
    a = build_model("airnet", generator=_gen(7)).state_dict()
    b = build_model("airnet", generator=_gen(7)).state_dict()
    c = build_model("airnet", generator=_gen(8)).state_dict()
    assert torch.equal(torch.get_rng_state(), rng_state)  # global RNG neither used nor advanced
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not torch.equal(a["features.block2.conv1.weight"], c["features.block2.conv1.weight"])
    assert build_model("airnet").arch == "airnet"


def test_bad_arguments_raise() -> None:
    with pytest.raises(ValueError, match=r"num_classes must be an int in \[1, inf\], got 0"):
        AirNet(0)
    with pytest.raises(ValueError, match="non-empty NCHW float tensor"):
        whitening_weights(torch.zeros(2, 3, 1, 1))
    with pytest.raises(ValueError, match=r"the model needs \(24, 3, 2, 2\)"):
        init_whitening(AirNet(), torch.randn(2, 1, 8, 8, generator=_gen(0)))


def _tied(shape: tuple[int, ...], seed: int) -> torch.Tensor:
    """Floats of few distinct values (many ties in a window), with NaNs, infinities and zeros
    of both signs among them."""
    g = _gen(seed)
    x = torch.randint(-3, 4, shape, generator=g).double()
    specials = torch.tensor([float("nan"), float("inf"), -float("inf"), -0.0, 0.0])
    where = torch.rand(shape, generator=g) < 0.1
    picks = specials[torch.randint(0, len(specials), shape, generator=g)]
    return torch.where(where, picks, x)


@pytest.mark.parametrize("layout", ["contiguous", "channels_last", "strided", "odd"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.bfloat16])
@pytest.mark.parametrize("mode", ["no_grad", "inference_mode", "plain"])
def test_max_pool_gives_torchs_values(layout: str, dtype: torch.dtype, mode: str) -> None:
    shape = (3, 5, 9, 11) if layout == "odd" else (3, 5, 8, 12)
    x = _tied(shape, seed=len(layout)).to(dtype)
    if layout == "channels_last":
        x = x.contiguous(memory_format=torch.channels_last)
    elif layout == "strided":
        x = _tied((3, 5, 8, 24), seed=7).to(dtype)[..., ::2]
    context = {"no_grad": torch.no_grad, "inference_mode": torch.inference_mode}.get(mode)
    if context is None:
        got = MaxPool()(x)
    else:
        with context():
            got = MaxPool()(x)
    want = F.max_pool2d(x, 2)
    assert got.shape == want.shape and got.dtype == want.dtype
    torch.testing.assert_close(got, want, rtol=0, atol=0, equal_nan=True)
    assert torch.equal(torch.signbit(got), torch.signbit(want))  # -0.0 is not 0.0 here


@pytest.mark.parametrize(
    ("case", "fast"),
    [("nchw", True), ("channels_last", False), ("gradient", False), ("odd", False)],
)
def test_max_pool_takes_its_own_path_only_for_nchw_without_gradients(
    case: str, fast: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []
    torchs = torch.nn.MaxPool2d.forward

    def counted(self: torch.nn.MaxPool2d, x: torch.Tensor) -> torch.Tensor:
        calls.append(case)
        return torchs(self, x)

    monkeypatch.setattr(torch.nn.MaxPool2d, "forward", counted)
    x = torch.randn(2, 3, 7 if case == "odd" else 8, 8, generator=_gen(6))
    if case == "channels_last":
        x = x.contiguous(memory_format=torch.channels_last)
    if case == "gradient":
        x.requires_grad_(True)
        got = MaxPool()(x)
    else:
        with torch.inference_mode():
            got = MaxPool()(x)
    assert (calls == []) == fast
    assert torch.equal(got, F.max_pool2d(x, 2))


def test_max_pool_gradient_is_max_pool2ds() -> None:
    # With ties in the windows: maximum's backward would split a tie, max_pool2d's does not.
    x = torch.randint(0, 2, (2, 3, 8, 8), generator=_gen(3)).float().requires_grad_(True)
    ours = MaxPool()(x)
    (grad,) = torch.autograd.grad(ours.square().sum(), x)
    theirs = F.max_pool2d(x, 2)
    (want,) = torch.autograd.grad(theirs.square().sum(), x)
    assert torch.equal(ours, theirs)
    assert torch.equal(grad, want)


def test_airnet_logits_are_those_of_torchs_pooling() -> None:
    model = build_model("airnet", generator=_gen(4)).eval()
    plain = build_model("airnet", generator=_gen(4)).eval()
    swapped = 0
    for parent in plain.modules():
        for name, child in list(parent.named_children()):
            if isinstance(child, MaxPool):
                setattr(parent, name, torch.nn.MaxPool2d(2))
                swapped += 1
    assert swapped == 3
    x = torch.randn(6, 3, 32, 32, generator=_gen(5))
    with torch.inference_mode():
        assert torch.equal(model(x), plain(x))

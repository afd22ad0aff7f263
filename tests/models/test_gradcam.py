"""Tests for cutmix_core.models.gradcam: reference libraries, a hand-checked case, threads, helpers.

The reference implementations (pytorch-grad-cam, torchcam) are test-only dependencies. They use
hooks and ``.backward()``, so each gets its own model instance, never the one checked for
``.grad is None``.
"""

from __future__ import annotations

import math
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import torch
import torchvision
from torch import nn

from cutmix_core.mixing.pair import Box
from cutmix_core.models.checkpoints import build_model
from cutmix_core.models.gradcam import (
    GradCamResult,
    colormap,
    gradcam,
    mass_inside,
    overlay,
    split_model,
)

CLASSES = (3, 5, 0)


def _tiny(seed: int = 1) -> nn.Module:
    return build_model("resnet8", generator=torch.Generator().manual_seed(seed)).eval()


def _image(seed: int = 2) -> torch.Tensor:
    return torch.randn(1, 3, 32, 32, generator=torch.Generator().manual_seed(seed))  # (1, 3, H, W)


@pytest.fixture(scope="module")
def result() -> GradCamResult:
    res = gradcam(_tiny(), _image(), CLASSES)
    # Guard against a vacuous comparison: the maps must be non-trivial and differ by class.
    assert all(m.max() > 0 for m in res.raw) and not np.allclose(res.raw[0], res.raw[1])
    return res


def test_shapes_and_types(result: GradCamResult) -> None:
    assert result.classes == CLASSES
    assert result.raw.shape == (3, 8, 8) and result.upsampled.shape == (3, 32, 32)
    assert result.weights.shape == (3, 64) and result.logits.shape == (10,)
    assert result.raw.dtype == result.upsampled.dtype == np.float32
    assert result.raw.min() >= 0 and result.upsampled.min() >= 0
    np.testing.assert_allclose(result.probabilities.sum(), 1.0, atol=1e-6)
    with torch.no_grad():
        np.testing.assert_allclose(result.logits, _tiny()(_image())[0].numpy(), atol=1e-6)


def test_matches_pytorch_grad_cam(result: GradCamResult) -> None:
    from pytorch_grad_cam import GradCAM
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

    model = _tiny()  # same seed, a separate instance: the library hooks it and writes .grad
    with GradCAM(model=model, target_layers=[model.features.stage3]) as cam:
        for k, c in enumerate(CLASSES):
            theirs = cam(input_tensor=_image(), targets=[ClassifierOutputTarget(c)])[0]  # (32, 32)
            # 1. Its captured gradients, averaged over the 8x8 positions, are our alpha_k.
            grads = cam.activations_and_grads.gradients[0]  # (1, 64, 8, 8)
            np.testing.assert_allclose(
                grads.mean(dim=(2, 3))[0].numpy(), result.weights[k], atol=1e-6
            )
            # 2. Its map is ReLU(sum alpha A), min-max scaled, cv2-resized to 32x32 (bilinear,
            # half-pixel centres, like F.interpolate(align_corners=False)), then min-max scaled
            # again. Resizing is linear, so that equals min-max of our upsampled map (up to its
            # 1e-7 guard in the denominator).
            ours = result.upsampled[k]
            ours = (ours - ours.min()) / (ours.max() - ours.min())
            np.testing.assert_allclose(theirs, ours, atol=1e-4)


def test_matches_torchcam_raw_maps(result: GradCamResult) -> None:
    from torchcam.methods import GradCAM

    model = _tiny()
    with GradCAM(model, target_layer=model.features, input_shape=(3, 32, 32)) as extractor:
        for k, c in enumerate(CLASSES):
            scores = model(_image())
            # normalized=False gives ReLU(sum alpha A) at the feature resolution, like our raw.
            theirs = extractor(c, scores, normalized=False)[0][0]  # (8, 8)
            np.testing.assert_allclose(theirs.numpy(), result.raw[k], atol=1e-6)


class _LinearHead(nn.Module):
    """features = identity, head = mean over positions then a fixed linear layer."""

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Identity()
        fc = nn.Linear(2, 2)
        with torch.no_grad():
            fc.weight.copy_(torch.tensor([[1.0, 0.5], [-1.0, 1.0]]))
            fc.bias.copy_(torch.tensor([10.0, -10.0]))
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(1), fc)


def test_hand_checked_linear_head() -> None:
    # y_c = sum_k W[c, k] mean(A_k) + b_c, so d y_c / d A_k[i, j] = W[c, k] / 4 on a 2x2 grid:
    # alpha = W[c] / 4. With A_0 = [[1, 2], [3, 4]] and A_1 = [[4, 0], [0, -4]]:
    # class 0: ReLU(A_0 + 0.5 A_1) / 4 = [[3, 2], [3, 2]] / 4
    # class 1: ReLU(-A_0 + A_1) / 4 = ReLU([[3, -2], [-3, -8]]) / 4 = [[3, 0], [0, 0]] / 4
    # Scores are taken before the softmax: through a softmax the two classes' gradients would
    # be each other's negatives (scaled by p0 p1), not W[c] / 4.
    acts = torch.tensor([[[[1.0, 2.0], [3.0, 4.0]], [[4.0, 0.0], [0.0, -4.0]]]])  # (1, 2, 2, 2)
    res = gradcam(_LinearHead().eval(), acts, [0, 1])
    np.testing.assert_allclose(res.weights, [[0.25, 0.125], [-0.25, 0.25]])
    np.testing.assert_allclose(res.raw, [[[0.75, 0.5], [0.75, 0.5]], [[0.75, 0.0], [0.0, 0.0]]])
    np.testing.assert_allclose(res.upsampled, res.raw)  # input size == feature size
    np.testing.assert_allclose(res.logits, [2.5 + 0 + 10, -2.5 + 0 - 10])
    # Joint scale: both divided by 0.75. Separate: each by its own max (also 0.75 here).
    for joint in (True, False):
        np.testing.assert_allclose(
            res.normalized(joint=joint, upsampled=False),
            [[[1, 2 / 3], [1, 2 / 3]], [[1, 0], [0, 0]]],
            rtol=1e-6,
        )


def test_joint_and_separate_normalisation() -> None:
    raw = np.array([[[0.0, 2.0]], [[1.0, 0.5]], [[0.0, 0.0]]], np.float32)  # (3, 1, 2)
    res = GradCamResult((0, 1, 2), raw, raw, np.zeros((3, 1), np.float32), np.zeros(3, np.float32))
    np.testing.assert_allclose(res.normalized(joint=True), [[[0, 1]], [[0.5, 0.25]], [[0, 0]]])
    np.testing.assert_allclose(res.normalized(joint=False), [[[0, 1]], [[1, 0.5]], [[0, 0]]])


def test_one_forward_pass_for_all_classes() -> None:
    model, calls = _tiny(), {"features": 0, "head": 0}

    def counting(m: nn.Module):
        def features(x: torch.Tensor) -> torch.Tensor:
            calls["features"] += 1
            return m.features(x)

        def head(a: torch.Tensor) -> torch.Tensor:
            calls["head"] += 1
            return m.head(a)

        return features, head

    res = gradcam(model, _image(), CLASSES, split=counting)
    assert calls == {"features": 1, "head": 1}
    np.testing.assert_array_equal(res.raw, gradcam(model, _image(), CLASSES).raw)


def test_torchvision_resnet_is_split_and_matches_torchcam() -> None:
    from torchcam.methods import GradCAM

    model = torchvision.models.resnet18(num_classes=4).eval()
    x = torch.randn(1, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    features, head = split_model(model)
    with torch.no_grad():
        assert torch.equal(head(features(x)), model(x))
    res = gradcam(model, x, [1, 2])
    assert res.raw.shape == (2, 2, 2) and res.upsampled.shape == (2, 64, 64)
    with GradCAM(model, target_layer=model.layer4, input_shape=(3, 64, 64)) as extractor:
        theirs = extractor(2, model(x), normalized=False)[0][0]
    np.testing.assert_allclose(theirs.detach().numpy(), res.raw[1], atol=1e-6)


def _airnet() -> nn.Module:
    return build_model("airnet", generator=torch.Generator().manual_seed(3)).eval()


def test_airnet_maps_are_8x8_and_match_torchcam_on_its_features() -> None:
    from torchcam.methods import GradCAM

    res = gradcam(_airnet(), _image(), CLASSES)
    assert res.raw.shape == (3, 8, 8) and res.upsampled.shape == (3, 32, 32)
    assert res.weights.shape == (3, 256)
    assert all(m.max() > 0 for m in res.raw) and not np.allclose(res.raw[0], res.raw[1])
    model = _airnet()  # a separate instance: torchcam hooks it
    with GradCAM(model, target_layer=model.features, input_shape=(3, 32, 32)) as extractor:
        for k, c in enumerate(CLASSES):
            theirs = extractor(c, model(_image()), normalized=False)[0][0]  # (8, 8)
            # The logits are scaled by 1/9, so the maps are small: compare on the map's scale.
            scale = res.raw[k].max()
            np.testing.assert_allclose(
                theirs.detach().numpy() / scale, res.raw[k] / scale, atol=1e-4
            )


def test_unknown_models_need_a_split() -> None:
    model = nn.Sequential(nn.Conv2d(3, 2, 3), nn.AdaptiveAvgPool2d(1), nn.Flatten(1)).eval()
    with pytest.raises(ValueError, match="cannot split a Sequential.*pass split="):
        gradcam(model, _image(), [0])
    res = gradcam(model, _image(), [0, 1], split=lambda m: (m[0], m[1:]))
    assert res.raw.shape == (2, 30, 30)


def test_thread_safe_on_one_shared_model() -> None:
    model = _tiny()  # parameters require grad, as a freshly built model's do
    before = {k: v.clone() for k, v in model.state_dict().items()}
    jobs = [(_image(seed), (seed % 10, (seed * 7) % 10)) for seed in range(8)] * 4
    serial = [gradcam(model, x, cls) for x, cls in jobs]
    start = threading.Barrier(8)  # all eight threads enter gradcam together, round after round

    def run(job):
        start.wait(timeout=30)
        return gradcam(model, *job)

    with ThreadPoolExecutor(max_workers=8) as pool:
        parallel = list(pool.map(run, jobs))
    for s, p in zip(serial, parallel, strict=True):
        assert s.classes == p.classes
        for name in ("raw", "upsampled", "weights", "logits"):
            np.testing.assert_array_equal(getattr(s, name), getattr(p, name))
    assert all(p.grad is None for p in model.parameters())
    assert not model.training
    assert all(torch.equal(v, before[k]) for k, v in model.state_dict().items())
    assert not any(
        m._forward_hooks or m._forward_pre_hooks or m._backward_hooks for m in model.modules()
    )


def test_frozen_models_and_inference_mode_callers_work(result: GradCamResult) -> None:
    model = _tiny().requires_grad_(False)  # as load_checkpoint returns it
    x = _image()
    with torch.inference_mode():
        res = gradcam(model, x[0], CLASSES)  # (C, H, W) is accepted too
    np.testing.assert_allclose(res.raw, result.raw, atol=1e-7)


def test_channels_last_models_give_the_same_maps(result: GradCamResult) -> None:
    # The training loop keeps its model channels_last, so the activations can arrive in that
    # layout; the maps must not depend on it.
    model = _tiny().to(memory_format=torch.channels_last)
    res = gradcam(model, _image().contiguous(memory_format=torch.channels_last), CLASSES)
    for name in ("raw", "upsampled", "weights", "logits"):
        np.testing.assert_allclose(getattr(res, name), getattr(result, name), atol=1e-5)


def test_bad_inputs_raise() -> None:
    model = _tiny()
    with pytest.raises(ValueError, match="eval mode"):
        gradcam(build_model("resnet8"), _image(), [0])
    with pytest.raises(ValueError, match=r"one float image.*\(2, 3, 32, 32\)"):
        gradcam(model, torch.zeros(2, 3, 32, 32), [0])
    with pytest.raises(ValueError, match=r"one float image.*torch.uint8"):
        gradcam(model, torch.zeros(1, 3, 32, 32, dtype=torch.uint8), [0])
    with pytest.raises(ValueError, match=r"classes must lie in \[0, 10\), got \[10\]"):
        gradcam(model, _image(), [1, 10])
    with pytest.raises(ValueError, match="non-empty sequence of ints"):
        gradcam(model, _image(), [])
    with pytest.raises(ValueError, match="a class must be an int, got 1.5"):
        gradcam(model, _image(), [1, 1.5])
    with pytest.raises(ValueError, match="a class must be an int, got True"):
        gradcam(model, _image(), [True])


# ----------------------------------------------------------------------------------- mass_inside
def test_mass_inside_hand_cases() -> None:
    uniform = np.ones((4, 4))
    assert mass_inside(uniform, Box(0, 2, 0, 2)) == 0.25
    assert mass_inside(uniform, Box(0, 4, 0, 4)) == 1.0
    assert mass_inside(uniform, Box(1, 1, 0, 4)) == 0.0  # empty box
    peak = np.zeros((4, 4))
    peak[3, 3] = 5.0
    assert mass_inside(peak, Box(2, 4, 2, 4)) == 1.0
    assert mass_inside(peak, Box(0, 3, 0, 4)) == 0.0  # half-open: row 3 is outside
    ramp = np.arange(4.0)[None].repeat(2, 0)  # columns 0, 1, 2, 3: total 12
    assert mass_inside(ramp, Box(0, 2, 2, 4)) == pytest.approx(10 / 12)
    assert math.isnan(mass_inside(np.zeros((4, 4)), Box(0, 2, 0, 2)))


def test_mass_inside_rejects_bad_maps_and_boxes() -> None:
    with pytest.raises(ValueError, match=r"does not fit a map of shape \(4, 4\)"):
        mass_inside(np.ones((4, 4)), Box(0, 5, 0, 2))
    with pytest.raises(ValueError, match="non-negative"):
        mass_inside(-np.ones((4, 4)), Box(0, 2, 0, 2))
    with pytest.raises(ValueError, match=r"2-D.*\(1, 4, 4\)"):
        mass_inside(np.ones((1, 4, 4)), Box(0, 2, 0, 2))


# --------------------------------------------------------------------------------------- overlay
def test_colormap_is_jet() -> None:
    assert colormap(np.array([[0.0, 0.5, 1.0]])).tolist() == [
        [[0, 0, 128], [128, 255, 128], [128, 0, 0]]
    ]
    assert colormap(np.array([[0.25, 0.75]])).tolist() == [[[0, 128, 255], [255, 128, 0]]]


def test_overlay_blends_without_touching_inputs() -> None:
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (6, 5, 3), dtype=np.uint8)
    cam = rng.random((6, 5))
    image_before, cam_before = image.copy(), cam.copy()
    out = overlay(image, cam, alpha=0.25)
    assert out.shape == (6, 5, 3) and out.dtype == np.uint8
    expected = np.round(0.75 * image + 0.25 * colormap(cam).astype(float)).astype(np.uint8)
    np.testing.assert_array_equal(out, expected)
    assert np.array_equal(image, image_before) and np.array_equal(cam, cam_before)
    np.testing.assert_array_equal(overlay(image, cam, alpha=0.0), image)
    np.testing.assert_array_equal(overlay(image, cam, alpha=1.0), colormap(cam))


def test_overlay_rejects_bad_inputs() -> None:
    image = np.zeros((4, 4, 3), np.uint8)
    with pytest.raises(ValueError, match=r"image's shape \(4, 4\), got \(8, 8\)"):
        overlay(image, np.zeros((8, 8)))
    with pytest.raises(ValueError, match=r"\[0, 1\].*range \[2, 2\]"):
        overlay(image, np.full((4, 4), 2.0))
    with pytest.raises(ValueError, match="HWC uint8"):
        overlay(image.astype(float), np.zeros((4, 4)))
    with pytest.raises(ValueError, match=r"alpha must be in \[0, 1\], got 1.5"):
        overlay(image, np.zeros((4, 4)), alpha=1.5)

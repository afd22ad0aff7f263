"""Tests for cutmix_core.views.model_view: one model on A, B and their CutMix."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import torchvision

from cutmix_core.data.cifar import CLASSES
from cutmix_core.data.images import resize
from cutmix_core.data.tensors import normalize, to_nchw
from cutmix_core.mixing.pair import Box, cut_size, paste
from cutmix_core.models.checkpoints import (
    build_model,
    preprocess,
    save_checkpoint,
)
from cutmix_core.models.gradcam import gradcam, mass_inside
from cutmix_core.views.model_view import (
    LoadedModel,
    class_for,
    explain_mix,
    find_models,
    mass_text,
    predict_mix,
    sweep_split,
    to_input,
    top_k,
)


def test_find_models_orders_by_augmentation_and_skips_cardless(tmp_path: Path) -> None:
    model = build_model("resnet8")
    for name, aug in (
        ("z_cutout", "cutout"),
        ("m_mixup", "mixup"),
        ("b_cutmix", "cutmix"),
        ("x_base", "none"),
        ("a_other", "autoaugment"),
    ):
        save_checkpoint(tmp_path / f"{name}.pt", model, {"aug": aug, "test_accuracy": 0.5})
    (tmp_path / "orphan.pt").write_bytes(b"no card")
    (tmp_path / "broken.pt").write_bytes(b"x")
    (tmp_path / "broken.json").write_text("{not json")
    found = find_models(tmp_path)
    assert [m.key for m in found] == ["x_base", "b_cutmix", "m_mixup", "z_cutout", "a_other"]
    assert found[0].label == "ResNet-8 · baseline" and found[1].label == "ResNet-8 · CutMix"
    assert found[0].test_accuracy == 0.5 and found[0].path == tmp_path / "x_base.pt"
    assert find_models(tmp_path / "missing") == ()


def test_explain_mix_matches_independent_predictions_and_gradcam(tiny: LoadedModel, pair) -> None:
    a, b = pair()
    box = Box(4, 20, 10, 30)
    mixed = paste(a, b, box)
    before = [x.copy() for x in (a, b, mixed)]
    ex = explain_mix(tiny, a, b, mixed, box, class_a=3, class_b=5)
    assert all(np.array_equal(x, y) for x, y in zip((a, b, mixed), before))  # inputs untouched
    for img, probs in ((a, ex.probs_a), (b, ex.probs_b), (mixed, ex.probs_mixed)):
        np.testing.assert_allclose(probs, tiny.predict(img)[0], atol=1e-6)
    assert ex.p_a == pytest.approx(tiny.predict(mixed)[0, 3], abs=1e-6)
    assert ex.p_b == pytest.approx(tiny.predict(mixed)[0, 5], abs=1e-6)
    ref = gradcam(tiny.model, preprocess(mixed), (3, 5)).upsampled  # (2, 32, 32)
    np.testing.assert_allclose(np.stack([ex.cam_a, ex.cam_b]), ref / ref.max(), atol=1e-5)
    assert max(ex.cam_a.max(), ex.cam_b.max()) == pytest.approx(1.0)  # one shared scale
    assert ex.mass_b_inside == pytest.approx(mass_inside(ref[1], box), abs=1e-5)
    assert ex.mass_a_inside == pytest.approx(mass_inside(ref[0], box), abs=1e-5)
    assert ex.lam_adjusted == pytest.approx(1 - 16 * 20 / 1024)
    assert (ex.class_a, ex.class_b, ex.input_size) == (3, 5, 32)


def test_explain_mix_defaults_to_top1_and_resizes_other_sizes(tiny: LoadedModel, pair) -> None:
    a, b = pair(64, seed=1)
    box = Box(0, 32, 0, 64)
    mixed = paste(a, b, box)
    ex = explain_mix(tiny, a, b, mixed, box)
    small = [resize(x, 32, 32) for x in (a, b, mixed)]
    np.testing.assert_allclose(ex.probs_mixed, tiny.predict(small[2])[0], atol=1e-6)
    assert ex.class_a == int(np.argmax(tiny.predict(small[0])[0]))
    assert ex.class_b == int(np.argmax(tiny.predict(small[1])[0]))
    assert ex.cam_a.shape == ex.cam_b.shape == (64, 64)  # maps back at the image's size
    assert ex.lam_adjusted == pytest.approx(0.5)
    # One bilinear step from the 8 x 8 last stage to 64 x 64 (not 8 -> 32 -> 64).
    raw = gradcam(tiny.model, preprocess(small[2]), (ex.class_a, ex.class_b)).raw  # (2, 8, 8)
    ref = torch.nn.functional.interpolate(
        torch.from_numpy(raw)[:, None], size=(64, 64), mode="bilinear", align_corners=False
    )[:, 0].numpy()
    np.testing.assert_allclose(np.stack([ex.cam_a, ex.cam_b]), ref / ref.max(), atol=1e-6)


def test_explain_mix_rejects_bad_inputs(tiny: LoadedModel, pair) -> None:
    a, b = pair()
    with pytest.raises(ValueError, match="one shape"):
        explain_mix(tiny, a, b[:16], a, Box(0, 1, 0, 1))
    with pytest.raises(ValueError, match="does not fit"):
        explain_mix(tiny, a, b, a, Box(0, 40, 0, 1))
    with pytest.raises(ValueError, match=r"class_b must be an int in \[0, 9\], got 10"):
        explain_mix(tiny, a, b, a, Box(0, 1, 0, 1), class_a=0, class_b=10)


def test_predict_mix_is_explain_mix_without_grad_cam(tiny: LoadedModel, pair) -> None:
    a, b = pair(48, seed=3)
    box = Box(8, 40, 0, 24)
    mixed = paste(a, b, box)
    for classes in ((3, 5), (None, None)):
        ex = explain_mix(tiny, a, b, mixed, box, class_a=classes[0], class_b=classes[1])
        pm = predict_mix(tiny, a, b, mixed, class_a=classes[0], class_b=classes[1])
        assert (pm.class_a, pm.class_b, pm.classes) == (ex.class_a, ex.class_b, ex.classes)
        for got, want in (
            (pm.probs_a, ex.probs_a),
            (pm.probs_b, ex.probs_b),
            (pm.probs_mixed, ex.probs_mixed),
        ):
            np.testing.assert_array_equal(got, want)
        assert (pm.p_a, pm.p_b) == (ex.p_a, ex.p_b)
        assert pm.top1 == CLASSES[int(np.argmax(tiny.predict(resize(mixed, 32, 32))[0]))]
    with pytest.raises(ValueError, match="one shape"):
        predict_mix(tiny, a, b[:16], a)
    with pytest.raises(ValueError, match=r"class_a must be an int in \[0, 9\], got -1"):
        predict_mix(tiny, a, b, a, class_a=-1)


def test_both_in_top2(tiny: LoadedModel, pair) -> None:
    a, b = pair(seed=2)
    ex = explain_mix(tiny, a, b, a, Box(0, 8, 0, 8))
    top2 = set(np.argsort(-ex.probs_mixed)[:2].tolist())
    ca, cb = sorted(top2)
    assert explain_mix(tiny, a, b, a, Box(0, 8, 0, 8), class_a=ca, class_b=cb).both_in_top2
    other = next(c for c in range(10) if c not in top2)
    assert not explain_mix(tiny, a, b, a, Box(0, 8, 0, 8), class_a=ca, class_b=other).both_in_top2
    assert not explain_mix(tiny, a, b, a, Box(0, 8, 0, 8), class_a=ca, class_b=ca).both_in_top2


def test_imagenet_style_model_uses_its_own_size_and_normalisation(pair) -> None:
    model = torchvision.models.resnet18(num_classes=4).eval().requires_grad_(False)
    mean, std = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
    fake = LoadedModel(
        model,
        {},
        "r18",
        ("w", "x", "y", "z"),
        preprocess=lambda im: None,
        input_size=64,
        normalize=lambda im: normalize(to_nchw(im), mean, std),
    )
    a, b = pair(48, seed=3)
    box = Box(10, 30, 5, 25)
    ex = explain_mix(fake, a, b, paste(a, b, box), box, class_a=1, class_b=2)
    x = to_input(fake, [paste(a, b, box)])
    assert x.shape == (1, 3, 64, 64)
    with torch.no_grad():
        np.testing.assert_allclose(ex.probs_mixed, model(x).softmax(1)[0].numpy(), atol=1e-6)
    assert ex.cam_a.shape == (48, 48) and ex.input_size == 64


def test_class_for() -> None:
    assert class_for(3, "cat", CLASSES) == 3
    assert class_for(None, " Dog ", CLASSES) == CLASSES.index("dog")
    assert class_for(None, "my cat Felix", CLASSES) is None
    imagenet = ("tench", "goldfish", "dog")
    assert class_for(3, "cat", imagenet) is None  # a CIFAR label means nothing to ImageNet
    assert class_for(None, "goldfish", imagenet) == 1


def test_top_k() -> None:
    probs = np.array([0.1, 0.5, 0.1, 0.3])
    assert top_k(probs, "abcd", 3) == (("b", 0.5), ("d", 0.3), ("a", 0.1))
    with pytest.raises(ValueError, match="one value per class"):
        top_k(probs, "abc")


def test_sweep_split_grows_the_box_from_nothing_to_everything(tiny: LoadedModel, pair) -> None:
    a, b = pair(seed=6)
    sweep = sweep_split(tiny, a, b, Box(0, 6, 26, 32), 3, 5, steps=5)  # a corner centre
    assert sweep.t[0] == 0.0 and sweep.t[-1] == 1.0
    assert np.all(np.diff(sweep.t) > 0)
    # The ends are A alone and B alone.
    np.testing.assert_allclose(sweep.p_a[0], tiny.predict(a)[0, 3], atol=1e-6)
    np.testing.assert_allclose(sweep.p_b[-1], tiny.predict(b)[0, 5], atol=1e-6)
    # A middle step is CutMix's cut for that lambda, shifted inside the image, pasted.
    cut_h, cut_w = cut_size(32, 32, 0.5)
    mid = paste(a, b, Box(0, cut_h, 32 - cut_w, 32))
    assert sweep.t[2] == pytest.approx(cut_h * cut_w / 1024)
    np.testing.assert_allclose(sweep.p_b[2], tiny.predict(mid)[0, 5], atol=1e-6)
    with pytest.raises(ValueError, match="steps must be"):
        sweep_split(tiny, a, b, Box(0, 1, 0, 1), 0, 1, steps=1)


def test_mass_text_words_a_share_and_an_all_zero_map() -> None:
    assert mass_text(0.374) == "37% of it in the box"
    assert mass_text(1.0) == "100% of it in the box"
    assert mass_text(float("nan")) == "an all-zero map (no positive evidence)"

"""Tests for cutmix_core.views.occlusion_view: fills, patches, and the occlusion sensitivity map
against a direct loop that hides one patch at a time."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from cutmix_core import Box
from cutmix_core.models.checkpoints import build_model, load_checkpoint, save_checkpoint
from cutmix_core.views.model_view import LoadedModel, to_input
from cutmix_core.views.occlusion_view import (
    FILLS,
    fill_image,
    occlude,
    occlusion_line,
    occlusion_map,
    patch_boxes,
    sensitivity_caption,
)


def _image(seed: int = 0, side: int = 32) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (side, side, 3), dtype=np.uint8)


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> LoadedModel:
    path = tmp_path_factory.mktemp("m") / "resnet8_none.pt"
    save_checkpoint(path, build_model("resnet8", generator=torch.Generator().manual_seed(2)), {})
    return load_checkpoint(path)


def test_fills() -> None:
    img, other = _image(1, 8), _image(2, 8)
    assert (fill_image(img, "grey") == 128).all() and (fill_image(img, "black") == 0).all()
    mean = fill_image(img, "mean")
    assert mean.shape == img.shape and (mean == np.rint(img.mean((0, 1))).astype(np.uint8)).all()
    assert np.array_equal(fill_image(img, "noise", seed=3), fill_image(img, "noise", seed=3))
    assert not np.array_equal(fill_image(img, "noise", seed=3), fill_image(img, "noise", seed=4))
    assert np.array_equal(fill_image(img, "image", other=other), other)
    with pytest.raises(ValueError, match="needs another image"):
        fill_image(img, "image")
    with pytest.raises(ValueError, match="fill"):
        fill_image(img, "blur")
    assert set(FILLS) == {"grey", "black", "mean", "noise", "image"}


def test_occlude_replaces_exactly_the_box_and_keeps_the_input() -> None:
    img, other = _image(1, 10), _image(2, 10)
    keep = img.copy()
    out = occlude(img, Box(2, 5, 3, 9), other)
    inside = np.zeros((10, 10), bool)
    inside[2:5, 3:9] = True
    assert np.array_equal(out[inside], other[inside]) and np.array_equal(out[~inside], img[~inside])
    assert np.array_equal(img, keep)
    with pytest.raises(ValueError, match="does not fit"):
        occlude(img, Box(0, 11, 0, 2), other)


def test_patches_cover_every_pixel_and_end_at_the_border() -> None:
    boxes = patch_boxes(10, 7, 4, 3)  # rows start 0, 3, 6; columns 0, 3 (flush)
    assert [(b.y0, b.x0) for b in boxes] == [(0, 0), (0, 3), (3, 0), (3, 3), (6, 0), (6, 3)]
    assert all(b.height == b.width == 4 for b in boxes)
    cover = np.zeros((10, 7), int)
    for b in boxes:
        cover[b.y0 : b.y1, b.x0 : b.x1] += 1
    assert (cover > 0).all()
    assert len(patch_boxes(32, 32, 8, 8)) == 16 and len(patch_boxes(32, 32, 32, 5)) == 1
    with pytest.raises(ValueError, match="patch"):
        patch_boxes(8, 8, 9, 1)


@pytest.mark.parametrize(
    ("fill", "patch", "stride"), [("grey", 8, 6), ("noise", 12, 10), ("image", 16, 16)]
)
def test_the_map_equals_hiding_one_patch_at_a_time(loaded, fill, patch, stride) -> None:
    img, other = _image(5), _image(6)
    keep = img.copy()
    got = occlusion_map(loaded, img, 3, patch=patch, stride=stride, fill=fill, other=other, seed=9)
    source = fill_image(img, fill, other=other, seed=9)
    clean = float(loaded.predict_input(to_input(loaded, [img]))[0, 3])
    total, count = np.zeros((32, 32)), np.zeros((32, 32))
    for k, box in enumerate(patch_boxes(32, 32, patch, stride)):
        p = float(loaded.predict_input(to_input(loaded, [occlude(img, box, source)]))[0, 3])
        assert got.p_occluded[k] == pytest.approx(p, abs=1e-5)
        total[box.y0 : box.y1, box.x0 : box.x1] += clean - p
        count[box.y0 : box.y1, box.x0 : box.x1] += 1
    assert got.p_clean == pytest.approx(clean, abs=1e-6) and got.label == 3
    np.testing.assert_allclose(got.drop, total / count, atol=1e-5)
    assert np.array_equal(img, keep)
    small_batches = occlusion_map(
        loaded, img, 3, patch=patch, stride=stride, fill=fill, other=other, seed=9, batch_size=7
    )
    np.testing.assert_allclose(small_batches.drop, got.drop, atol=1e-6)
    norm = got.normalized()
    assert norm.max() == pytest.approx(1.0) if got.drop.max() > 0 else not norm.any()
    assert norm.min() >= 0


def test_a_larger_image_is_measured_at_the_models_input_size(loaded) -> None:
    got = occlusion_map(loaded, _image(1, 96), 0, patch=8, stride=8)
    assert got.drop.shape == (32, 32) and len(got.boxes) == 16


def test_sentences_name_the_numbers(loaded) -> None:
    line = occlusion_line("AirNet · CutMix", "cat", 0.912, 0.418, "dog")
    assert line == "AirNet · CutMix: p(cat) **0.91 → 0.42** with the region hidden; top-1 dog"
    result = occlusion_map(loaded, _image(2), 1, patch=8, stride=4)
    caption = sensitivity_caption("car", result)
    assert "p(car)" in caption and "8-px patch" in caption
    assert (
        f"up to {float(result.drop.max()):.2f}" in caption
        and f"p = {result.p_clean:.2f}" in caption
    )

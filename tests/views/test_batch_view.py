"""cutmix_core.views.batch_view: the compare page's three methods and the batch page's views.

The HWC <-> NCHW conversion the batch page uses is ``cutmix_core.data.tensors``, tested in
tests/data/test_tensors.py.

Images are tiny random uint8 arrays from seeded generators; expected values are computed
independently (numpy formulas, hand-built one-hots) rather than with the function under test.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from cutmix_core.data.cifar import CLASSES
from cutmix_core.data.images import draw_box, upscale_nearest
from cutmix_core.data.tensors import to_nchw
from cutmix_core.mixing.batch import cutmix_batch
from cutmix_core.mixing.pair import Box, cutmix
from cutmix_core.views.batch_view import (
    CUTOUT_FILLS,
    BatchSummary,
    Comparison,
    batch_grid,
    cell_caption,
    compare_three,
    seeded_subset,
    summarize,
    target_heatmap_figure,
    top_weights,
)
from cutmix_core.views.figures import BOX_RGB

NAMES = ("cat", "dog", "ship")


def _images(n: int, h: int = 8, w: int = 8, *, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (n, h, w, 3), dtype=np.uint8)


def _onehot(y: int, c: int) -> np.ndarray:
    out = np.zeros(c)
    out[y] = 1.0
    return out


# --------------------------------------------------------------------------- seeded_subset
def test_seeded_subset_is_distinct_in_range_and_seeded() -> None:
    pos = seeded_subset(100, 16, rng=np.random.default_rng(3))
    assert pos.dtype == np.int64 and pos.shape == (16,)
    assert len(set(pos.tolist())) == 16 and pos.min() >= 0 and pos.max() < 100
    assert np.array_equal(pos, seeded_subset(100, 16, rng=np.random.default_rng(3)))
    assert not np.array_equal(pos, seeded_subset(100, 16, rng=np.random.default_rng(4)))
    assert sorted(seeded_subset(8, 8, rng=np.random.default_rng(0)).tolist()) == list(range(8))


@pytest.mark.parametrize("size", [0, 101, -1])
def test_seeded_subset_rejects_bad_sizes(size: int) -> None:
    with pytest.raises(ValueError, match=rf"size must be in \[1, n_total=100\], got {size}"):
        seeded_subset(100, size, rng=np.random.default_rng(0))


# --------------------------------------------------------------------------- compare_three
@pytest.fixture
def pair() -> tuple[np.ndarray, np.ndarray]:
    a, b = _images(2, 8, 10, seed=1)
    return a, b


def test_compare_three_mixup_blends_and_mixes_the_label_by_lambda(pair) -> None:
    a, b = pair
    lam = 0.3
    cmp = compare_three(a, b, lam, Box(1, 5, 2, 8), y_a=0, y_b=2, class_names=NAMES)
    expected = np.rint(lam * a.astype(float) + (1 - lam) * b.astype(float)).astype(np.uint8)
    assert isinstance(cmp, Comparison) and cmp.mixup.name == "Mixup"
    assert np.array_equal(cmp.mixup.result.image, expected)
    assert np.allclose(cmp.mixup.target, lam * _onehot(0, 3) + (1 - lam) * _onehot(2, 3))
    assert "0.300 · cat + 0.700 · ship" in cmp.mixup.label_text


@pytest.mark.parametrize("fill", ["grey", "black"])
def test_compare_three_cutout_fills_exactly_the_box_and_keeps_the_label(pair, fill) -> None:
    a, b = pair
    box = Box(1, 5, 2, 8)
    cmp = compare_three(a, b, 0.6, box, y_a=1, y_b=2, class_names=NAMES, fill=CUTOUT_FILLS[fill])
    img = cmp.cutout.result.image
    inside = np.zeros(a.shape[:2], bool)
    inside[1:5, 2:8] = True
    assert np.all(img[inside] == np.array(CUTOUT_FILLS[fill], np.uint8))
    assert np.array_equal(img[~inside], a[~inside])
    assert np.array_equal(cmp.cutout.target, _onehot(1, 3))
    assert cmp.cutout.result.lam_adjusted == 1.0 and cmp.cutout.result.box == box
    assert "1.000 · dog, unchanged" in cmp.cutout.label_text and "30.0%" in cmp.cutout.label_text


def test_compare_three_cutmix_is_mixing_cutmix_with_that_box(pair) -> None:
    a, b = pair
    box = Box(0, 4, 5, 10)  # 20 of 80 pixels: lam_adjusted = 0.75
    cmp = compare_three(a, b, 0.6, box, y_a=0, y_b=1, class_names=NAMES)
    ref = cutmix(a, b, lam=0.6, box=box)
    assert np.array_equal(cmp.cutmix.result.image, ref.image)
    assert cmp.cutmix.result.box == box
    assert cmp.cutmix.result.lam == 0.6 and cmp.cutmix.result.lam_adjusted == 0.75
    assert np.allclose(cmp.cutmix.target, [0.75, 0.25, 0.0])
    assert "0.750 · cat + 0.250 · dog" in cmp.cutmix.label_text and "20/80" in cmp.cutmix.label_text
    assert [m.name for m in cmp.methods] == ["Mixup", "Cutout", "CutMix"]
    # A's weight in each label: the blend weight, 1 (B absent), the pixel share.
    assert [m.weight_a for m in cmp.methods] == [0.6, 1.0, 0.75]
    assert all(m.target[0] == pytest.approx(m.weight_a) for m in cmp.methods)


def test_compare_three_leaves_inputs_unchanged_and_same_class_gives_one_class(pair) -> None:
    a, b = pair
    a0, b0 = a.copy(), b.copy()
    cmp = compare_three(a, b, 0.5, Box(0, 8, 0, 5), y_a=2, y_b=2, class_names=NAMES)
    assert np.array_equal(a, a0) and np.array_equal(b, b0)
    for view in cmp.methods:
        assert np.allclose(view.target, _onehot(2, 3))
        assert not np.shares_memory(view.result.image, a)


def test_compare_three_rejects_bad_inputs(pair) -> None:
    a, b = pair
    with pytest.raises(ValueError, match=r"y_a and y_b must be in \[0, 3\), got 0 and 3"):
        compare_three(a, b, 0.5, Box(0, 1, 0, 1), y_a=0, y_b=3, class_names=NAMES)
    with pytest.raises(ValueError, match=r"fill must be three ints in 0..255, got \(300, 0, 0\)"):
        compare_three(a, b, 0.5, Box(0, 1, 0, 1), y_a=0, y_b=1, class_names=NAMES, fill=(300, 0, 0))
    with pytest.raises(ValueError, match=r"fill must be three ints in 0..255, got 128"):
        compare_three(a, b, 0.5, Box(0, 1, 0, 1), y_a=0, y_b=1, class_names=NAMES, fill=128)
    with pytest.raises(ValueError, match="lambda must be in"):
        compare_three(a, b, 1.5, Box(0, 1, 0, 1), y_a=0, y_b=1, class_names=NAMES)
    with pytest.raises(ValueError, match="does not fit"):
        compare_three(a, b, 0.5, Box(0, 9, 0, 1), y_a=0, y_b=1, class_names=NAMES)
    with pytest.raises(ValueError, match="HWC uint8"):
        compare_three(
            a.astype(np.float32), b, 0.5, Box(0, 1, 0, 1), y_a=0, y_b=1, class_names=NAMES
        )


# --------------------------------------------------------------------------- batch views
def _batch(n: int = 6, **kwargs):
    hwc = _images(n, 8, 8, seed=5)
    y = torch.tensor([i % 10 for i in range(n)])
    res = cutmix_batch(to_nchw(hwc), y, 10, generator=torch.Generator().manual_seed(2), **kwargs)
    return hwc, y, res


def test_batch_grid_cell_i_is_draw_box_of_mixed_image_i() -> None:
    hwc, _, res = _batch(mode="elem", pairing="permutation", prob=0.6)
    before = res.images.clone()
    cells = batch_grid(res, scale=3)
    mixed = res.images.permute(0, 2, 3, 1).numpy()
    assert len(cells) == 6 and not bool(res.applied.all()) and bool(res.applied.any())
    for i, cell in enumerate(cells):
        box = res.boxes[i]
        assert np.array_equal(cell, draw_box(mixed[i], box, color=BOX_RGB, thickness=1, scale=3))
        if not bool(res.applied[i]):
            assert np.array_equal(cell, upscale_nearest(hwc[i], 3))  # untouched, no outline
        else:
            partner = int(res.partners[i])
            assert np.array_equal(
                mixed[i][box.y0 : box.y1, box.x0 : box.x1],
                hwc[partner][box.y0 : box.y1, box.x0 : box.x1],
            )
            assert tuple(cell[box.y0 * 3, box.x0 * 3]) == BOX_RGB
    assert torch.equal(res.images, before)


def test_summarize_counts_applied_samples_and_mean_weight() -> None:
    _, _, res = _batch(n=8, boxes=Box(0, 4, 0, 8))  # half the image: lam_adjusted 0.5
    assert summarize(res) == BatchSummary(n=8, n_applied=8, mean_lam_adjusted=0.5)
    _, _, none = _batch(n=8, prob=0.0)
    assert summarize(none) == BatchSummary(n=8, n_applied=0, mean_lam_adjusted=1.0)


def test_cell_caption_names_classes_partner_lambda_and_top_weights() -> None:
    _, y, res = _batch(n=4, boxes=Box(0, 4, 0, 8))  # roll: partner of 1 is 0
    assert cell_caption(1, res, y.tolist(), CLASSES) == (
        "#1 automobile ← airplane (#0) · λ_adj 0.5000 · airplane 0.500, automobile 0.500"
    )
    assert cell_caption(0, res, y.tolist(), CLASSES, sep=" | ") == (
        "#0 airplane ← cat (#3) | λ_adj 0.5000 | airplane 0.500, cat 0.500"
    )
    _, y, left = _batch(n=4, prob=0.0)
    assert cell_caption(2, left, y.tolist(), CLASSES) == (
        "#2 bird (not mixed) · λ_adj 1.0000 · bird 1.000"
    )
    with pytest.raises(ValueError, match=r"i must be in \[0, 4\), got 4"):
        cell_caption(4, left, y.tolist(), CLASSES)


def test_top_weights_orders_and_drops_zeros() -> None:
    assert top_weights([0.1, 0.6, 0.3], NAMES, k=2) == [("dog", 0.6), ("ship", 0.3)]
    assert top_weights([0.0, 1.0, 0.0], NAMES) == [("dog", 1.0)]
    assert top_weights([0.5, 0.0, 0.5], NAMES) == [("cat", 0.5), ("ship", 0.5)]
    with pytest.raises(ValueError, match="does not match 3 classes"):
        top_weights([1.0, 0.0], NAMES)


def test_target_heatmap_figure_shows_the_target_matrix() -> None:
    _, _, res = _batch(n=5, mode="elem", smoothing=0.1)
    rows = [f"r{i}" for i in range(5)]
    fig = target_heatmap_figure(res.targets, CLASSES, row_labels=rows)
    trace = fig.data[0]
    assert np.allclose(np.asarray(trace.z), res.targets.numpy())
    assert list(trace.x) == list(CLASSES) and list(trace.y) == rows
    assert (trace.zmin, trace.zmax) == (0.0, 1.0)
    with pytest.raises(ValueError, match=r"targets of shape \(5, 10\) do not match 3 classes"):
        target_heatmap_figure(res.targets, NAMES)
    with pytest.raises(ValueError, match="2 row labels for 5 rows"):
        target_heatmap_figure(res.targets, CLASSES, row_labels=["a", "b"])

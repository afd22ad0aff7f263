"""Tests for cutmix_core.evaluation.pairs: the pairs, their lambdas, and the statistics
recomputed by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from cutmix_core.evaluation import pairs as pr
from cutmix_core.mixing.pair import Box, box_lambda, paste
from cutmix_core.models import checkpoints as models
from cutmix_core.models.gradcam import gradcam, mass_inside
from cutmix_core.models.localize import FRACTION, localize


def test_pairs_have_two_labels_exact_lambdas_and_are_seeded(test_set) -> None:
    labels = test_set.labels.copy()
    np_state, torch_state = np.random.get_state()[1].copy(), torch.get_rng_state()
    pairs = pr.sample_pairs(test_set.labels, 50, rng=np.random.default_rng(0))
    assert len(pairs) == 50 and (pairs.label_a != pairs.label_b).all()
    assert (test_set.labels[pairs.index_a] == pairs.label_a).all()
    assert (test_set.labels[pairs.index_b] == pairs.label_b).all()
    assert pairs.lams_adjusted.tolist() == [box_lambda(b, 32, 32) for b in pairs.boxes]
    assert len({b.area for b in pairs.boxes}) > 10  # boxes of many sizes (lam ~ Beta(1, 1))
    again = pr.sample_pairs(test_set.labels, 20, rng=np.random.default_rng(0))
    assert again.boxes == pairs.boxes[:20]  # same seed: same pairs, and a prefix of more
    assert (again.index_a == pairs.index_a[:20]).all()
    assert (again.index_b == pairs.index_b[:20]).all()
    other = pr.sample_pairs(test_set.labels, 20, rng=np.random.default_rng(1))
    assert other.boxes != again.boxes
    assert (test_set.labels == labels).all()
    assert (np.random.get_state()[1] == np_state).all()  # global RNGs untouched
    assert torch.equal(torch.get_rng_state(), torch_state)


@pytest.mark.parametrize(
    ("labels", "n", "match"),
    [
        (np.zeros(5, dtype=int), 3, "at least two classes"),
        (np.arange(4), 0, r"n must be an int in \[1, inf\], got 0"),
        (np.arange(4).reshape(2, 2), 3, r"labels must be 1-D.*\(2, 2\)"),
    ],
)
def test_sample_pairs_rejects_bad_input(labels, n, match) -> None:
    with pytest.raises(ValueError, match=match):
        pr.sample_pairs(labels, n, rng=np.random.default_rng(0))


def test_pair_stats_recomputed_by_hand(loaded, test_set) -> None:
    m = loaded[1]
    boxes = (Box(0, 16, 0, 16), Box(8, 32, 4, 30), Box(10, 12, 10, 30), Box(0, 0, 0, 0))
    ia, ib = np.array([0, 1, 2, 3]), np.array([11, 12, 15, 17])
    pairs = pr.PairSet(
        ia,
        ib,
        test_set.labels[ia],
        test_set.labels[ib],
        boxes,
        np.array([0.75, 0.4, 0.98, 1.0]),
        np.array([box_lambda(b, 32, 32) for b in boxes]),
    )
    mixed = pr.mix_pairs(test_set.images, pairs)
    stats = pr.pair_stats(m, mixed, pairs)
    t = np.array([b.area / 1024 for b in boxes])
    p_a, p_b, both, shares_b, shares_a, ious = [], [], [], [], [], []
    for i, box in enumerate(boxes):
        a, b = test_set.images[ia[i]], test_set.images[ib[i]]
        probs = m.predict(paste(a, b, box))[0]
        la, lb = int(test_set.labels[ia[i]]), int(test_set.labels[ib[i]])
        p_a.append(probs[la])
        p_b.append(probs[lb])
        both.append(set(np.argsort(-probs)[:2]) == {la, lb})
        if box.area:
            cam = gradcam(m.model, models.preprocess(paste(a, b, box)), (la, lb)).upsampled
            shares_a.append(1 - mass_inside(cam[0], box))
            shares_b.append(mass_inside(cam[1], box))
            ious.append(localize(cam[1], box, FRACTION).iou)
    p_b = np.array(p_b, dtype=np.float64)
    assert stats.n == 4 and stats.cam_pairs == 3  # the empty box has no inside to measure
    assert stats.mean_p_a == pytest.approx(np.mean(p_a), abs=1e-6)
    assert stats.mean_p_b == pytest.approx(p_b.mean(), abs=1e-6)
    assert stats.mae_p_b == pytest.approx(np.abs(p_b - t).mean(), abs=1e-6)
    assert stats.corr_p_b == pytest.approx(np.corrcoef(p_b, t)[0, 1], abs=1e-5)
    assert stats.both_top2 == np.mean(both)
    assert stats.cam_a_outside == pytest.approx(np.nanmean(shares_a), abs=1e-6)
    assert stats.cam_b_in_box == pytest.approx(np.nanmean(shares_b), abs=1e-6)
    assert stats.cam_skipped_b == int(np.isnan(shares_b).sum()) == int(np.isnan(ious).sum())
    found = np.array(ious)[~np.isnan(ious)]  # the localizer: over the same pairs as shares_b
    assert stats.cam_b_iou == pytest.approx(found.mean(), abs=1e-12)
    assert stats.cam_b_iou_hits == np.mean(found >= 0.5)
    assert sum(stats.curve.counts) == 4 and stats.curve.counts[0] == 2  # t = 0.02 and t = 0
    assert (mixed[3] == test_set.images[3]).all()  # an empty box leaves A as it is


def test_split_curve_bins_t_and_leaves_empty_bins_nan() -> None:
    t = np.array([0.0, 0.04, 0.1, 0.95, 1.0])
    curve = pr.split_curve(
        t, np.array([1.0, 0.0, 0.5, 0.2, 0.4]), np.array([0.1, 0.3, 0.5, 0.7, 0.9])
    )
    assert curve.centres == pytest.approx([0.05 + 0.1 * i for i in range(10)])
    assert curve.counts == (2, 1, 0, 0, 0, 0, 0, 0, 0, 2)
    assert curve.mean_p_a[0] == 0.5 and curve.mean_p_b[9] == pytest.approx(0.8)
    assert math.isnan(curve.mean_p_b[4])


def test_the_localizer_threshold_is_passed_through(loaded, test_set) -> None:
    pairs = pr.sample_pairs(test_set.labels, 8, rng=np.random.default_rng(5))
    mixed = pr.mix_pairs(test_set.images, pairs)
    m = loaded[1]
    x = m.preprocess(mixed)
    for fraction in (0.2, 0.9):
        stats = pr.pair_stats(m, mixed, pairs, fraction=fraction)
        ious = [
            localize(
                gradcam(m.model, x[i], (int(pairs.label_a[i]), int(pairs.label_b[i]))).upsampled[1],
                box,
                fraction,
            ).iou
            for i, box in enumerate(pairs.boxes)
            if box.area
        ]
        assert stats.cam_b_iou == pytest.approx(np.nanmean(ious), abs=1e-12)
    with pytest.raises(ValueError, match=r"fraction must be in \(0, 1\]"):
        pr.pair_stats(m, mixed, pairs, fraction=0.0)

"""Tests for cutmix_core.evaluation.occlusion: exact square holes and the accuracy curves."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
import torch
from evaluation.fakes import HOLES, N_PAIRS, _fake_set, _gen

from cutmix_core.evaluation import occlusion as occ
from cutmix_core.evaluation import pairs as pr
from cutmix_core.evaluation import run as er
from cutmix_core.mixing.batch import cutout_batch
from cutmix_core.mixing.pair import Box
from cutmix_core.mixing.paste import paste_boxes
from cutmix_core.models import checkpoints as models


def test_every_model_sees_the_same_pairs_and_hole_places(loaded, test_set, monkeypatch) -> None:
    pair_calls: list[tuple] = []
    place_calls: list[np.ndarray] = []
    real_pairs, real_occlusion = pr.pair_stats, occ.occlusion_curves

    def spy_pairs(model, mixed, pairs, **kw):
        pair_calls.append((model.name, mixed.copy(), pairs.boxes, pairs.index_a.copy()))
        return real_pairs(model, mixed, pairs, **kw)

    def spy_occlusion(model, test, holes, places, **kw):
        place_calls.append(places.copy())
        return real_occlusion(model, test, holes, places, **kw)

    monkeypatch.setattr(er, "pair_stats", spy_pairs)
    monkeypatch.setattr(er, "occlusion_curves", spy_occlusion)
    result = er.evaluate(loaded, test_set, seed=3, n_pairs=N_PAIRS, holes=HOLES)
    (n1, mixed1, boxes1, a1), (n2, mixed2, boxes2, a2) = pair_calls
    assert (n1, n2) == ("r8_none", "r8_cutmix")
    assert np.array_equal(mixed1, mixed2) and boxes1 == boxes2 and np.array_equal(a1, a2)
    assert np.array_equal(place_calls[0], place_calls[1])
    # the places do not depend on the number of pairs (independent streams from one seed)
    er.evaluate(loaded[:1], test_set, seed=3, n_pairs=5, holes=(0,))
    assert np.array_equal(place_calls[2], place_calls[0])
    m1, m2 = result.models
    assert m1.pairs.curve.counts == m2.pairs.curve.counts and m1.pairs.n == N_PAIRS
    assert m1.pairs != m2.pairs  # ... yet the models differ


def test_occlusion_at_hole_0_is_clean_and_8px_centre_matches_a_hand_fill(
    report, loaded, test_set
) -> None:
    for m, result in zip(loaded, report.models):
        centre, random = result.occlusion
        assert (centre.placement, random.placement) == occ.PLACEMENTS and centre.holes == HOLES
        assert centre.at(0) == random.at(0) == result.clean_accuracy
        x = models.preprocess(test_set.images).clone()  # (N, 3, 32, 32)
        x[:, :, 12:20, 12:20] = 0.0
        by_hand = (models.predict(m.model, x).argmax(1) == test_set.labels).mean()
        assert centre.at(8) == pytest.approx(by_hand, abs=1e-12)


def test_random_holes_go_where_the_places_say(loaded, test_set) -> None:
    places = np.random.default_rng(5).random((len(test_set), 2))
    curves = occ.occlusion_curves(loaded[0], test_set, (12,), places, chunk=25)  # chunks of 25
    x = models.preprocess(test_set.images).clone()  # (N, 3, 32, 32)
    for i, (u, v) in enumerate(places):
        y0, x0 = int(u * 21), int(v * 21)  # 21 = 32 - 12 + 1 positions fit
        x[i, :, y0 : y0 + 12, x0 : x0 + 12] = 0.0
    by_hand = (models.predict(loaded[0].model, x).argmax(1) == test_set.labels).mean()
    assert curves[1].placement == "random" and curves[1].accuracy == (pytest.approx(by_hand),)
    with pytest.raises(ValueError, match="places holds 3 rows for 60 images"):
        occ.occlusion_curves(loaded[0], test_set, (12,), places[:3])


def test_hole_boxes_are_exact_squares_inside_the_image() -> None:
    places = np.random.default_rng(0).random((400, 2))
    assert occ.hole_boxes(8, "centre", places[:2]) == (Box(12, 20, 12, 20),) * 2
    assert occ.hole_boxes(5, "centre", places[:1]) == (Box(13, 18, 13, 18),)
    for side in (0, 4, 16, 32):
        boxes = occ.hole_boxes(side, "random", places)
        assert all(b.area == side * side and b.fits(32, 32) for b in boxes)
    corners = {(b.y0, b.x0) for b in occ.hole_boxes(24, "random", places)}
    assert {y for y, _ in corners} == set(range(9))  # every position that fits is used
    with pytest.raises(ValueError, match="hole side must be an int in \\[0, 32\\], got 33"):
        occ.hole_boxes(33, "centre", places)
    with pytest.raises(ValueError, match="placement must be one of"):
        occ.hole_boxes(4, "border", places)
    with pytest.raises(ValueError, match=r"hole side must be an int in \[0, 32\], got 40"):
        er.evaluate([], _fake_set(1), holes=(4, 40))


def test_a_filled_hole_is_the_training_mean_colour_and_the_input_is_kept() -> None:
    images = _fake_set(1).images[:3]
    x = models.preprocess(images)  # (3, 3, 32, 32)
    before = x.clone()
    boxes = (Box(0, 8, 0, 8), Box(10, 26, 5, 21), Box(0, 0, 0, 0))
    out = paste_boxes(x, boxes)
    assert torch.equal(x, before)
    std, mean = (torch.tensor(v).view(3, 1, 1) for v in (models.CIFAR10_STD, models.CIFAR10_MEAN))
    for i, b in enumerate(boxes):
        hole = out[i, :, b.y0 : b.y1, b.x0 : b.x1] * std + mean  # back to pixel / 255
        assert torch.allclose(hole, mean.expand_as(hole), atol=1e-7)
        keep = torch.ones(32, 32, dtype=torch.bool)
        keep[b.y0 : b.y1, b.x0 : b.x1] = False
        assert torch.equal(out[i][:, keep], x[i][:, keep])
    # the docstring's claim: Cutout in training fills normalised images with 0 as well
    assert inspect.signature(cutout_batch).parameters["fill"].default == 0.0
    cut = cutout_batch(x, torch.zeros(3, dtype=torch.long), 10, 8, generator=_gen(0))
    assert all(
        (cut.images[i, :, b.y0 : b.y1, b.x0 : b.x1] == 0).all() for i, b in enumerate(cut.boxes)
    )

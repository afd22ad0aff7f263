"""Tests for cutmix_core.mixing.rule: the one CutMix box rule, vectorised, and its draw order.

The reference for every vectorised box is ``_reference_box`` below: the scalar rule on Python
ints that the single-pair op used before the rule was vectorised (``int(h * math.sqrt(1 - lam))``,
then ``min(max(c -+ cut // 2, 0), side)``), kept here as an independent implementation.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cutmix_core.box import Box
from cutmix_core.mixing.pair import box_from_center
from cutmix_core.mixing.rule import (
    _draw_corners,
    area_lambda,
    area_lambdas,
    boxes_from_centers,
    check_alpha,
    check_lambda,
    clip_boxes,
    cut_sizes,
    draw_one_box,
    sample_boxes,
    sample_centres,
    sample_cutmix_boxes,
    sample_lambdas,
)

PROPERTY = settings(max_examples=150, deadline=None)


def rng(seed=0):
    return np.random.default_rng(seed)


def _twin_rngs(seed: int, before: int) -> tuple[np.random.Generator, np.random.Generator]:
    """Two generators in one state, after ``before`` scalar draws: so that a generator may hold
    half a 64-bit word when the draws under test start."""
    g1, g2 = rng(seed), rng(seed)
    for g in (g1, g2):
        g.integers(7, size=before)
    return g1, g2


def _reference_cut(h: int, w: int, lam: float) -> tuple[int, int]:
    ratio = math.sqrt(1.0 - lam)
    return int(h * ratio), int(w * ratio)


def _reference_clip(h, w, cut_h, cut_w, cy, cx) -> tuple[int, int, int, int]:
    return (
        min(max(cy - cut_h // 2, 0), h),
        min(max(cy + cut_h // 2, 0), h),
        min(max(cx - cut_w // 2, 0), w),
        min(max(cx + cut_w // 2, 0), w),
    )


def _reference_box(h, w, lam, cy, cx) -> tuple[int, int, int, int]:
    return _reference_clip(h, w, *_reference_cut(h, w, lam), cy, cx)


def _rows(boxes) -> list[tuple[int, int, int, int]]:
    return [tuple(row) for row in boxes.corners.tolist()]


# ------------------------------------------------------------------------------ exact boxes
# h = w = 32 and lam = 0.75: cut = int(32 * 0.5) = 16, half = 8.
# lam_odd gives cut = int(32 * 15.5 / 32) = 15, half = 7: the box is 14 wide before clipping.
LAM_ODD = 1 - (15.5 / 32) ** 2


@pytest.mark.parametrize(
    "h, w, lam, cy, cx, box, lam_adj, clipped",
    [
        (32, 32, 0.75, 16, 16, (8, 24, 8, 24), 1 - 256 / 1024, False),
        (32, 32, 0.75, 0, 0, (0, 8, 0, 8), 1 - 64 / 1024, True),
        (32, 32, 0.75, 31, 16, (23, 32, 8, 24), 1 - 144 / 1024, True),
        (32, 32, LAM_ODD, 16, 16, (9, 23, 9, 23), 1 - 196 / 1024, False),
        (32, 32, LAM_ODD, 7, 16, (0, 14, 9, 23), 1 - 196 / 1024, False),  # touches the top edge
        (32, 32, LAM_ODD, 6, 16, (0, 13, 9, 23), 1 - 182 / 1024, True),  # one row over it
        (32, 32, LAM_ODD, 25, 16, (18, 32, 9, 23), 1 - 196 / 1024, False),  # touches the bottom
        (32, 32, LAM_ODD, 26, 16, (19, 32, 9, 23), 1 - 182 / 1024, True),
        (20, 40, 0.75, 0, 39, (0, 5, 29, 40), 1 - 55 / 800, True),  # 10 x 20 cut, corner
        (32, 32, 1.0, 5, 5, (5, 5, 5, 5), 1.0, False),  # empty box
        (32, 32, 0.0, 16, 16, (0, 32, 0, 32), 0.0, False),  # the whole image
    ],
)
def test_hand_worked_boxes(h, w, lam, cy, cx, box, lam_adj, clipped):
    boxes = boxes_from_centers(h, w, np.array([lam]), np.array([cy]), np.array([cx]))
    assert (boxes.y0[0], boxes.y1[0], boxes.x0[0], boxes.x1[0]) == box
    assert boxes.lam_adjusted(h, w)[0] == lam_adj
    assert boxes.clipped[0] == clipped


def test_the_table_in_one_call_gives_the_same_boxes():
    # All 32 x 32 rows of the table at once: the vectorised rule keeps the boxes apart.
    rows = [(0.75, 16, 16), (0.75, 0, 0), (0.75, 31, 16), (LAM_ODD, 6, 16), (1.0, 5, 5)]
    lams, cy, cx = (np.array(col) for col in zip(*rows))
    boxes = boxes_from_centers(32, 32, lams, cy, cx)
    assert _rows(boxes) == [
        (8, 24, 8, 24),
        (0, 8, 0, 8),
        (23, 32, 8, 24),
        (0, 13, 9, 23),
        (5, 5, 5, 5),
    ]
    assert [boxes.box(i) for i in range(len(boxes))][3] == Box(0, 13, 9, 23)


@pytest.mark.parametrize(
    "h, w, cut, cy, cx, box",
    [
        (32, 32, 16, 0, 0, (0, 8, 0, 8)),  # Cutout's 16 px hole in a corner: a quarter of it
        (32, 32, 16, 16, 16, (8, 24, 8, 24)),
        (10, 12, 5, 9, 6, (7, 10, 4, 8)),  # odd cut: 5 // 2 = 2 each side, clipped at the bottom
        (6, 6, 40, 3, 2, (0, 6, 0, 6)),  # a cut larger than the image covers all of it
        (6, 6, 0, 3, 2, (3, 3, 2, 2)),  # no cut: an empty box at the centre
    ],
)
def test_clip_boxes_with_a_fixed_cut_by_hand(h, w, cut, cy, cx, box):
    boxes = clip_boxes(h, w, [cut], [cut], [cy], [cx])
    assert _rows(boxes) == [box] == [_reference_clip(h, w, cut, cut, cy, cx)]


def test_aspect_ratio():
    lams = np.array([0.75, 0.75, 0.75, 1.0])
    boxes = boxes_from_centers(20, 40, lams, np.array([10, 0, 10, 3]), np.array([20, 39, 0, 3]))
    aspect = boxes.aspect
    assert aspect[0] == 2.0  # unclipped on a 20 x 40 image: 10 x 20, the image's shape
    assert aspect[1] == 11 / 5
    assert aspect[2] == 10 / 10
    assert np.isnan(aspect[3])  # empty


# ------------------------------------------------------------------------------ vectorised = scalar
def _lams_at_cut_edges(h):
    # lambdas where h * sqrt(1 - lam) is (nearly) an integer, and their float neighbours: the
    # places where a vectorised int() could differ from the scalar one.
    edges = 1.0 - (np.arange(h + 1) / h) ** 2
    lams = np.concatenate([edges, np.nextafter(edges, 0.0), np.nextafter(edges, 1.0)])
    return np.clip(lams, 0.0, 1.0)


@pytest.mark.parametrize("h, w", [(32, 32), (224, 224), (17, 300), (1, 1), (2, 5), (1024, 3)])
def test_vectorised_boxes_equal_the_scalar_rule(h, w):
    g = rng(h * 1000 + w)
    lams = np.concatenate(
        [g.beta(0.3, 0.3, size=3000), _lams_at_cut_edges(max(h, w)), _lams_at_cut_edges(min(h, w))]
    )
    cy, cx = g.integers(h, size=len(lams)), g.integers(w, size=len(lams))
    boxes = boxes_from_centers(h, w, lams, cy, cx)
    expected = [_reference_box(h, w, float(lm), int(y), int(x)) for lm, y, x in zip(lams, cy, cx)]
    assert _rows(boxes) == expected
    cut_h, cut_w = cut_sizes(h, w, lams)
    assert list(zip(cut_h.tolist(), cut_w.tolist())) == [_reference_cut(h, w, lm) for lm in lams]
    np.testing.assert_array_equal(boxes.cut_h, cut_h)


@PROPERTY
@given(
    h=st.integers(1, 300),
    w=st.integers(1, 300),
    data=st.data(),
)
def test_vectorised_equals_scalar_for_random_draws(h, w, data):
    # Centres are drawn with extra weight on the borders, where boxes are clipped.
    n = data.draw(st.integers(1, 20))
    lams = data.draw(st.lists(st.floats(0.0, 1.0), min_size=n, max_size=n))
    cy = data.draw(
        st.lists(
            st.one_of(st.sampled_from([0, h - 1]), st.integers(0, h - 1)), min_size=n, max_size=n
        )
    )
    cx = data.draw(
        st.lists(
            st.one_of(st.sampled_from([0, w - 1]), st.integers(0, w - 1)), min_size=n, max_size=n
        )
    )
    boxes = boxes_from_centers(h, w, lams, cy, cx)
    expected = [_reference_box(h, w, lm, y, x) for lm, y, x in zip(lams, cy, cx)]
    assert _rows(boxes) == expected
    # the single-pair op is the same rule, one box at a time
    assert [tuple(box_from_center(h, w, *a).as_dict().values()) for a in zip(lams, cy, cx)] == (
        expected
    )
    assert np.all(boxes.area <= boxes.unclipped_area)


# ------------------------------------------------------------------------------ draw order
def _scalar_draws(h, w, alpha, n, g, lam=None):
    """The draws one at a time: n lambdas, then row and column of each box in turn."""
    lams = [float(g.beta(alpha, alpha)) if lam is None else lam for _ in range(n)]
    centres = [(int(g.integers(h)), int(g.integers(w))) for _ in range(n)]
    return lams, centres


@PROPERTY
@given(
    h=st.integers(1, 600),
    w=st.integers(1, 600),
    n=st.integers(0, 40),
    alpha=st.sampled_from([0.2, 1.0, 5.0]),
    before=st.integers(0, 3),
    seed=st.integers(0, 2**32 - 1),
)
def test_many_draws_are_the_scalar_draws_in_the_one_order(h, w, n, alpha, before, seed):
    g1, g2 = _twin_rngs(seed, before)
    lams, boxes = sample_cutmix_boxes(h, w, alpha, n, rng=g1)
    ref_lams, centres = _scalar_draws(h, w, alpha, n, g2)
    assert lams.tolist() == ref_lams
    assert list(zip(boxes.cy.tolist(), boxes.cx.tolist())) == centres
    assert _rows(boxes) == [_reference_box(h, w, lm, y, x) for lm, (y, x) in zip(ref_lams, centres)]
    assert g1.integers(2**62) == g2.integers(2**62)  # both generators end in the same state


@PROPERTY
@given(side=st.integers(1, 600), n=st.integers(0, 40), seed=st.integers(0, 2**32 - 1))
def test_square_images_draw_the_scalar_centres_too(side, n, seed):
    # A square image takes the one-bound path of rng.integers: still the scalar draws.
    lams, boxes = sample_cutmix_boxes(side, side, 1.0, n, rng=rng(seed))
    ref_lams, centres = _scalar_draws(side, side, 1.0, n, rng(seed))
    assert lams.tolist() == ref_lams
    assert list(zip(boxes.cy.tolist(), boxes.cx.tolist())) == centres


@PROPERTY
@given(
    h=st.integers(1, 600),
    w=st.integers(1, 600),
    alpha=st.sampled_from([0.05, 0.2, 1.0, 5.0]),
    lam=st.one_of(st.none(), st.floats(0.0, 1.0)),
    before=st.integers(0, 3),
    seed=st.integers(0, 2**32 - 1),
)
def test_one_box_in_scalars_is_the_arrays_draw(h, w, alpha, lam, before, seed):
    # The batch op's shared box: the same lambda, box and generator state as the arrays.
    g1, g2 = _twin_rngs(seed, before)
    lams, boxes = sample_cutmix_boxes(h, w, alpha, 1, rng=g1, lam=lam)
    one_lam, box = draw_one_box(h, w, alpha, rng=g2, lam=lam)
    assert one_lam == lams[0]
    assert [box] == _rows(boxes)
    assert all(type(v) is int for v in box)
    assert g1.integers(2**62) == g2.integers(2**62)


@PROPERTY
@given(
    h=st.integers(1, 600),
    w=st.integers(1, 600),
    alpha=st.sampled_from([0.05, 0.2, 1.0, 5.0]),
    n=st.integers(0, 40),
    lam=st.one_of(st.none(), st.floats(0.0, 1.0)),
    before=st.integers(0, 3),
    seed=st.integers(0, 2**32 - 1),
)
def test_corners_in_one_array_are_the_arrays_draw(h, w, alpha, n, lam, before, seed):
    # Elem mode's boxes: the same lambdas, boxes and generator state as sample_cutmix_boxes.
    g1, g2 = _twin_rngs(seed, before)
    lams, boxes = sample_cutmix_boxes(h, w, alpha, n, rng=g1, lam=lam)
    got_lams, corners = _draw_corners(h, w, alpha, n, g2, lam)
    assert got_lams.tolist() == lams.tolist()
    assert corners.dtype == np.int64 and corners.shape == (n, 4)
    assert [tuple(row) for row in corners.tolist()] == _rows(boxes)
    assert g1.integers(2**62) == g2.integers(2**62)


@PROPERTY
@given(
    h=st.integers(1, 4000),
    w=st.integers(1, 4000),
    data=st.data(),
)
def test_one_box_lambda_in_scalars_is_the_arrays(h, w, data):
    y0, y1 = sorted(data.draw(st.lists(st.integers(0, h), min_size=2, max_size=2)))
    x0, x1 = sorted(data.draw(st.lists(st.integers(0, w), min_size=2, max_size=2)))
    one = area_lambda(h, w, (y0, y1, x0, x1))
    assert type(one) is float
    assert one == float(area_lambdas(h, w, [(y0, y1, x0, x1)])[0])


def test_one_box_checks_its_inputs():
    for kwargs, match in (
        ({"h": 0, "w": 4, "alpha": 1.0}, "image height h"),
        ({"h": 4, "w": 4, "alpha": 0.0}, "alpha must be"),
        ({"h": 4, "w": 4, "alpha": 1.0, "lam": 1.5}, "lambda must be in"),
    ):
        with pytest.raises(ValueError, match=match):
            draw_one_box(rng=rng(), **kwargs)


def test_given_lambda_draws_only_centres():
    lams, boxes = sample_cutmix_boxes(16, 16, 1.0, 5, rng=rng(3), lam=0.4375)
    assert lams.tolist() == [0.4375] * 5
    _, centres = _scalar_draws(16, 16, 1.0, 5, rng(3), lam=0.4375)
    assert list(zip(boxes.cy.tolist(), boxes.cx.tolist())) == centres


def test_sample_boxes_draws_centres_from_rng_and_leaves_inputs_alone():
    lams = sample_lambdas(1.0, 1000, rng=rng(4))
    before = lams.copy()
    boxes = sample_boxes(32, 48, lams, rng=rng(5))
    np.testing.assert_array_equal(lams, before)
    centres = rng(5).integers((32, 48), size=(1000, 2))  # row, column, row, column, ...
    np.testing.assert_array_equal(boxes.cy, centres[:, 0])
    np.testing.assert_array_equal(boxes.cx, centres[:, 1])


def test_no_centres_draw_nothing():
    g = rng(6)
    cy, cx = sample_centres(8, 8, 0, rng=g)
    assert cy.shape == cx.shape == (0,)
    assert g.integers(2**62) == rng(6).integers(2**62)


# ------------------------------------------------------------------------------ errors
def test_bad_boxes_inputs_raise():
    one = np.array([0])
    with pytest.raises(ValueError, match="1.5"):
        boxes_from_centers(8, 8, np.array([1.5]), one, one)
    with pytest.raises(ValueError, match="got nan"):
        boxes_from_centers(8, 8, np.array([np.nan]), one, one)
    with pytest.raises(ValueError, match="cy=8"):
        boxes_from_centers(8, 8, np.array([0.5]), np.array([8]), one)
    with pytest.raises(ValueError, match="cx=-1"):
        boxes_from_centers(8, 8, np.array([0.5]), one, np.array([-1]))
    with pytest.raises(ValueError, match="shapes"):
        boxes_from_centers(8, 8, np.array([0.5, 0.5]), one, one)
    with pytest.raises(ValueError, match="1-D array of integers, got float64"):
        boxes_from_centers(8, 8, np.array([0.5]), np.array([2.5]), one)
    with pytest.raises(ValueError, match=r"1-D array, got shape \(1, 1\)"):
        cut_sizes(8, 8, np.array([[0.5]]))
    with pytest.raises(ValueError, match="cut size must be >= 0, got -1x3"):
        clip_boxes(6, 10, [-1], [3], [0], [0])
    with pytest.raises(ValueError, match="image width w must be an int in"):
        clip_boxes(6, 0, [1], [3], [0], [0])
    boxes = boxes_from_centers(8, 8, np.array([0.0]), np.array([4]), np.array([4]))
    with pytest.raises(ValueError, match="4x4"):
        boxes.lam_adjusted(4, 4)


@pytest.mark.parametrize("n", [-1, 1.5, True])
def test_bad_counts_raise(n):
    with pytest.raises(ValueError, match=rf"n must be an int.*got {n!r}"):
        sample_centres(8, 8, n, rng=rng())
    with pytest.raises(ValueError, match=rf"n must be an int.*got {n!r}"):
        sample_cutmix_boxes(8, 8, 1.0, n, rng=rng())


def test_check_alpha_returns_float():
    assert check_alpha(2) == 2.0 and isinstance(check_alpha(2), float)
    assert check_alpha(np.float32(0.5)) == 0.5


def test_check_lambda_accepts_closed_interval():
    assert check_lambda(0) == 0.0 and check_lambda(1) == 1.0 and check_lambda(0.25) == 0.25


def test_check_alpha_rejects_numeric_strings():
    """Spec: non-numbers raise. ``float("2")`` succeeds, so "2" would be accepted as alpha."""
    with pytest.raises(ValueError, match="got '2'"):
        check_alpha("2")
    with pytest.raises(ValueError, match="got True"):
        check_alpha(True)

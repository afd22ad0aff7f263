"""Tests for cutmix_core.mixing.pair: one pair, numpy HWC.

Expected boxes and lambdas are worked out by hand in the comments (the paper's box:
cut = int(side * sqrt(1 - lam)), box = [c - cut // 2, c + cut // 2) clipped to the image).
The lambdas used there make ``1 - lam`` a perfect square with an exact binary expansion
(0.25, 0.0625, 0.5625), so no hand calculation depends on a rounding accident.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cutmix_core.mixing.pair import (
    EMPTY_BOX,
    Box,
    MixResult,
    box_from_center,
    box_from_cut,
    box_lambda,
    check_alpha,
    check_lambda,
    cut_size,
    cutmix,
    cutout,
    mixup,
    paste,
    sample_box,
    sample_lambda,
    soft_label,
)

PROPERTY = settings(max_examples=150, deadline=None)


def _pair(h: int, w: int, c: int = 3, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 256, size=(h, w, c), dtype=np.uint8)
    b = rng.integers(0, 256, size=(h, w, c), dtype=np.uint8)
    return a, b


# --------------------------------------------------------------------------- alpha / lambda


@pytest.mark.parametrize(
    "alpha, match",
    [
        (0.0, r"got 0\.0"),
        (-1.5, r"got -1\.5"),
        (float("nan"), "got nan"),
        (float("inf"), "got inf"),
        (float("-inf"), "got -inf"),
        ("abc", "got 'abc'"),
        (None, "got None"),
        ([1.0], r"got \[1\.0\]"),
    ],
)
def test_bad_alpha_raises_naming_value(alpha, match):
    with pytest.raises(ValueError, match=match):
        check_alpha(alpha)
    with pytest.raises(ValueError, match=match):
        sample_lambda(alpha, rng=np.random.default_rng(0))
    a, b = _pair(4, 4)
    with pytest.raises(ValueError, match=match):
        cutmix(a, b, alpha, rng=np.random.default_rng(0))


@pytest.mark.parametrize(
    "lam, match",
    [(-0.1, r"got -0\.1"), (1.5, r"got 1\.5"), (float("nan"), "got nan"), ("x", "got 'x'")],
)
def test_bad_lambda_raises_naming_value(lam, match):
    with pytest.raises(ValueError, match=match):
        check_lambda(lam)
    with pytest.raises(ValueError, match=match):
        cut_size(8, 8, lam)


def test_sample_lambda_requires_keyword_rng():
    with pytest.raises(TypeError):
        sample_lambda(1.0)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        sample_lambda(1.0, np.random.default_rng(0))  # type: ignore[misc]


def test_sample_lambda_uses_the_passed_generator():
    draws1 = [sample_lambda(1.0, rng=np.random.default_rng(7)) for _ in range(3)]
    assert draws1[0] == draws1[1] == draws1[2]
    rng = np.random.default_rng(7)
    seq = [sample_lambda(1.0, rng=rng) for _ in range(50)]
    assert len(set(seq)) == 50  # the generator advances
    other = [sample_lambda(1.0, rng=np.random.default_rng(8)) for _ in range(1)]
    assert other[0] != seq[0]


@pytest.mark.parametrize("alpha", [0.5, 1.0, 2.0, 8.0])
def test_sample_lambda_moments_match_beta(alpha):
    # Beta(a, a): mean 1/2, variance 1 / (4 (2a + 1)).
    rng = np.random.default_rng(123)
    lams = np.array([sample_lambda(alpha, rng=rng) for _ in range(20000)])
    assert abs(lams.mean() - 0.5) < 0.01
    expected_var = 1.0 / (4.0 * (2.0 * alpha + 1.0))
    assert abs(lams.var() - expected_var) < 0.1 * expected_var


@PROPERTY
@given(
    log_alpha=st.floats(min_value=math.log(0.01), max_value=math.log(1000.0)),
    seed=st.integers(0, 2**32 - 1),
)
def test_sample_lambda_never_nan_for_alpha_001_to_1000(log_alpha, seed):
    alpha = min(max(math.exp(log_alpha), 0.01), 1000.0)
    rng = np.random.default_rng(seed)
    for _ in range(20):
        lam = sample_lambda(alpha, rng=rng)
        assert isinstance(lam, float)
        assert not math.isnan(lam)
        assert 0.0 <= lam <= 1.0


@pytest.mark.parametrize("alpha", [0.01, 1000.0])
def test_sample_lambda_extreme_alphas_in_bulk(alpha):
    rng = np.random.default_rng(0)
    lams = np.array([sample_lambda(alpha, rng=rng) for _ in range(5000)])
    assert np.isfinite(lams).all() and (lams >= 0).all() and (lams <= 1).all()
    if alpha == 1000.0:  # concentrated at 1/2 (sd = 1/sqrt(4 * 2001) ~ 0.011)
        assert abs(lams.mean() - 0.5) < 0.005
    else:  # U-shaped: almost all mass near 0 or 1
        assert np.mean((lams < 0.01) | (lams > 0.99)) > 0.9


# --------------------------------------------------------------------------- box maths


@pytest.mark.parametrize(
    "h, w, lam, expected",
    [
        (32, 32, 0.75, (16, 16)),  # sqrt(0.25) = 0.5
        (20, 40, 0.75, (10, 20)),  # height from H, width from W
        (7, 9, 0.5, (4, 6)),  # 7 * 0.7071 = 4.95 -> 4 ; 9 * 0.7071 = 6.36 -> 6
        (8, 12, 0.0, (8, 12)),  # lam 0: the whole image
        (5, 7, 1.0, (0, 0)),  # lam 1: nothing
        (16, 16, 0.4375, (12, 12)),  # sqrt(0.5625) = 0.75
        (1, 1, 0.0, (1, 1)),
    ],
)
def test_cut_size_by_hand(h, w, lam, expected):
    assert cut_size(h, w, lam) == expected


@pytest.mark.parametrize(
    "h, w, lam, cy, cx, expected",
    [
        # 32x32, lam .75: cut 16x16, half 8; centre (16,16) -> rows 8..24, cols 8..24
        (32, 32, 0.75, 16, 16, Box(8, 24, 8, 24)),
        # non-square 20x40, lam .75: cut_h = 10 (half 5), cut_w = 20 (half 10);
        # centre (10, 20) -> rows 5..15, cols 10..30. (The official code's transposed box would
        # be rows 0..20, cols 15..25.)
        (20, 40, 0.75, 10, 20, Box(5, 15, 10, 30)),
        # tall 40x20, lam .75: cut_h = 20 (half 10), cut_w = 10 (half 5); centre (20, 10)
        (40, 20, 0.75, 20, 10, Box(10, 30, 5, 15)),
        # 16x16, lam .4375: cut 12, half 6; centre (0,0): rows clip(-6)=0..6, cols 0..6
        (16, 16, 0.4375, 0, 0, Box(0, 6, 0, 6)),
        # same, bottom-right corner (15,15): rows 9..clip(21,16)=16
        (16, 16, 0.4375, 15, 15, Box(9, 16, 9, 16)),
        # lam 0 on 8x12: cut 8x12, halves 4 and 6; centre (4,6) -> the whole image
        (8, 12, 0.0, 4, 6, Box(0, 8, 0, 12)),
        # lam 0, centre at the origin: rows 0..4, cols 0..6 (clipping keeps 1/4 of the image)
        (8, 12, 0.0, 0, 0, Box(0, 4, 0, 6)),
        # lam 0, centre (7, 11): rows 3..clip(11,8)=8, cols 5..clip(17,12)=12
        (8, 12, 0.0, 7, 11, Box(3, 8, 5, 12)),
        # lam 1: cut 0 -> an empty box at the centre
        (5, 7, 1.0, 2, 3, Box(2, 2, 3, 3)),
        # odd cut: 14x14, lam .75 -> cut 7, 7 // 2 = 3; centre (7,7): rows 4..10 (6 rows, not 7)
        (14, 14, 0.75, 7, 7, Box(4, 10, 4, 10)),
        # odd, non-square: 10x18, lam .75 -> cut 5x9, halves 2 and 4; centre (5,9)
        (10, 18, 0.75, 5, 9, Box(3, 7, 5, 13)),
        # irrational ratio: 7x9, lam .5 -> cut 4x6, halves 2 and 3; centre (3,4)
        (7, 9, 0.5, 3, 4, Box(1, 5, 1, 7)),
        # 1x1 image, lam 0: cut 1x1, half 0 -> empty box (the official code's quirk)
        (1, 1, 0.0, 0, 0, Box(0, 0, 0, 0)),
    ],
)
def test_box_from_center_by_hand(h, w, lam, cy, cx, expected):
    assert box_from_center(h, w, lam, cy, cx) == expected


@pytest.mark.parametrize(
    "h, w, box, expected",
    [
        (32, 32, Box(8, 24, 8, 24), 0.75),  # 1 - 256 / 1024
        (20, 40, Box(5, 15, 10, 30), 0.75),  # 1 - 200 / 800
        (16, 16, Box(0, 6, 0, 6), 220 / 256),  # 1 - 36 / 256
        (16, 16, Box(9, 16, 9, 16), 207 / 256),  # 1 - 49 / 256
        (8, 12, Box(0, 4, 0, 6), 0.75),  # 1 - 24 / 96
        (8, 12, Box(0, 8, 0, 12), 0.0),
        (5, 7, Box(2, 2, 3, 3), 1.0),
        (14, 14, Box(4, 10, 4, 10), 160 / 196),  # 1 - 36 / 196
        (10, 18, Box(3, 7, 5, 13), 148 / 180),  # 1 - 32 / 180
    ],
)
def test_box_lambda_by_hand(h, w, box, expected):
    assert box_lambda(box, h, w) == pytest.approx(expected, abs=1e-15)


def test_box_lambda_rejects_box_outside_image():
    with pytest.raises(ValueError, match="does not fit in a 4x5 image"):
        box_lambda(Box(0, 5, 0, 2), 4, 5)
    with pytest.raises(ValueError, match="does not fit"):
        box_lambda(Box(0, 2, 0, 6), 4, 5)


@pytest.mark.parametrize(
    "cy, cx, match",
    [(-1, 0, r"cy=-1"), (8, 0, r"cy=8"), (0, 12, r"cx=12"), (0, -3, r"cx=-3")],
)
def test_box_from_center_rejects_centre_outside(cy, cx, match):
    with pytest.raises(ValueError, match=match):
        box_from_center(8, 12, 0.5, cy, cx)


def test_box_from_center_rejects_bad_lambda_and_size():
    with pytest.raises(ValueError, match=r"got 1\.2"):
        box_from_center(8, 8, 1.2, 4, 4)
    with pytest.raises(ValueError, match=r"image height h must be an int in \[1, .*\], got 0"):
        box_from_center(0, 8, 0.5, 0, 0)


def test_box_from_cut_by_hand_and_errors():
    # cut 5x3 at (0, 9) in a 6x10 image: rows clip(-2)=0..2, cols 8..clip(10)=10
    assert box_from_cut(6, 10, 5, 3, 0, 9) == Box(0, 2, 8, 10)
    with pytest.raises(ValueError, match=r"cut size must be >= 0, got -1x3"):
        box_from_cut(6, 10, -1, 3, 0, 0)


def test_sample_box_centre_uniform_over_whole_image():
    # lam = 1 gives an empty box sitting exactly on the sampled centre, so we can read it off.
    h, w = 3, 5
    rng = np.random.default_rng(2024)
    counts = np.zeros((h, w), dtype=int)
    for _ in range(3000):
        box = sample_box(h, w, 1.0, rng=rng)
        assert box.area == 0 and box.y0 == box.y1 and box.x0 == box.x1
        counts[box.y0, box.x0] += 1
    # 15 cells, expected 200 each (sd ~ 13.7): every cell, borders included, is hit evenly.
    assert counts.min() > 140 and counts.max() < 260


def test_sample_box_requires_rng_and_is_reproducible():
    with pytest.raises(TypeError):
        sample_box(8, 8, 0.5)  # type: ignore[call-arg]
    b1 = [sample_box(30, 50, 0.3, rng=np.random.default_rng(5)) for _ in range(2)]
    assert b1[0] == b1[1]


@PROPERTY
@given(
    h=st.integers(1, 512),
    w=st.integers(1, 512),
    lam=st.floats(0.0, 1.0),
    seed=st.integers(0, 2**32 - 1),
)
def test_sample_box_matches_paper_formula(h, w, lam, seed):
    box = sample_box(h, w, lam, rng=np.random.default_rng(seed))
    assert box.fits(h, w)
    # Independent formula: the box has the clipped extent of a cut centred somewhere.
    cut_h, cut_w = int(h * math.sqrt(1 - lam)), int(w * math.sqrt(1 - lam))
    assert box.height <= 2 * (cut_h // 2) and box.width <= 2 * (cut_w // 2)
    # re-derive the centre: the same draws in the same order (cy then cx)
    rng = np.random.default_rng(seed)
    cy, cx = int(rng.integers(h)), int(rng.integers(w))
    assert box == Box(
        max(cy - cut_h // 2, 0),
        min(cy + cut_h // 2, h),
        max(cx - cut_w // 2, 0),
        min(cx + cut_w // 2, w),
    )


# --------------------------------------------------------------------------- paste


def test_paste_by_hand():
    a = np.zeros((3, 4, 1), dtype=np.uint8)
    b = np.arange(12, dtype=np.uint8).reshape(3, 4, 1) + 100
    out = paste(a, b, Box(1, 3, 2, 4))
    expected = np.array([[0, 0, 0, 0], [0, 0, 106, 107], [0, 0, 110, 111]], dtype=np.uint8)[
        :, :, None
    ]
    np.testing.assert_array_equal(out, expected)
    assert out.dtype == np.uint8


def test_paste_new_array_inputs_untouched():
    a, b = _pair(6, 7)
    a0, b0 = a.tobytes(), b.tobytes()
    out = paste(a, b, Box(1, 4, 2, 6))
    assert a.tobytes() == a0 and b.tobytes() == b0
    assert not np.shares_memory(out, a) and not np.shares_memory(out, b)
    out[...] = 0  # writing the output must not reach the inputs
    assert a.tobytes() == a0 and b.tobytes() == b0


def test_paste_empty_and_full_box():
    a, b = _pair(5, 6)
    np.testing.assert_array_equal(paste(a, b, EMPTY_BOX), a)
    np.testing.assert_array_equal(paste(a, b, Box(0, 5, 0, 6)), b)
    assert not np.shares_memory(paste(a, b, EMPTY_BOX), a)


def test_paste_errors():
    a, b = _pair(4, 5)
    with pytest.raises(ValueError, match="does not fit"):
        paste(a, b, Box(0, 5, 0, 1))
    with pytest.raises(ValueError, match=r"same shape and dtype.*\(4, 5, 3\).*\(4, 6, 3\)"):
        paste(a, np.zeros((4, 6, 3), np.uint8), EMPTY_BOX)
    with pytest.raises(ValueError, match="float32"):
        paste(a, b.astype(np.float32), EMPTY_BOX)
    with pytest.raises(ValueError, match=r"a must be an HWC numpy array, got \(4, 5\)"):
        paste(a[:, :, 0], b[:, :, 0], EMPTY_BOX)
    with pytest.raises(ValueError, match="b must be an HWC numpy array, got list"):
        paste(a, [[1]], EMPTY_BOX)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="at least 1x1"):
        paste(np.zeros((0, 3, 3)), np.zeros((0, 3, 3)), EMPTY_BOX)


# --------------------------------------------------------------------------- cutmix


def test_cutmix_manual_box_without_rng():
    a = np.zeros((20, 40, 3), np.uint8)
    b = np.full((20, 40, 3), 255, np.uint8)
    res = cutmix(a, b, box=Box(5, 15, 10, 30))  # no rng: nothing is sampled
    assert isinstance(res, MixResult)
    assert res.box == Box(5, 15, 10, 30)
    assert res.lam_adjusted == 0.75  # 1 - 200 / 800
    assert res.lam == 0.75  # reported as lam_adjusted when not given
    assert int((res.image[:, :, 0] == 255).sum()) == 200


def test_cutmix_manual_box_and_lam():
    a, b = _pair(10, 10)
    res = cutmix(a, b, lam=0.3, box=Box(0, 5, 0, 10))
    assert res.lam == 0.3
    assert res.lam_adjusted == 0.5  # follows the box: 1 - 50 / 100


def test_cutmix_manual_lam_samples_box_with_rng():
    a, b = _pair(16, 16)
    with pytest.raises(ValueError, match="rng"):
        cutmix(a, b, lam=0.4375)
    res = cutmix(a, b, lam=0.4375, rng=np.random.default_rng(3))
    assert res.lam == 0.4375
    # The box is a clipped 12x12 cut (hand: 16 * 0.75 = 12): it is one of box_from_center's.
    candidates = {box_from_center(16, 16, 0.4375, cy, cx) for cy in range(16) for cx in range(16)}
    assert res.box in candidates
    assert res.lam_adjusted == 1 - res.box.area / 256


def test_cutmix_requires_rng_when_sampling():
    a, b = _pair(8, 8)
    with pytest.raises(ValueError, match="rng"):
        cutmix(a, b)


def test_cutmix_bad_manual_inputs():
    a, b = _pair(8, 8)
    with pytest.raises(ValueError, match="does not fit"):
        cutmix(a, b, box=Box(0, 9, 0, 1))
    with pytest.raises(ValueError, match=r"got 1\.5"):
        cutmix(a, b, lam=1.5, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"got -0\.5"):
        cutmix(a, b, lam=-0.5, box=Box(0, 1, 0, 1))


def test_cutmix_same_seed_same_result_different_seed_differs():
    a, b = _pair(32, 48)
    r1 = cutmix(a, b, 1.0, rng=np.random.default_rng(11))
    r2 = cutmix(a, b, 1.0, rng=np.random.default_rng(11))
    assert (r1.box, r1.lam, r1.lam_adjusted) == (r2.box, r2.lam, r2.lam_adjusted)
    np.testing.assert_array_equal(r1.image, r2.image)
    others = [cutmix(a, b, 1.0, rng=np.random.default_rng(s)) for s in range(12, 17)]
    assert any(o.lam != r1.lam for o in others)


def test_cutmix_lam_drawn_before_box_from_same_rng():
    # Sample-then-apply: cutmix = sample_lambda, then sample_box, then paste, one generator.
    a, b = _pair(24, 40)
    rng = np.random.default_rng(99)
    lam = sample_lambda(2.0, rng=rng)
    box = sample_box(24, 40, lam, rng=rng)
    res = cutmix(a, b, 2.0, rng=np.random.default_rng(99))
    assert res.lam == lam and res.box == box
    np.testing.assert_array_equal(res.image, paste(a, b, box))


@PROPERTY
@given(
    h=st.integers(1, 512),
    w=st.integers(1, 512),
    c=st.sampled_from([1, 3]),
    alpha=st.floats(0.05, 20.0),
    seed=st.integers(0, 2**32 - 1),
)
def test_cutmix_properties(h, w, c, alpha, seed):
    a = np.zeros((h, w, c), dtype=np.uint8)  # A is all 0
    b = np.ones((h, w, c), dtype=np.uint8)  # B is all 1
    res = cutmix(a, b, alpha, rng=np.random.default_rng(seed))
    box = res.box
    assert box.fits(h, w)
    assert 0.0 <= res.lam <= 1.0 and 0.0 <= res.lam_adjusted <= 1.0
    # lam_adjusted is the fraction of output pixels from A, counted.
    from_a = int((res.image[:, :, 0] == 0).sum())
    assert math.isclose(res.lam_adjusted, from_a / (h * w), rel_tol=0, abs_tol=1e-12)
    # exactly the box rectangle comes from B
    mask = np.zeros((h, w), dtype=bool)
    mask[box.y0 : box.y1, box.x0 : box.x1] = True
    np.testing.assert_array_equal(res.image[:, :, 0] == 1, mask)
    assert (res.image == res.image[:, :, :1]).all()
    # inputs unchanged, output is new memory
    assert not a.any() and (b == 1).all()
    assert not np.shares_memory(res.image, a) and not np.shares_memory(res.image, b)
    # the label: sums to 1, at most two non-zero entries
    target = soft_label(2, 5, res.lam_adjusted, 7)
    assert target.sum() == pytest.approx(1.0, abs=1e-12)
    assert np.count_nonzero(target) <= 2
    # same seed, same result
    again = cutmix(a, b, alpha, rng=np.random.default_rng(seed))
    assert (again.box, again.lam, again.lam_adjusted) == (box, res.lam, res.lam_adjusted)
    np.testing.assert_array_equal(again.image, res.image)


@PROPERTY
@given(h=st.integers(1, 64), w=st.integers(1, 64), seed=st.integers(0, 2**32 - 1))
def test_cutmix_random_images_inputs_byte_identical(h, w, seed):
    a, b = _pair(h, w, seed=seed)
    a0, b0 = a.tobytes(), b.tobytes()
    res = cutmix(a, b, rng=np.random.default_rng(seed))
    assert a.tobytes() == a0 and b.tobytes() == b0
    # each pixel is from A outside the box, from B inside
    expected = a.copy()
    bx = res.box
    expected[bx.y0 : bx.y1, bx.x0 : bx.x1] = b[bx.y0 : bx.y1, bx.x0 : bx.x1]
    np.testing.assert_array_equal(res.image, expected)


# --------------------------------------------------------------------------- mixup


def test_mixup_by_hand_uint8():
    a = np.array([[[0, 100, 255]]], dtype=np.uint8)
    b = np.array([[[200, 0, 5]]], dtype=np.uint8)
    res = mixup(a, b, 0.3)
    # 0.3*0 + 0.7*200 = 140 ; 0.3*100 + 0 = 30 ; 0.3*255 + 0.7*5 = 76.5 + 3.5 = 80
    np.testing.assert_array_equal(res.image, np.array([[[140, 30, 80]]], dtype=np.uint8))
    a = np.array([[[10]]], dtype=np.uint8)
    b = np.array([[[13]]], dtype=np.uint8)
    # 0.25*10 + 0.75*13 = 2.5 + 9.75 = 12.25 -> 12 ; 0.1*10 + 0.9*13 = 12.7 -> 13 (rounded, not cut)
    assert mixup(a, b, 0.25).image[0, 0, 0] == 12
    assert mixup(a, b, 0.1).image[0, 0, 0] == 13
    assert res.image.dtype == np.uint8
    assert (res.lam, res.lam_adjusted, res.box) == (0.3, 0.3, EMPTY_BOX)


def test_mixup_float_and_inputs_untouched():
    a, b = _pair(6, 5, seed=4)
    a, b = a.astype(np.float32) / 255, b.astype(np.float32) / 255
    a0, b0 = a.tobytes(), b.tobytes()
    res = mixup(a, b, 0.625)
    np.testing.assert_allclose(res.image, 0.625 * a + 0.375 * b, rtol=0, atol=1e-6)
    assert res.image.dtype == np.float32
    assert a.tobytes() == a0 and b.tobytes() == b0
    assert not np.shares_memory(res.image, a)


def test_mixup_uint8_matches_rounded_formula():
    a, b = _pair(20, 30, seed=8)
    lam = 0.37
    exact = lam * a.astype(np.float64) + (1 - lam) * b.astype(np.float64)
    res = mixup(a, b, lam).image.astype(np.int64)
    assert np.abs(res - exact).max() <= 0.5 + 1e-9
    assert np.array_equal(mixup(a, b, 1.0).image, a) and np.array_equal(mixup(a, b, 0.0).image, b)


def test_mixup_errors():
    a, b = _pair(4, 4)
    with pytest.raises(ValueError, match=r"got 2"):
        mixup(a, b, 2)
    with pytest.raises(ValueError, match="same shape"):
        mixup(a, b[:3], 0.5)


# --------------------------------------------------------------------------- cutout


def test_cutout_fills_box_label_unchanged():
    a, _ = _pair(10, 12)
    a0 = a.tobytes()
    res = cutout(a, Box(2, 6, 3, 9), fill=7)
    assert (res.image[2:6, 3:9] == 7).all()
    outside = np.ones((10, 12), bool)
    outside[2:6, 3:9] = False
    np.testing.assert_array_equal(res.image[outside], a[outside])
    assert res.lam_adjusted == 1.0
    assert res.lam == pytest.approx(1 - 24 / 120)  # share of A's pixels kept: 1 - 4*6/120
    assert a.tobytes() == a0 and not np.shares_memory(res.image, a)


def test_cutout_per_channel_fill_and_errors():
    a = np.zeros((4, 4, 3), np.uint8)
    res = cutout(a, Box(0, 2, 0, 2), fill=(1, 2, 3))
    np.testing.assert_array_equal(res.image[1, 1], [1, 2, 3])
    np.testing.assert_array_equal(res.image[3, 3], [0, 0, 0])
    with pytest.raises(ValueError, match="does not fit"):
        cutout(a, Box(0, 5, 0, 1))
    with pytest.raises(ValueError, match=r"HWC"):
        cutout(a[:, :, 0], Box(0, 1, 0, 1))


# --------------------------------------------------------------------------- soft_label


def test_soft_label_by_hand():
    np.testing.assert_array_equal(soft_label(1, 3, 0.75, 5), [0, 0.75, 0, 0.25, 0])
    np.testing.assert_array_equal(soft_label(0, 0, 0.3, 3), [1.0, 0, 0])
    np.testing.assert_array_equal(soft_label(2, 0, 1.0, 3), [0, 0, 1.0])
    np.testing.assert_array_equal(soft_label(2, 0, 0.0, 3), [1.0, 0, 0])
    assert soft_label(1, 3, 0.75, 5).dtype == np.float64


def test_soft_label_smoothing_by_hand():
    # C = 4, s = 0.2: off = 0.05, on = 1 - 0.2 + 0.05 = 0.85
    # lam .75, classes 1 and 2: [off, .75*on + .25*off, .75*off + .25*on, off]
    t = soft_label(1, 2, 0.75, 4, smoothing=0.2)
    np.testing.assert_allclose(t, [0.05, 0.65, 0.25, 0.05], rtol=0, atol=1e-12)
    assert t.sum() == pytest.approx(1.0, abs=1e-12)
    same = soft_label(3, 3, 0.4, 4, smoothing=0.2)
    np.testing.assert_allclose(same, [0.05, 0.05, 0.05, 0.85], rtol=0, atol=1e-12)


@PROPERTY
@given(
    c=st.integers(1, 50),
    ya=st.integers(0, 49),
    yb=st.integers(0, 49),
    lam=st.floats(0, 1),
    s=st.sampled_from([0.0, 0.1, 0.5]),
)
def test_soft_label_properties(c, ya, yb, lam, s):
    ya, yb = ya % c, yb % c
    t = soft_label(ya, yb, lam, c, smoothing=s)
    assert t.shape == (c,)
    assert t.sum() == pytest.approx(1.0, abs=1e-12)
    off, on = s / c, 1 - s + s / c
    # independent formula, built the slow way
    expected = [
        lam * (on if k == ya else off) + (1 - lam) * (on if k == yb else off) for k in range(c)
    ]
    np.testing.assert_allclose(t, expected, rtol=0, atol=1e-12)
    if s == 0:
        assert np.count_nonzero(t) <= 2


@pytest.mark.parametrize(
    "args, kwargs, match",
    [
        ((5, 0, 0.5, 5), {}, r"y_a must be an int in \[0, 4\], got 5"),
        ((0, -1, 0.5, 5), {}, r"y_b must be an int in \[0, 4\], got -1"),
        ((0, 1, 1.5, 5), {}, r"got 1\.5"),
        ((0, 1, float("nan"), 5), {}, "got nan"),
        ((0, 1, 0.5, 5), {"smoothing": 1.0}, r"smoothing must be in \[0, 1\), got 1\.0"),
        ((0, 1, 0.5, 5), {"smoothing": -0.1}, r"got -0\.1"),
        ((0, 1, 0.5, 5), {"smoothing": float("nan")}, "got nan"),
        ((0, 0, 0.5, 0), {}, r"num_classes must be an int in \[1, .*\], got 0"),
    ],
)
def test_soft_label_errors(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        soft_label(*args, **kwargs)


# --------------------------------------------------------------------------- spec gaps


def test_soft_label_rejects_non_integer_class():
    """Spec: errors for bad classes. ``int(y)`` truncates, so class 1.5 would become class 1
    silently, while the torch side rejects float labels."""
    with pytest.raises(ValueError, match="1.5"):
        soft_label(1.5, 0, 0.5, 4)
    with pytest.raises(ValueError, match="got True"):
        soft_label(0, True, 0.5, 4)

"""Tests for cutmix_core.mixing.explorer: moments against closed forms, the about-0.70 mean
of lambda adjusted, clipping, coverage. The boxes themselves are tested in test_rule.py."""

import math

import numpy as np
import pytest

from cutmix_core.mixing.explorer import (
    alpha_stats,
    beta_mean_var,
    boxes_from_centers,
    coverage,
    sample_boxes,
    sample_lambdas,
)
from cutmix_core.mixing.pair import box_from_cut, box_lambda


def rng(seed=0):
    return np.random.default_rng(seed)


# ------------------------------------------------------------------------------ closed forms
def test_beta_mean_var_closed_forms():
    assert beta_mean_var(1.0) == (0.5, 1 / 12)  # uniform on [0, 1]
    assert beta_mean_var(0.5) == (0.5, 1 / 8)  # arcsine law
    assert beta_mean_var(2) == (0.5, 1 / 20)


@pytest.mark.parametrize("alpha, seed", [(0.1, 1), (0.5, 2), (1.0, 3), (2.0, 4), (10.0, 5)])
def test_sample_moments_match_closed_forms(alpha, seed):
    n = 100_000
    lams = sample_lambdas(alpha, n, rng=rng(seed))
    mean, var = beta_mean_var(alpha)
    # Beta(a, a) has excess kurtosis -6 / (2a + 3), so Var[s^2] ~ var^2 (2 - 6 / (2a + 3)) / n.
    se_mean = math.sqrt(var / n)
    se_var = var * math.sqrt((2 - 6 / (2 * alpha + 3)) / n)
    assert abs(lams.mean() - mean) < 4 * se_mean
    assert abs(lams.var(ddof=1) - var) < 4 * se_var
    stats = alpha_stats(alpha, 32, 32, n, rng=rng(seed))
    np.testing.assert_array_equal(stats.lams, lams)  # lambdas are drawn first, same stream
    assert stats.mean_lam == pytest.approx(lams.mean())
    assert stats.var_lam == pytest.approx(lams.var(ddof=1))


def _exact_mean_lam_adjusted_uniform(h):
    # alpha = 1: 1 - lam is uniform, so P(cut = c) = ((c + 1)^2 - c^2) / h^2 on a square image;
    # average box_lambda over every centre for each cut size (an exact, independent reference).
    total = 0.0
    for c in range(h):
        p = ((c + 1) ** 2 - c**2) / h**2
        total += p * np.mean(
            [
                box_lambda(box_from_cut(h, h, c, c, cy, cx), h, h)
                for cy in range(h)
                for cx in range(h)
            ]
        )
    return total


def test_mean_lam_adjusted_is_about_070_at_alpha_1_on_32x32():
    exact = _exact_mean_lam_adjusted_uniform(32)
    assert 0.700 < exact < 0.701
    stats = alpha_stats(1.0, 32, 32, 100_000, rng=rng(7))
    # The standard error is sd / sqrt(n) ~ 0.24 / 316 < 0.001, so the sample mean lies within
    # 0.004 of the exact 0.7007, well inside the 0.68..0.72 band the page quotes as "about 0.70".
    se = math.sqrt(stats.var_lam_adjusted / stats.n)
    assert abs(stats.mean_lam_adjusted - exact) < 4 * se
    assert 0.68 < stats.mean_lam_adjusted < 0.72
    assert stats.mean_lam == pytest.approx(0.5, abs=0.005)
    # Both causes shrink the box: rounding down before clipping, clipping after.
    assert stats.mean_area < stats.mean_unclipped_area < 1 - stats.mean_lam
    assert stats.mean_area == pytest.approx(1 - stats.mean_lam_adjusted)


def test_unclipped_boxes_on_a_square_image_are_square():
    square = alpha_stats(1.0, 32, 32, 5_000, rng=rng(3))
    unclipped = ~square.boxes.clipped & (square.boxes.area > 0)
    assert np.all(square.boxes.aspect[unclipped] == 1.0)
    assert np.nanstd(square.boxes.aspect[square.boxes.clipped]) > 0.1


def test_stats_draw_lambdas_then_boxes_in_the_rule_order():
    stats = alpha_stats(0.7, 24, 40, 500, rng=rng(12))
    g = rng(12)
    lams = sample_lambdas(0.7, 500, rng=g)
    boxes = sample_boxes(24, 40, lams, rng=g)
    np.testing.assert_array_equal(stats.lams, lams)
    np.testing.assert_array_equal(stats.boxes.corners, boxes.corners)


def test_clipped_means_the_box_crosses_a_border():
    h, w = 24, 40
    stats = alpha_stats(0.5, h, w, 20_000, rng=rng(11))
    b = stats.boxes
    half_h, half_w = b.cut_h // 2, b.cut_w // 2
    crosses = (b.cy - half_h < 0) | (b.cy + half_h > h) | (b.cx - half_w < 0) | (b.cx + half_w > w)
    np.testing.assert_array_equal(b.clipped, crosses)
    assert stats.clipped_share == pytest.approx(crosses.mean())
    assert 0.2 < stats.clipped_share < 1.0


# ------------------------------------------------------------------------------ coverage
def test_coverage_equals_a_naive_loop():
    h, w = 9, 13
    boxes = sample_boxes(h, w, sample_lambdas(0.7, 300, rng=rng(2)), rng=rng(3))
    naive = np.zeros((h, w))
    for y0, y1, x0, x1 in zip(boxes.y0, boxes.y1, boxes.x0, boxes.x1):
        naive[y0:y1, x0:x1] += 1
    cov = coverage(boxes, h, w)
    np.testing.assert_allclose(cov, naive / 300, rtol=0, atol=1e-15)
    assert cov.mean() == pytest.approx(np.mean(1 - boxes.lam_adjusted(h, w)), abs=1e-12)


def test_coverage_rejects_boxes_outside_the_image():
    boxes = boxes_from_centers(8, 8, np.array([0.0]), np.array([4]), np.array([4]))
    with pytest.raises(ValueError, match="4x4"):
        coverage(boxes, 4, 4)


def test_coverage_is_highest_in_the_centre():
    stats = alpha_stats(1.0, 32, 32, 20_000, rng=rng(8))
    cov = stats.coverage
    assert cov.shape == (32, 32)
    assert cov[14:18, 14:18].mean() > 2 * cov[0, 0]
    assert cov.mean() == pytest.approx(stats.mean_area)


# ------------------------------------------------------------------------------ seeds, errors
def test_same_seed_same_result_and_other_seed_differs():
    a = alpha_stats(0.4, 30, 50, 2_000, rng=rng(9))
    b = alpha_stats(0.4, 30, 50, 2_000, rng=rng(9))
    c = alpha_stats(0.4, 30, 50, 2_000, rng=rng(10))
    for name in ("lams", "lam_adjusted", "coverage"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    np.testing.assert_array_equal(a.boxes.y0, b.boxes.y0)
    assert a.mean_lam_adjusted == b.mean_lam_adjusted
    assert not np.array_equal(a.lams, c.lams)


@pytest.mark.parametrize("alpha", [0, -1, float("nan"), float("inf"), "abc"])
def test_bad_alpha_raises(alpha):
    with pytest.raises(ValueError, match="alpha"):
        alpha_stats(alpha, 32, 32, 100, rng=rng())
    with pytest.raises(ValueError, match="alpha"):
        beta_mean_var(alpha)


@pytest.mark.parametrize("n", [-5, 2.5, True])
def test_bad_n_raises(n):
    with pytest.raises(ValueError, match=rf"n must be an int.*got {n!r}"):
        sample_lambdas(1.0, n, rng=rng())
    with pytest.raises(ValueError, match=rf"n must be an int.*got {n!r}"):
        alpha_stats(1.0, 32, 32, n, rng=rng())


def test_no_draws_for_n_0_and_no_stats_either():
    assert sample_lambdas(1.0, 0, rng=rng()).shape == (0,)
    with pytest.raises(ValueError, match=r"n must be an int in \[1, .*\], got 0"):
        alpha_stats(1.0, 32, 32, 0, rng=rng())


@pytest.mark.parametrize(
    "h, w, name",
    [
        (0, 32, "height h must be an int in .*got 0"),
        (32, -1, "width w must be an int in .*got -1"),
        (3.5, 32, "height h must be an int, got 3.5"),
    ],
)
def test_bad_size_raises(h, w, name):
    with pytest.raises(ValueError, match=name):
        alpha_stats(1.0, h, w, 100, rng=rng())

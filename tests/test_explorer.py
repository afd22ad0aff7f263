"""cutmix_core.mixing.explorer and explorer_figures: moments, exact boxes, coverage, figures."""

import math

import numpy as np
import pytest

from cutmix_core.mixing.explorer import (
    ALPHAS,
    N_CHOICES,
    N_DEFAULT,
    alpha_stats,
    beta_mean_var,
    boxes_from_centers,
    coverage,
    sample_boxes,
    sample_lambdas,
)
from cutmix_core.mixing.pair import box_from_center, box_from_cut, box_lambda, cut_size
from cutmix_core.views.explorer_figures import (
    area_figure,
    aspect_figure,
    block_mean,
    coverage_figure,
    lam_adjusted_histogram_figure,
    lambda_histogram_figure,
    lambda_scatter_figure,
)


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


def test_aspect_ratio():
    lams = np.array([0.75, 0.75, 0.75, 1.0])
    boxes = boxes_from_centers(20, 40, lams, np.array([10, 0, 10, 3]), np.array([20, 39, 0, 3]))
    aspect = boxes.aspect
    assert aspect[0] == 2.0  # unclipped on a 20 x 40 image: 10 x 20, the image's shape
    assert aspect[1] == 11 / 5
    assert aspect[2] == 10 / 10
    assert np.isnan(aspect[3])  # empty
    square = alpha_stats(1.0, 32, 32, 5_000, rng=rng(3))
    unclipped = ~square.boxes.clipped & (square.boxes.area > 0)
    assert np.all(square.boxes.aspect[unclipped] == 1.0)
    assert np.nanstd(square.boxes.aspect[square.boxes.clipped]) > 0.1


def _lams_at_cut_edges(h):
    # lambdas where h * sqrt(1 - lam) is (nearly) an integer, and their float neighbours: the
    # places where a vectorised int() could differ from the scalar one.
    edges = 1.0 - (np.arange(h + 1) / h) ** 2
    lams = np.concatenate([edges, np.nextafter(edges, 0.0), np.nextafter(edges, 1.0)])
    return np.clip(lams, 0.0, 1.0)


@pytest.mark.parametrize("h, w", [(32, 32), (224, 224), (17, 300), (1, 1), (2, 5), (1024, 3)])
def test_vectorised_boxes_equal_box_from_center(h, w):
    g = rng(h * 1000 + w)
    lams = np.concatenate(
        [g.beta(0.3, 0.3, size=3000), _lams_at_cut_edges(max(h, w)), _lams_at_cut_edges(min(h, w))]
    )
    cy, cx = g.integers(h, size=len(lams)), g.integers(w, size=len(lams))
    boxes = boxes_from_centers(h, w, lams, cy, cx)
    for i, lam in enumerate(lams):
        ref = box_from_center(h, w, float(lam), int(cy[i]), int(cx[i]))
        got = (boxes.y0[i], boxes.y1[i], boxes.x0[i], boxes.x1[i])
        assert got == (ref.y0, ref.y1, ref.x0, ref.x1), (lam, cy[i], cx[i])
        assert (boxes.cut_h[i], boxes.cut_w[i]) == cut_size(h, w, float(lam))
    # cut = (h * np.sqrt(1 - lam)).astype(int) is int(h * math.sqrt(1 - lam)) elementwise
    assert [int(h * math.sqrt(1 - lam)) for lam in lams] == list(boxes.cut_h)


def test_clipped_means_the_box_crosses_a_border():
    h, w = 24, 40
    stats = alpha_stats(0.5, h, w, 20_000, rng=rng(11))
    b = stats.boxes
    half_h, half_w = b.cut_h // 2, b.cut_w // 2
    crosses = (b.cy - half_h < 0) | (b.cy + half_h > h) | (b.cx - half_w < 0) | (b.cx + half_w > w)
    np.testing.assert_array_equal(b.clipped, crosses)
    assert stats.clipped_share == pytest.approx(crosses.mean())
    assert 0.2 < stats.clipped_share < 1.0


def test_sample_boxes_draws_centres_from_rng_and_leaves_inputs_alone():
    lams = sample_lambdas(1.0, 1000, rng=rng(4))
    before = lams.copy()
    boxes = sample_boxes(32, 48, lams, rng=rng(5))
    np.testing.assert_array_equal(lams, before)
    g = rng(5)
    np.testing.assert_array_equal(boxes.cy, g.integers(32, size=1000))
    np.testing.assert_array_equal(boxes.cx, g.integers(48, size=1000))


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


@pytest.mark.parametrize("n", [0, -5, 2.5, True])
def test_bad_n_raises(n):
    with pytest.raises(ValueError, match=f"n must be an integer >= 1, got {n!r}"):
        sample_lambdas(1.0, n, rng=rng())


@pytest.mark.parametrize("h, w, name", [(0, 32, "h=0"), (32, -1, "w=-1"), (3.5, 32, "h=3.5")])
def test_bad_size_raises(h, w, name):
    with pytest.raises(ValueError, match=name):
        alpha_stats(1.0, h, w, 100, rng=rng())


def test_bad_boxes_inputs_raise():
    one = np.array([0])
    with pytest.raises(ValueError, match="1.5"):
        boxes_from_centers(8, 8, np.array([1.5]), one, one)
    with pytest.raises(ValueError, match="cy=8"):
        boxes_from_centers(8, 8, np.array([0.5]), np.array([8]), one)
    with pytest.raises(ValueError, match="shapes"):
        boxes_from_centers(8, 8, np.array([0.5, 0.5]), one, one)
    boxes = boxes_from_centers(8, 8, np.array([0.0]), np.array([4]), np.array([4]))
    with pytest.raises(ValueError, match="4x4"):
        coverage(boxes, 4, 4)
    with pytest.raises(ValueError, match="4x4"):
        boxes.lam_adjusted(4, 4)


def test_ui_constants():
    assert ALPHAS == tuple(sorted(ALPHAS)) and 1.0 in ALPHAS
    assert N_DEFAULT in N_CHOICES and max(N_CHOICES) == 100_000


# ------------------------------------------------------------------------------ figures
def test_figures_summarise_without_shipping_raw_draws():
    one = alpha_stats(0.5, 64, 48, 20_000, rng=rng(1))
    two = alpha_stats(5.0, 64, 48, 20_000, rng=rng(1))
    hist = lambda_histogram_figure([one, two])
    bars = [t for t in hist.data if t.type == "bar"]
    assert len(bars) == 2
    for bar in bars:  # a density: the bars integrate to 1
        assert np.sum(np.asarray(bar.y) * np.asarray(bar.width)) == pytest.approx(1.0)
    assert any("Beta(5, 5)" in t.name for t in hist.data)
    adjusted = lam_adjusted_histogram_figure([one]).data
    assert adjusted[0].type == "bar" and list(adjusted[1].x) == [one.mean_lam_adjusted] * 2
    scatter = lambda_scatter_figure([one, two])
    assert [len(t.x) for t in scatter.data[1:]] == [2_000, 2_000]
    np.testing.assert_array_equal(scatter.data[1].y, one.lam_adjusted[:2_000])
    area = area_figure([one, two]).data
    assert [t.name for t in area] == [
        "after clipping, α = 0.5",
        "before clipping, α = 0.5",
        "after clipping, α = 5",
        "before clipping, α = 5",
    ]
    for after, before in (area[:2], area[2:]):  # CDFs; clipping only ever shrinks a box
        assert after.y[-1] == before.y[-1] == 1.0 and np.all(np.diff(after.y) >= 0)
        assert np.all(np.asarray(after.y) >= np.asarray(before.y))
        assert np.any(np.asarray(after.y) > np.asarray(before.y))
    aspect = aspect_figure(one)
    assert sum(np.sum(t.y) for t in aspect.data) == np.sum(one.boxes.area > 0)
    heat = coverage_figure(one).data[0]
    np.testing.assert_array_equal(heat.z, one.coverage)


def test_block_mean_limits_the_heatmap():
    values = rng().random((300, 130))
    reduced, step = block_mean(values, 128)
    assert step == 3 and reduced.shape == (100, 44)
    assert reduced[0, 0] == pytest.approx(values[:3, :3].mean())
    assert reduced[-1, -1] == pytest.approx(values[297:, 129:].mean())  # a 3 x 1 edge block
    same, one = block_mean(values[:100, :100], 128)
    assert one == 1 and same is not None and np.array_equal(same, values[:100, :100])
    stats = alpha_stats(1.0, 1024, 1024, 1_000, rng=rng())
    assert np.asarray(coverage_figure(stats).data[0].z).shape == (128, 128)

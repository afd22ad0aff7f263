"""Tests for cutmix_core.views.explorer_figures (the alpha explorer's plotly figures).

They belong in tests/views/, which another module's owner keeps; this file moves there as is.
"""

import numpy as np
import pytest

from cutmix_core.mixing.explorer import alpha_stats
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

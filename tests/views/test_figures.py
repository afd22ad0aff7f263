"""cutmix_core.views.figures: the Beta(alpha, alpha) density and the figure builders."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import chart_json

from cutmix_core.views.figures import (
    beta_density_chart,
    beta_density_figure,
    beta_pdf,
    soft_label_chart,
    soft_label_figure,
)


@pytest.mark.parametrize("alpha", [1.0, 2.0, 5.0, 20.0])
def test_beta_pdf_integrates_to_one(alpha: float) -> None:
    x = np.linspace(0, 1, 200_001)
    assert np.trapezoid(beta_pdf(x, alpha), x) == pytest.approx(1.0, abs=1e-6)


def test_beta_pdf_closed_forms() -> None:
    # Beta(1,1) is uniform; Beta(2,2) is 6x(1-x); Beta(0.5,0.5) is 1/(pi sqrt(x(1-x))).
    x = np.array([0.1, 0.5, 0.9])
    np.testing.assert_allclose(beta_pdf(x, 1.0), 1.0)
    np.testing.assert_allclose(beta_pdf(x, 2.0), 6 * x * (1 - x))
    np.testing.assert_allclose(beta_pdf(x, 0.5), 1 / (math.pi * np.sqrt(x * (1 - x))))
    with pytest.raises(ValueError, match="alpha"):
        beta_pdf(x, 0.0)


def test_beta_density_figure_marks_both_lambdas() -> None:
    fig = beta_density_figure(0.2, 0.3, 0.45)
    names = [t.name for t in fig.data]
    assert names == ["Beta(0.2, 0.2)", "λ sampled = 0.300", "λ adjusted = 0.450"]
    assert list(fig.data[2].x) == [0.45, 0.45]
    assert np.isfinite(np.asarray(fig.data[0].y)).all()  # capped for alpha < 1


def test_soft_label_figure() -> None:
    fig = soft_label_figure([0.25, 0.75, 0.0], ["a", "b", "c"], class_a=0, class_b=1)
    assert list(fig.data[0].y) == [0.25, 0.75, 0.0]
    colors = list(fig.data[0].marker.color)
    assert colors[0] != colors[1] and colors[2] not in colors[:2]
    with pytest.raises(ValueError, match="3 class names"):
        soft_label_figure([1.0], ["a", "b", "c"])


@pytest.mark.parametrize(
    ("alpha", "lam", "lam_adjusted", "points", "height"),
    [
        (1.0, 0.4, 0.42, 400, 300),
        (0.2, 0.0313, 0.9999, 400, 300),
        (np.float64(2.0), None, 0.5, 400, 300),
        (5.0, None, None, 50, 250),
        (1.0, 0.9, 0.88, 400, 300),  # the same alpha again: its curve from the cache
    ],
)
def test_the_beta_chart_shows_the_beta_figure(
    alpha: float, lam: float | None, lam_adjusted: float | None, points: int, height: int
) -> None:
    want = beta_density_figure(alpha, lam, lam_adjusted, points=points, height=height).to_json()
    for _ in range(2):  # drawn twice: the cached parts are not changed by drawing
        chart = beta_density_chart(alpha, lam, lam_adjusted, points=points, height=height)
        assert chart_json(chart) == want


@pytest.mark.parametrize(
    ("target", "names", "class_a", "class_b"),
    [
        ([0.25, 0.75, 0.0], ["a", "b", "c"], 0, 1),
        (np.array([0.6, 0.0, 0.4], np.float32), ["cat", "dog", "ship"], 2, None),
        ([1.0, 0.0], ["x", "y"], None, None),
        ([0.5, 0.5], ["x", "y"], 1, 1),
    ],
)
def test_the_soft_label_chart_shows_the_soft_label_figure(
    target: list[float], names: list[str], class_a: int | None, class_b: int | None
) -> None:
    want = soft_label_figure(target, names, class_a=class_a, class_b=class_b).to_json()
    for height in (300, 300, 260):
        chart = soft_label_chart(target, names, class_a=class_a, class_b=class_b, height=height)
        expect = (
            want
            if height == 300
            else soft_label_figure(
                target, names, class_a=class_a, class_b=class_b, height=height
            ).to_json()
        )
        assert chart_json(chart) == expect
    with pytest.raises(ValueError, match="3 class names"):
        soft_label_chart([1.0], ["a", "b", "c"])

"""cutmix_core.views.figures: the Beta(alpha, alpha) density and the figure builders."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cutmix_core.views.figures import beta_density_figure, beta_pdf, soft_label_figure


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

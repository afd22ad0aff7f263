"""Tests for cutmix_core.views.model_figures: prediction bars, Grad-CAM panels, the sweep."""

from __future__ import annotations

import numpy as np
import pytest

from cutmix_core.data.cifar import CLASSES
from cutmix_core.mixing.pair import Box
from cutmix_core.views.model_figures import cam_panel, prediction_figure, sweep_figure
from cutmix_core.views.model_view import SplitSweep


def test_prediction_figure_shows_top_k_plus_a_and_b() -> None:
    probs = np.array([0.02, 0.3, 0.01, 0.25, 0.2, 0.1, 0.05, 0.03, 0.03, 0.01])
    target = np.zeros(10)
    target[[2, 3]] = (0.6, 0.4)
    fig = prediction_figure(probs, CLASSES, k=3, target=target, class_a=2, class_b=3)
    bars, ticks = fig.data
    assert list(bars.y) == [CLASSES[2], CLASSES[4], CLASSES[3], CLASSES[1]]  # bottom-up
    assert list(bars.x) == pytest.approx([0.01, 0.2, 0.25, 0.3])
    assert bars.marker.color[0] == "#1f77b4" and bars.marker.color[2] == "#ff7f0e"
    assert list(ticks.x) == pytest.approx([0.6, 0.0, 0.4, 0.0])
    with pytest.raises(ValueError, match="does not match 10 classes"):
        prediction_figure(probs[:5], CLASSES)


def test_cam_panel_upscales_blends_and_outlines() -> None:
    image = np.full((8, 8, 3), 100, np.uint8)
    cam = np.zeros((8, 8), np.float32)
    panel = cam_panel(image, cam, Box(2, 6, 2, 6), scale=4)
    assert panel.shape == (32, 32, 3)
    # A zero map blends in jet's dark blue (0, 0, 128) at alpha 0.5.
    assert panel[0, 0].tolist() == [50, 50, 114]
    assert panel[8, 8].tolist() == [255, 255, 255]  # the (white) box outline, scaled corner
    assert panel[12, 12].tolist() == [50, 50, 114]  # inside the box, off the outline
    with pytest.raises(ValueError, match="image's shape"):
        cam_panel(image, np.zeros((4, 4)), None)


def test_sweep_figure_has_ideal_lines_and_two_per_model() -> None:
    sweep = SplitSweep(
        np.array([0.0, 0.5, 1.0]), np.array([0.9, 0.4, 0.1]), np.array([0.05, 0.5, 0.8])
    )
    fig = sweep_figure([("m1", sweep), ("m2", sweep)], name_a="cat", name_b="dog", t_now=0.25)
    names = [t.name for t in fig.data]
    assert names == [
        "label weight of B (t)",
        "label weight of A (1 − t)",
        "m1: p(dog)",
        "m1: p(cat)",
        "m2: p(dog)",
        "m2: p(cat)",
    ]
    assert list(fig.data[2].y) == pytest.approx(sweep.p_b.tolist())

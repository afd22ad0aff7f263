"""Tests for cutmix_core.views.model_figures: prediction bars, Grad-CAM panels, the localizer
panel, the sweep and the learning curves (against the shipped model cards)."""

from __future__ import annotations

import io
import json
import math

import numpy as np
import pytest
from conftest import ROOT
from PIL import Image

from cutmix_core.data.cifar import CLASSES
from cutmix_core.mixing.pair import Box, soft_label
from cutmix_core.views.figures import BOX_RGB
from cutmix_core.views.model_figures import (
    LOCALIZER_RGB,
    cam_panel,
    column_figures,
    localizer_panel,
    panel_bytes,
    prediction_figure,
    sweep_figure,
    training_figure,
)
from cutmix_core.views.model_view import MixExplanation, SplitSweep, find_models
from cutmix_core.views.training_view import TrainingCurve, training_curves


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
    # This mix's t: a black line over the plot's full height, labelled just above it.
    layout = fig.to_dict()["layout"]
    (line,) = layout["shapes"]
    assert (line["type"], line["x0"], line["x1"], line["y0"], line["y1"]) == (
        "line",
        0.25,
        0.25,
        0,
        1,
    )
    assert (line["xref"], line["yref"], line["line"]) == (
        "x",
        "y domain",
        {"color": "black", "width": 1},
    )
    (label,) = layout["annotations"]
    assert (label["text"], label["x"], label["y"], label["yanchor"]) == (
        "this mix",
        0.25,
        1,
        "bottom",
    )
    assert layout["title"]["text"] == "As the pasted box grows" and layout["height"] == 340
    bare = sweep_figure([("m1", sweep)]).to_dict()["layout"]
    assert "shapes" not in bare and "annotations" not in bare


def test_localizer_panel_outlines_both_boxes_and_keeps_both_visible_where_they_meet() -> None:
    image = np.full((8, 8, 3), 100, np.uint8)
    before = image.copy()
    panel = localizer_panel(image, Box(0, 4, 0, 4), Box(0, 4, 4, 8), scale=8)  # line 2 px
    assert panel.shape == (64, 64, 3) and (image == before).all()
    assert panel[0, 0].tolist() == list(BOX_RGB)  # the pasted box, top-left corner
    assert panel[0, 40].tolist() == list(LOCALIZER_RGB)  # the localizer's box, 4 px thick
    assert panel[3, 40].tolist() == list(LOCALIZER_RGB) and panel[4, 40].tolist() == [100] * 3
    assert panel[16, 16].tolist() == [100] * 3  # inside, off the outlines
    same = localizer_panel(image, Box(2, 6, 2, 6), Box(2, 6, 2, 6), scale=8)
    assert same[16, 30].tolist() == list(BOX_RGB)  # outer 2 px: the pasted box on top
    assert same[19, 30].tolist() == list(LOCALIZER_RGB)  # inner 2 px: the localizer's
    alone = localizer_panel(image, Box(2, 6, 2, 6), None, scale=8)  # an all-zero map
    assert alone[19, 30].tolist() == [100] * 3
    with pytest.raises(ValueError, match="does not fit"):
        localizer_panel(image, Box(0, 9, 0, 2), None)


def _curve(key: str, aug: str, loss: tuple[float, ...], acc: tuple[float, ...]) -> TrainingCurve:
    return TrainingCurve(key, key, aug, tuple(range(1, len(loss) + 1)), loss, acc)


def test_training_figure_draws_loss_left_and_accuracy_right_one_legend_entry_each() -> None:
    curves = (
        _curve("a", "none", (2.0, 1.5, 1.0), (0.5, 0.7, 0.8)),
        _curve("b", "cutmix", (2.1, 1.9, math.nan), (0.4, math.nan, 0.79)),
        _curve("c", "cutmix", (2.2, 2.0, 1.9), (0.3, 0.6, 0.7)),  # a second cutmix: other colour
    )
    fig = training_figure(curves)
    assert len(fig.data) == 6
    for i, c in enumerate(curves):
        loss, acc = fig.data[2 * i], fig.data[2 * i + 1]
        assert loss.xaxis == "x" and acc.xaxis == "x2"
        assert list(loss.x) == list(acc.x) == list(c.epochs)
        np.testing.assert_array_equal(np.array(loss.y, float), np.array(c.loss))
        np.testing.assert_array_equal(np.array(acc.y, float), np.array(c.test_accuracy))
        assert loss.showlegend and not acc.showlegend and loss.legendgroup == acc.legendgroup
        assert loss.line.color == acc.line.color
    assert fig.data[0].line.color == "#5b6770" and fig.data[2].line.color == "#d62728"
    assert fig.data[4].line.color not in ("#5b6770", "#d62728")


def test_training_figure_of_the_shipped_cards_plots_their_history() -> None:
    shipped = find_models(ROOT / "assets" / "models")
    if not shipped:
        pytest.skip("no shipped checkpoints")
    fig = training_figure(training_curves(shipped))
    assert len(fig.data) == 2 * len(shipped)
    for i, m in enumerate(shipped):
        history = json.loads(m.path.with_suffix(".json").read_text())["history"]
        assert fig.data[2 * i].name == m.label
        assert list(fig.data[2 * i].x) == [h["epoch"] for h in history]
        assert list(fig.data[2 * i].y) == [h["loss"] for h in history]
        assert list(fig.data[2 * i + 1].y) == [h["test_accuracy"] for h in history]


def test_prediction_figure_layout_is_the_shared_one_with_its_own_axis_and_legend() -> None:
    probs = np.full(10, 0.1)
    fig = prediction_figure(probs, CLASSES, target=probs, title="On the mixed image", height=260)
    layout = fig.to_dict()["layout"]
    assert layout["title"]["text"] == "On the mixed image" and layout["height"] == 260
    assert layout["xaxis"]["range"] == [0, 1.18] and layout["bargap"] == 0.25
    assert layout["showlegend"] is True and layout["legend"]["orientation"] == "h"
    assert layout["template"]["layout"]["plot_bgcolor"] == "white"  # plotly_white
    assert prediction_figure(probs, CLASSES).to_dict()["layout"]["showlegend"] is False


def _explanation(lam: float = 0.75) -> MixExplanation:
    rng = np.random.default_rng(0)
    probs = rng.dirichlet(np.ones(10), size=3).astype(np.float32)
    cam = rng.random((2, 8, 8)).astype(np.float32)
    return MixExplanation(
        classes=CLASSES,
        class_a=3,
        class_b=5,
        probs_a=probs[0],
        probs_b=probs[1],
        probs_mixed=probs[2],
        cam_a=cam[0],
        cam_b=cam[1],
        box=Box(2, 6, 2, 6),
        lam_adjusted=lam,
        mass_a_inside=0.5,
        mass_b_inside=0.5,
        input_size=8,
    )


def test_column_figures_are_the_bars_and_panels_the_column_draws() -> None:
    ex = _explanation()
    image = np.random.default_rng(1).integers(0, 256, (8, 8, 3), dtype=np.uint8)
    before = image.copy()
    got = column_figures(ex, image, scale=3)
    expected = (
        (got.on_mix, ex.probs_mixed, soft_label(3, 5, 0.75, 10), 3, 5, "On the mixed image"),
        (got.on_a, ex.probs_a, soft_label(3, 3, 1.0, 10), 3, None, "On image A"),
        (got.on_b, ex.probs_b, soft_label(5, 5, 1.0, 10), None, 5, "On image B"),
    )
    for fig, probs, target, a, b, title in expected:
        want = prediction_figure(probs, CLASSES, target=target, class_a=a, class_b=b, title=title)
        assert fig.to_json() == want.to_json()
    for png, cam in ((got.cam_a, ex.cam_a), (got.cam_b, ex.cam_b)):
        assert png == panel_bytes(cam_panel(image, cam, ex.box, scale=3))
    assert np.array_equal(image, before)


def test_panel_bytes_is_a_quality_100_jpeg_of_the_panel() -> None:
    ys, xs = np.mgrid[0:24, 0:16]
    panel = np.stack([ys * 10, xs * 15, ys * 5 + xs * 5], axis=-1).astype(np.uint8)  # smooth
    data = panel_bytes(panel)
    assert data[:2] == b"\xff\xd8"  # JPEG
    decoded = np.asarray(Image.open(io.BytesIO(data)))
    assert decoded.shape == panel.shape
    assert np.abs(decoded.astype(int) - panel).mean() < 3  # quality 100: close, not exact
    with pytest.raises(ValueError):
        panel_bytes(np.zeros((4, 4), np.float32))

"""cutmix_core.views.box_select: the box-select figure, its chart and reading a selection back."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import chart_json


def test_box_select_figure_shows_the_image_the_box_and_selectable_points() -> None:
    from cutmix_core import Box
    from cutmix_core.views.box_select import SELECT_POINTS, box_select_figure

    img = np.zeros((32, 24, 3), np.uint8)
    fig = box_select_figure(img, Box(2, 10, 4, 20))
    image, points = fig.data
    assert image.type == "image" and points.type == "scatter"
    assert len(points.x) == 32 * 24  # every pixel centre
    assert fig.layout.dragmode == "select"
    (rect,) = fig.layout.shapes
    assert (rect.x0, rect.x1, rect.y0, rect.y1) == (3.5, 19.5, 1.5, 9.5)
    big = box_select_figure(np.zeros((512, 384, 3), np.uint8), Box(0, 0, 0, 0))
    assert len(big.data[1].x) <= SELECT_POINTS and not big.layout.shapes


def test_the_box_select_chart_shows_the_box_select_figure() -> None:
    from cutmix_core import Box
    from cutmix_core.views.box_select import box_select_chart, box_select_figure

    rng = np.random.default_rng(0)
    first = rng.integers(0, 256, (32, 24, 3), dtype=np.uint8)
    second = first.copy()
    second[5, 7] ^= 1  # one pixel apart: another image to the cache
    wide = rng.integers(0, 256, (40, 96, 3), dtype=np.uint8)[:, ::2]  # a strided view
    cases = [
        (first, Box(2, 10, 4, 20), 320),
        (first, Box(0, 32, 0, 24), 320),  # the same image again, another box
        (first, Box(0, 0, 0, 0), 320),  # no box: no outline
        (second, Box(2, 10, 4, 20), 320),
        (first, Box(1, 3, 1, 3), 250),
        (wide, Box(5, 30, 10, 40), 320),
        (np.zeros((512, 384, 3), np.uint8), Box(100, 300, 0, 384), 320),  # a grid of points
    ]
    for _ in range(2):  # drawn twice: the cached parts are not changed by drawing
        for image, box, height in cases:
            want = box_select_figure(image, box, height=height).to_json()
            assert chart_json(box_select_chart(image, box, height=height)) == want
    with pytest.raises(ValueError):
        box_select_chart(np.zeros((4, 4), np.float32), Box(0, 1, 0, 1))


def test_box_from_selection_takes_the_pixels_whose_centres_are_inside() -> None:
    from cutmix_core import Box
    from cutmix_core.views.box_select import box_from_selection

    ranged = {"box": [{"x": [15.5, 2.7], "y": [2.7, 18.7]}], "points": []}
    assert box_from_selection(ranged, 32, 32) == Box(3, 19, 3, 16)
    clipped = {"box": [{"x": [-3.0, 40.0], "y": [30.2, 33.0]}]}
    assert box_from_selection(clipped, 32, 32) == Box(31, 32, 0, 32)
    points = {"points": [{"x": 5, "y": 7}, {"x": 9, "y": 2}, {"curve_number": 0}]}
    assert box_from_selection(points, 32, 32) == Box(2, 8, 5, 10)
    between = {"box": [{"x": [3.1, 3.4], "y": [0, 5]}]}  # no pixel centre inside
    assert box_from_selection(between, 32, 32) is None
    assert box_from_selection({}, 32, 32) is None
    assert box_from_selection({"box": [], "points": []}, 32, 32) is None

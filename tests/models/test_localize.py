"""Tests for cutmix_core.models.localize: hand-made maps with known boxes, IoU by hand, and the
run-based labelling against a pixel-by-pixel flood fill."""

from __future__ import annotations

import math
from collections import deque

import numpy as np
import pytest

from cutmix_core.box import Box
from cutmix_core.models import localize as lc


def _map(shape: tuple[int, int], *cells: tuple[int, int, float]) -> np.ndarray:
    cam = np.zeros(shape)
    for y, x, v in cells:
        cam[y, x] = v
    return cam


def test_the_larger_of_two_blobs_wins_whatever_its_height() -> None:
    cam = np.zeros((8, 10))
    cam[0:2, 0:2] = 1.0  # 4 pixels, holding the maximum
    cam[4:7, 3:9] = 0.5  # 18 pixels, lower but above 20% of the max
    assert lc.cam_box(cam) == Box(4, 7, 3, 9)
    assert lc.cam_box(cam, 0.6) == Box(0, 2, 0, 2)  # at 60% only the peak is left


def test_a_tie_goes_to_the_region_that_starts_first_in_raster_order() -> None:
    cam = np.zeros((6, 8))
    cam[3:5, 0:2] = 1.0  # 4 pixels, bottom left: first pixel (3, 0)
    cam[0:2, 5:7] = 1.0  # 4 pixels, top right: first pixel (0, 5), which comes first
    assert lc.cam_box(cam) == Box(0, 2, 5, 7)
    assert lc.cam_box(cam[::-1].copy()) == Box(1, 3, 0, 2)  # flipped: now the left one is first


def test_an_all_zero_map_has_no_box() -> None:
    assert lc.cam_box(np.zeros((5, 7))) is None
    loc = lc.localize(np.zeros((5, 7)), Box(0, 2, 0, 2))
    assert loc.box is None and math.isnan(loc.iou) and not loc.hit


def test_the_threshold_keeps_pixels_at_exactly_the_fraction() -> None:
    # one row: 0.5 1.0 | 0 | 0.49999 0.5 0.5, with a zero gap between the two blobs
    cam = _map((3, 6), (1, 0, 0.5), (1, 1, 1.0), (1, 3, 0.49999), (1, 4, 0.5), (1, 5, 0.5))
    assert lc.cam_box(cam, 0.5) == Box(1, 2, 0, 2)  # 0.5 >= 0.5: two and two, the first wins
    assert lc.cam_box(cam, 0.49999) == Box(1, 2, 3, 6)  # now the right blob has three pixels
    assert lc.cam_box(cam, 0.50001) == Box(1, 2, 1, 2)  # only the peak is left


def test_fraction_one_keeps_only_the_maximum_and_the_scale_does_not_matter() -> None:
    cam = _map((4, 4), (2, 1, 3.0), (2, 2, 2.999), (0, 0, 1.0))
    assert lc.cam_box(cam, 1.0) == Box(2, 3, 1, 2)
    assert lc.cam_box(cam * 1e6, 1.0) == lc.cam_box(cam / 7, 1.0) == Box(2, 3, 1, 2)
    assert lc.cam_box(cam, 0.3) == Box(2, 3, 1, 3)


def test_diagonal_neighbours_join_under_8_connectivity() -> None:
    # a diagonal of three pixels beats a horizontal pair; with 4-connectivity the three would
    # be singletons and the pair would win
    cam = _map((5, 6), (0, 0, 1.0), (1, 1, 1.0), (2, 2, 1.0), (4, 4, 1.0), (4, 5, 1.0))
    assert lc.cam_box(cam) == Box(0, 3, 0, 3)
    anti = _map((5, 6), (0, 2, 1.0), (1, 1, 1.0), (2, 0, 1.0), (4, 4, 1.0), (4, 5, 1.0))
    assert lc.cam_box(anti) == Box(0, 3, 0, 3)
    apart = _map((5, 6), (0, 0, 1.0), (2, 2, 1.0), (4, 4, 1.0), (4, 5, 1.0))  # a gap of one row
    assert lc.cam_box(apart) == Box(4, 5, 4, 6)


def test_a_u_shape_is_one_region_joined_at_the_bottom() -> None:
    # runs that meet only lower down: the union-find must merge the two arms
    mask = np.zeros((5, 7), dtype=bool)
    mask[0:4, 0] = mask[0:4, 6] = True  # two arms
    mask[4, 0:7] = True  # the base
    mask[1, 3] = True  # a lone pixel between the arms
    assert lc.largest_component(mask) == Box(0, 5, 0, 7)


def _flood_fill_box(mask: np.ndarray) -> Box | None:
    """A reference: 8-connected flood fill pixel by pixel, regions numbered in raster order."""
    h, w = mask.shape
    seen = np.zeros_like(mask)
    best: tuple[int, Box] | None = None
    for y0 in range(h):
        for x0 in range(w):
            if not mask[y0, x0] or seen[y0, x0]:
                continue
            seen[y0, x0] = True
            queue, cells = deque([(y0, x0)]), []
            while queue:
                y, x = queue.popleft()
                cells.append((y, x))
                for dy in (-1, 0, 1):
                    for dx in (-1, 0, 1):
                        ny, nx = y + dy, x + dx
                        if 0 <= ny < h and 0 <= nx < w and mask[ny, nx] and not seen[ny, nx]:
                            seen[ny, nx] = True
                            queue.append((ny, nx))
            ys, xs = zip(*cells)
            box = Box(min(ys), max(ys) + 1, min(xs), max(xs) + 1)
            if best is None or len(cells) > best[0]:  # strictly larger: the first keeps a tie
                best = (len(cells), box)
    return None if best is None else best[1]


@pytest.mark.parametrize("density", [0.2, 0.45, 0.6])
def test_run_labelling_agrees_with_a_flood_fill(density: float) -> None:
    rng = np.random.default_rng(int(density * 100))
    for _ in range(40):
        shape = (int(rng.integers(1, 14)), int(rng.integers(1, 14)))
        mask = rng.random(shape) < density
        assert lc.largest_component(mask) == _flood_fill_box(mask), mask.astype(int)


def test_a_smooth_map_gives_the_box_around_its_hill_and_is_not_modified() -> None:
    yy, xx = np.mgrid[0:32, 0:32]
    cam = np.exp(-((yy - 20.0) ** 2 + (xx - 9.0) ** 2) / 8.0)  # a hill at (20, 9)
    before = cam.copy()
    box = lc.cam_box(cam, 0.5)
    # exp(-d^2 / 8) >= 0.5  <=>  d^2 <= 8 ln 2 = 5.55: two pixels each way on the axes
    assert box == Box(18, 23, 7, 12)
    assert (cam == before).all()


@pytest.mark.parametrize(
    ("cam", "fraction", "match"),
    [
        (np.zeros((2, 2, 1)), 0.2, r"2-D finite non-negative map, got shape \(2, 2, 1\)"),
        (np.array([[0.0, -1.0]]), 0.2, "non-negative"),
        (np.array([[0.0, np.nan]]), 0.2, "finite"),
        (np.ones((2, 2)), 0.0, r"fraction must be in \(0, 1\], got 0.0"),
        (np.ones((2, 2)), 1.5, r"fraction must be in \(0, 1\], got 1.5"),
        (np.ones((2, 2)), float("nan"), "fraction must be a finite number"),
    ],
)
def test_cam_box_rejects_bad_input(cam: np.ndarray, fraction: float, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        lc.cam_box(cam, fraction)


@pytest.mark.parametrize(
    ("box1", "box2", "expected"),
    [
        (Box(1, 5, 2, 7), Box(1, 5, 2, 7), 1.0),  # identical
        (Box(0, 2, 0, 2), Box(5, 8, 5, 8), 0.0),  # disjoint
        (Box(0, 2, 0, 2), Box(2, 4, 0, 2), 0.0),  # sharing an edge: half-open, no overlap
        (Box(2, 6, 2, 6), Box(0, 8, 0, 8), 16 / 64),  # nested
        (Box(0, 4, 0, 4), Box(2, 6, 2, 6), 4 / 28),  # corner overlap: 2x2 of 16 + 16 - 4
        (Box(0, 4, 0, 6), Box(1, 3, 3, 9), 6 / 30),  # 2x3 of 24 + 12 - 6
        (Box(0, 3, 0, 3), Box(1, 1, 1, 1), 0.0),  # one empty
    ],
)
def test_iou_by_hand_and_symmetric(box1: Box, box2: Box, expected: float) -> None:
    assert lc.iou(box1, box2) == pytest.approx(expected, abs=1e-12)
    assert lc.iou(box2, box1) == pytest.approx(expected, abs=1e-12)


def test_iou_of_two_empty_boxes_is_nan_and_intersection_is_a_box() -> None:
    assert math.isnan(lc.iou(Box(0, 0, 0, 0), Box(3, 3, 1, 1)))
    assert lc.intersection(Box(0, 4, 0, 4), Box(2, 6, 1, 3)) == Box(2, 4, 1, 3)
    assert lc.intersection(Box(0, 2, 0, 2), Box(5, 8, 5, 8)).area == 0


def test_localize_scores_the_box_and_counts_half_as_a_hit() -> None:
    cam = np.zeros((8, 8))
    cam[0:4, 0:4] = 1.0  # the localizer's box: (0, 4, 0, 4), 16 pixels
    loc = lc.localize(cam, Box(0, 4, 0, 8))  # 16 of a union of 32: exactly 0.5
    assert loc == lc.Localization(Box(0, 4, 0, 4), Box(0, 4, 0, 8), lc.FRACTION, 0.5)
    assert loc.hit
    assert lc.localize(cam, Box(0, 4, 0, 7)).hit  # 16 / 28
    assert not lc.localize(cam, Box(0, 5, 0, 8)).hit  # 16 / 40
    with pytest.raises(ValueError, match=r"does not fit a map of shape \(8, 8\)"):
        lc.localize(cam, Box(0, 9, 0, 2))

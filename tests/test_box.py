"""Tests for cutmix_core.box: the half-open Box every part of the app speaks in."""

from __future__ import annotations

import numpy as np
import pytest

from cutmix_core.box import EMPTY_BOX, Box


def test_box_properties_by_hand():
    box = Box(2, 5, 1, 7)  # rows 2,3,4 ; cols 1..6
    assert (box.height, box.width, box.area) == (3, 6, 18)
    assert box.fits(5, 7) and not box.fits(4, 7) and not box.fits(5, 6)
    assert box.as_dict() == {"y0": 2, "y1": 5, "x0": 1, "x1": 7}
    assert EMPTY_BOX.area == 0


@pytest.mark.parametrize(
    "args, match",
    [
        ((3, 2, 0, 1), "y0 <= y1"),
        ((0, 1, 4, 2), "x0 <= x1"),
        ((-1, 1, 0, 1), "0 <= y0"),
        ((0.5, 1, 0, 1), "Box.y0 must be an int, got 0.5"),
        ((0, True, 0, 1), "Box.y1 must be an int, got True"),
    ],
)
def test_box_rejects_bad_edges(args, match):
    with pytest.raises(ValueError, match=match):
        Box(*args)


def test_box_accepts_numpy_ints_as_python_ints():
    box = Box(np.int64(1), np.int32(3), np.int16(0), np.uint8(2))
    assert box == Box(1, 3, 0, 2)
    assert all(type(v) is int for v in box.as_dict().values())

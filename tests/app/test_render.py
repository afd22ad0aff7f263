"""app_ui/render.py: the PNG bytes the pages hand st.image are the ones Streamlit would have
encoded from the array, so a cached image shows the same picture under the same address."""

from __future__ import annotations

import numpy as np
import pytest
from streamlit.elements.lib.image_utils import _np_array_to_bytes

from app_ui.render import digest, png
from cutmix_core import Box
from cutmix_core.data.images import draw_box, to_png_bytes, upscale_nearest


def _img(shape: tuple[int, int, int], seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


@pytest.mark.parametrize("shape", [(32, 32, 3), (24, 40, 3), (1, 7, 3)])
def test_png_is_what_streamlit_encodes_from_the_array(shape: tuple[int, int, int]) -> None:
    img = _img(shape)
    box = Box(0, 1, 2, 5)
    for scale in (1, 3, 8):
        assert png(img, scale=scale) == _np_array_to_bytes(upscale_nearest(img, scale), "PNG")
        boxed = draw_box(img, box, color=(255, 215, 0), scale=scale)
        assert png(img, scale=scale, box=box, color=(255, 215, 0)) == _np_array_to_bytes(
            boxed, "PNG"
        )
    assert png(img) == to_png_bytes(img)  # the download button's bytes


def test_png_keys_on_every_byte_and_leaves_the_input_alone() -> None:
    img = _img((32, 32, 3))
    before = img.copy()
    first = png(img, scale=2)
    other = img.copy()
    other[31, 31, 2] ^= 1  # one bit of one pixel
    assert png(other, scale=2) != first
    assert png(img, scale=2) == first  # served again, unchanged
    assert png(img.reshape(16, 64, 3), scale=2) != first  # same bytes, another shape
    np.testing.assert_array_equal(img, before)
    assert digest(img) == digest(img.copy()) != digest(other)


def test_png_refuses_what_draw_box_refuses() -> None:
    img = _img((8, 8, 3))
    with pytest.raises(ValueError):
        png(img, box=Box(0, 9, 0, 8))
    with pytest.raises(ValueError):
        png(np.zeros((8, 8), np.uint8))

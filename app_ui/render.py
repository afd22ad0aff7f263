"""Images as the pages show them, encoded once: the PNG bytes of an image upscaled for display,
with or without its box outlined, cached by the image's content.

``st.image`` given an array encodes a PNG on every rerun; on the playground a seed or α change
leaves A and B as they were, so encoding them again is wasted work. Handing ``st.image`` these
bytes instead shows the same picture under the same media address: Streamlit encodes an array
exactly as :func:`~cutmix_core.data.images.to_png_bytes` does (Pillow's PNG, default settings;
a test compares the bytes).

At most :data:`PNG_CACHE_ENTRIES` encodings are kept per server, each at most the raw size of a
display image (``defaults.MAX_SIDE`` squared, three bytes a pixel: 0.8 MB), so about 50 MB
however many sessions draw (CONVENTIONS.md point 10).
"""

from __future__ import annotations

import hashlib

import numpy as np
import streamlit as st

from cutmix_core import Box
from cutmix_core.data.images import Color, check_image, draw_box, to_png_bytes, upscale_nearest

PNG_CACHE_ENTRIES = 64


def digest(img: np.ndarray) -> str:
    """A key for an image's content: its shape, dtype and every byte (not a sample of them)."""
    h = hashlib.blake2b(digest_size=16)
    h.update(repr((img.shape, img.dtype.str)).encode())
    h.update(np.ascontiguousarray(img).data)
    return h.hexdigest()


@st.cache_data(max_entries=PNG_CACHE_ENTRIES, show_spinner=False)
def _png(
    *,
    key: str,
    scale: int,
    box: tuple[int, int, int, int] | None,
    color: Color,
    _img: np.ndarray,
) -> bytes:
    # Keyed on the image's digest: Streamlit's own hash of an array samples large ones.
    if box is None:
        return to_png_bytes(upscale_nearest(_img, scale))
    return to_png_bytes(draw_box(_img, Box(*box), color=color, scale=scale))


def png(
    img: np.ndarray, *, scale: int = 1, box: Box | None = None, color: Color = (255, 0, 0)
) -> bytes:
    """``img`` (HWC uint8) upscaled ``scale`` times, ``box`` outlined in ``color`` if given, as
    PNG bytes: ``to_png_bytes(draw_box(img, box, color=color, scale=scale))``, or of
    ``upscale_nearest(img, scale)`` without a box; encoded once per server for each content.

    Raises:
        ValueError: as ``upscale_nearest`` and ``draw_box`` (not an image, a box that does not
            fit, a bad scale or colour).
    """
    check_image(img)
    corners = None if box is None else (box.y0, box.y1, box.x0, box.x1)
    return _png(key=digest(img), scale=int(scale), box=corners, color=color, _img=img)

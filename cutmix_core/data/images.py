"""Images for mixing: bringing A and B to one shape, and drawing on them for display.

Every image the app shows or mixes is a numpy ``HWC uint8`` RGB array of shape ``(H, W, 3)``.
Where they come from lives beside this module: :mod:`cutmix_core.data.decode` decodes uploads
(:func:`load_image`, :func:`decode_image`, :class:`ImageError`) and
:mod:`cutmix_core.data.pixels` converts every Pillow mode (:func:`to_array`) and resizes; their
public names are importable from here too.

CutMix (Yun et al., ICCV 2019, https://arxiv.org/abs/1905.04899) pastes a box of image B into
image A, so both must have one shape: :data:`SIZE_POLICIES` and :func:`fit_pair` make them so.
:func:`draw_box` outlines that box for display, on an image optionally upscaled by an integer
factor (:func:`display_scale`) so that a 32x32 CIFAR picture is visible at all. Inputs are never
mutated.
"""

from __future__ import annotations

import io
import types
from collections.abc import Mapping

import numpy as np

from cutmix_core.box import Box
from cutmix_core.checks import check_choice, check_int
from cutmix_core.data.decode import (
    FORMATS,
    NOT_AN_IMAGE,
    SUFFIXES,
    Decoded,
    ImageError,
    decode_image,
    header_pixels,
    load_image,
    name_note,
)
from cutmix_core.data.pixels import (
    Color,
    check_color,
    check_image,
    limit_side,
    resize,
    to_array,
    to_pil,
)
from cutmix_core.defaults import SQUARE_SIDE

__all__ = [  # decode's and pixels' public names, importable from here as before
    "DEFAULT_SIZE_POLICY",
    "FORMATS",
    "NOT_AN_IMAGE",
    "SIZE_POLICIES",
    "SUFFIXES",
    "Color",
    "Decoded",
    "ImageError",
    "center_crop_square",
    "check_color",
    "check_image",
    "decode_image",
    "display_scale",
    "draw_box",
    "fit_pair",
    "header_pixels",
    "limit_side",
    "load_image",
    "name_note",
    "resize",
    "to_array",
    "to_pil",
    "to_png_bytes",
    "upscale_nearest",
]

#: Key -> label of the ways to bring images A and B to one shape (labels as shown in the UI).
SIZE_POLICIES: Mapping[str, str] = types.MappingProxyType(
    {
        "resize_b_to_a": "Resize B to A's size",
        "crop_square": "Centre-crop both to a square of side N",
        "resize_square": "Resize both to N×N (stretches)",
    }
)
DEFAULT_SIZE_POLICY = "resize_b_to_a"


# --------------------------------------------------------------------------- sizing


def center_crop_square(img: np.ndarray, side: int | None = None) -> np.ndarray:
    """The largest centred square of ``img``, resized to ``side`` x ``side`` if given."""
    check_image(img)
    h, w = img.shape[:2]
    s = min(h, w)
    y0, x0 = (h - s) // 2, (w - s) // 2
    square = img[y0 : y0 + s, x0 : x0 + s].copy()
    return square if side is None else resize(square, side, side)


def fit_pair(
    a: np.ndarray, b: np.ndarray, policy: str = DEFAULT_SIZE_POLICY, *, side: int = SQUARE_SIDE
) -> tuple[np.ndarray, np.ndarray]:
    """Bring images A and B to one shape, as CutMix needs.

    Args:
        a, b: ``HWC uint8`` images, any sizes.
        policy: a key of :data:`SIZE_POLICIES`.
        side: the square side ``N`` for ``"crop_square"`` and ``"resize_square"``.

    Returns:
        New arrays ``(a2, b2)`` of equal shape; the inputs are not modified.

    Raises:
        ValueError: for an unknown policy, a bad ``side`` or a non-image input.
    """
    check_choice(policy, "size policy", SIZE_POLICIES)
    check_image(a, "a")
    check_image(b, "b")
    side = check_int(side, "side", 1)
    if policy == "resize_b_to_a":
        return a.copy(), resize(b, a.shape[0], a.shape[1])
    if policy == "crop_square":
        return center_crop_square(a, side), center_crop_square(b, side)
    return resize(a, side, side), resize(b, side, side)


# --------------------------------------------------------------------------- display


def upscale_nearest(img: np.ndarray, factor: int) -> np.ndarray:
    """Repeat every pixel ``factor`` x ``factor`` times (crisp pixels); a new array."""
    check_image(img)
    factor = check_int(factor, "factor", 1)
    return np.repeat(np.repeat(img, factor, axis=0), factor, axis=1)


def display_scale(h: int, w: int, target: int = 256) -> int:
    """Integer upscale factor showing an ``h`` x ``w`` image at about ``target`` px (>= 1).

    The longer side times the factor never exceeds ``target`` unless the factor is 1.
    """
    h, w = check_int(h, "h", 1), check_int(w, "w", 1)
    target = check_int(target, "target", 1)
    return max(1, target // max(h, w))


def draw_box(
    img: np.ndarray,
    box: Box,
    *,
    color: Color = (255, 0, 0),
    thickness: int = 2,
    scale: int = 1,
) -> np.ndarray:
    """Outline ``box`` on ``upscale_nearest(img, scale)``; a new array.

    The outline lies inside the box's scaled border, so no pixel outside the box changes.

    Args:
        img: ``HWC uint8`` image.
        box: half-open rectangle in the ORIGINAL image's pixels; an empty box draws nothing.
        color: RGB of the outline.
        thickness: line width in output (scaled) pixels, clipped to the box's size.
        scale: integer nearest-neighbour upscale factor applied first.

    Raises:
        ValueError: if the box does not fit in the image, or for bad colour/thickness/scale.
    """
    check_image(img)
    h, w = img.shape[:2]
    if not (0 <= box.y0 <= box.y1 <= h and 0 <= box.x0 <= box.x1 <= w):
        raise ValueError(f"box {box} does not fit in an image of shape {img.shape}")
    rgb = np.asarray(check_color(color, "color"), dtype=np.uint8)
    thickness = check_int(thickness, "thickness", 1)
    out = upscale_nearest(img, scale)
    if box.area == 0:
        return out
    s = int(scale)
    y0, y1, x0, x1 = box.y0 * s, box.y1 * s, box.x0 * s, box.x1 * s
    ty, tx = min(thickness, y1 - y0), min(thickness, x1 - x0)
    out[y0 : y0 + ty, x0:x1] = rgb  # top
    out[y1 - ty : y1, x0:x1] = rgb  # bottom
    out[y0:y1, x0 : x0 + tx] = rgb  # left
    out[y0:y1, x1 - tx : x1] = rgb  # right
    return out


def to_png_bytes(img: np.ndarray) -> bytes:
    """Encode ``HWC uint8`` RGB as PNG (lossless: decoding gives the identical pixels)."""
    buf = io.BytesIO()
    to_pil(img).save(buf, format="PNG")
    return buf.getvalue()

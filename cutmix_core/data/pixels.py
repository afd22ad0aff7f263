"""Pixels between Pillow and numpy: every Pillow mode to ``HWC uint8`` RGB, and resizing.

Uploads come in whatever mode their maker chose: palette (with or without a transparent entry),
1-bit, grey, 16-bit and 32-bit grey, float, CMYK, YCbCr, LAB, with straight or premultiplied
alpha. :func:`to_array` turns each into the RGB array the rest of the library works on, with
transparency composited onto a background and high bit depths scaled as viewers do, so a mix
never depends on how a file happened to be stored. :func:`to_pil` is the way back, and
:func:`resize` and :func:`limit_side` resize through it (Pillow's antialiased filters).
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from cutmix_core.checks import check_int
from cutmix_core.defaults import BACKGROUND, MAX_SIDE

Color = tuple[int, int, int]


# --------------------------------------------------------------------------- checks


def check_image(img: np.ndarray, name: str = "img") -> None:
    """Raise ``ValueError`` unless ``img`` is a non-empty ``HWC uint8`` array with 3 channels."""
    if not isinstance(img, np.ndarray):
        raise ValueError(f"{name} must be a numpy HWC uint8 array, got {type(img).__name__}")
    if img.ndim != 3 or img.shape[2] != 3 or img.dtype != np.uint8 or 0 in img.shape:
        raise ValueError(
            f"{name} must be HWC uint8 with 3 channels and H, W >= 1, "
            f"got shape {img.shape} dtype {img.dtype}"
        )


def check_color(value: Color, name: str) -> Color:
    """``value`` as a tuple of three ints in 0..255; ``ValueError`` naming ``name`` otherwise."""
    ok = isinstance(value, (tuple, list)) and len(value) == 3
    ok = ok and all(isinstance(c, (int, np.integer)) and not isinstance(c, bool) for c in value)
    if not ok or not all(0 <= c <= 255 for c in value):
        raise ValueError(f"{name} must be three ints in 0..255, got {value!r}")
    return (int(value[0]), int(value[1]), int(value[2]))


# --------------------------------------------------------------------------- Pillow <-> numpy


def _composite(rgba: np.ndarray, background: Color) -> np.ndarray:
    """Straight-alpha ``(H, W, 4)`` uint8 over an opaque background, rounded, in integers."""
    rgb = rgba[..., :3].astype(np.uint32)
    a = rgba[..., 3:].astype(np.uint32)  # (H, W, 1)
    bg = np.asarray(background, dtype=np.uint32)
    return ((rgb * a + bg * (255 - a) + 127) // 255).astype(np.uint8)


def _composite_premultiplied(color: np.ndarray, alpha: np.ndarray, background: Color) -> np.ndarray:
    """Premultiplied colour ``(H, W, 3)`` over a background: ``c + bg * (1 - a)``."""
    a = alpha[..., None].astype(np.uint32)
    bg = (np.asarray(background, dtype=np.uint32) * (255 - a) + 127) // 255
    return np.minimum(color.astype(np.uint32) + bg, 255).astype(np.uint8)


def _grey_to_uint8(values: np.ndarray, mode: str) -> np.ndarray:
    """Map 16-bit, 32-bit integer or float grey levels to 0..255.

    ``I;16*`` is divided by 257, the exact linear map of 0..65535 onto 0..255 that image viewers
    use: a dark photo stays dark and a flat one stays flat, whereas min-max would stretch each
    image's own range (and its noise). ``I`` and ``F`` have no fixed range, so values already in
    0..255 (or 0..1 for floats, or 0..65535 for ints) keep their meaning; anything else is
    min-max scaled, a constant image becoming black.
    """
    if mode.startswith("I;16"):
        return ((values.astype(np.uint32) + 128) // 257).astype(np.uint8)
    v = np.nan_to_num(values.astype(np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    lo, hi = float(v.min()), float(v.max())
    if mode == "F" and lo >= 0.0 and hi <= 1.0:
        v = v * 255.0
    elif lo >= 0.0 and hi <= 255.0:
        pass
    elif mode == "I" and lo >= 0.0 and hi <= 65535.0:
        v = v / 257.0
    else:
        v = (v - lo) * (255.0 / (hi - lo)) if hi > lo else np.zeros_like(v)
    return np.clip(np.rint(v), 0, 255).astype(np.uint8)


def to_array(image: Image.Image, *, background: Color = BACKGROUND) -> np.ndarray:
    """Convert a Pillow image of any mode to a new ``HWC uint8`` RGB array.

    Transparency (alpha, premultiplied alpha, palette or colour-key ``tRNS``) is composited onto
    ``background``; high-bit-depth grey is scaled as :func:`_grey_to_uint8` explains.

    Raises:
        ValueError: for a mode Pillow cannot convert to RGB.
    """
    bg = check_color(background, "background")
    mode = image.mode
    if mode in ("La", "RGBa"):  # premultiplied: Pillow cannot convert La, so composite directly
        arr = np.asarray(image)
        color = np.repeat(arr[..., :1], 3, axis=2) if mode == "La" else arr[..., :3]
        out = _composite_premultiplied(color, arr[..., -1], bg)
    elif mode.startswith("I;16") or mode in ("I", "F"):
        raw = np.asarray(image)
        out = np.repeat(_grey_to_uint8(raw, mode)[..., None], 3, axis=2)
        key = image.info.get("transparency")
        if isinstance(key, int):  # 16-bit PNG colour key
            alpha = np.where(raw == key, 0, 255).astype(np.uint8)[..., None]
            out = _composite(np.concatenate([out, alpha], axis=2), bg)
    elif mode == "LAB":  # convert() would copy L, a, b into R, G, B; colour-manage instead
        from PIL import ImageCms  # lazy: needs Pillow's optional littlecms binding

        lab, srgb = ImageCms.createProfile("LAB"), ImageCms.createProfile("sRGB")
        to_srgb = ImageCms.buildTransform(lab, srgb, "LAB", "RGB")
        out = np.asarray(ImageCms.applyTransform(image, to_srgb))
    elif image.has_transparency_data:
        out = _composite(np.asarray(image.convert("RGBA")), bg)
    else:
        try:
            out = np.asarray(image.convert("RGB"))
        except (ValueError, OSError) as exc:
            raise ValueError(f"unsupported Pillow mode {mode!r} ({exc})") from exc
    return np.array(out, dtype=np.uint8, order="C")  # owned, writable, contiguous


def to_pil(img: np.ndarray) -> Image.Image:
    """Wrap a ``HWC uint8`` RGB array as a Pillow ``RGB`` image (a copy)."""
    check_image(img)
    return Image.fromarray(np.ascontiguousarray(img))


# --------------------------------------------------------------------------- resizing


def resize(img: np.ndarray, height: int, width: int) -> np.ndarray:
    """Resize to ``(height, width)`` with Pillow's antialiased BICUBIC; a new array."""
    check_image(img)
    height, width = check_int(height, "height", 1), check_int(width, "width", 1)
    if img.shape[:2] == (height, width):
        return img.copy()
    out = to_pil(img).resize((width, height), Image.Resampling.BICUBIC)
    return np.array(out)


def limit_side(img: np.ndarray, max_side: int = MAX_SIDE) -> np.ndarray:
    """Downscale (LANCZOS, aspect kept) so the longer side is at most ``max_side``; a new array."""
    check_image(img)
    max_side = check_int(max_side, "max_side", 1)
    h, w = img.shape[:2]
    if max(h, w) <= max_side:
        return img.copy()
    scale = max_side / max(h, w)
    new_h, new_w = max(1, round(h * scale)), max(1, round(w * scale))
    return np.array(to_pil(img).resize((new_w, new_h), Image.Resampling.LANCZOS))

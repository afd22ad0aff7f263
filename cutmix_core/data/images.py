"""Loading, sizing and drawing on images: the one place where files and Pillow meet numpy.

Every image the app shows or mixes is a numpy ``HWC uint8`` RGB array of shape ``(H, W, 3)``.
Uploads arrive as bytes in any of the formats people actually have (PNG, JPEG, WebP, BMP, GIF,
TIFF) and in any Pillow mode (palette, grey, 16-bit, float, CMYK, with or without alpha), so
:func:`load_image` decodes them defensively and :func:`to_array` converts every mode to RGB in
one place. Why so careful: an upload is untrusted input, and a Streamlit page should show a
one-line :class:`ImageError` ("photo.jpg: the file is truncated or corrupt (...)") rather than a
traceback, and must not be knocked over by a decompression bomb.

CutMix (Yun et al., ICCV 2019, https://arxiv.org/abs/1905.04899) pastes a box of image B into
image A, so both must have one shape: :data:`SIZE_POLICIES` and :func:`fit_pair` make them so.
:func:`draw_box` outlines that box for display, on an image optionally upscaled by an integer
factor (:func:`display_scale`) so that a 32x32 CIFAR picture is visible at all.

Nothing here changes global state: Pillow's ``Image.MAX_IMAGE_PIXELS`` and
``ImageFile.LOAD_TRUNCATED_IMAGES`` are left alone and inputs are never mutated.
"""

from __future__ import annotations

import io
import types
import warnings
from collections.abc import Mapping

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from cutmix_core.box import Box
from cutmix_core.checks import check_choice, check_int
from cutmix_core.defaults import BACKGROUND, MAX_PIXELS, MAX_SIDE, MAX_UPLOAD_MB, SQUARE_SIDE

#: Formats :func:`load_image` accepts; restricting Pillow's decoders keeps the attack surface small.
FORMATS: tuple[str, ...] = ("PNG", "JPEG", "WEBP", "BMP", "GIF", "TIFF")
NOT_AN_IMAGE = "not an image Pillow can read (PNG, JPEG, WebP, BMP, GIF, TIFF are supported)"
_MB = 1024 * 1024

#: Key -> label of the ways to bring images A and B to one shape (labels as shown in the UI).
SIZE_POLICIES: Mapping[str, str] = types.MappingProxyType(
    {
        "resize_b_to_a": "Resize B to A's size",
        "crop_square": "Centre-crop both to a square of side N",
        "resize_square": "Resize both to N×N (stretches)",
    }
)
DEFAULT_SIZE_POLICY = "resize_b_to_a"

Color = tuple[int, int, int]


class ImageError(ValueError):
    """An upload that cannot be used; the message names the file and the reason, for the user."""


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


def _color(value: Color, name: str) -> Color:
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
    bg = _color(background, "background")
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


# --------------------------------------------------------------------------- decoding uploads


def _decode(raw: bytes, name: str, background: Color, max_pixels: int) -> np.ndarray:
    # Pillow warns (not raises) between MAX_IMAGE_PIXELS and twice that; make the warning an
    # error locally instead of touching Image.MAX_IMAGE_PIXELS, which every session shares.
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with Image.open(io.BytesIO(raw), formats=list(FORMATS)) as opened:
            w, h = opened.size  # from the header; no pixels decoded yet
            if w < 1 or h < 1:
                raise ImageError(f"{name}: the image has zero width or height ({w}×{h})")
            if w * h > max_pixels:
                raise ImageError(
                    f"{name}: too many pixels: {w}×{h} ({w * h / 1e6:.1f} megapixels), "
                    f"the limit is {max_pixels / 1e6:.1f} megapixels"
                )
            opened.load()  # Pillow decodes lazily: force it here so truncation is caught
            try:
                upright = ImageOps.exif_transpose(opened)
            except Exception:
                upright = opened
            return to_array(upright, background=background)


def load_image(
    data: bytes,
    name: str = "image",
    *,
    background: Color = BACKGROUND,
    max_bytes: int = MAX_UPLOAD_MB * _MB,
    max_pixels: int = MAX_PIXELS,
) -> np.ndarray:
    """Decode an uploaded file to a ``HWC uint8`` RGB array, upright and without alpha.

    Args:
        data: the file's bytes (PNG, JPEG, WebP, BMP, GIF: first frame, TIFF: first page).
        name: the file name, used in error messages.
        background: RGB that transparent pixels are composited onto.
        max_bytes: largest accepted file size.
        max_pixels: largest accepted ``width * height``, checked from the header before decoding.

    Returns:
        A new ``(H, W, 3)`` uint8 array, EXIF orientation applied.

    Raises:
        ImageError: ``"{name}: {reason}"`` for an empty, oversized, unreadable, truncated or
            too-many-pixel file; never any other exception for bad file contents.
        ValueError: for bad arguments (background, limits, non-bytes data).
    """
    bg = _color(background, "background")
    max_bytes = check_int(max_bytes, "max_bytes", 1)
    max_pixels = check_int(max_pixels, "max_pixels", 1)
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise ValueError(f"data must be bytes, got {type(data).__name__}")
    raw = bytes(data)
    if not raw:
        raise ImageError(f"{name}: the file is empty (0 bytes)")
    if len(raw) > max_bytes:
        raise ImageError(
            f"{name}: the file is {len(raw) / _MB:.1f} MB, over the {max_bytes / _MB:g} MB limit"
        )
    try:
        return _decode(raw, name, bg, max_pixels)
    except ImageError:
        raise
    except UnidentifiedImageError as exc:  # before OSError: it is a subclass
        raise ImageError(f"{name}: {NOT_AN_IMAGE}") from exc
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageError(f"{name}: too many pixels to decode safely ({exc})") from exc
    except (OSError, EOFError, SyntaxError) as exc:
        raise ImageError(f"{name}: the file is truncated or corrupt ({exc})") from exc
    except MemoryError as exc:
        raise ImageError(f"{name}: the image is too large to decode (out of memory)") from exc
    except Exception as exc:
        raise ImageError(f"{name}: could not decode the image ({exc})") from exc


# --------------------------------------------------------------------------- sizing


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
    rgb = np.asarray(_color(color, "color"), dtype=np.uint8)
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

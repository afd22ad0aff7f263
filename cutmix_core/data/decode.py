"""Decoding uploads: any file, under any name, to an upright ``HWC uint8`` RGB image or a clear
:class:`ImageError`.

An upload is untrusted input from whoever is in the room, so :func:`decode_image` decides by
content, never by the name (``photo.png.exe`` holding a PNG is read as one, and
:func:`name_note` says so; an EPS named ``.png`` is refused, never handed to Ghostscript), reads
only :data:`FORMATS`, checks the size in bytes and in pixels before decoding, and turns every
way a file can be broken into a one-line :class:`ImageError` naming it ("photo.jpg: the file is
truncated or corrupt (...)") instead of a traceback.

Memory: with ``max_side`` (the app passes :data:`~cutmix_core.defaults.MAX_SIDE`) a large image
is reduced before it is converted: a JPEG decodes straight at 1/2, 1/4 or 1/8 scale (Pillow's
draft mode), any other format is box-averaged in its own mode down to at most twice
``max_side``, so a 50-megapixel upload never exists as RGBA, float or uint32 arrays at full
size. The one full-size copy left is the decoded file in its own mode, for formats that cannot
decode at reduced size, and :data:`~cutmix_core.defaults.MAX_PIXELS` bounds it.

Nothing here changes global state: Pillow's ``Image.MAX_IMAGE_PIXELS``,
``ImageFile.LOAD_TRUNCATED_IMAGES`` and the warning filters (which every thread of a server
shares) are left alone, and inputs are never mutated.
"""

from __future__ import annotations

import io
import math
import types
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath

import numpy as np
from PIL import ExifTags, Image, UnidentifiedImageError

from cutmix_core.checks import check_int
from cutmix_core.data.pixels import Color, check_color, limit_side, to_array
from cutmix_core.defaults import BACKGROUND, MAX_PIXELS, MAX_UPLOAD_BYTES

#: The formats :func:`decode_image` reads, and the file-name endings each usually goes by.
#: Restricting Pillow's decoders keeps the attack surface small: no EPS (Pillow would hand it
#: to Ghostscript), PDF, PSD, ICO or anything else, whatever the file is called.
SUFFIXES: Mapping[str, tuple[str, ...]] = types.MappingProxyType(
    {
        "PNG": (".png", ".apng"),
        "JPEG": (".jpg", ".jpeg", ".jpe", ".jfif"),
        "WEBP": (".webp",),
        "BMP": (".bmp", ".dib"),
        "GIF": (".gif",),
        "TIFF": (".tif", ".tiff"),
    }
)
FORMATS: tuple[str, ...] = tuple(SUFFIXES)
NOT_AN_IMAGE = "not an image in a supported format (PNG, JPEG, WebP, BMP, GIF or TIFF)"


class ImageError(ValueError):
    """An upload that cannot be used; the message names the file and the reason, for the user."""


@dataclass(frozen=True, eq=False)
class Decoded:
    """An upload decoded.

    Attributes:
        image: ``(H, W, 3)`` uint8 RGB, upright, transparency composited.
        format: what the content is (a key of :data:`SUFFIXES`), whatever the name says.
        stored: ``(height, width)`` of the image as stored in the file, before any reduction.
    """

    image: np.ndarray
    format: str
    stored: tuple[int, int]


# EXIF orientation -> the transpose that makes the image upright (values 2..8; 1 is upright and
# anything else is out of range, shown as stored). The same table as ImageOps.exif_transpose.
_UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def _upright(image: Image.Image) -> Image.Transpose | None:
    # Read from the file as opened: a reduced copy no longer carries TIFF's orientation tag.
    try:
        value = image.getexif().get(ExifTags.Base.Orientation)
    except Exception:  # a corrupt EXIF block is no reason to refuse the pixels
        return None
    return _UPRIGHT.get(value) if isinstance(value, int) else None


def _shrink(image: Image.Image, target: int) -> Image.Image:
    """Reduce by an integer factor, in the image's own mode, to a longer side in [target/2,
    target]; the image itself when it is already small enough."""
    w, h = image.size
    factor = math.ceil(max(w, h) / target)
    if factor < 2:
        return image
    size = (math.ceil(w / factor), math.ceil(h / factor))
    if image.mode in ("1", "P", "PA"):  # averaging would mix bits or palette indices
        return image.resize(size, Image.Resampling.NEAREST)
    if image.mode in ("LA", "RGBA"):
        # Average premultiplied colour, or the hidden colour of transparent pixels bleeds in;
        # strip by strip, so the premultiplied copy never exists at full size.
        premultiplied = image.mode[:-1] + "a"
        out = Image.new(premultiplied, size)
        rows = 64 * factor
        for y in range(0, h, rows):
            strip = image.crop((0, y, w, min(h, y + rows))).convert(premultiplied)
            out.paste(strip.reduce(factor), (0, y // factor))
        return out
    try:
        return image.resize(size, Image.Resampling.BOX)  # an exact box average: reduce()
    except ValueError:  # a mode Pillow cannot resample: convert it at full size instead
        return image


def _decode(raw: bytes, name: str, bg: Color, max_pixels: int, max_side: int | None) -> Decoded:
    # Above Image.MAX_IMAGE_PIXELS Pillow itself warns (twice that: raises); refuse there with
    # our own message rather than turn its warning into an error with warnings.catch_warnings,
    # which changes filters that every thread of a server shares.
    limit = min(max_pixels, Image.MAX_IMAGE_PIXELS or max_pixels)
    with Image.open(io.BytesIO(raw), formats=list(FORMATS)) as opened:
        w, h = opened.size  # from the header; no pixels decoded yet
        if w < 1 or h < 1:
            raise ImageError(f"{name}: the image has zero width or height ({w}×{h})")
        if w * h > limit:
            raise ImageError(
                f"{name}: too many pixels: {w}×{h} ({w * h / 1e6:.1f} megapixels), "
                f"the limit is {limit / 1e6:.1f} megapixels"
            )
        fmt, turn = str(opened.format), _upright(opened)
        if max_side is not None and max(w, h) > max_side:
            scale = max_side / max(w, h)
            opened.draft(None, (math.ceil(w * scale), math.ceil(h * scale)))  # JPEG only
        opened.load()  # Pillow decodes lazily: force it here so truncation is caught
        image = opened if max_side is None else _shrink(opened, 2 * max_side)
        if turn is not None:
            image = image.transpose(turn)
        out = to_array(image, background=bg)
    return Decoded(out if max_side is None else limit_side(out, max_side), fmt, (h, w))


def decode_image(
    data: bytes,
    name: str = "image",
    *,
    background: Color = BACKGROUND,
    max_bytes: int = MAX_UPLOAD_BYTES,
    max_pixels: int = MAX_PIXELS,
    max_side: int | None = None,
) -> Decoded:
    """Decode an uploaded file, by its content, to an upright ``HWC uint8`` RGB image.

    Args:
        data: the file's bytes (PNG, JPEG, WebP, BMP, GIF: first frame, TIFF: first page),
            under any name.
        name: the file name, used in error messages (shorten it first if it may be long).
        background: RGB that transparent pixels are composited onto.
        max_bytes: largest accepted file size.
        max_pixels: largest accepted ``width * height``, checked from the header before decoding.
        max_side: reduce so the longer side is at most this, decoding at reduced size where the
            format allows (see the module docstring); None keeps the full size.

    Returns:
        A :class:`Decoded` holding a new ``(H, W, 3)`` uint8 array, EXIF orientation applied.

    Raises:
        ImageError: ``"{name}: {reason}"`` for an empty, oversized, unreadable, unsupported,
            truncated or too-many-pixel file; never any other exception for bad file contents.
        ValueError: for bad arguments (background, limits, non-bytes data).
    """
    bg = check_color(background, "background")
    max_bytes = check_int(max_bytes, "max_bytes", 1)
    max_pixels = check_int(max_pixels, "max_pixels", 1)
    if max_side is not None:
        max_side = check_int(max_side, "max_side", 1)
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise ValueError(f"data must be bytes, got {type(data).__name__}")
    raw = bytes(data)
    if not raw:
        raise ImageError(f"{name}: the file is empty (0 bytes)")
    if len(raw) > max_bytes:
        raise ImageError(
            f"{name}: the file is {len(raw) / 1e6:.1f} MB ({len(raw):,} bytes), over the "
            f"{max_bytes / 1e6:g} MB limit ({max_bytes:,} bytes)"
        )
    try:
        return _decode(raw, name, bg, max_pixels, max_side)
    except ImageError:
        raise
    except UnidentifiedImageError as exc:  # before OSError: it is a subclass
        raise ImageError(f"{name}: {NOT_AN_IMAGE}") from exc
    except Image.DecompressionBombError as exc:
        bomb = 2 * (Image.MAX_IMAGE_PIXELS or 0)  # where Pillow raises
        raise ImageError(
            f"{name}: too many pixels: over {bomb / 1e6:.0f} megapixels, the limit is "
            f"{min(max_pixels, bomb // 2 or max_pixels) / 1e6:.1f} megapixels"
        ) from exc
    except (OSError, EOFError, SyntaxError) as exc:
        raise ImageError(f"{name}: the file is truncated or corrupt ({exc})") from exc
    except ValueError as exc:
        if "MAX_TEXT" not in str(exc):  # Pillow's limits on PNG text and ICC chunks
            raise ImageError(f"{name}: could not decode the image ({exc})") from exc
        raise ImageError(
            f"{name}: its metadata (text or colour profile chunks) is too large to read safely"
        ) from exc
    except MemoryError as exc:
        raise ImageError(f"{name}: the image is too large to decode (out of memory)") from exc
    except Exception as exc:
        raise ImageError(f"{name}: could not decode the image ({exc})") from exc


def load_image(
    data: bytes,
    name: str = "image",
    *,
    background: Color = BACKGROUND,
    max_bytes: int = MAX_UPLOAD_BYTES,
    max_pixels: int = MAX_PIXELS,
) -> np.ndarray:
    """:func:`decode_image` at full size, the pixels only: a new ``(H, W, 3)`` uint8 array.

    Raises:
        ImageError, ValueError: as :func:`decode_image`.
    """
    return decode_image(
        data, name, background=background, max_bytes=max_bytes, max_pixels=max_pixels
    ).image


def header_pixels(data: bytes) -> int:
    """``width * height`` from the header of an image in :data:`FORMATS`, without decoding it;
    0 when the bytes are no such image (:func:`decode_image` then says why)."""
    try:
        with Image.open(io.BytesIO(bytes(data)), formats=list(FORMATS)) as im:
            return int(im.size[0]) * int(im.size[1])
    except Exception:
        return 0


def name_note(name: str, fmt: str) -> str | None:
    """A sentence for the user when ``name`` does not end the way a ``fmt`` file does.

    ``name_note("photo.png.exe", "PNG")`` says the file was read as PNG although its name ends
    in .exe; None when the ending fits, in any case (``UPPER.PNG``).
    """
    suffix = PurePosixPath(name).suffix.lower()
    if suffix in SUFFIXES.get(fmt, ()):
        return None
    said = f"ends in {suffix}" if suffix else "has no extension"
    return f"{name}: the name {said}, but the file is a {fmt} image, so it was read as one."

"""A corpus of hostile and odd uploads, generated deterministically at test time.

Each :class:`Entry` is a file a visitor could send (name and bytes) and the outcome the app owes
them: ``"decoded"`` (a mix is shown; ``note`` when the name does not fit the content, which a
caption then says) or ``"refused"`` (a clear message naming the file, nothing else breaks). The
bytes are built here, in memory, from Pillow and a few hand-made headers, so nothing big is
committed; :func:`write` puts them in a folder for a browser to upload.

Outcomes are checked against :func:`cutmix_core.data.images.decode_image` in
tests/app/test_uploads_corpus.py, and through every upload page there.
"""

from __future__ import annotations

import functools
import io
import json
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from cutmix_core.defaults import MAX_PIXELS, MAX_UPLOAD_BYTES

DECODED, REFUSED = "decoded", "refused"


@dataclass(frozen=True)
class Entry:
    """One upload: its name, its bytes, what it tests, and what the app must do with it."""

    name: str
    data: bytes
    outcome: str  # DECODED or REFUSED
    why: str
    note: bool = False  # decoded, and a caption says the name does not fit the content
    reason: str = ""  # for REFUSED: a phrase the message must contain
    group: str = "images"  # "images" (formats, modes, sizes), "names" (odd names), "refused"


# --------------------------------------------------------------------------- building blocks


def _encode(im: Image.Image, fmt: str, **kw: object) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **kw)
    return buf.getvalue()


def _picture(w: int = 64, h: int = 48, seed: int = 0) -> Image.Image:
    """A small RGB picture with structure (blocks of colour), the same for every run."""
    rng = np.random.default_rng(seed)
    blocks = rng.integers(0, 256, (max(1, h // 8), max(1, w // 8), 3), dtype=np.uint8)
    big = np.repeat(np.repeat(blocks, 8, axis=0), 8, axis=1)
    canvas = np.zeros((h, w, 3), dtype=np.uint8)
    hh, ww = min(h, big.shape[0]), min(w, big.shape[1])
    canvas[:hh, :ww] = big[:hh, :ww]
    return Image.fromarray(canvas)


def _chunk(kind: bytes, payload: bytes) -> bytes:
    crc = zlib.crc32(kind + payload) & 0xFFFFFFFF
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` x ``height`` but holds almost no pixel data."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", ihdr)
        + _chunk(b"IDAT", zlib.compress(b"\0" * 16))
        + _chunk(b"IEND", b"")
    )


def _with_chunk(png: bytes, chunk: bytes) -> bytes:
    """``png`` with ``chunk`` inserted right after IHDR (8-byte signature + 25-byte IHDR)."""
    return png[:33] + chunk + png[33:]


def _zeros_compressed(n: int) -> bytes:
    """zlib of ``n`` zero bytes, built in pieces (a decompression bomb: tiny in, huge out)."""
    z = zlib.compressobj(9)
    piece = b"\0" * (1 << 20)
    out = [z.compress(piece) for _ in range(n >> 20)]
    return b"".join(out) + z.compress(b"\0" * (n & ((1 << 20) - 1))) + z.flush()


def _ztxt_bomb() -> bytes:
    payload = b"Comment\0\0" + _zeros_compressed(64 << 20)  # 64 MB of text from ~64 KB
    return _with_chunk(_encode(_picture(), "PNG"), _chunk(b"zTXt", payload))


def _itxt_bomb() -> bytes:
    payload = b"Description\0\x01\x00en\0Description\0" + _zeros_compressed(64 << 20)
    return _with_chunk(_encode(_picture(), "PNG"), _chunk(b"iTXt", payload))


def _many_text_chunks() -> bytes:
    # 100 chunks of 1 MB each, each under Pillow's per-chunk limit, 100 MB in all.
    one = _chunk(b"zTXt", b"Comment\0\0" + _zeros_compressed(1_000_000))
    return _with_chunk(_encode(_picture(), "PNG"), one * 100)


def _jpeg_with_app1(payload: bytes) -> bytes:
    jpeg = _encode(_picture(), "JPEG", quality=90)
    return jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload + jpeg[2:]


def _exif(orientation: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    return _encode(_picture(64, 32), "JPEG", exif=exif.tobytes())


def _psd(w: int = 4, h: int = 4) -> bytes:
    """A minimal valid Photoshop file: RGB, 8 bits, raw pixel data."""
    header = b"8BPS" + struct.pack(">H6xHIIHH", 1, 3, h, w, 8, 3)
    sections = struct.pack(">III", 0, 0, 0)  # colour mode data, resources, layers: empty
    return header + sections + struct.pack(">H", 0) + bytes(range(3 * w * h))


def _gif_screen_bomb() -> bytes:
    # A GIF whose logical screen is 65535 x 65535 (4.3 gigapixels) around a 1x1 frame.
    one = _encode(Image.new("P", (1, 1)), "GIF")
    return one[:6] + struct.pack("<HH", 65535, 65535) + one[10:]


def _tiff_bomb() -> bytes:
    tiff = bytearray(_encode(Image.new("L", (8, 8)), "TIFF"))
    # Rewrite ImageWidth and ImageLength (tags 256 and 257) to 60000 each.
    n = struct.unpack_from("<H", tiff, struct.unpack_from("<I", tiff, 4)[0])[0]
    start = struct.unpack_from("<I", tiff, 4)[0] + 2
    for i in range(n):
        at = start + 12 * i
        tag, kind = struct.unpack_from("<HH", tiff, at)
        if tag in (256, 257):
            fmt = "<H" if kind == 3 else "<I"
            struct.pack_into(fmt, tiff, at + 8, 60000)
    return bytes(tiff)


def _padded(png: bytes, size: int) -> bytes:
    """``png`` followed by zero bytes up to ``size`` in all (data after IEND is ignored)."""
    return png + b"\0" * (size - len(png))


def _corrupt_jpeg() -> bytes:
    data = bytearray(_encode(_picture(), "JPEG", quality=90))
    sof = data.index(b"\xff\xc0")
    data[sof + 4 : sof + 10] = b"\xff" * 6  # precision, height and width: nonsense
    return bytes(data)


def _apng() -> bytes:
    frames = [_picture(seed=s) for s in range(3)]
    return _encode(frames[0], "PNG", save_all=True, append_images=frames[1:], duration=100)


def _animated(fmt: str) -> bytes:
    frames = [_picture(seed=s) for s in range(3)]
    return _encode(frames[0], fmt, save_all=True, append_images=frames[1:], duration=100)


def _palette_transparent(fmt: str) -> bytes:
    p = _picture().convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    return _encode(p, fmt, transparency=0)


def _lab() -> bytes:
    return _encode(Image.new("LAB", (32, 24), (138, 208, 195)), "TIFF")


def _large_photo() -> bytes:
    # 24 megapixels: a "large" decode (over LARGE_DECODE_PIXELS), read in JPEG draft mode.
    im = _picture(60, 40).resize((6000, 4000), Image.Resampling.NEAREST)
    return _encode(im, "JPEG", quality=80)


# --------------------------------------------------------------------------- the corpus


def _png() -> bytes:
    return _encode(_picture(), "PNG")


_Row = tuple[str, Callable[[], bytes], str, str, dict[str, object]]

# -- valid images, every format and mode
_IMAGES: list[_Row] = [
    ("plain.png", _png, DECODED, "a plain RGB PNG", {}),
    ("photo.jpg", lambda: _encode(_picture(), "JPEG", quality=90), DECODED, "JPEG", {}),
    ("picture.webp", lambda: _encode(_picture(), "WEBP"), DECODED, "WebP", {}),
    ("bitmap.bmp", lambda: _encode(_picture(), "BMP"), DECODED, "BMP", {}),
    ("still.gif", lambda: _encode(_picture(), "GIF"), DECODED, "GIF", {}),
    ("scan.tiff", lambda: _encode(_picture(), "TIFF"), DECODED, "TIFF", {}),
    ("one.png", lambda: _encode(Image.new("RGB", (1, 1), (9, 8, 7)), "PNG"), DECODED, "1x1", {}),
    ("tall.png", lambda: _encode(Image.new("RGB", (1, 5000), 90), "PNG"), DECODED, "1x5000", {}),
    ("wide.png", lambda: _encode(Image.new("L", (5000, 1), 90), "PNG"), DECODED, "5000x1", {}),
    (
        "deep16.png",
        lambda: _encode(
            Image.fromarray(np.arange(48 * 64, dtype=np.uint16).reshape(48, 64) * 21), "PNG"
        ),
        DECODED,
        "16-bit grey (I;16)",
        {},
    ),
    (
        "float.tif",
        lambda: _encode(
            Image.fromarray(np.linspace(0, 1, 48 * 64, dtype=np.float32).reshape(48, 64)), "TIFF"
        ),
        DECODED,
        "32-bit float grey (F)",
        {},
    ),
    ("cmyk.jpg", lambda: _encode(_picture().convert("CMYK"), "JPEG"), DECODED, "CMYK JPEG", {}),
    ("cmyk.tif", lambda: _encode(_picture().convert("CMYK"), "TIFF"), DECODED, "CMYK TIFF", {}),
    ("lab.tif", _lab, DECODED, "CIE LAB TIFF", {}),
    ("bilevel.png", lambda: _encode(_picture().convert("1"), "PNG"), DECODED, "1-bit", {}),
    ("clear.png", lambda: _palette_transparent("PNG"), DECODED, "palette with transparency", {}),
    ("clear.gif", lambda: _palette_transparent("GIF"), DECODED, "GIF with transparency", {}),
    ("alpha.png", lambda: _encode(_picture().convert("RGBA"), "PNG"), DECODED, "RGBA", {}),
    ("greyalpha.png", lambda: _encode(_picture().convert("LA"), "PNG"), DECODED, "LA", {}),
    ("animated.gif", lambda: _animated("GIF"), DECODED, "animated GIF: first frame", {}),
    ("animated.webp", lambda: _animated("WEBP"), DECODED, "animated WebP: first frame", {}),
    ("animated.png", _apng, DECODED, "APNG: first frame", {}),
    ("pages.tif", lambda: _animated("TIFF"), DECODED, "multi-page TIFF: first page", {}),
    ("rotated.jpg", lambda: _exif(6), DECODED, "EXIF orientation 6 (turned upright)", {}),
    ("orientation9.jpg", lambda: _exif(9), DECODED, "EXIF orientation out of range", {}),
    (
        "badexif.jpg",
        lambda: _jpeg_with_app1(b"Exif\0\0II*\0" + b"\xff" * 40),
        DECODED,
        "corrupt EXIF block: pixels as stored",
        {},
    ),
    (
        "icc.jpg",
        lambda: _encode(_picture(), "JPEG", icc_profile=bytes(range(256)) * 16384),
        DECODED,
        "a 4 MB ICC profile",
        {},
    ),
    (
        "icc.png",
        lambda: _encode(_picture(), "PNG", icc_profile=bytes(range(256)) * 16384),
        REFUSED,
        "a 4 MB ICC profile, compressed in iCCP: over Pillow's limit for one chunk",
        {"reason": "metadata"},
    ),
    ("bigphoto.jpg", _large_photo, DECODED, "24 megapixels, decoded at reduced size", {}),
    (
        "at-size-limit.png",
        lambda: _padded(_encode(_picture(), "PNG"), MAX_UPLOAD_BYTES),
        DECODED,
        "exactly the upload limit in bytes",
        {},
    ),
    (
        "at-pixel-limit.png",
        lambda: _encode(Image.new("L", (10_000, MAX_PIXELS // 10_000), 77), "PNG"),
        DECODED,
        "exactly the pixel limit",
        {},
    ),
    ("many-texts.png", _many_text_chunks, REFUSED, "100 MB of text in all", {"reason": "metadata"}),
]

# -- valid images under odd names
_NAMES: list[_Row] = [
    ("UPPER.PNG", _png, DECODED, "an upper-case extension", {}),
    ("photo.png.exe", _png, DECODED, "a double extension", {"note": True}),
    ("noextension", _png, DECODED, "no extension", {"note": True}),
    ("data.bin", _png, DECODED, ".bin", {"note": True}),
    ("mislabelled.jpg", _png, DECODED, "a PNG named .jpg", {"note": True}),
    ("../../etc/passwd.png", _png, DECODED, "path traversal in the name", {}),
    ("**bold** [link](http://x).png", _png, DECODED, "markdown in the name", {}),
    ("<img src=x onerror=alert(1)>.png", _png, DECODED, "HTML in the name", {}),
    (":red[red] $x^2$ `code` ~~s~~ www.x.com.png", _png, DECODED, "more markup", {}),
    ("фото 写真 📷 café.png", _png, DECODED, "unicode", {}),
    ("a" * 296 + ".png", _png, DECODED, "300 characters", {}),
    (
        "line\nbreak\u202egnp.exe",
        _png,
        DECODED,
        "newline and right-to-left override",
        {"note": True},
    ),
]

# -- refused: not images, broken, or too big
_REFUSED: list[_Row] = [
    ("empty.png", lambda: b"", REFUSED, "zero bytes", {"reason": "empty"}),
    ("notes.png", lambda: b"just some text\n" * 10, REFUSED, "text", {"reason": "not an image"}),
    (
        "page.png",
        lambda: b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>",
        REFUSED,
        "HTML under an image name",
        {"reason": "not an image"},
    ),
    (
        "vector.png",
        lambda: b'<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"><rect/></svg>',
        REFUSED,
        "SVG under an image name",
        {"reason": "not an image"},
    ),
    (
        "drawing.svg",
        lambda: b'<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"><rect/></svg>',
        REFUSED,
        "SVG",
        {"reason": "not an image"},
    ),
    ("cut.png", lambda: _png()[:300], REFUSED, "truncated PNG", {"reason": "truncated or corrupt"}),
    (
        "cut.jpg",
        lambda: _encode(_picture(), "JPEG")[:400],
        REFUSED,
        "truncated JPEG",
        {"reason": "truncated or corrupt"},
    ),
    (
        "cut.tif",
        lambda: _encode(_picture(), "TIFF")[:3000],
        REFUSED,
        "truncated TIFF",
        {"reason": "truncated or corrupt"},
    ),
    ("badcrc.png", lambda: _png()[:29] + b"\0\0\0\0" + _png()[33:], REFUSED, "corrupt PNG", {}),
    ("badsof.jpg", _corrupt_jpeg, REFUSED, "corrupt JPEG frame header", {}),
    (
        "huge-header.png",
        lambda: _png_header_only(100_000, 100_000),
        REFUSED,
        "10 gigapixels in the header",
        {"reason": "too many pixels"},
    ),
    (
        "wide-bomb.png",
        lambda: _png_header_only(60_000, 1_000),
        REFUSED,
        "60 megapixels in one dimension",
        {"reason": "too many pixels"},
    ),
    (
        "over-pixel-limit.png",
        lambda: _png_header_only(10_000, MAX_PIXELS // 10_000 + 1),
        REFUSED,
        "one row over the pixel limit",
        {"reason": "too many pixels"},
    ),
    ("screen.gif", _gif_screen_bomb, REFUSED, "GIF screen of 4.3 gigapixels", {"reason": "pixels"}),
    ("bomb.tif", _tiff_bomb, REFUSED, "TIFF of 3.6 gigapixels", {"reason": "pixels"}),
    (
        "zero.png",
        lambda: _png_header_only(0, 10),
        REFUSED,
        "zero width",
        {},
    ),
    (
        "over-size-limit.png",
        lambda: _padded(_encode(_picture(), "PNG"), MAX_UPLOAD_BYTES + 1),
        REFUSED,
        "one byte over the upload limit",
        {"reason": "over the"},
    ),
    ("ztxt-bomb.png", _ztxt_bomb, REFUSED, "64 MB in one zTXt chunk", {"reason": "metadata"}),
    ("itxt-bomb.png", _itxt_bomb, REFUSED, "64 MB in one iTXt chunk", {"reason": "metadata"}),
    (
        "figure.png",
        lambda: _encode(_picture(), "EPS"),
        REFUSED,
        "EPS named .png (never Ghostscript)",
        {"reason": "not an image"},
    ),
    ("paper.pdf", lambda: _encode(_picture(), "PDF"), REFUSED, "PDF", {"reason": "not an image"}),
    ("layers.psd", _psd, REFUSED, "Photoshop", {"reason": "not an image"}),
    ("icon.ico", lambda: _encode(_picture(), "ICO"), REFUSED, "ICO", {"reason": "not an image"}),
    ("pixmap.png", lambda: _encode(_picture(), "PPM"), REFUSED, "PPM", {"reason": "not an image"}),
    (
        "**bold** [link](http://x).png",
        lambda: b"text",
        REFUSED,
        "markdown in a refused name",
        {"reason": "not an image"},
    ),
    (
        "<img src=x onerror=alert(1)>.gif",
        lambda: b"<html>",
        REFUSED,
        "HTML in a refused name",
        {"reason": "not an image"},
    ),
    ("b" * 300, lambda: b"x", REFUSED, "300 characters, refused", {"reason": "not an image"}),
]


@functools.cache
def build() -> tuple[Entry, ...]:
    """Every entry, built once per test session (about 60 files, 40 MB in all)."""
    out = []
    for group, rows in (("images", _IMAGES), ("names", _NAMES), ("refused", _REFUSED)):
        for name, make, outcome, why, extra in rows:
            out.append(Entry(name, make(), outcome, why, group=group, **extra))  # type: ignore[arg-type]
    return tuple(out)


def write(folder: Path, names: list[str] | None = None) -> list[tuple[Path, Entry]]:
    """Write the entries (or those named) into ``folder`` as files, with a manifest.json;
    returns (path, entry) pairs. Names unsafe as file names are stored under numbered names."""
    folder.mkdir(parents=True, exist_ok=True)
    chosen = [e for e in build() if names is None or e.name in names]
    written, manifest = [], []
    for i, entry in enumerate(chosen):
        path = folder / f"{i:03d}.bin"
        path.write_bytes(entry.data)
        written.append((path, entry))
        manifest.append({"file": path.name, "name": entry.name, "outcome": entry.outcome})
    (folder / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1))
    return written

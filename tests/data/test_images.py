"""Tests for cutmix_core.data.images: decoding every mode and format, errors, sizing and drawing.

Every input is built in memory with Pillow (or crafted byte by byte for headers that would be
too big to build), so the tests run offline in a second or two.
"""

from __future__ import annotations

import io
import re
import struct
import warnings
import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageFile

from cutmix_core.data.images import (
    DEFAULT_SIZE_POLICY,
    NOT_AN_IMAGE,
    SIZE_POLICIES,
    ImageError,
    center_crop_square,
    check_image,
    display_scale,
    draw_box,
    fit_pair,
    limit_side,
    load_image,
    resize,
    to_array,
    to_png_bytes,
    upscale_nearest,
)
from cutmix_core.defaults import BACKGROUND, MAX_SIDE, MAX_UPLOAD_BYTES
from cutmix_core.mixing.pair import Box

GREEN = (0, 255, 0)  # a background no test pixel has, so compositing is visible
MB = 1_000_000  # the decimal megabyte: see defaults.MAX_UPLOAD_MB


def encode(im: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **kw)
    return buf.getvalue()


def noise(h: int, w: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height but carries almost no pixel data."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        crc = zlib.crc32(kind + payload) & 0xFFFFFFFF
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\0" * 16))
        + chunk(b"IEND", b"")
    )


def palette_image(indices: np.ndarray, colors: list[tuple[int, int, int]]) -> Image.Image:
    h, w = indices.shape
    p = Image.frombytes("P", (w, h), indices.astype(np.uint8).tobytes())
    p.putpalette([c for rgb in colors for c in rgb] + [0] * (768 - 3 * len(colors)))
    return p


# --------------------------------------------------------------------------- formats and modes


@pytest.mark.parametrize(
    "fmt, kw", [("PNG", {}), ("BMP", {}), ("TIFF", {}), ("WEBP", {"lossless": True})]
)
def test_lossless_formats_decode_exactly(fmt, kw):
    img = noise(6, 9)
    out = load_image(encode(Image.fromarray(img), fmt, **kw), f"x.{fmt.lower()}")
    assert out.dtype == np.uint8 and out.shape == (6, 9, 3)
    np.testing.assert_array_equal(out, img)
    assert out.flags.writeable and out.flags.c_contiguous


def test_jpeg_decodes_close_to_original():
    img = np.zeros((16, 24, 3), np.uint8)
    img[:, :12] = (200, 40, 30)
    img[:, 12:] = (20, 90, 210)
    out = load_image(encode(Image.fromarray(img), "JPEG", quality=95), "x.jpg")
    assert out.shape == (16, 24, 3) and out.dtype == np.uint8
    assert np.abs(out.astype(int) - img).mean() < 4


def test_rgba_transparent_and_half_transparent_pixels():
    rgba = np.zeros((2, 3, 4), np.uint8)
    rgba[0, 0] = (10, 20, 30, 0)  # fully transparent -> background
    rgba[0, 1] = (255, 0, 0, 128)  # half red on white -> about (255, 128, 128)
    rgba[0, 2] = (10, 20, 30, 255)  # opaque -> unchanged
    data = encode(Image.fromarray(rgba, "RGBA"), "PNG")
    out = load_image(data, "a.png")  # default white background
    assert tuple(out[0, 0]) == BACKGROUND
    assert np.all(np.abs(out[0, 1].astype(int) - (255, 128, 128)) <= 1)
    assert tuple(out[0, 2]) == (10, 20, 30)
    assert tuple(load_image(data, "a.png", background=GREEN)[0, 0]) == GREEN


@pytest.mark.parametrize("fmt, kw", [("WEBP", {"lossless": True}), ("TIFF", {})])
def test_rgba_in_other_formats(fmt, kw):
    rgba = np.zeros((2, 2, 4), np.uint8)
    rgba[0, 0] = (200, 0, 0, 255)
    out = load_image(encode(Image.fromarray(rgba, "RGBA"), fmt, **kw), "a", background=GREEN)
    assert tuple(out[0, 0]) == (200, 0, 0)
    assert tuple(out[1, 1]) == GREEN


@pytest.mark.parametrize("mode", ["LA", "La"])
def test_grey_alpha_modes(mode):
    # La (premultiplied) cannot be saved, so it goes through to_array directly.
    la = Image.frombytes("LA", (2, 1), bytes([100, 255, 100, 0]))
    if mode == "La":
        im = Image.frombytes("La", (2, 1), bytes([100, 255, 0, 0]))
        out = to_array(im, background=GREEN)
    else:
        out = load_image(encode(la, "PNG"), "la.png", background=GREEN)
    assert tuple(out[0, 0]) == (100, 100, 100)
    assert tuple(out[0, 1]) == GREEN


def test_premultiplied_rgba_half_red():
    im = Image.new("RGBA", (1, 1), (255, 0, 0, 128)).convert("RGBa")
    assert np.all(np.abs(to_array(im)[0, 0].astype(int) - (255, 128, 128)) <= 1)


def test_palette_without_transparency_is_exact():
    idx = np.array([[0, 1, 2]])
    colors = [(255, 0, 0), (0, 0, 255), (7, 8, 9)]
    out = load_image(encode(palette_image(idx, colors), "PNG"), "p.png", background=GREEN)
    assert [tuple(p) for p in out[0]] == colors


@pytest.mark.parametrize("fmt", ["PNG", "GIF"])
def test_palette_with_transparency_index(fmt):
    idx = np.array([[0, 1, 2]])
    p = palette_image(idx, [(255, 0, 0), (0, 0, 255), (7, 8, 9)])
    data = encode(p, fmt, transparency=1)  # PNG writes a tRNS chunk, GIF a transparent index
    assert Image.open(io.BytesIO(data)).mode == "P"
    out = load_image(data, "p", background=GREEN)
    assert [tuple(px) for px in out[0]] == [(255, 0, 0), GREEN, (7, 8, 9)]


@pytest.mark.parametrize("mode, key, kept", [("L", 0, (90, 90, 90)), ("RGB", (1, 2, 3), (9, 9, 9))])
def test_colour_key_transparency(mode, key, kept):
    im = Image.new(mode, (2, 1), key)
    im.putpixel((1, 0), kept[0] if mode == "L" else kept)
    out = load_image(encode(im, "PNG", transparency=key), "k.png", background=GREEN)
    assert tuple(out[0, 0]) == GREEN and tuple(out[0, 1]) == kept


def test_bilevel_and_grey():
    bits = Image.frombytes("1", (8, 1), bytes([0b10100000]))
    out = load_image(encode(bits, "PNG"), "b.png")
    assert list(out[0, :3, 0]) == [255, 0, 255] and np.all(out[0, 3:] == 0)
    grey = np.arange(0, 250, 10, dtype=np.uint8).reshape(5, 5)
    out = load_image(encode(Image.fromarray(grey), "PNG"), "g.png")
    np.testing.assert_array_equal(out, np.repeat(grey[..., None], 3, axis=2))


@pytest.mark.parametrize("mode, fmt", [("CMYK", "JPEG"), ("CMYK", "TIFF"), ("YCbCr", "TIFF")])
def test_cmyk_and_ycbcr(mode, fmt):
    colour = (0, 255, 255, 0) if mode == "CMYK" else (76, 85, 255)  # both are pure red
    data = encode(Image.new(mode, (8, 8), colour), fmt, quality=95)
    assert Image.open(io.BytesIO(data)).mode == mode
    out = load_image(data, "c")
    assert out.shape == (8, 8, 3)
    assert np.all(np.abs(out.astype(int) - (255, 0, 0)) <= 3)


def test_lab_is_colour_managed_not_copied():
    out = load_image(encode(Image.new("LAB", (2, 2), (138, 208, 195)), "TIFF"), "lab.tif")
    assert np.all(np.abs(out[0, 0].astype(int) - (255, 0, 0)) <= 16)  # red, not (138, 208, 195)


@pytest.mark.parametrize("fmt, mode", [("PNG", "I;16"), ("TIFF", "I;16"), ("TIFF", "I;16B")])
def test_16_bit_gradient_maps_monotonically_to_full_range(fmt, mode):
    ramp = np.linspace(0, 65535, 64).round().astype(np.uint16)
    dtype = ">u2" if mode.endswith("B") else "<u2"
    im = Image.frombytes(mode, (64, 2), np.tile(ramp, (2, 1)).astype(dtype).tobytes())
    data = encode(im, fmt)
    assert Image.open(io.BytesIO(data)).mode.startswith("I;16")
    out = load_image(data, "deep")
    row = out[0, :, 0].astype(int)
    assert row[0] == 0 and row[-1] == 255 and np.all(np.diff(row) > 0)
    assert np.all(out == out[..., :1])  # grey
    exact = Image.frombytes("I;16", (2, 1), np.array([257 * 100, 257 * 7], "<u2").tobytes())
    assert list(to_array(exact)[0, :, 0]) == [100, 7]  # divide by 257, not min-max


@pytest.mark.parametrize(
    "mode, values, expected",
    [
        ("F", [0.0, 0.5, 1.0], [0, 128, 255]),  # 0..1 floats scale by 255
        ("F", [0.0, 100.0, 200.0], [0, 100, 200]),  # already 0..255
        ("F", [-1.0, 0.0, 3.0], [0, 64, 255]),  # anything else: min-max
        ("I", [0, 100, 255], [0, 100, 255]),
        ("I", [0, 257 * 50, 65535], [0, 50, 255]),  # 16-bit range
        ("I", [-1000, 0, 1000], [0, 128, 255]),
    ],
)
def test_int32_and_float_modes(mode, values, expected):
    arr = np.array([values], dtype=np.float32 if mode == "F" else np.int32)
    data = encode(Image.fromarray(arr), "TIFF")
    assert Image.open(io.BytesIO(data)).mode == mode
    out = load_image(data, "t.tif")
    assert list(out[0, :, 0]) == expected and np.all(out == out[..., :1])


def test_exif_orientation_6_rotates():
    stored = np.zeros((20, 40, 3), np.uint8)
    stored[:] = (0, 0, 255)
    stored[:10, :10] = (255, 0, 0)  # red top-left corner as stored
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    data = encode(Image.fromarray(stored), "JPEG", quality=95, exif=exif.tobytes())
    out = load_image(data, "phone.jpg")
    assert out.shape == (40, 20, 3)  # width and height swapped
    assert np.all(np.abs(out[3, 16].astype(int) - (255, 0, 0)) < 30)  # now top-right
    assert np.all(np.abs(out[3, 3].astype(int) - (0, 0, 255)) < 30)
    plain = load_image(encode(Image.fromarray(stored), "JPEG"), "plain.jpg")
    assert plain.shape == (20, 40, 3)


def test_gif_gives_first_frame():
    red = palette_image(np.zeros((4, 4)), [(255, 0, 0)])
    blue = palette_image(np.zeros((4, 4)), [(0, 0, 255)])
    data = encode(red, "GIF", save_all=True, append_images=[blue], duration=100)
    assert Image.open(io.BytesIO(data)).n_frames == 2
    out = load_image(data, "anim.gif")
    assert out.shape == (4, 4, 3) and np.all(out == (255, 0, 0))


# --------------------------------------------------------------------------- errors


def test_empty_file():
    with pytest.raises(ImageError, match=r"^photo\.png: the file is empty"):
        load_image(b"", "photo.png")


def test_file_over_max_bytes_names_size_and_limit():
    with pytest.raises(
        ImageError,
        match=r"^big\.jpg: the file is 1\.5 MB \(1,500,000 bytes\), over the 1 MB limit "
        r"\(1,000,000",
    ):
        load_image(b"\0" * (MB + MB // 2), "big.jpg", max_bytes=MB)
    with pytest.raises(ImageError, match=r"16\.0 MB \(16,000,001 bytes\), over the 16 MB limit"):
        load_image(b"\0" * (MAX_UPLOAD_BYTES + 1), "huge.png")  # default limit
    with pytest.raises(ImageError, match=re.escape(NOT_AN_IMAGE)):  # at the limit: read it
        load_image(b"\0" * MAX_UPLOAD_BYTES, "huge.png")


@pytest.mark.parametrize(
    "data",
    [b"hello, this is text", encode(Image.new("RGB", (4, 4)), "PPM")],  # PPM: readable, refused
    ids=["text", "ppm"],
)
def test_not_an_image(data):
    with pytest.raises(ImageError, match="^notes.txt: " + re.escape(NOT_AN_IMAGE)):
        load_image(data, "notes.txt")


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP", "GIF", "TIFF", "BMP"])
def test_truncated_files(fmt):
    data = encode(Image.fromarray(noise(64, 64)), fmt)
    assert load_image(data, "ok").shape == (64, 64, 3)
    with pytest.raises(ImageError, match=rf"^cut\.{fmt.lower()}: the file is truncated or corrupt"):
        load_image(data[: len(data) // 2], f"cut.{fmt.lower()}")


def test_over_max_pixels_on_a_real_image():
    data = encode(Image.new("RGB", (1, 101)), "PNG")
    with pytest.raises(ImageError, match=r"^tall\.png: too many pixels: 1×101"):
        load_image(data, "tall.png", max_pixels=100)
    assert load_image(encode(Image.new("RGB", (1, 100)), "PNG"), "ok", max_pixels=100).shape == (
        100,
        1,
        3,
    )


def test_over_max_pixels_is_checked_from_the_header():
    # 60 MP header with no pixel data: decoding would report truncation, so the size check
    # must happen before decoding for this message to appear.
    with pytest.raises(ImageError, match=r"^wide\.png: too many pixels: 10000×6000 \(60\.0 mega"):
        load_image(png_header_only(10_000, 6_000), "wide.png")


@pytest.mark.parametrize("side", [10_000, 20_000], ids=["pillow-warning", "pillow-error"])
def test_decompression_bomb_caught_without_touching_globals(side, monkeypatch):
    # Over Pillow's MAX_IMAGE_PIXELS it warns, over twice that it raises; both are refused
    # with our message even when max_pixels would allow more, and without catch_warnings or
    # simplefilter, which change filters that every thread of a server shares.
    def shared_state_touched(*args, **kwargs):
        raise AssertionError("the decoder changed the process-wide warning filters")

    before = (Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES, list(warnings.filters))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # Pillow's own warning
        for name in ("catch_warnings", "simplefilter", "filterwarnings"):
            monkeypatch.setattr(warnings, name, shared_state_touched)
        with pytest.raises(ImageError, match=r"^bomb\.png: too many pixels"):
            load_image(png_header_only(side, side), "bomb.png", max_pixels=10**12)
        monkeypatch.undo()
    after = (Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES, list(warnings.filters))
    assert after == before


def test_zero_size_image_is_an_image_error():
    with pytest.raises(ImageError, match=r"^zero\.png: "):
        load_image(png_header_only(0, 10), "zero.png")


def test_globals_unchanged_after_many_calls():
    before = (Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES, list(warnings.filters))
    load_image(encode(Image.new("RGBA", (3, 3)), "PNG"))
    for bad in [b"", b"junk", png_header_only(20_000, 20_000), png_header_only(40, 40)]:
        with pytest.raises(ImageError):
            load_image(bad)
    after = (Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES, list(warnings.filters))
    assert after == before


_SAMPLES = [encode(Image.fromarray(noise(12, 10)), f) for f in ("PNG", "JPEG", "GIF", "WEBP")]


@settings(max_examples=60, deadline=None)
@given(
    which=st.integers(0, len(_SAMPLES) - 1),
    cut=st.floats(0.0, 1.0),
    flips=st.lists(st.tuples(st.floats(0.0, 1.0), st.integers(0, 255)), max_size=3),
)
def test_damaged_files_raise_only_image_error(which, cut, flips):
    data = bytearray(_SAMPLES[which][: int(len(_SAMPLES[which]) * cut)])
    for where, value in flips:
        if data:
            data[int(where * (len(data) - 1))] = value
    try:
        out = load_image(bytes(data), "fuzz")
    except ImageError as exc:
        assert str(exc).startswith("fuzz: ")
    else:
        assert out.dtype == np.uint8 and out.ndim == 3 and out.shape[2] == 3


def test_bad_arguments_are_value_errors():
    with pytest.raises(ValueError, match=r"background.*\(1, 2\)"):
        load_image(b"x", background=(1, 2))
    with pytest.raises(ValueError, match="max_pixels.*0"):
        load_image(b"x", max_pixels=0)


# --------------------------------------------------------------------------- sizing


def test_limit_side():
    img = noise(300, 1000)
    out = limit_side(img, 512)
    assert out.shape == (154, 512, 3) and out.dtype == np.uint8
    assert limit_side(noise(2000, 1), 512).shape == (512, 1, 3)
    small = noise(20, MAX_SIDE)
    same = limit_side(small)
    np.testing.assert_array_equal(same, small)
    assert not np.shares_memory(same, small)
    np.testing.assert_array_equal(img, noise(300, 1000))  # input untouched


def test_resize_and_center_crop():
    flat = np.full((10, 7, 3), 77, np.uint8)
    out = resize(flat, 4, 13)
    assert out.shape == (4, 13, 3) and np.all(out == 77)
    img = noise(4, 6)
    np.testing.assert_array_equal(center_crop_square(img), img[:, 1:5])
    np.testing.assert_array_equal(center_crop_square(noise(7, 3))[:, :], noise(7, 3)[2:5])
    assert center_crop_square(img, 9).shape == (9, 9, 3)
    with pytest.raises(ValueError, match="height.*0"):
        resize(img, 0, 3)


def test_size_policies_keys_and_labels():
    assert dict(SIZE_POLICIES) == {
        "resize_b_to_a": "Resize B to A's size",
        "crop_square": "Centre-crop both to a square of side N",
        "resize_square": "Resize both to N×N (stretches)",
    }
    assert DEFAULT_SIZE_POLICY == "resize_b_to_a"


@pytest.mark.parametrize(
    "policy, shape",
    [("resize_b_to_a", (30, 40, 3)), ("crop_square", (16, 16, 3)), ("resize_square", (16, 16, 3))],
)
def test_fit_pair(policy, shape):
    a, b = noise(30, 40, seed=1), noise(50, 20, seed=2)
    a_bytes, b_bytes = a.tobytes(), b.tobytes()
    a2, b2 = fit_pair(a, b, policy, side=16)
    assert a2.shape == b2.shape == shape and a2.dtype == b2.dtype == np.uint8
    assert a.tobytes() == a_bytes and b.tobytes() == b_bytes
    assert not np.shares_memory(a2, a) and not np.shares_memory(b2, b)
    if policy == "resize_b_to_a":
        np.testing.assert_array_equal(a2, a)


def test_fit_pair_crop_keeps_pixels_when_no_resize_needed():
    a, b = noise(8, 12, seed=3), noise(10, 8, seed=4)
    a2, b2 = fit_pair(a, b, "crop_square", side=8)
    np.testing.assert_array_equal(a2, a[:, 2:10])
    np.testing.assert_array_equal(b2, b[1:9])


def test_fit_pair_errors():
    with pytest.raises(ValueError, match="'stretch_a'"):
        fit_pair(noise(4, 4), noise(4, 4), "stretch_a")
    with pytest.raises(ValueError, match=r"shape \(4, 4\)"):
        fit_pair(np.zeros((4, 4), np.uint8), noise(4, 4))


# --------------------------------------------------------------------------- display


def test_upscale_nearest_and_display_scale():
    img = noise(2, 3)
    up = upscale_nearest(img, 3)
    assert up.shape == (6, 9, 3)
    np.testing.assert_array_equal(up[::3, ::3], img)
    np.testing.assert_array_equal(up[2::3, 2::3], img)
    with pytest.raises(ValueError, match="factor.*0"):
        upscale_nearest(img, 0)
    assert display_scale(32, 32) == 8
    assert display_scale(28, 20) == 9
    assert display_scale(100, 50) == 2
    assert display_scale(600, 400) == 1
    assert display_scale(32, 32, target=512) == 16


def _outline(shape_hw, y0, y1, x0, x1, t=1):
    mask = np.zeros(shape_hw, bool)
    mask[y0:y1, x0:x1] = True
    mask[y0 + t : y1 - t, x0 + t : x1 - t] = False
    return mask


def test_draw_box_changes_exactly_the_outline():
    img = np.full((6, 8, 3), (10, 20, 30), np.uint8)
    before = img.copy()
    out = draw_box(img, Box(1, 5, 2, 7), color=(255, 0, 0), thickness=1)
    changed = np.any(out != img, axis=2)
    np.testing.assert_array_equal(changed, _outline((6, 8), 1, 5, 2, 7))
    assert np.all(out[changed] == (255, 0, 0))
    np.testing.assert_array_equal(img, before)  # input untouched


def test_draw_box_default_thickness_leaves_centre():
    img = np.zeros((7, 7, 3), np.uint8)
    out = draw_box(img, Box(1, 6, 1, 6))  # 5x5 box, 2-pixel ring, 1x1 centre
    np.testing.assert_array_equal(np.any(out != 0, axis=2), _outline((7, 7), 1, 6, 1, 6, t=2))


def test_draw_box_with_scale():
    img = noise(3, 4)
    out = draw_box(img, Box(1, 3, 1, 3), color=(1, 2, 3), thickness=1, scale=2)
    up = upscale_nearest(img, 2)
    assert out.shape == (6, 8, 3)
    changed = np.any(out != up, axis=2) | np.all(out == (1, 2, 3), axis=2)
    np.testing.assert_array_equal(changed, _outline((6, 8), 2, 6, 2, 6))


def test_draw_box_thickness_clipped_and_empty_box():
    img = np.zeros((5, 6, 3), np.uint8)
    out = draw_box(img, Box(1, 3, 1, 4), thickness=10)
    inside = np.zeros((5, 6), bool)
    inside[1:3, 1:4] = True
    np.testing.assert_array_equal(np.any(out != 0, axis=2), inside)
    np.testing.assert_array_equal(draw_box(img, Box(2, 2, 1, 4), scale=2), upscale_nearest(img, 2))


def test_draw_box_outside_image():
    box = Box(0, 5, 0, 3)
    with pytest.raises(ValueError, match=re.escape(f"{box}") + r".*\(4, 5, 3\)"):
        draw_box(np.zeros((4, 5, 3), np.uint8), box)


# --------------------------------------------------------------------------- encoding, checks


def test_to_png_bytes_round_trips():
    img = noise(13, 7)
    data = to_png_bytes(img)
    assert data.startswith(b"\x89PNG")
    np.testing.assert_array_equal(np.array(Image.open(io.BytesIO(data))), img)
    np.testing.assert_array_equal(load_image(data), img)
    np.testing.assert_array_equal(load_image(to_png_bytes(img[:, ::2])), img[:, ::2])


@pytest.mark.parametrize(
    "bad, text",
    [
        (np.zeros((4, 4), np.uint8), r"shape \(4, 4\)"),
        (np.zeros((4, 4, 4), np.uint8), r"shape \(4, 4, 4\)"),
        (np.zeros((4, 4, 3), np.float32), "dtype float32"),
        (np.zeros((0, 4, 3), np.uint8), r"shape \(0, 4, 3\)"),
        ([[0, 0, 0]], "list"),
    ],
)
def test_check_image(bad, text):
    with pytest.raises(ValueError, match=text):
        check_image(bad)
    with pytest.raises(ValueError, match=text):
        to_png_bytes(bad)

"""Tests for cutmix_core.mixing.paste: boxes pasted or filled in a torch NCHW batch (CPU).

The reference is a per-sample slicing loop written in the test.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import cutmix_core.mixing.paste as paste_module
from cutmix_core.mixing.pair import EMPTY_BOX, Box
from cutmix_core.mixing.paste import corners_of, paste_boxes, paste_checked
from cutmix_core.mixing.rule import boxes_from_centers

PROPERTY = settings(max_examples=100, deadline=None)


def _reference(x, boxes, partners=None, fill=0.0):
    out = x.clone()
    for i, b in enumerate(boxes):
        patch = fill if partners is None else x[int(partners[i]), :, b.y0 : b.y1, b.x0 : b.x1]
        out[i, :, b.y0 : b.y1, b.x0 : b.x1] = patch
    return out


def test_paste_and_fill_by_hand():
    x = torch.stack([torch.zeros(1, 3, 4), torch.arange(12.0).view(1, 3, 4) + 100])  # (2, 1, 3, 4)
    boxes = [Box(1, 3, 2, 4), Box(0, 1, 0, 2)]
    pasted = paste_boxes(x, boxes, torch.tensor([1, 0]))
    # image 0 takes image 1's rows 1-2, columns 2-3; image 1 takes image 0's row 0, columns 0-1
    assert pasted[0, 0].tolist() == [[0, 0, 0, 0], [0, 0, 106, 107], [0, 0, 110, 111]]
    assert pasted[1, 0].tolist() == [[0, 0, 102, 103], [104, 105, 106, 107], [108, 109, 110, 111]]
    filled = paste_boxes(x, boxes, fill=-1.0)
    assert filled[0, 0].tolist() == [[0, 0, 0, 0], [0, 0, -1, -1], [0, 0, -1, -1]]
    assert filled[1, 0, 0].tolist() == [-1, -1, 102, 103]


def test_one_box_for_the_batch_copies_its_region():
    x = torch.arange(2 * 2 * 4 * 5, dtype=torch.float32).view(2, 2, 4, 5)
    boxes = [Box(1, 3, 1, 4)] * 2
    partners = torch.tensor([1, 0])
    assert torch.equal(paste_boxes(x, boxes, partners), _reference(x, boxes, partners))
    assert torch.equal(paste_boxes(x, boxes, fill=7.0), _reference(x, boxes, fill=7.0))
    assert torch.equal(paste_boxes(x, [EMPTY_BOX] * 2, partners), x)


def _random_boxes(g: np.random.Generator, n: int, h: int, w: int, shared: bool) -> list[Box]:
    """n boxes from random lambdas and centres: one box for all when ``shared``."""
    count = 1 if shared else n
    arrays = boxes_from_centers(
        h, w, g.random(count), g.integers(h, size=count), g.integers(w, size=count)
    )
    return [arrays.box(i % count) for i in range(n)]


@PROPERTY
@given(
    n=st.integers(1, 6),
    c=st.integers(1, 3),
    h=st.integers(1, 20),
    w=st.integers(1, 20),
    dtype=st.sampled_from([torch.uint8, torch.float32, torch.float64]),
    shared=st.booleans(),
    fill=st.sampled_from([None, 0.0, 0.5, 200.0]),
    seed=st.integers(0, 2**31 - 1),
)
def test_paste_boxes_equals_the_slicing_loop(n, c, h, w, dtype, shared, fill, seed):
    g = np.random.default_rng(seed)
    x = torch.from_numpy(g.integers(0, 256, size=(n, c, h, w))).to(dtype)
    x0 = x.clone()
    boxes = _random_boxes(g, n, h, w, shared)
    partners = None if fill is not None else torch.from_numpy(g.permutation(n))
    out = paste_boxes(x, boxes, partners, fill=fill or 0.0)
    assert torch.equal(out, _reference(x, boxes, partners, fill or 0.0))
    assert out.dtype == x.dtype and out.data_ptr() != x.data_ptr()
    assert torch.equal(x, x0)
    corners = np.array([[b.y0, b.y1, b.x0, b.x1] for b in boxes])
    assert torch.equal(paste_boxes(x, corners, partners, fill=fill or 0.0), out)


@PROPERTY
@given(
    n=st.integers(1, 6),
    c=st.integers(1, 3),
    h=st.integers(1, 20),
    w=st.integers(1, 20),
    dtype=st.sampled_from(
        [
            torch.uint8,
            torch.int8,
            torch.bool,
            torch.int16,
            torch.bfloat16,
            torch.float32,
            torch.float64,
            torch.complex128,
        ]
    ),
    shared=st.booleans(),
    roll=st.booleans(),
    layout=st.sampled_from(["contiguous", "strided", "offset", "channels_last"]),
    seed=st.integers(0, 2**31 - 1),
)
def test_the_batch_ops_fast_paths_equal_the_slicing_loop(
    n, c, h, w, dtype, shared, roll, layout, seed
):
    # paste_checked's paths: one region (two slices for roll pairing, else a gather), or a mask
    # (a select by the pixels' bits for dtypes of 1, 2, 4 or 8 bytes, torch.where otherwise).
    g = np.random.default_rng(seed)
    x = torch.from_numpy(g.integers(-128 if dtype == torch.int8 else 0, 128, (n, c, h, w)))
    x = x.to(dtype)
    if layout == "strided":  # rows that are not contiguous: a column slice of a wider batch
        x = torch.cat([x, x[..., :1]], dim=3)[..., :w]
    elif layout == "offset":  # contiguous, but one element into its storage
        x = torch.empty(x.numel() + 1, dtype=x.dtype)[1:].view_as(x).copy_(x)
    elif layout == "channels_last":  # rows are not contiguous: the last stride is C
        x = x.contiguous(memory_format=torch.channels_last)
    x0 = x.clone()
    boxes = _random_boxes(g, n, h, w, shared)
    partners = torch.arange(n).roll(1) if roll else torch.from_numpy(g.permutation(n))
    corners = np.array([[b.y0, b.y1, b.x0, b.x1] for b in boxes], dtype=np.int64)
    out = paste_checked(x, corners, partners, shared=shared, roll=roll)
    assert torch.equal(out, _reference(x, boxes, partners, 0.0))
    assert out.dtype == x.dtype and out.data_ptr() != x.data_ptr()
    assert torch.equal(x, x0)


@given(
    h=st.integers(1, 40),
    w=st.integers(1, 40),
    size=st.sampled_from([1, 2, 4, 8]),
    word=st.sampled_from([1, 2, 4, 8]),
    seed=st.integers(0, 2**32 - 1),
)
@PROPERTY
def test_the_masks_rows_and_columns_are_the_boxes(h, w, size, word, seed):
    # The table lookups give, for every box, the rows it spans and its columns' bytes, each
    # element all bits set inside and none outside (True and False for bool).
    rng = np.random.default_rng(seed)
    ys, xs = np.sort(rng.integers(0, h + 1, (5, 2)), 1), np.sort(rng.integers(0, w + 1, (5, 2)), 1)
    corners = np.concatenate([ys, xs], 1).astype(np.int64)
    cols = np.arange(w * size) // size
    want_rows = (np.arange(h) >= ys[:, :1]) & (np.arange(h) < ys[:, 1:])
    want_bytes = (cols >= xs[:, :1]) & (cols < xs[:, 1:])  # (5, W size)
    cpu = torch.device("cpu")
    dtype = np.dtype(f"int{8 * word}") if word > 1 else np.dtype(np.uint8)
    all_bits = np.array(-1).astype(dtype)
    limit = paste_module._TABLE_BYTES
    try:
        for paste_module._TABLE_BYTES in (limit, 0):  # the cached tables, then comparisons
            rows, col_bools = paste_module._spans(corners, h, w, cpu, size)
            assert rows.dtype == torch.bool and np.array_equal(rows.numpy(), want_rows)
            assert np.array_equal(col_bools.numpy(), want_bytes)
            if (w * size) % word:
                continue  # rows of this many bytes are not read as words of this size
            row_words, col_words = paste_module._spans(corners, h, w, cpu, size, dtype)
            assert np.array_equal(row_words.numpy(), np.where(want_rows, all_bits, 0))
            packed = np.where(want_bytes, 0xFF, 0).astype(np.uint8).view(dtype)
            assert np.array_equal(col_words.numpy(), packed)
    finally:
        paste_module._TABLE_BYTES = limit


@pytest.mark.parametrize("roll", [True, False])
def test_the_bit_select_keeps_every_float_bit(roll, monkeypatch):
    # NaN payloads, -0.0, infinities and subnormals come through the bit select unchanged.
    special = [float("nan"), -0.0, 0.0, float("inf"), -float("inf"), 1e-45, -3.5]
    x = torch.tensor(special * 4, dtype=torch.float32)[:24].view(3, 2, 2, 2)
    x.view(torch.int32)[0, 0, 0, 0] = 0x7FC00123  # a NaN with a payload
    corners = np.array([[0, 2, 0, 1], [1, 2, 0, 2], [0, 0, 0, 0]], dtype=np.int64)
    partners = torch.tensor([2, 0, 1])
    seen = []
    real = paste_module._bit_select
    monkeypatch.setattr(
        paste_module, "_bit_select", lambda *a: seen.append(1) or real(*a)
    )  # the select by bits is what runs here
    out = paste_checked(x, corners, partners, roll=roll)
    boxes = [Box(*row) for row in corners.tolist()]
    expected = _reference(x, boxes, partners, 0.0)
    assert seen == [1]
    assert torch.equal(out.view(torch.int32), expected.view(torch.int32))


@pytest.mark.parametrize("roll", [True, False])
@pytest.mark.parametrize("dtype", [torch.int32, torch.int64, torch.float64, torch.complex64])
def test_pixels_of_four_and_eight_bytes_survive_the_integer_sums(dtype, roll):
    # Pixels of 4 or 8 bytes are selected as own + (partner - own) on their integers, modulo
    # 2 ** bits: the differences of these extremes overflow, and every bit must still come
    # through (for floats: NaN payloads, -0.0, infinities, as bit patterns of the integers).
    ints = torch.int32 if dtype.itemsize == 4 else torch.int64
    info = torch.iinfo(ints)
    extremes = [info.min, info.max, -1, 0, 1, info.min + 1, info.max - 1, 0x7FC00123]
    g = np.random.default_rng(7)
    bits = torch.tensor(g.choice(extremes, size=(6, 2, 5, 7)), dtype=ints)
    x = bits.view(dtype)
    boxes = _random_boxes(g, 6, 5, 7, False)
    corners = np.array([[b.y0, b.y1, b.x0, b.x1] for b in boxes], dtype=np.int64)
    partners = torch.arange(6).roll(1) if roll else torch.from_numpy(g.permutation(6))
    expected, before = _reference(bits, boxes, partners, 0.0), bits.clone()
    out = paste_checked(x, corners, partners, roll=roll)
    assert torch.equal(out.view(ints), expected)
    assert torch.equal(bits, before)  # x is not written


@pytest.mark.parametrize("roll", [True, False])
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_floats_keep_their_bits_through_the_word_select(dtype, roll):
    # Pixels of 2 bytes take the bit select on wide words: NaN payloads, -0.0 and infinities
    # come through as bit patterns.
    patterns = [0x7E01, 0x7FC1, -32768, 0x7C00, -1024, 0, 1, 0x3C00]  # NaNs, -0.0, inf, ...
    g = np.random.default_rng(11)
    bits = torch.tensor(g.choice(patterns, size=(5, 2, 4, 8)), dtype=torch.int16)
    boxes = _random_boxes(g, 5, 4, 8, False)
    corners = np.array([[b.y0, b.y1, b.x0, b.x1] for b in boxes], dtype=np.int64)
    partners = torch.arange(5).roll(1) if roll else torch.from_numpy(g.permutation(5))
    expected = _reference(bits, boxes, partners, 0.0)
    out = paste_checked(bits.view(dtype), corners, partners, roll=roll)
    assert torch.equal(out.view(torch.int16), expected)


@pytest.mark.parametrize("roll", [True, False])
@pytest.mark.parametrize("lazy", ["conj", "neg"])
def test_lazy_conjugate_and_negative_views_are_pasted_by_value(lazy, roll):
    # Their bits are not their values, so they take torch.where's select.
    z = torch.complex(torch.arange(16.0), -torch.arange(16.0)).view(2, 1, 2, 4)
    x = z.conj() if lazy == "conj" else z.conj().imag  # a lazy conjugate; a lazily negated view
    assert x.is_conj() if lazy == "conj" else x.is_neg()
    corners = np.array([[0, 1, 1, 3], [1, 2, 0, 4]], dtype=np.int64)
    partners = torch.tensor([1, 0])
    x0 = x.clone()
    out = paste_checked(x, corners, partners, roll=roll)
    boxes = [Box(*row) for row in corners.tolist()]
    assert torch.equal(out, _reference(x.resolve_conj().resolve_neg(), boxes, partners, 0.0))
    assert torch.equal(x, x0)


def test_a_batch_that_needs_gradients_keeps_them():
    x = torch.rand(3, 1, 4, 4, requires_grad=True)
    corners = np.array([[0, 2, 0, 2], [1, 3, 1, 4], [0, 4, 0, 4]], dtype=np.int64)
    out = paste_checked(x, corners, torch.tensor([2, 0, 1]), roll=True)
    out.sum().backward()
    assert x.grad is not None
    # every output pixel comes from one input pixel: gradients count how often each is used
    assert float(x.grad.sum()) == out.numel()


def test_fill_on_integer_images_truncates_like_slice_assignment():
    x = torch.full((2, 1, 2, 2), 9, dtype=torch.uint8)
    boxes = [Box(0, 1, 0, 1), Box(1, 2, 0, 2)]
    assert torch.equal(paste_boxes(x, boxes, fill=0.7), _reference(x, boxes, fill=0.7))


def test_corners_of_boxes_and_arrays():
    assert corners_of([Box(0, 1, 2, 3), EMPTY_BOX], 2, 4, 4).tolist() == [[0, 1, 2, 3], [0] * 4]
    arrays = boxes_from_centers(8, 8, [0.75, 1.0], [0, 4], [7, 4])
    assert corners_of(arrays.corners, 2, 8, 8).tolist() == [[0, 2, 5, 8], [4, 4, 4, 4]]


@pytest.mark.parametrize(
    "boxes, partners, match",
    [
        ([Box(0, 1, 0, 1)], None, r"need 2 boxes as \(y0, y1, x0, x1\), got int64 \(1, 4\)"),
        ([Box(0, 5, 0, 1)] * 2, None, r"box 0 \(0, 5, 0, 1\) does not fit in a 4x4 image"),
        (np.array([[0, 1, 0, 1], [2, 1, 0, 1]]), None, r"box 1 \(2, 1, 0, 1\) does not fit"),
        (np.array([[0, 1, 0, 1], [-1, 1, 0, 1]]), None, "box 1 .* does not fit"),
        (np.zeros((2, 4)), None, "got float64"),
        ([Box(0, 1, 0, 1), (0, 1, 0, 1)], None, "Box objects or an"),
        ([EMPTY_BOX] * 2, torch.tensor([0, 1, 1]), r"partners must have shape \(2,\), got \(3,\)"),
    ],
)
def test_paste_boxes_errors(boxes, partners, match):
    with pytest.raises(ValueError, match=match):
        paste_boxes(torch.zeros(2, 1, 4, 4), boxes, partners)


def test_paste_boxes_needs_an_nchw_tensor():
    with pytest.raises(
        ValueError, match=r"x must be an NCHW tensor, got torch.Size\(\[1, 4, 4\]\)"
    ):
        paste_boxes(torch.zeros(1, 4, 4), [EMPTY_BOX])
    with pytest.raises(ValueError, match="NCHW tensor, got"):
        paste_boxes(np.zeros((1, 1, 4, 4)), [EMPTY_BOX])  # type: ignore[arg-type]


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("dtype", [torch.uint8, torch.bfloat16, torch.float32, torch.complex64])
def test_cuda_matches_cpu(dtype):
    # Every select on the device: the words' bit select, the integer sums, the fill; both
    # pairings (roll's two slices, and the gathered partners written over in place).
    g = np.random.default_rng(0)
    x = torch.from_numpy(g.integers(0, 256, (6, 3, 24, 40))).to(dtype)
    arrays = boxes_from_centers(24, 40, g.random(6), g.integers(24, size=6), g.integers(40, size=6))
    corners = arrays.corners
    roll = torch.arange(6).roll(1)
    cpu = paste_checked(x, corners, roll, roll=True)
    gpu = paste_checked(x.cuda(), corners, roll, roll=True)
    assert gpu.is_cuda and torch.equal(gpu.cpu(), cpu)
    for p, fill in ((torch.from_numpy(g.permutation(6)), 0.0), (None, 0.5)):
        cpu = paste_boxes(x, corners, p, fill=fill)
        gpu = paste_boxes(x.cuda(), corners, p, fill=fill)
        assert gpu.is_cuda and torch.equal(gpu.cpu(), cpu)

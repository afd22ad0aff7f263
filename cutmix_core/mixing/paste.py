"""Boxes pasted or filled in a torch batch (NCHW): the one place the batch ops write boxes.

CutMix (Yun et al., ICCV 2019, https://arxiv.org/abs/1905.04899) writes, for each sample i,

    out[i] = x[i] outside box_i, x[partners[i]] inside box_i

and Cutout (DeVries & Taylor 2017, arXiv 1708.04552) and the evaluation's occlusion holes write
a constant inside box_i instead. A box here is a half-open rectangle ``[y0, y1) x [x0, x1)``
given as a :class:`~cutmix_core.box.Box` or as a row ``(y0, y1, x0, x1)`` of an (N, 4) integer
array (``BoxArrays.corners`` of :mod:`cutmix_core.mixing.rule`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

import numpy as np
import torch

from cutmix_core.box import Box

__all__ = ["corners_of", "paste_boxes", "paste_checked"]


def corners_of(boxes: Sequence[Box] | np.ndarray, n: int, h: int, w: int) -> np.ndarray:
    """``boxes`` as (n, 4) int64 rows ``(y0, y1, x0, x1)``.

    Raises:
        ValueError: unless there are ``n`` boxes that lie in an ``h`` x ``w`` image.
    """
    if isinstance(boxes, np.ndarray):
        corners = boxes
    elif all(isinstance(b, Box) for b in boxes):
        corners = np.array([(b.y0, b.y1, b.x0, b.x1) for b in boxes], dtype=np.int64)
    else:
        raise ValueError(f"boxes must be Box objects or an (N, 4) array, got {boxes!r}")
    if corners.shape != (n, 4) or not np.issubdtype(corners.dtype, np.integer):
        raise ValueError(f"need {n} boxes as (y0, y1, x0, x1), got {corners.dtype} {corners.shape}")
    y0, y1, x0, x1 = corners.T
    bad = ~((y0 >= 0) & (y0 <= y1) & (y1 <= h) & (x0 >= 0) & (x0 <= x1) & (x1 <= w))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"box {i} {tuple(corners[i].tolist())} does not fit in a {h}x{w} image")
    return corners.astype(np.int64)


def paste_boxes(
    x: torch.Tensor,
    boxes: Sequence[Box] | np.ndarray,
    partners: torch.Tensor | None = None,
    *,
    fill: float = 0.0,
) -> torch.Tensor:
    """A new batch: ``x`` outside each box; inside box i, ``x[partners[i]]`` or else ``fill``.

    The one way boxes are pasted (CutMix) or filled (Cutout, occlusion holes) in a torch batch.
    A batch that shares one box (batch mode) copies only that region, as torchvision does;
    otherwise an (N, 1, H, W) mask is built from the box edges by broadcasting and applied by
    integer kernels on the pixels' bits (``torch.where`` where autograd needs it, for pixels of
    16 bytes and for lazily conjugated or negated views; ``masked_fill`` for a fill). ``x`` is
    not modified; the result has its dtype and device.

    Args:
        x: (N, C, H, W) images, any dtype, any device.
        boxes: N boxes, as ``Box`` objects or as an (N, 4) integer array of rows
            ``(y0, y1, x0, x1)`` (``BoxArrays.corners``); an empty box leaves its image alone.
        partners: (N,) indices into the batch: box i takes ``x[partners[i]]``; None fills.
        fill: the value written inside the boxes when ``partners`` is None.

    Raises:
        ValueError: for a tensor that is not NCHW, or boxes that are not N or do not fit.
    """
    if not isinstance(x, torch.Tensor) or x.ndim != 4:
        raise ValueError(f"x must be an NCHW tensor, got {getattr(x, 'shape', type(x).__name__)}")
    n, _, h, w = x.shape
    corners = corners_of(boxes, n, h, w)  # (N, 4)
    if partners is not None and tuple(partners.shape) != (n,):
        raise ValueError(f"partners must have shape ({n},), got {tuple(partners.shape)}")
    shared = bool(n) and bool((corners == corners[0]).all())
    return paste_checked(x, corners, partners, fill=fill, shared=shared)


def paste_checked(
    x: torch.Tensor,
    corners: np.ndarray,
    partners: torch.Tensor | None = None,
    *,
    fill: float = 0.0,
    shared: bool = False,
    roll: bool = False,
) -> torch.Tensor:
    """:func:`paste_boxes` for callers that built ``corners`` themselves (the batch ops): no
    checks. ``corners`` is (N, 4) int64 (or (1, 4) when ``shared``) and fits; ``shared`` says
    every sample has the box ``corners[0]``; ``roll`` says ``partners`` is ``i -> i - 1``
    (torchvision's pairing), which is copied as two regions rather than gathered.
    """
    n, _, h, w = x.shape
    if partners is not None and partners.device != x.device:
        partners = partners.to(x.device, non_blocking=True)  # no wait on an accelerator
    if shared:
        out = x.clone()
        y0, y1, x0, x1 = corners[0].tolist()
        if y1 > y0 and x1 > x0:
            if partners is None:
                out[:, :, y0:y1, x0:x1].fill_(fill)
            elif roll:  # sample i takes sample i - 1: two region copies, no index tensor
                box = (y0, y1, x0, x1)
                _region(out, 1, n, box).copy_(_region(x, 0, n - 1, box))
                _region(out, 0, 1, box).copy_(_region(x, n - 1, n, box))
            else:  # one gather of the region only
                dst = out[:, :, y0:y1, x0:x1]
                dst.copy_(x[:, :, y0:y1, x0:x1].index_select(0, partners))
        return out
    # Autograd needs torch.where, and a lazily conjugated or negated view cannot be read as
    # integers (its bits are not its values).
    lazy = x.requires_grad or x.is_conj() or x.is_neg()
    if partners is not None and not lazy and x.element_size() in _BITS:
        return _bit_select(x, corners, partners, roll)
    in_rows, in_cols = _spans(corners, h, w, x.device)  # (N, H), (N, W) bool
    if partners is None:
        return x.masked_fill(_outer(in_rows, in_cols), fill)
    mask = _outer(in_rows, in_cols)  # (N, 1, H, W)

    def select(partner: torch.Tensor, own: torch.Tensor, rows: slice, out: Out) -> torch.Tensor:
        return torch.where(mask[rows], partner, own, out=out)

    return _with_partners(select, x, partners, roll)


Out = torch.Tensor | None


def _region(t: torch.Tensor, first: int, last: int, box: tuple[int, int, int, int]) -> torch.Tensor:
    """``t[first:last, :, y0:y1, x0:x1]`` for ``box = (y0, y1, x0, x1)``, as one ``as_strided``
    view rather than two slicings: for the shared box's copies each slicing costs about as much
    as the copying."""
    y0, y1, x0, x1 = box
    sn, _, sh, sw = strides = t.stride()
    start = t.storage_offset() + first * sn + y0 * sh + x0 * sw
    return t.as_strided((last - first, t.shape[1], y1 - y0, x1 - x0), strides, start)


#: An integer dtype of each word size, widest first: pixels are selected on their bits.
_BITS = {8: torch.int64, 4: torch.int32, 2: torch.int16, 1: torch.uint8}
#: The same words as numpy dtypes, for the masks built on the host.
_NP_BITS: dict[int, np.dtype] = {
    k: np.dtype(str(v).removeprefix("torch.")) for k, v in _BITS.items()
}
_BOOL = np.dtype(bool)


def _bit_select(
    x: torch.Tensor, corners: np.ndarray, partners: torch.Tensor, roll: bool
) -> torch.Tensor:
    """The masked paste on the pixels' bits read as integers, exact for any dtype (NaN
    payloads and -0.0 included); ``ones`` is the box's rows AND its columns, all bits set inside.

    - Pixels of 4 or 8 bytes: ``x + (partner - x) * ones * -1`` on integers of the pixel's size,
      two passes (the difference, then one ``addcmul``). torch's integer sums wrap modulo
      2 ** bits (tests/mixing/test_paste.py checks overflowing extremes), so inside the box
      this is the partner's bits, outside x's.
    - Pixels of 1 or 2 bytes: ``x ^ ((partner ^ x) & ones)``, three passes, on the widest word
      that divides a row (8 bytes for CIFAR's 32 uint8 pixels), the mask's bytes packed into
      words the same way. Sums need every word wholly inside the box or out of it, which a
      word of several pixels is not at the box's edge, so here they would run on the narrow
      pixels instead of the wide words.

    Plain elementwise integer kernels, used instead of torch.where's select, which is slower
    on the CPU (``python scripts/profile_misses.py select`` times both).
    """
    _, _, h, w = x.shape
    size = x.element_size()
    sums = size >= 4
    word = size if sums else _word(x)
    ints = x.view(_BITS[word])
    diff = _with_partners(_sub if sums else _xor, ints, partners, roll)
    # The mask is allocated after the new batch: the order changes how often the allocator
    # hands the batch fresh pages (the benchmark counts their faults).
    # Each row's words and the columns' bytes packed into words, all bits set inside the box.
    row_words, col_words = _spans(corners, h, w, x.device, size, _NP_BITS[word])
    ones = _outer(row_words, col_words)  # (N, 1, H, W bytes / word)
    if sums:
        return torch.addcmul(ints, diff, ones, value=-1, out=diff).view(x.dtype)
    diff &= ones
    diff ^= ints
    return diff.view(x.dtype)


def _sub(partner: torch.Tensor, own: torch.Tensor, _: slice, out: Out) -> torch.Tensor:
    return torch.sub(partner, own, out=out)


def _xor(partner: torch.Tensor, own: torch.Tensor, _: slice, out: Out) -> torch.Tensor:
    return torch.bitwise_xor(partner, own, out=out)


def _word(x: torch.Tensor) -> int:
    """The widest word (8, 4, 2 or 1 bytes) that ``x.view`` can read ``x``'s rows as: it must
    divide the rows' bytes, every other stride in bytes and the offset; at least the pixel."""
    size = x.element_size()
    if x.stride(3) != 1:
        return size
    steps = [x.shape[3] * size, x.storage_offset() * size]
    steps += [x.stride(d) * size for d in range(3)]
    return next(k for k in _BITS if k <= size or all(step % k == 0 for step in steps))


def _with_partners(
    op: Callable[[torch.Tensor, torch.Tensor, slice, Out], torch.Tensor],
    x: torch.Tensor,
    partners: torch.Tensor,
    roll: bool,
) -> torch.Tensor:
    """A new batch ``op(x[partners[i]], x[i], rows, out)`` for every sample i: ``op`` is
    elementwise, ``rows`` the samples it is given and ``out`` where it writes (None: a new
    tensor). With roll pairing (i takes i - 1) the partners are two slices of ``x``, so the
    batch is never gathered into a copy; otherwise ``op`` writes over the gathered partners."""
    if x.requires_grad:  # autograd takes no out= arguments
        return op(x.index_select(0, partners), x, slice(None), None)
    if not roll:  # the gathered partners are overwritten in place: one new batch, not two
        partner = x.index_select(0, partners)
        return op(partner, x, slice(None), partner)
    out = torch.empty_like(x)
    op(x[:-1], x[1:], slice(1, None), out[1:])
    op(x[-1:], x[:1], slice(0, 1), out[:1])
    return out


def _outer(in_rows: torch.Tensor, in_cols: torch.Tensor) -> torch.Tensor:
    """(N, 1, H, W): each sample's rows AND its columns (bool, or words of no bits and all)."""
    return in_rows[:, None, :, None] & in_cols[:, None, None, :]


def _spans(
    corners: np.ndarray,
    h: int,
    w: int,
    device: torch.device,
    size: int = 1,
    dtype: np.dtype = _BOOL,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Which rows (N, H) and columns each box spans, on ``device``: the (N, 1, H, W) mask is
    their outer AND, built by torch where the pixels are. ``dtype`` bool gives True inside; an
    integer ``dtype`` gives elements with all bits set inside, the rows one element each and the
    columns' bytes (``size`` bytes a pixel) packed into elements, (N, W size / itemsize).

    Each is marked by :func:`_marks`."""
    in_rows = _marks(corners[:, 0], corners[:, 1], h, dtype.itemsize, dtype)  # (N, H)
    in_cols = _marks(corners[:, 2], corners[:, 3], w, size, dtype)  # (N, W size / itemsize)
    rows, cols = torch.from_numpy(in_rows), torch.from_numpy(in_cols)
    if device.type == "cpu":
        return rows, cols
    return rows.to(device, non_blocking=True), cols.to(device, non_blocking=True)


#: The largest table :func:`_marks_from` keeps, in bytes: (length + 1) x length x size grows
#: with the square of the side, so larger images are marked by comparisons each call.
_TABLE_BYTES = 1 << 20


def _marks(lo: np.ndarray, hi: np.ndarray, length: int, size: int, dtype: np.dtype) -> np.ndarray:
    """(N, length size / itemsize) ``dtype``: row i marks the bytes of positions [lo_i, hi_i) of
    ``length`` positions of ``size`` bytes (True for bool, all bits set for integers). From the
    cached table, rows lo XOR rows hi (the positions from lo on, less those from hi on), or by
    comparisons where the table would be too large: the same marks either way."""
    if (length + 1) * length * size <= _TABLE_BYTES:
        table = _marks_from(length, size, dtype)
        return table.take(lo, 0) ^ table.take(hi, 0)
    positions = np.arange(length * size) // size
    inside = (positions >= lo[:, None]) & (positions < hi[:, None])
    return _bytes_of(inside, dtype)


@functools.lru_cache(maxsize=32)
def _marks_from(length: int, size: int, dtype: np.dtype) -> np.ndarray:
    """(length + 1, length size / itemsize) ``dtype``, read-only: row a marks the bytes of
    positions a, a + 1, ... (see :func:`_marks`), so that row a ^ row b marks [a, b)."""
    positions = np.arange(length * size) // size
    table = _bytes_of(positions >= np.arange(length + 1)[:, None], dtype)
    table.setflags(write=False)
    return table


def _bytes_of(marked: np.ndarray, dtype: np.dtype) -> np.ndarray:
    # Bytes marked True as 1 (bool) or 0xFF (integers), read as ``dtype``.
    on = np.uint8(1 if dtype == _BOOL else 0xFF)
    return np.where(marked, on, np.uint8(0)).view(dtype)

"""Boxes pasted or filled in a torch batch (NCHW): the one place the batch ops write boxes.

CutMix (Yun et al., ICCV 2019, https://arxiv.org/abs/1905.04899) writes, for each sample i,

    out[i] = x[i] outside box_i, x[partners[i]] inside box_i

and Cutout (DeVries & Taylor 2017, arXiv 1708.04552) and the evaluation's occlusion holes write
a constant inside box_i instead. A box here is a half-open rectangle ``[y0, y1) x [x0, x1)``
given as a :class:`~cutmix_core.box.Box` or as a row ``(y0, y1, x0, x1)`` of an (N, 4) integer
array (``BoxArrays.corners`` of :mod:`cutmix_core.mixing.rule`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from cutmix_core.box import Box

__all__ = ["corners_of", "paste_boxes"]


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
    otherwise an (N, 1, H, W) mask is built from the box edges by broadcasting and applied in one
    ``torch.where`` (or ``masked_fill``). ``x`` is not modified; the result has its dtype and
    device.

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
    if partners is not None:
        if tuple(partners.shape) != (n,):
            raise ValueError(f"partners must have shape ({n},), got {tuple(partners.shape)}")
        partners = partners.to(x.device)
    if n and (corners == corners[0]).all():
        # empty_like + copy_ rather than clone(): same result, but clone's multi-threaded copy of
        # a small batch stalled for milliseconds on a busy 2-core machine.
        out = torch.empty_like(x).copy_(x)
        y0, y1, x0, x1 = corners[0].tolist()
        region = (slice(None), slice(None), slice(y0, y1), slice(x0, x1))
        if y1 > y0 and x1 > x0:
            # index_select of the region: one gather, no intermediate from advanced indexing.
            out[region] = fill if partners is None else x[region].index_select(0, partners)
        return out
    edges = torch.from_numpy(corners).to(x.device).view(n, 4, 1)  # (N, 4, 1)
    rows = torch.arange(h, device=x.device)  # (H,)
    cols = torch.arange(w, device=x.device)  # (W,)
    in_rows = (rows >= edges[:, 0]) & (rows < edges[:, 1])  # (N, H)
    in_cols = (cols >= edges[:, 2]) & (cols < edges[:, 3])  # (N, W)
    inside = in_rows[:, None, :, None] & in_cols[:, None, None, :]  # (N, 1, H, W)
    if partners is None:
        return x.masked_fill(inside, fill)
    return torch.where(inside, x[partners], x)

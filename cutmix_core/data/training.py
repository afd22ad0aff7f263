"""CIFAR-10 for training: a decoded uint8 cache, vectorised crop and flip, and a batch loader.

Why a cache: the copies we train from are zips of 60,000 JPEGs, and decoding them costs more CPU
than an epoch's data work on a small machine, so :func:`load_cached` decodes a split once with
:func:`cutmix_core.data.cifar_layouts.load_cifar10` and keeps the result as an uncompressed
``.npz`` of ``(N, 32, 32, 3) uint8`` images, which loads back at disk speed. The file name
hashes the resolved source path, its size and modification time, and the split, so a changed
zip gets a new cache entry. (For a class-folder tree only the folder's own mtime is hashed:
editing a file inside it is not seen.)

Why tensor augmentation: the standard CIFAR recipe (random crop of a 4-pixel padded image plus a
horizontal flip) is applied here to a whole ``(N, C, H, W)`` batch at once, on whatever device it
lives on, in the style of KellerJordan/cifar10-airbench's ``batch_crop`` and ``batch_flip``. The
data then stays in memory as one uint8 tensor and no worker processes are needed. As elsewhere
in ``cutmix_core`` the parameters are *sampled* with an explicit ``torch.Generator`` (on the CPU,
so results do not depend on the device) and then *applied* deterministically, and inputs are never
modified.

Crop maths: with padding ``p`` and offsets ``dy, dx`` drawn uniformly from ``[0, 2p]``,

    out[n, c, i, j] = padded[n, c, i + dy_n, j + dx_n],   padded = pad(x, p)

computed as a single gather: the padded image is never built, source indices are reflected
(``-1 -> 1``, torch's ``"reflect"``) or masked to zero (``"zeros"``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import numpy as np
import torch

from cutmix_core.checks import check_choice, check_int, check_number
from cutmix_core.data.cifar_layouts import load_cifar10
from cutmix_core.data.cifar_set import CifarSet, check_split
from cutmix_core.data.tensors import to_nchw
from cutmix_core.files import atomic_path

Padding = Literal["reflect", "zeros"]
CACHE_VERSION = 1  # bump when the cache format changes


def cache_file(source: Path | str, split: str, cache_dir: Path | str) -> Path:
    """Where :func:`load_cached` keeps ``split`` of ``source``: ``cifar10-<split>-<hash>.npz``."""
    check_split(split)
    source = Path(source).expanduser().resolve()
    st = source.stat()
    key = f"v{CACHE_VERSION}|{source}|{split}|{st.st_size}|{st.st_mtime_ns}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return Path(cache_dir) / f"cifar10-{split}-{digest}.npz"


def load_cached(source: Path | str, split: str, cache_dir: Path | str | None) -> CifarSet:
    """``load_cifar10(source, split)``, decoded once and then read back from ``cache_dir``.

    Args:
        source: any layout :func:`cutmix_core.data.cifar.load_cifar10` accepts.
        split: ``"train"`` or ``"test"``.
        cache_dir: folder for the cache (created if needed); None decodes every time.
    Returns:
        The split in canonical order; ``source`` names the original path, not the cache.
    Raises:
        CifarError: ``source`` is missing or unreadable. ValueError: bad ``split``.
    """
    check_split(split)
    if cache_dir is None:
        return load_cifar10(source, split)
    if not Path(source).expanduser().exists():
        return load_cifar10(source, split)  # raises its own helpful CifarError
    file = cache_file(source, split, cache_dir)
    if file.is_file():
        with np.load(file, allow_pickle=False) as npz:
            return CifarSet(npz["images"], npz["labels"], npz["indices"], split, str(npz["source"]))
    ds = load_cifar10(source, split)
    with atomic_path(file) as tmp:  # a concurrent run never reads half a file
        with tmp.open("wb") as f:  # a file object: np.savez would add .npz to a bare path
            np.savez(
                f,
                images=ds.images,
                labels=ds.labels,
                indices=ds.indices,
                source=np.array(ds.source),
            )
    return ds


def balanced_subset(ds: CifarSet, limit: int | None) -> CifarSet:
    """The first ``limit`` images taken round-robin over classes (all of ``ds`` if None).

    Class-folder copies are sorted by class, so a plain ``ds[:limit]`` would hold one class only.
    Deterministic: the k-th image of every class comes before the (k+1)-th of any class.
    """
    if limit is None:
        return ds
    limit = check_int(limit, "limit", 1)
    labels = ds.labels
    rank = np.empty(len(ds), dtype=np.int64)  # position of each image within its class
    for c in np.unique(labels):
        where = np.flatnonzero(labels == c)
        rank[where] = np.arange(where.size)
    order = np.lexsort((labels, rank))[:limit]  # by rank, then class
    order.sort()  # keep the canonical order inside the subset
    return CifarSet(
        ds.images[order],
        labels[order],
        ds.indices[order],
        ds.split,
        f"{ds.source} (first {order.size} balanced)",
    )


def holdout_split(ds: CifarSet, n: int) -> tuple[CifarSet, CifarSet]:
    """``(rest, held_out)``: the last ``n`` images of the balanced order of
    :func:`balanced_subset` are held out (``n / 10`` per class when classes are equal in size).

    Raises:
        ValueError: unless ``0 < n < len(ds)``.
    """
    check_int(n, "holdout", 1, len(ds) - 1)
    rest = balanced_subset(ds, len(ds) - n)
    keep = np.isin(ds.indices, rest.indices, invert=True)
    held = CifarSet(
        ds.images[keep],
        ds.labels[keep],
        ds.indices[keep],
        ds.split,
        f"{ds.source} (held-out {int(keep.sum())})",
    )
    return rest, held


def to_tensors(
    ds: CifarSet, device: torch.device | str = "cpu"
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(images (N, 3, 32, 32) uint8, labels (N,) int64)`` on ``device``, a copy of ``ds``."""
    images = to_nchw(ds.images)  # (N, 3, 32, 32) uint8, a copy
    labels = torch.from_numpy(np.array(ds.labels, dtype=np.int64))
    return images.to(device), labels.to(device)


def _check_nchw(x: torch.Tensor) -> None:
    if not isinstance(x, torch.Tensor) or x.ndim != 4:
        raise ValueError(f"x must be an NCHW tensor, got {getattr(x, 'shape', type(x).__name__)}")


def sample_crop_offsets(
    n: int, pad: int = 4, *, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """Offsets ``(dy, dx)``, each ``(n,)`` int64 uniform in ``[0, 2 * pad]``, on the CPU."""
    pad = check_int(pad, "pad", 0)
    offsets = torch.randint(0, 2 * pad + 1, (2, n), generator=generator)
    return offsets[0], offsets[1]


def crop(
    x: torch.Tensor,
    dy: torch.Tensor,
    dx: torch.Tensor,
    pad: int = 4,
    padding: Padding = "reflect",
) -> torch.Tensor:
    """``out[n] = pad(x, pad)[n, :, dy_n : dy_n + H, dx_n : dx_n + W]``, same shape and dtype."""
    _check_nchw(x)
    check_choice(padding, "padding", ("reflect", "zeros"))
    n, c, h, w = x.shape
    if padding == "reflect" and not 0 <= pad < min(h, w):
        raise ValueError(f"reflect padding needs 0 <= pad < {min(h, w)}, got {pad!r}")
    if dy.shape != (n,) or dx.shape != (n,):
        raise ValueError(f"dy and dx must be ({n},), got {tuple(dy.shape)} and {tuple(dx.shape)}")
    rows = dy.to(x.device).view(n, 1) + torch.arange(h, device=x.device) - pad  # (N, H) in x
    cols = dx.to(x.device).view(n, 1) + torch.arange(w, device=x.device) - pad  # (N, W)
    if padding == "reflect":  # -1 -> 1 and H -> H - 2, as torch's "reflect" pad
        rows = torch.where(rows < 0, -rows, torch.where(rows >= h, 2 * (h - 1) - rows, rows))
        cols = torch.where(cols < 0, -cols, torch.where(cols >= w, 2 * (w - 1) - cols, cols))
    flat = rows.clamp(0, h - 1).view(n, h, 1) * w + cols.clamp(0, w - 1).view(n, 1, w)  # (N, H, W)
    index = flat.view(n, 1, h * w).expand(n, c, h * w)  # expand: no copy
    out = torch.gather(x.reshape(n, c, h * w), 2, index).view(n, c, h, w)
    if padding == "zeros" and pad > 0:
        inside_rows = ((rows >= 0) & (rows < h)).view(n, 1, h, 1)
        valid = inside_rows & ((cols >= 0) & (cols < w)).view(n, 1, 1, w)
        out = out * valid.to(out.dtype)
    return out


def batch_crop(
    x: torch.Tensor, pad: int = 4, *, generator: torch.Generator, padding: Padding = "reflect"
) -> torch.Tensor:
    """Random ``H x W`` crop of each image padded by ``pad`` pixels (a new tensor)."""
    _check_nchw(x)
    dy, dx = sample_crop_offsets(x.shape[0], pad, generator=generator)
    return crop(x, dy, dx, pad, padding)


def batch_flip(x: torch.Tensor, *, generator: torch.Generator, p: float = 0.5) -> torch.Tensor:
    """Mirror each image left-right with probability ``p`` (a new tensor)."""
    _check_nchw(x)
    p = check_number(p, "p", 0.0, 1.0)
    flip = torch.rand(x.shape[0], generator=generator) < p  # (N,) on the CPU
    return torch.where(flip.to(x.device).view(-1, 1, 1, 1), x.flip(-1), x)


def augment(
    x: torch.Tensor,
    *,
    generator: torch.Generator,
    pad: int = 4,
    padding: Padding = "reflect",
    flip: bool = True,
) -> torch.Tensor:
    """The standard CIFAR augmentation: random padded crop, then random horizontal flip."""
    out = batch_crop(x, pad, generator=generator, padding=padding) if pad else x.clone()
    return batch_flip(out, generator=generator) if flip else out


def num_batches(n: int, batch_size: int, drop_last: bool = True) -> int:
    """How many batches :func:`iterate_batches` yields for ``n`` samples."""
    return n // batch_size if drop_last else -(-n // batch_size)


def iterate_batches(
    images: torch.Tensor,
    labels: torch.Tensor,
    batch_size: int,
    *,
    generator: torch.Generator | None = None,
    drop_last: bool = True,
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """One epoch of ``(x (B, C, H, W), y (B,))`` batches, shuffled with ``generator``.

    The permutation is drawn on the CPU and moved to the images' device; ``generator=None`` keeps
    the stored order (for evaluation). ``drop_last`` avoids a last batch of one image, which
    BatchNorm cannot train on.
    """
    _check_nchw(images)
    n = images.shape[0]
    if labels.shape != (n,):
        raise ValueError(f"labels must be ({n},), got {tuple(labels.shape)}")
    check_int(batch_size, "batch_size", 1)
    order = torch.randperm(n, generator=generator) if generator is not None else torch.arange(n)
    order = order.to(images.device)
    for b in range(num_batches(n, batch_size, drop_last)):
        idx = order[b * batch_size : (b + 1) * batch_size]
        yield images[idx], labels[idx]

"""CIFAR-10 in memory: the class names, the read-only image set, and drawing a pair from it.

Every way of getting CIFAR-10 (the bundled sample, a local copy, a download: see
:mod:`cutmix_core.data.cifar`) ends in a :class:`CifarSet`, HWC uint8 images with their labels,
frozen and read-only because one cached set is shared by every session of the app.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cutmix_core.checks import check_choice, check_int

CLASSES: tuple[str, ...] = (
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
)
SPLITS: tuple[str, ...] = ("train", "test")


class CifarError(ValueError):
    """A CIFAR-10 path or file that cannot be used; the message is meant for the user."""


def check_split(split: str) -> str:
    """``split`` if it is ``"train"`` or ``"test"``.

    Raises:
        ValueError: naming the split it got.
    """
    return check_choice(split, "split", SPLITS)


def _read_only(a: np.ndarray, dtype: type) -> np.ndarray:
    view: np.ndarray = np.asarray(
        a, dtype=dtype
    ).view()  # a view, so the caller's array keeps its flags
    view.setflags(write=False)
    return view


@dataclass(frozen=True, eq=False)
class CifarSet:
    """CIFAR-10 images with labels; read-only so one cached set can be shared by all sessions.

    Attributes:
        images: (N, 32, 32, 3) uint8, HWC RGB.
        labels: (N,) int64 class ids into :data:`CLASSES`.
        indices: (N,) int64 index of each image in its split's canonical order (see
            :mod:`cutmix_core.data.cifar_layouts`).
        split: ``"train"`` or ``"test"``.
        source: short human description, e.g. ``"bundled sample (100 test images)"`` or a path.
    """

    images: np.ndarray
    labels: np.ndarray
    indices: np.ndarray
    split: str
    source: str

    def __post_init__(self) -> None:
        images = np.asarray(self.images)
        if images.ndim != 4 or images.shape[1:] != (32, 32, 3) or images.dtype != np.uint8:
            raise ValueError(
                f"images must be (N, 32, 32, 3) uint8, got {images.shape} {images.dtype}"
            )
        n = images.shape[0]
        for name in ("labels", "indices"):
            arr = np.asarray(getattr(self, name))
            if arr.shape != (n,) or not np.issubdtype(arr.dtype, np.integer):
                raise ValueError(f"{name} must be ({n},) integers, got {arr.shape} {arr.dtype}")
            object.__setattr__(self, name, _read_only(arr, np.int64))
        if n and (self.labels.min() < 0 or self.labels.max() >= len(CLASSES)):
            lo, hi = int(self.labels.min()), int(self.labels.max())
            raise ValueError(f"labels must lie in [0, 9], got {lo}..{hi}")
        check_split(self.split)
        object.__setattr__(self, "images", _read_only(images, np.uint8))

    def __len__(self) -> int:
        return int(self.images.shape[0])

    def positions_of(self, label: int) -> np.ndarray:
        """Positions in this set of the images of class ``label``, in increasing order."""
        check_int(label, "label", 0, len(CLASSES) - 1)
        return np.flatnonzero(self.labels == label)

    def image(self, pos: int) -> np.ndarray:
        """A writable copy of image ``pos``, (32, 32, 3) uint8."""
        return self.images[check_int(pos, "position", 0, len(self) - 1)].copy()

    def label(self, pos: int) -> int:
        """Class id of image ``pos``."""
        return int(self.labels[check_int(pos, "position", 0, len(self) - 1)])


def random_pair(
    ds: CifarSet, *, rng: np.random.Generator, distinct_classes: bool = True
) -> tuple[int, int]:
    """Positions of two different images, by default of different classes.

    Raises:
        ValueError: fewer than two images, or only one class when ``distinct_classes``.
    """
    if len(ds) < 2:
        raise ValueError(f"need at least 2 images to pick a pair, got {len(ds)}")
    if distinct_classes and np.unique(ds.labels).size < 2:
        only = CLASSES[int(ds.labels[0])]
        raise ValueError(f"need two classes for a distinct-class pair, got only {only!r}")
    i = int(rng.integers(len(ds)))
    if distinct_classes:
        others = np.flatnonzero(ds.labels != ds.labels[i])
    else:
        others = np.delete(np.arange(len(ds)), i)
    return i, int(others[rng.integers(others.size)])

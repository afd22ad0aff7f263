"""CIFAR-10 images for the app: a bundled 100-image sample, local copies, and an optional download.

CutMix (Yun et al., ICCV 2019, arXiv 1905.04899) was evaluated on CIFAR-10, so the app shows it on
real CIFAR-10 pictures. The app must work offline, so it always has ``assets/cifar10_sample.npz``
(10 test images per class, built by ``scripts/make_cifar_sample.py``); a full copy is used only
when the user points the sidebar or the ``CUTMIX_CIFAR10`` environment variable at one.

Accepted layouts for :func:`load_cifar10` (``<split>`` is ``train`` or ``test``):

* torchvision's ``cifar-10-batches-py`` folder, or its parent (``CIFAR10(root)``'s ``root``);
* a class-folder image tree, ``<path>/<split>/<class>/*.jpg`` or ``<path>/<class>/*.jpg``;
* a zip of that tree (e.g. ``cifar10-test-jpg.zip``);
* a folder holding ``cifar10-<split>-jpg.zip``.

Canonical order, which defines ``CifarSet.indices`` (each image's index in its split):
pickled batches keep the order in the batches (``data_batch_1`` .. ``_5`` for train, ``test_batch``
for test), as torchvision does; class-folder trees and zips list classes in :data:`CLASSES` order,
then files sorted by file name (plain string order, so zero-padded names sort numerically).
The two orders differ, so indices are only comparable between sets of the same layout.

Pickles are read with a restricted unpickler that accepts only numpy arrays, because the path can
come from a text box and an ordinary ``pickle.load`` would run arbitrary code. For the same reason
any path can arrive here (``/dev/null``, a half-copied zip, a folder the app may not read): every
failure to read or decode it becomes a :class:`CifarError` naming the path and the cause.
"""

from __future__ import annotations

import io
import os
import pickle
import struct
import zipfile
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from cutmix_core import paths
from cutmix_core.data.download import DownloadError, fetch, has_digest
from cutmix_core.defaults import CIFAR_ENV

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
SAMPLE_PATH: Path = paths.SAMPLE_PATH
TORCHVISION_FOLDER = "cifar-10-batches-py"
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")
_BATCHES = {"train": [f"data_batch_{i}" for i in range(1, 6)], "test": ["test_batch"]}
_LAYOUTS = (
    "torchvision's cifar-10-batches-py folder or its parent; "
    "<path>/<split>/<class>/*.jpg or <path>/<class>/*.jpg (JPEG or PNG, one folder per class); "
    "a .zip of that tree; or a folder holding cifar10-<split>-jpg.zip"
)


class CifarError(ValueError):
    """A CIFAR-10 path or file that cannot be used; the message is meant for the user."""


# What reading a path can raise: the disk or the OS (OSError: permissions, /dev/null, I/O
# errors), a damaged or truncated zip (BadZipFile, zlib.error, EOFError).
_READ_ERRORS = (OSError, EOFError, zipfile.BadZipFile, zlib.error)
# What decoding one image can raise besides those: PIL reports a damaged file as OSError,
# SyntaxError ("broken PNG file"), ValueError or struct.error depending on the format.
_DECODE_ERRORS = (
    *_READ_ERRORS,
    SyntaxError,
    ValueError,
    struct.error,
    Image.DecompressionBombError,
)


def _cause(err: BaseException) -> str:
    """A short reason for the user: "Permission denied: /x/cat", "zlib.error: invalid …"."""
    if isinstance(err, OSError) and err.strerror:  # not "[Errno 13] …"
        return f"{err.strerror}: {err.filename}" if err.filename else err.strerror
    if isinstance(err, EOFError) and not str(err):
        return "EOFError: the data ends early (a truncated copy?)"
    kind = type(err).__name__
    if type(err).__module__ not in ("builtins", __name__):
        kind = f"{type(err).__module__}.{kind}"
    return f"{kind}: {err}" if str(err) else kind


def _read_only(a: np.ndarray, dtype: type) -> np.ndarray:
    view = np.asarray(a, dtype=dtype).view()  # a view, so the caller's array keeps its flags
    view.setflags(write=False)
    return view


@dataclass(frozen=True, eq=False)
class CifarSet:
    """CIFAR-10 images with labels; read-only so one cached set can be shared by all sessions.

    Attributes:
        images: (N, 32, 32, 3) uint8, HWC RGB.
        labels: (N,) int64 class ids into :data:`CLASSES`.
        indices: (N,) int64 index of each image in its split's canonical order (module docstring).
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
        if self.split not in SPLITS:
            raise ValueError(f"split must be 'train' or 'test', got {self.split!r}")
        object.__setattr__(self, "images", _read_only(images, np.uint8))

    def __len__(self) -> int:
        return int(self.images.shape[0])

    def positions_of(self, label: int) -> np.ndarray:
        """Positions in this set of the images of class ``label``, in increasing order."""
        if not 0 <= label < len(CLASSES):
            raise ValueError(f"label must lie in [0, 9], got {label}")
        return np.flatnonzero(self.labels == label)

    def _check_pos(self, pos: int) -> int:
        if not 0 <= pos < len(self):
            raise ValueError(f"position must lie in [0, {len(self) - 1}], got {pos}")
        return int(pos)

    def image(self, pos: int) -> np.ndarray:
        """A writable copy of image ``pos``, (32, 32, 3) uint8."""
        return self.images[self._check_pos(pos)].copy()

    def label(self, pos: int) -> int:
        """Class id of image ``pos``."""
        return int(self.labels[self._check_pos(pos)])


def load_sample(path: Path | str = SAMPLE_PATH) -> CifarSet:
    """Load the bundled sample (keys images, labels, indices, split, classes).

    Raises:
        CifarError: the file is missing or not a valid sample.
    """
    path = Path(path)
    if not path.is_file():
        raise CifarError(
            f"CIFAR-10 sample {path} not found; build it with scripts/make_cifar_sample.py"
        )
    try:
        with np.load(path, allow_pickle=False) as npz:
            classes = tuple(str(c) for c in npz["classes"])
            images, labels, indices = npz["images"], npz["labels"], npz["indices"]
            split = str(npz["split"])
        if classes != CLASSES:
            raise ValueError(f"classes {classes} differ from CIFAR-10's")
        source = f"bundled sample ({len(images)} {split} images)"
        return CifarSet(images, labels, indices, split, source)
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as err:
        raise CifarError(f"CIFAR-10 sample {path} is corrupt: {err}") from err


class _ArrayUnpickler(pickle.Unpickler):
    """Unpickler for CIFAR batches: numpy arrays, bytes and builtins only, never arbitrary code."""

    _SAFE = {
        ("_codecs", "encode"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy.core.numeric", "_frombuffer"),
        ("numpy._core.numeric", "_frombuffer"),
    }

    def find_class(self, module: str, name: str) -> object:
        if (module, name) not in self._SAFE:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name}")
        if module.startswith("numpy.core.") and hasattr(np, "_core"):  # numpy 2 renamed core
            module = "numpy._core." + module.removeprefix("numpy.core.")
        return super().find_class(module, name)


def load_torchvision_folder(folder: Path | str, split: str = "test") -> CifarSet:
    """Read torchvision's ``cifar-10-batches-py`` folder (what ``download_cifar10`` leaves behind).

    Raises:
        CifarError: a batch file is missing or malformed.
    """
    folder = Path(folder)
    images, labels = [], []
    for name in _BATCHES[_check_split(split)]:
        file = folder / name
        try:
            with file.open("rb") as f:
                batch = _ArrayUnpickler(f, encoding="bytes").load()
            data = np.asarray(batch[b"data"], dtype=np.uint8)
            images.append(data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))  # rows are CHW planes
            labels.append(np.asarray(batch[b"labels"], dtype=np.int64))
        except FileNotFoundError as err:
            raise CifarError(
                f"{file} is missing: a torchvision CIFAR-10 folder needs {_BATCHES[split]}"
            ) from err
        except OSError as err:
            raise CifarError(f"{file} could not be read ({_cause(err)})") from err
        except Exception as err:  # pickle can raise almost anything on a damaged file
            raise CifarError(f"{file} is not a CIFAR-10 python batch: {err}") from err
    all_images = np.ascontiguousarray(np.concatenate(images))
    all_labels = np.concatenate(labels)
    return _make_set(all_images, all_labels, split, str(folder))


def _make_set(images: np.ndarray, labels: np.ndarray, split: str, source: str) -> CifarSet:
    try:
        return CifarSet(images, labels, np.arange(len(images)), split, source)
    except ValueError as err:
        raise CifarError(f"{source}: {err}") from err


def _check_split(split: str) -> str:
    if split not in SPLITS:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    return split


def _decode(
    names: dict[int, list[str]], read: Callable[[str], bytes], where: str, split: str
) -> CifarSet:
    """Decode ``names[label]`` (already sorted) in class order into one array."""
    missing = [CLASSES[c] for c in range(len(CLASSES)) if not names.get(c)]
    if missing:
        raise CifarError(
            f"{where} has no images for class(es) {', '.join(missing)}; "
            "a class-folder layout needs one non-empty folder per CIFAR-10 class"
        )
    entries = [(c, n) for c in range(len(CLASSES)) for n in names[c]]
    images = np.empty((len(entries), 32, 32, 3), dtype=np.uint8)  # (N, H, W, C)
    for k, (_, name) in enumerate(entries):
        try:
            data = read(name)
        # zipfile also raises NotImplementedError for a compression method it lacks and
        # RuntimeError for an encrypted member.
        except (*_READ_ERRORS, NotImplementedError, RuntimeError) as err:
            raise CifarError(f"{where}: cannot read {name} ({_cause(err)})") from err
        images[k] = _decode_image(data, name, where)
    labels = np.array([c for c, _ in entries], dtype=np.int64)
    return _make_set(images, labels, split, where)


def _decode_image(data: bytes, name: str, where: str) -> np.ndarray:
    """One CIFAR-10 image file's bytes as (32, 32, 3) uint8 RGB."""
    try:
        with Image.open(io.BytesIO(data)) as im:
            if im.size != (32, 32):
                raise CifarError(
                    f"{where}: {name} is {im.size[0]}x{im.size[1]} pixels; "
                    "CIFAR-10 images must be 32x32"
                )
            return np.asarray(im.convert("RGB"))
    except CifarError:
        raise
    except UnidentifiedImageError as err:  # its own message names a BytesIO, not the file
        raise CifarError(
            f"{where}: cannot decode {name}: not an image file in a format PIL "
            "reads (JPEG, PNG, ...)"
        ) from err
    except _DECODE_ERRORS as err:
        raise CifarError(f"{where}: cannot decode {name} ({_cause(err)})") from err


def _is_image(name: str) -> bool:
    base = name.rsplit("/", 1)[-1]
    return not base.startswith(".") and base.lower().endswith(IMAGE_SUFFIXES)


def _load_folder(root: Path, split: str) -> CifarSet:
    names = {}
    for c, cls in enumerate(CLASSES):
        folder = root / cls
        files = sorted(f.name for f in folder.iterdir() if f.is_file()) if folder.is_dir() else []
        names[c] = [str(folder / f) for f in files if _is_image(f)]
    return _decode(names, lambda n: Path(n).read_bytes(), str(root), split)


def _load_zip(path: Path, split: str) -> CifarSet:
    try:
        zf = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as err:
        raise CifarError(f"{path} is not a readable zip file ({_cause(err)})") from err
    with zf:
        members = [m.split("/") for m in zf.namelist() if _is_image(m)]
        nested = [p for p in members if len(p) == 3 and p[0] == split and p[1] in CLASSES]
        chosen = nested or [p for p in members if len(p) == 2 and p[0] in CLASSES]
        if not chosen:
            tops = sorted({m[0] for m in members if len(m) > 1})[:5]
            raise CifarError(
                f"{path} holds no {split}/<class>/ or <class>/ images "
                f"(top folders: {tops}); accepted layouts: {_LAYOUTS}"
            )
        names = {
            c: sorted((p for p in chosen if p[-2] == cls), key=lambda p: p[-1])
            for c, cls in enumerate(CLASSES)
        }
        names = {c: ["/".join(p) for p in ps] for c, ps in names.items()}
        return _decode(names, zf.read, str(path), split)


def load_cifar10(path: Path | str, split: str = "test") -> CifarSet:
    """Load a local CIFAR-10 split, detecting the layout (see the module docstring).

    Args:
        path: a folder or zip in one of the accepted layouts.
        split: ``"train"`` or ``"test"``.
    Returns:
        The split in its canonical order, ``indices == arange(N)``.
    Raises:
        CifarError: the path is missing, in no accepted layout, cannot be read (permissions, a
            device such as /dev/null, a truncated zip) or holds a bad image; the message names
            the path and the cause.
        ValueError: ``split`` is not train/test.
    """
    _check_split(split)
    path = Path(path).expanduser()
    try:
        return _load(path, split)
    except _READ_ERRORS as err:  # what the loaders below did not name more precisely
        raise CifarError(f"CIFAR-10 path {path} could not be read ({_cause(err)})") from err


def _load(path: Path, split: str) -> CifarSet:
    if not path.exists():
        raise CifarError(f"CIFAR-10 path {path} does not exist")
    if not (path.is_file() or path.is_dir()):  # opening a pipe would block
        raise CifarError(
            f"CIFAR-10 path {path} is neither a folder nor a file (a device, pipe "
            f"or socket?); accepted layouts: {_LAYOUTS}"
        )
    if path.is_file():
        return _load_zip(path, split)
    if (path / "test_batch").is_file() or (path / "data_batch_1").is_file():
        return load_torchvision_folder(path, split)
    if (path / TORCHVISION_FOLDER).is_dir():
        return load_torchvision_folder(path / TORCHVISION_FOLDER, split)
    if (path / f"cifar10-{split}-jpg.zip").is_file():
        return _load_zip(path / f"cifar10-{split}-jpg.zip", split)
    for root in (path / split, path):
        if any((root / cls).is_dir() for cls in CLASSES):
            return _load_folder(root, split)
    found = sorted(p.name for p in path.iterdir())[:8]
    raise CifarError(
        f"{path} is not a CIFAR-10 {split} copy (it holds {found or 'nothing'}); "
        f"accepted layouts: {_LAYOUTS}"
    )


def resolve_path(user_path: str | None, environ: Mapping[str, str] = os.environ) -> Path | None:
    """The sidebar path if non-blank, else ``$CUTMIX_CIFAR10`` if non-blank, else None."""
    for value in (user_path, environ.get(CIFAR_ENV)):
        if value and value.strip():
            return Path(value.strip()).expanduser()
    return None


def download_cifar10(root: Path | str, split: str = "test", *, timeout: float = 5.0) -> CifarSet:
    """Download CIFAR-10 into ``root`` (or reuse it there) and load ``split``.

    The archive (torchvision's ``CIFAR10.url``, checked against its md5) is fetched by
    :func:`~cutmix_core.data.download.fetch` and extracted with torchvision's ``extract_archive``.
    torchvision's own download has no timeout and would hang on a stalled transfer; fetch gives
    up after ``timeout`` seconds without data.
    An intact copy already in ``root`` (every extracted file, or the archive, by md5) is reused
    without touching the network; a damaged one is repaired.

    Raises:
        CifarError: offline, torchvision missing, or the download failed.
    """
    _check_split(split)
    hint = "Use the bundled sample or point CUTMIX_CIFAR10 at a local copy."
    try:  # lazy: torch is slow to import and optional here
        from torchvision.datasets import CIFAR10
        from torchvision.datasets.utils import extract_archive
    except ImportError as err:
        raise CifarError(
            f"CIFAR-10 could not be downloaded: torchvision is not installed ({err}). {hint}"
        ) from err
    root = Path(root)
    archive, folder = root / CIFAR10.filename, root / CIFAR10.base_folder
    files = (
        *CIFAR10.train_list,
        *CIFAR10.test_list,
        (CIFAR10.meta["filename"], CIFAR10.meta["md5"]),
    )
    if not all(has_digest(folder / name, md5=md5) for name, md5 in files):
        if not has_digest(archive, md5=CIFAR10.tgz_md5):
            try:
                fetch(CIFAR10.url, archive, timeout=timeout, md5=CIFAR10.tgz_md5)
            except DownloadError as err:
                raise CifarError(
                    f"CIFAR-10 could not be downloaded from {CIFAR10.url}: {err}. {hint}"
                ) from err
        try:
            extract_archive(str(archive), str(root))
        except Exception as err:  # a full disk, a folder in the way: the same to the user
            raise CifarError(
                f"CIFAR-10 could not be extracted into {root} ({type(err).__name__}: {err}). {hint}"
            ) from err
    return load_torchvision_folder(folder, split)


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

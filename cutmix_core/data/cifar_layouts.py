"""Reading a local copy of CIFAR-10 in any of the layouts people keep it in.

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

Pickles are read with a restricted unpickler that accepts only numpy arrays, because a copy can
come from anywhere and an ordinary ``pickle.load`` would run arbitrary code; images are opened
only as JPEG or PNG (:data:`IMAGE_FORMATS`), whatever their names say. Any path can arrive
here (``/dev/null``, a half-copied zip, a folder the app may not read): every failure to read or
decode it becomes a :class:`CifarError` naming the path and the cause, and no message lists what
a folder or zip holds.
"""

from __future__ import annotations

import io
import pickle
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from cutmix_core.data.cifar_set import CLASSES, CifarError, CifarSet, check_split

TORCHVISION_FOLDER = "cifar-10-batches-py"
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")
#: The only decoders a class-folder image reaches, whatever its name: an EPS named .png must
#: not be handed to Ghostscript, nor a TIFF or PSD to their more complex parsers.
IMAGE_FORMATS = ("JPEG", "PNG")
_BATCHES = {"train": [f"data_batch_{i}" for i in range(1, 6)], "test": ["test_batch"]}
_LAYOUTS = (
    "torchvision's cifar-10-batches-py folder or its parent; "
    "<path>/<split>/<class>/*.jpg or <path>/<class>/*.jpg (JPEG or PNG, one folder per class); "
    "a .zip of that tree; or a folder holding cifar10-<split>-jpg.zip"
)


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
    for name in _BATCHES[check_split(split)]:
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
        with Image.open(io.BytesIO(data), formats=list(IMAGE_FORMATS)) as im:
            if im.size != (32, 32):
                raise CifarError(
                    f"{where}: {name} is {im.size[0]}x{im.size[1]} pixels; "
                    "CIFAR-10 images must be 32x32"
                )
            return np.asarray(im.convert("RGB"))
    except CifarError:
        raise
    except UnidentifiedImageError as err:  # its own message names a BytesIO, not the file
        raise CifarError(f"{where}: cannot decode {name}: not a JPEG or PNG image file") from err
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
        if not chosen:  # say what is expected, never what the zip holds
            raise CifarError(
                f"{path} holds no {split}/<class>/ or <class>/ images; accepted layouts: {_LAYOUTS}"
            )
        names = {
            c: [
                "/".join(p)
                for p in sorted((p for p in chosen if p[-2] == cls), key=lambda p: p[-1])
            ]
            for c, cls in enumerate(CLASSES)
        }
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
    check_split(split)
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
    # Never list what the folder holds: the path may come from a visitor of a shared server.
    raise CifarError(f"{path} is not a CIFAR-10 {split} copy; accepted layouts: {_LAYOUTS}")

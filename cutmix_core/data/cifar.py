"""CIFAR-10 images for the app: a bundled 100-image sample, local copies, and an optional download.

CutMix (Yun et al., ICCV 2019, arXiv 1905.04899) was evaluated on CIFAR-10, so the app shows it on
real CIFAR-10 pictures. The app must work offline, so it always has ``assets/cifar10_sample.npz``
(10 test images per class, built by ``scripts/make_cifar_sample.py``); a full copy is used only
when whoever runs the server names one with the ``CUTMIX_CIFAR10`` environment variable, or
names a folder with ``CUTMIX_CIFAR10_ROOT`` under which visitors may type a path
(:func:`cifar_root`, :func:`resolve_under`). A visitor never reaches a path outside that root,
and cannot tell from the app whether one exists.

This module is the one the app and the training code import; the pieces live beside it:

* :mod:`cutmix_core.data.cifar_set`: :data:`CLASSES`, :class:`CifarSet`, :func:`random_pair`;
* :mod:`cutmix_core.data.cifar_layouts`: :func:`load_cifar10` for every local layout;
* :mod:`cutmix_core.data.cifar_download`: :func:`download_cifar10`.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from cutmix_core import paths
from cutmix_core.data.cifar_download import download_cifar10
from cutmix_core.data.cifar_layouts import (
    IMAGE_SUFFIXES,
    TORCHVISION_FOLDER,
    load_cifar10,
    load_torchvision_folder,
)
from cutmix_core.data.cifar_set import CLASSES, SPLITS, CifarError, CifarSet, random_pair
from cutmix_core.defaults import CIFAR_ENV, CIFAR_ROOT_ENV

__all__ = [
    "CLASSES",
    "IMAGE_SUFFIXES",
    "SAMPLE_PATH",
    "SPLITS",
    "TORCHVISION_FOLDER",
    "CifarError",
    "CifarSet",
    "cifar_root",
    "download_cifar10",
    "load_cifar10",
    "load_sample",
    "load_torchvision_folder",
    "random_pair",
    "resolve_path",
    "resolve_under",
]

SAMPLE_PATH: Path = paths.SAMPLE_PATH


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


def resolve_path(user_path: str | None, environ: Mapping[str, str] = os.environ) -> Path | None:
    """The sidebar path if non-blank, else ``$CUTMIX_CIFAR10`` if non-blank, else None."""
    for value in (user_path, environ.get(CIFAR_ENV)):
        if value and value.strip():
            return Path(value.strip()).expanduser()
    return None


def cifar_root(environ: Mapping[str, str] = os.environ) -> Path | None:
    """The folder ``$CUTMIX_CIFAR10_ROOT`` names (resolved), under which visitors may type a
    CIFAR-10 path; None when it is unset or blank, and then visitors type no paths at all."""
    value = environ.get(CIFAR_ROOT_ENV, "").strip()
    return Path(value).expanduser().resolve() if value else None


def resolve_under(root: Path, typed: str) -> Path | None:
    """The path a visitor typed, relative to ``root`` (or absolute), if it may be read.

    Symbolic links and ``..`` are resolved first, so neither leads out of ``root``. The answer
    is None alike for a path outside ``root``, one that does not exist and one the server may
    not read, so that a visitor learns nothing about the server's files outside ``root``.

    Args:
        root: the folder the server allows (:func:`cifar_root`).
        typed: what the visitor typed; ``~`` is not expanded (it would name the server's home).
    """
    text = typed.strip()
    if not text or "\0" in text:
        return None
    try:
        base = root.resolve()
        path = (base / text).resolve()
        if not path.is_relative_to(base):
            return None
        if path.is_dir():
            with os.scandir(path):  # opening says what a permission check may not (ACLs, root)
                pass
        elif path.is_file():
            with path.open("rb"):
                pass
        else:  # missing, or a device, pipe or socket
            return None
    except (OSError, RuntimeError, ValueError):  # unreadable, a symlink loop, a name too long
        return None
    return path

"""torchvision's ImageNet classifiers (ResNet-18, ResNet-50, ...) with their DEFAULT weights.

The app offers them beside the CIFAR-10 models so a photo can be explained by a network that
knows its class. Their weights are downloaded once, with a timeout, into the folder torchvision
reads them from; everything else (classes, resize and crop, normalisation) comes from the
weights' own metadata.

The weights are read with ``torch.load(weights_only=True)`` (torchvision's own loader goes
through ``torch.hub``, which unpickles arbitrary objects): a cached file is data from outside, and
a pickle in it must not run code on the server. A file is used only if its full sha256 is the
one pinned here (:data:`WEIGHTS_SHA256`), whether it was downloaded or copied in by hand; the
8-hex-digit prefix in torchvision's file name alone is too short to identify a file.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from functools import partial
from pathlib import Path
from types import MappingProxyType

import numpy as np
import torch

from cutmix_core.data.download import DownloadError, fetch
from cutmix_core.data.tensors import normalize, to_nchw
from cutmix_core.models.inference import CheckpointError, LoadedModel, ready

#: The full sha256 of each weight file the app offers, by torchvision's file name (the files at
#: https://download.pytorch.org/models/). A model whose file is not listed is loaded after the
#: check of its name's prefix alone.
WEIGHTS_SHA256: Mapping[str, str] = MappingProxyType(
    {
        "resnet18-f37072fd.pth": "f37072fd47e89c5e827621c5baffa7500819f7896bbacec160b1a16c560e07ec",
        "resnet50-11ad3fa6.pth": "11ad3fa62ca79e40addfd354a8ec4b7c75143b3038b8d2a807fbc68deab379ca",
    }
)


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _transformed(images_hwc_uint8: np.ndarray | torch.Tensor, *, transforms) -> torch.Tensor:
    """The weights' own preprocessing (resize, centre crop, normalise) of HWC uint8 images."""
    return transforms(to_nchw(images_hwc_uint8))  # (N, 3, 224, 224)


def _normalized(
    images_hwc_uint8: np.ndarray | torch.Tensor, *, mean: Sequence[float], std: Sequence[float]
) -> torch.Tensor:
    """Normalisation alone, no resize or crop (for Grad-CAM on an input-sized square)."""
    return normalize(to_nchw(images_hwc_uint8), mean, std)  # (N, 3, H, W)


def load_imagenet_model(
    name: str = "resnet50", *, timeout: float = 5.0, pinned: Mapping[str, str] | None = None
) -> LoadedModel:
    """A torchvision ImageNet classifier with its DEFAULT weights, classes and preprocessing.

    Weights come from ``$TORCH_HOME/hub/checkpoints/``, where torchvision looks for them. On
    first use they are downloaded there by :func:`~cutmix_core.data.download.fetch`, not by
    ``torch.hub``, which sets no timeout: on a network that drops packets (a classroom firewall)
    it would wait forever instead of saying so. fetch names the host, or the proxy, that did not
    answer, gives up after ``timeout`` seconds without data, and keeps the file only if its
    sha256 is the pinned one (else, for a file not pinned, starts with the prefix in its name).

    Args:
        name: a torchvision model name, e.g. ``"resnet50"``.
        timeout: seconds a download may go without data.
        pinned: full sha256 by file name; None: :data:`WEIGHTS_SHA256`.
    Raises:
        CheckpointError: if the name is unknown, the weights are not cached and cannot be
            downloaded, or the cached file is damaged, not the pinned one, or not plain data.
    """
    import torchvision  # here, not at the top: the CIFAR-10 pages never pay for its import

    pins = WEIGHTS_SHA256 if pinned is None else pinned
    try:
        weights = torchvision.models.get_model_weights(name).DEFAULT
    except ValueError as err:
        raise CheckpointError(f"unknown torchvision model {name!r} ({err})") from err
    cached = Path(torch.hub.get_dir()) / "checkpoints" / Path(weights.url).name
    expected = pins.get(cached.name)
    if not cached.is_file():
        prefix = torch.hub.HASH_REGEX.search(cached.name)  # torch.hub's name-<sha256 prefix>.pth
        try:
            fetch(
                weights.url,
                cached,
                timeout=timeout,
                sha256_prefix=expected or (prefix.group(1) if prefix else None),
            )
        except DownloadError as err:
            raise CheckpointError(
                f"could not download {name} weights from {weights.url}: {err}; the CIFAR-10 "
                f"models keep working (to use {name} without a download, copy the file to "
                f"{cached})"
            ) from err
    try:
        digest = _file_sha256(cached)
    except OSError as err:  # the cached file vanished or cannot be read
        raise CheckpointError(f"could not read {name} weights at {cached}: {err}") from err
    if expected is not None and digest != expected:
        raise CheckpointError(
            f"cached {name} weights at {cached} are not the published file (sha256 "
            f"{digest[:16]}..., expected {expected[:16]}...); delete the file to download "
            "them again"
        )
    try:
        # weights_only: tensors and plain containers only; a pickled object is refused unrun.
        state = torch.load(cached, map_location="cpu", weights_only=True)
        # fork_rng: building the model draws its (then overwritten) initial weights from
        # torch's global generator; the library never advances global random state.
        with torch.random.fork_rng(devices=[]):
            model = torchvision.models.get_model(name, weights=None)
        model.load_state_dict(state)
    except OSError as err:
        raise CheckpointError(f"could not read {name} weights at {cached}: {err}") from err
    except Exception as err:  # torch.load / load_state_dict on a damaged or hostile file
        raise CheckpointError(
            f"cached {name} weights at {cached} are damaged or not plain weights; delete the "
            f"file to download them again ({type(err).__name__})"
        ) from err
    classes = tuple(weights.meta["categories"])
    card = {
        "arch": name,
        "weights": str(weights),
        "num_classes": len(classes),
        "source": weights.url,
        "dataset": "ImageNet-1k",
        # of the file the weights were read from: callers can key caches on the weights
        "sha256": digest,
    }
    transforms = weights.transforms()
    return LoadedModel(
        ready(model),
        MappingProxyType(card),
        name,
        classes,
        partial(_transformed, transforms=transforms),
        input_size=int(transforms.crop_size[0]),
        normalize=partial(_normalized, mean=transforms.mean, std=transforms.std),
    )

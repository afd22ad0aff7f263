"""Classifiers for the app: CIFAR-10 ResNets, checkpoints with model cards, and ImageNet ResNets.

The CIFAR-10 network is the CIFAR variant of ResNet (He et al., "Deep Residual Learning for Image
Recognition", CVPR 2016, https://arxiv.org/abs/1512.03385, section 4.2), the family CutMix
(Yun et al., ICCV 2019, https://arxiv.org/abs/1905.04899) also reports on CIFAR:

    depth = 6 n + 2       (resnet20: n = 3, resnet32: n = 5, resnet56: n = 9)
    3x3 conv (w) -> n BasicBlocks at 32x32 (w) -> n at 16x16 (2w) -> n at 8x8 (4w) -> GAP -> linear

with base width w = 16 (``resnet20x4``: w = 64). Shortcuts are the paper's option A (identity;
where the shape changes, stride-2 subsampling and zero-padded channels, no parameters), so
resnet20 has 0.27M and resnet56 0.85M parameters as in the paper's Table 6; ``-b`` names
(``resnet20-b``) use option B (1x1 conv + BatchNorm projections where the shape changes).
The network is two parts, ``features`` (output (B, 4w, 8, 8)) and ``head`` (pool, flatten, fc),
so Grad-CAM can run one and then the other without hooks (see :mod:`cutmix_core.models.gradcam`).

Inputs are normalised with the CIFAR-10 training-set per-channel mean and standard deviation:
``x = (pixel / 255 - mean) / std`` (:func:`preprocess`, the one place for that conversion).

A checkpoint is ``name.pt`` (a plain state dict, readable with ``torch.load(weights_only=True)``)
beside ``name.json``, its model card (architecture, classes, training recipe, metrics, sha256).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
import torchvision
from torch import nn

from cutmix_core.data.cifar import CLASSES
from cutmix_core.data.download import DownloadError, fetch
from cutmix_core.models import airnet

#: Per-channel mean and standard deviation of the 50,000 CIFAR-10 training images (pixel / 255).
#: (The often-copied std (0.2023, 0.1994, 0.2010) is a per-image average, not the dataset std.)
CIFAR10_MEAN: tuple[float, float, float] = (0.4914, 0.4822, 0.4465)
CIFAR10_STD: tuple[float, float, float] = (0.2470, 0.2435, 0.2616)
CARD_VERSION = 1
_BN_STATS = ("running_mean", "running_var")
_ARCH = re.compile(r"resnet(?P<depth>\d+)(?:x(?P<mult>\d+)|w(?P<width>\d+))?(?P<option_b>-b)?")


class CheckpointError(ValueError):
    """A checkpoint or pretrained model that cannot be loaded; the message names file and cause."""


class BasicBlock(nn.Module):
    """Two 3x3 conv-BN layers plus a shortcut, ReLU after the sum (He et al. 2016, figure 2)."""

    def __init__(self, c_in: int, c_out: int, stride: int, option_b: bool) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.pad = (c_out - c_in) // 2, c_out - c_in - (c_out - c_in) // 2
        self.stride = stride
        self.projection: nn.Module | None = None
        if option_b and (stride != 1 or c_in != c_out):
            self.projection = nn.Sequential(
                nn.Conv2d(c_in, c_out, 1, stride, bias=False), nn.BatchNorm2d(c_out)
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, c_in, H, W) -> (B, c_out, H/s, W/s)
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.projection is not None:
            shortcut = self.projection(x)
        else:  # option A: subsample, then zero channels on both sides (no parameters)
            shortcut = F.pad(x[:, :, :: self.stride, :: self.stride], (0, 0, 0, 0, *self.pad))
        return F.relu(out + shortcut)


class CifarResNet(nn.Module):
    """CIFAR ResNet as ``features`` (stem + 3 stages, (B, 4w, 8, 8) at 32x32) then ``head``."""

    def __init__(
        self,
        depth: int = 20,
        *,
        width: int = 16,
        num_classes: int = 10,
        option_b: bool = False,
        generator: torch.Generator | None = None,
    ) -> None:
        super().__init__()
        if isinstance(depth, bool) or not isinstance(depth, int) or depth < 8 or (depth - 2) % 6:
            raise ValueError(f"depth must be 6n+2 with n >= 1 (8, 20, 32, 56, ...), got {depth!r}")
        for name, value in (("width", width), ("num_classes", num_classes)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        n = (depth - 2) // 6
        widen = "" if width == 16 else f"x{width // 16}" if width % 16 == 0 else f"w{width}"
        self.arch = f"resnet{depth}{widen}" + "-b" * option_b  # the name build_model parses
        # Build on the meta device, then allocate and initialise with our own generator, so that
        # building a model never draws from (or depends on) torch's global random state.
        with torch.device("meta"):
            layers: OrderedDict[str, nn.Module] = OrderedDict(
                conv=nn.Conv2d(3, width, 3, 1, 1, bias=False),
                bn=nn.BatchNorm2d(width),
                relu=nn.ReLU(),
            )
            c_in = width
            for stage, c_out in enumerate((width, 2 * width, 4 * width), start=1):
                blocks = [
                    BasicBlock(
                        c_in if i == 0 else c_out, c_out, 1 if i or stage == 1 else 2, option_b
                    )
                    for i in range(n)
                ]
                layers[f"stage{stage}"] = nn.Sequential(*blocks)
                c_in = c_out
            self.features = nn.Sequential(layers)
            self.head = nn.Sequential(
                OrderedDict(
                    pool=nn.AdaptiveAvgPool2d(1),
                    flatten=nn.Flatten(1),
                    fc=nn.Linear(4 * width, num_classes),
                )
            )
        self.to_empty(device="cpu")
        _init_weights(self, torch.Generator().manual_seed(0) if generator is None else generator)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, 3, H, W) -> (B, num_classes)
        return self.head(self.features(x))


def _init_weights(model: nn.Module, generator: torch.Generator) -> None:
    for m in model.modules():
        if isinstance(m, nn.Conv2d):  # He init for ReLU nets, as in torchvision's ResNet
            nn.init.kaiming_normal_(
                m.weight, mode="fan_out", nonlinearity="relu", generator=generator
            )
        elif isinstance(m, nn.BatchNorm2d):
            m.reset_parameters()  # gamma 1, beta 0, running mean 0 / var 1
        elif isinstance(m, nn.Linear):  # PyTorch's default bound 1 / sqrt(fan_in)
            bound = m.in_features**-0.5
            nn.init.uniform_(m.weight, -bound, bound, generator=generator)
            nn.init.uniform_(m.bias, -bound, bound, generator=generator)


def build_model(
    arch: str, num_classes: int = 10, *, generator: torch.Generator | None = None
) -> nn.Module:
    """A freshly initialised CIFAR-10 network: ``airnet`` (:mod:`cutmix_core.models.airnet`, the shipped
    models) or a CIFAR ResNet from a name such as ``resnet20``, ``resnet56``, ``resnet20x4`` (4x
    wider: base width 64), ``resnet20w24`` (base width 24) or ``resnet20-b`` (option-B shortcuts).

    Args:
        generator: seeds the initial weights; ``None`` means a generator seeded with 0.
    Raises:
        ValueError: if the name does not parse or the depth is not 6n+2.
    """
    if arch == airnet.ARCH:
        return airnet.AirNet(num_classes, generator=generator)
    match = _ARCH.fullmatch(arch) if isinstance(arch, str) else None
    if match is None:
        raise ValueError(
            f"arch must be airnet or look like resnet20, resnet56x2, resnet20-b; got {arch!r}"
        )
    width = int(match["width"]) if match["width"] else 16 * int(match["mult"] or 1)
    return CifarResNet(
        int(match["depth"]),
        width=width,
        num_classes=num_classes,
        option_b=bool(match["option_b"]),
        generator=generator,
    )


def count_parameters(model: nn.Module) -> int:
    """Number of scalar parameters (BatchNorm running statistics are buffers, not counted)."""
    return sum(p.numel() for p in model.parameters())


def _nhwc_uint8(images: np.ndarray | torch.Tensor) -> torch.Tensor:
    t = images if isinstance(images, torch.Tensor) else torch.from_numpy(np.array(images))
    if t.dtype != torch.uint8 or t.ndim not in (3, 4) or t.shape[-1] != 3:
        raise ValueError(
            f"images must be HWC or NHWC uint8 with 3 channels, "
            f"got shape {tuple(t.shape)} dtype {t.dtype}"
        )
    return t.unsqueeze(0) if t.ndim == 3 else t  # (N, H, W, 3)


def normalize(
    images_hwc_uint8: np.ndarray | torch.Tensor, mean: Sequence[float], std: Sequence[float]
) -> torch.Tensor:
    """HWC or NHWC uint8 RGB -> NCHW float32 ``(pixel / 255 - mean) / std``; no resize, no crop."""
    x = _nhwc_uint8(images_hwc_uint8).permute(0, 3, 1, 2).float().div(255)  # (N, 3, H, W)
    m, s = torch.tensor((tuple(mean), tuple(std))).view(2, 1, 3, 1, 1)
    return ((x - m) / s).contiguous()


def preprocess(images_hwc_uint8: np.ndarray | torch.Tensor) -> torch.Tensor:
    """HWC or NHWC uint8 RGB -> NCHW float32 normalised with the CIFAR-10 mean and std."""
    return normalize(images_hwc_uint8, CIFAR10_MEAN, CIFAR10_STD)


def _imagenet_preprocess(
    images_hwc_uint8: np.ndarray | torch.Tensor,
    *,
    transforms: Callable[[torch.Tensor], torch.Tensor],
) -> torch.Tensor:
    return transforms(_nhwc_uint8(images_hwc_uint8).permute(0, 3, 1, 2))  # (N, 3, 224, 224)


def predict(model: nn.Module, images: torch.Tensor, *, batch_size: int = 500) -> np.ndarray:
    """Softmax probabilities (N, num_classes) float32 for an NCHW float batch (see ``preprocess``).

    Raises:
        ValueError: if ``images`` is not NCHW float or the model is in training mode (BatchNorm
            would use batch statistics and update the shared model's running averages).
    """
    if not isinstance(images, torch.Tensor) or images.ndim != 4 or not images.is_floating_point():
        got = (tuple(images.shape), images.dtype) if torch.is_tensor(images) else type(images)
        raise ValueError(f"images must be an NCHW float tensor (use preprocess), got {got}")
    if model.training:
        raise ValueError("predict needs a model in eval mode; call model.eval() first")
    device = next(model.parameters()).device
    with torch.inference_mode():
        probs = [
            model(chunk.to(device)).float().softmax(1).cpu() for chunk in images.split(batch_size)
        ]
    return torch.cat(probs).numpy()  # (N, num_classes)


_cifar_preprocess = preprocess  # the class body below shadows the name ``preprocess``


@dataclass(frozen=True, eq=False)
class LoadedModel:
    """A model ready for inference (eval mode, parameters frozen) with its card and classes."""

    model: nn.Module
    card: Mapping[str, Any]
    name: str
    classes: tuple[str, ...]
    preprocess: Callable[[np.ndarray | torch.Tensor], torch.Tensor] = field(repr=False)
    #: side of the square input the network was trained on (32 for CIFAR-10, 224 for ImageNet)
    input_size: int = 32
    #: normalisation only (no resize, no crop), for images already ``input_size`` square: what
    #: Grad-CAM needs, since a centre crop would move the pasted box
    normalize: Callable[[np.ndarray | torch.Tensor], torch.Tensor] = field(
        default=_cifar_preprocess, repr=False
    )

    def predict(self, images_hwc_uint8: np.ndarray | torch.Tensor) -> np.ndarray:
        """Probabilities (N, num_classes) for HWC / NHWC uint8 images."""
        return predict(self.model, self.preprocess(images_hwc_uint8))


def accuracy(loaded: LoadedModel, images_hwc_uint8: np.ndarray, labels: np.ndarray) -> float:
    """Top-1 accuracy in [0, 1] of ``loaded`` (fp32, eval mode, batched) on (N, H, W, 3) uint8
    images: the one definition behind a model card's ``test_accuracy`` (written by
    :mod:`cutmix_core.training.loop` from the saved checkpoint) and the evaluation's clean accuracy.

    Raises:
        ValueError: no images, or labels that are not (N,).
    """
    labels = np.asarray(labels)
    if len(images_hwc_uint8) == 0 or labels.shape != (len(images_hwc_uint8),):
        raise ValueError(
            f"need N >= 1 images and (N,) labels, got {len(images_hwc_uint8)} "
            f"images and labels of shape {labels.shape}"
        )
    probs = loaded.predict(images_hwc_uint8)  # (N, num_classes)
    return float((probs.argmax(1) == labels).mean())


def _ready(model: nn.Module) -> nn.Module:
    # Frozen parameters: a model shared between sessions can never accumulate .grad.
    return model.eval().requires_grad_(False)


def save_checkpoint(
    path: str | Path,
    model: nn.Module,
    card: Mapping[str, Any],
    *,
    dtype: torch.dtype = torch.float32,
) -> dict[str, Any]:
    """Write ``path`` (state dict, floats as ``dtype``) and its card ``path.with_suffix('.json')``.

    BatchNorm running statistics stay float32 whatever ``dtype`` is: a variance below float16's
    smallest value would round to 0 and, with a tiny ``eps``, blow the normalisation up.

    The card is ``card`` plus ``arch``, ``num_classes``, ``classes`` (CIFAR-10's by default),
    ``num_parameters``, ``dtype``, ``sha256`` (of the weight file) and ``card_version``.
    Use ``dtype=torch.float16`` to halve the file (resnet20 fp32: about 1.1 MB).

    Returns:
        The card as written.
    Raises:
        ValueError: if ``dtype`` is not float16/float32, the card's ``arch`` disagrees with the
            model, or the card is not JSON-serialisable.
    """
    if dtype not in (torch.float16, torch.float32):
        raise ValueError(f"dtype must be torch.float16 or torch.float32, got {dtype}")
    arch = getattr(model, "arch", None)
    if card.get("arch", arch) != arch or arch is None:
        raise ValueError(f"card arch {card.get('arch')!r} does not match the model's arch {arch!r}")
    state = {
        k: (v.to(dtype) if v.is_floating_point() and not k.endswith(_BN_STATS) else v)
        .detach()
        .cpu()
        .clone()
        for k, v in model.state_dict().items()
    }
    torch.save(state, buffer := io.BytesIO())
    data = buffer.getvalue()
    num_classes = model.head.fc.out_features
    full = {
        "classes": list(CLASSES) if num_classes == len(CLASSES) else None,
        **card,
        "arch": arch,
        "num_classes": num_classes,
        "num_parameters": count_parameters(model),
        "dtype": str(dtype).removeprefix("torch."),
        "sha256": hashlib.sha256(data).hexdigest(),
        "card_version": CARD_VERSION,
    }
    try:
        text = json.dumps(full, indent=2)
    except (TypeError, ValueError) as err:
        raise ValueError(f"card is not JSON-serialisable: {err}") from err
    path = Path(path)
    for target, payload in ((path, data), (path.with_suffix(".json"), text.encode())):
        tmp = target.with_name(target.name + ".tmp")  # write, then rename: never a half file
        tmp.write_bytes(payload)
        os.replace(tmp, target)
    return full


def _read_card(path: Path) -> dict[str, Any]:
    card_path = path.with_suffix(".json")
    if not card_path.is_file():
        raise CheckpointError(f"model card {card_path} for checkpoint {path} is missing")
    try:
        card = json.loads(card_path.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise CheckpointError(f"model card {card_path} is not valid JSON ({err})") from err
    if (
        not isinstance(card, dict)
        or not isinstance(card.get("arch"), str)
        or not isinstance(card.get("num_classes"), int)
    ):
        raise CheckpointError(f"model card {card_path} needs 'arch' (str) and 'num_classes' (int)")
    return card


def _check_keys(state: Mapping[str, Any], model: nn.Module, path: Path, arch: str) -> None:
    expected = model.state_dict()
    problems = []
    if missing := sorted(set(expected) - set(state)):
        problems.append(f"{len(missing)} missing keys (e.g. {missing[0]})")
    if unexpected := sorted(set(state) - set(expected)):
        problems.append(f"{len(unexpected)} unexpected keys (e.g. {unexpected[0]})")
    if bad := [
        k for k in sorted(set(state) & set(expected)) if state[k].shape != expected[k].shape
    ]:
        problems.append(
            f"{bad[0]} has shape {tuple(state[bad[0]].shape)}, expected "
            f"{tuple(expected[bad[0]].shape)}"
        )
    if problems:
        raise CheckpointError(
            f"checkpoint {path} does not match architecture {arch!r} named in "
            f"its model card: " + "; ".join(problems)
        )


def load_checkpoint(path: str | Path, *, map_location: str | torch.device = "cpu") -> LoadedModel:
    """Load ``path`` and its model card into a ready model (eval mode, frozen, on ``map_location``).

    Raises:
        CheckpointError: if the file or its card is missing, unreadable, corrupt or truncated,
            or the weights do not fit the architecture the card names.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} does not exist")
    card = _read_card(path)
    data = path.read_bytes()
    try:
        state = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception as err:  # zip, pickle and EOF errors all mean a damaged file here
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise CheckpointError(f"checkpoint {path} is corrupt or truncated ({reason})") from err
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise CheckpointError(f"checkpoint {path} does not hold a state dict of tensors")
    digest = hashlib.sha256(data).hexdigest()
    if card.get("sha256", digest) != digest:
        raise CheckpointError(f"checkpoint {path} does not match the sha256 in its model card")
    try:
        model = build_model(card["arch"], card["num_classes"])
    except ValueError as err:
        raise CheckpointError(f"model card of {path} names an unusable arch: {err}") from err
    _check_keys(state, model, path, card["arch"])
    model.load_state_dict(state)  # float16 weights are cast to the model's float32 here
    classes = tuple(card.get("classes") or (str(i) for i in range(card["num_classes"])))
    if len(classes) != card["num_classes"]:
        raise CheckpointError(
            f"model card of {path} lists {len(classes)} classes for "
            f"num_classes {card['num_classes']}"
        )
    return LoadedModel(
        _ready(model.to(map_location)),
        MappingProxyType(card),
        str(card.get("name", path.stem)),
        classes,
        preprocess,
    )


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def load_imagenet_model(name: str = "resnet50", *, timeout: float = 5.0) -> LoadedModel:
    """A torchvision ImageNet classifier with its DEFAULT weights, classes and preprocessing.

    Weights come from ``$TORCH_HOME/hub/checkpoints/``, where torchvision looks for them. On
    first use they are downloaded there by :func:`~cutmix_core.data.download.fetch`, not by
    ``torch.hub``, which sets no timeout: on a network that drops packets (a classroom firewall)
    it would wait forever instead of saying so. fetch names the host, or the proxy, that did not
    answer, gives up after ``timeout`` seconds without data, and keeps the file only if its
    sha256 matches the prefix in its name.

    Raises:
        CheckpointError: if the name is unknown, the weights are not cached and cannot be
            downloaded, or the cached file is damaged.
    """
    try:
        weights = torchvision.models.get_model_weights(name).DEFAULT
    except ValueError as err:
        raise CheckpointError(f"unknown torchvision model {name!r} ({err})") from err
    cached = Path(torch.hub.get_dir()) / "checkpoints" / Path(weights.url).name
    if not cached.is_file():
        prefix = torch.hub.HASH_REGEX.search(cached.name)  # torch.hub's name-<sha256 prefix>.pth
        try:
            fetch(
                weights.url,
                cached,
                timeout=timeout,
                sha256_prefix=prefix.group(1) if prefix else None,
            )
        except DownloadError as err:
            raise CheckpointError(
                f"could not download {name} weights from {weights.url}: {err}; the CIFAR-10 "
                f"models keep working (to use {name} without a download, copy the file to "
                f"{cached})"
            ) from err
    try:
        # fork_rng: building the model draws its (then overwritten) initial weights from
        # torch's global generator; the library never advances global random state.
        with torch.random.fork_rng(devices=[]):
            model = torchvision.models.get_model(name, weights=weights, progress=False)
    except OSError as err:  # the cached file vanished or cannot be read
        raise CheckpointError(f"could not read {name} weights at {cached}: {err}") from err
    except Exception as err:  # torch.load / load_state_dict on a damaged cached file
        raise CheckpointError(
            f"cached {name} weights at {cached} are damaged; delete the file to "
            f"download them again ({type(err).__name__})"
        ) from err
    classes = tuple(weights.meta["categories"])
    card = {
        "arch": name,
        "weights": str(weights),
        "num_classes": len(classes),
        "source": weights.url,
        "dataset": "ImageNet-1k",
        # of the file the weights were read from: callers can key caches on the weights
        "sha256": _file_sha256(cached) if cached.is_file() else None,
    }
    transforms = weights.transforms()
    return LoadedModel(
        _ready(model),
        MappingProxyType(card),
        name,
        classes,
        partial(_imagenet_preprocess, transforms=transforms),
        input_size=int(transforms.crop_size[0]),
        normalize=partial(normalize, mean=transforms.mean, std=transforms.std),
    )

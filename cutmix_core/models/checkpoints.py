"""CIFAR-10 checkpoints with model cards: building, saving, loading and finding them.

A checkpoint is ``name.pt`` (a plain state dict, readable with ``torch.load(weights_only=True)``)
beside ``name.json``, its model card (architecture, classes, training recipe, metrics, sha256).
The architectures are :mod:`cutmix_core.models.airnet` (the shipped models) and the CIFAR
ResNets of :mod:`cutmix_core.models.resnet`; :func:`build_model` makes either from the card's
``arch``. A loaded checkpoint is a :class:`~cutmix_core.models.inference.LoadedModel`, ready
for inference and safe to share between sessions.

This is the module the app, training and evaluation import; it re-exports the names that live
beside it (:mod:`~cutmix_core.models.inference`, :mod:`~cutmix_core.models.resnet`,
:mod:`~cutmix_core.models.imagenet`, the CIFAR-10 statistics of
:mod:`~cutmix_core.data.tensors`), so ``from cutmix_core.models.checkpoints import ...`` keeps
working for all of them.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

import torch
from torch import nn

from cutmix_core.data.cifar_set import CLASSES
from cutmix_core.data.tensors import CIFAR10_MEAN, CIFAR10_STD
from cutmix_core.defaults import AUGS
from cutmix_core.files import write_atomic
from cutmix_core.models import airnet
from cutmix_core.models.imagenet import load_imagenet_model
from cutmix_core.models.inference import (
    CheckpointError,
    LoadedModel,
    accuracy,
    predict,
    preprocess,
    ready,
)
from cutmix_core.models.resnet import BasicBlock, CifarResNet, resnet_from_name

__all__ = [
    "CARD_VERSION",
    "CIFAR10_MEAN",
    "CIFAR10_STD",
    "BasicBlock",
    "CheckpointError",
    "CifarResNet",
    "LoadedModel",
    "accuracy",
    "build_model",
    "count_parameters",
    "find_checkpoints",
    "load_checkpoint",
    "load_imagenet_model",
    "predict",
    "preprocess",
    "save_checkpoint",
]

CARD_VERSION = 1
_BN_STATS = ("running_mean", "running_var")


def build_model(
    arch: str, num_classes: int = 10, *, generator: torch.Generator | None = None
) -> nn.Module:
    """A freshly initialised CIFAR-10 network: ``airnet`` (:mod:`cutmix_core.models.airnet`, the
    shipped models) or a CIFAR ResNet named as :func:`~cutmix_core.models.resnet.resnet_from_name`
    reads it (``resnet20``, ``resnet56``, ``resnet20x4``, ``resnet20w24``, ``resnet20-b``).

    Args:
        generator: seeds the initial weights; ``None`` means a generator seeded with 0.
    Raises:
        ValueError: if the name is neither, or a ResNet name has a bad depth or width.
    """
    if arch == airnet.ARCH:
        return airnet.AirNet(num_classes, generator=generator)
    if not (isinstance(arch, str) and arch.startswith("resnet")):
        raise ValueError(
            f"arch must be airnet or look like resnet20, resnet56x2, resnet20-b; got {arch!r}"
        )
    return resnet_from_name(arch, num_classes, generator=generator)


def count_parameters(model: nn.Module) -> int:
    """Number of scalar parameters (BatchNorm running statistics are buffers, not counted)."""
    return sum(p.numel() for p in model.parameters())


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
    Use ``dtype=torch.float16`` to halve the file.

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
    fc = model.get_submodule("head.fc")  # the classifier layer of both architectures
    if not isinstance(fc, nn.Linear):
        raise ValueError(f"model.head.fc must be a Linear layer, got {type(fc).__name__}")
    num_classes = fc.out_features
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
    write_atomic(path, data)  # the app may be reading the folder while a run saves
    write_atomic(path.with_suffix(".json"), text.encode())
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
        ready(model.to(map_location)),
        MappingProxyType(card),
        str(card.get("name", path.stem)),
        classes,
        preprocess,
    )


def _aug_rank(path: Path) -> int:
    """Where the card's ``aug`` comes in :data:`~cutmix_core.defaults.AUGS`; after them when
    the card names another augmentation, none, or cannot be read."""
    try:
        card = json.loads(path.with_suffix(".json").read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return len(AUGS)
    aug = card.get("aug") if isinstance(card, dict) else None
    return AUGS.index(aug) if aug in AUGS else len(AUGS)


def find_checkpoints(folder: str | Path) -> list[Path]:
    """Every ``*.pt`` in ``folder`` with a ``.json`` card beside it, in the order the app and
    the evaluation list models: baseline (card ``aug`` ``"none"``), CutMix, Mixup, Cutout, then
    the rest; by file name within each group. A card that cannot be read sorts with the rest
    (:func:`load_checkpoint` names what is wrong with it); a missing folder gives ``[]``.
    """
    paths = [p for p in sorted(Path(folder).glob("*.pt")) if p.with_suffix(".json").is_file()]
    return sorted(paths, key=_aug_rank)  # stable: file-name order within a group

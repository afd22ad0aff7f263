"""A classifier ready for inference: :class:`LoadedModel`, :func:`predict`, :func:`preprocess`,
:func:`count_correct` and :func:`accuracy`, shared by the CIFAR-10 checkpoints and the ImageNet
models.

A loaded model is in eval mode with its parameters frozen, so one instance cached by the app can
serve every session at once: nothing that runs it (prediction, Grad-CAM) writes ``.grad`` or
BatchNorm statistics. CIFAR-10 networks see ``x = (pixel / 255 - mean) / std`` with the
training-set statistics of :mod:`cutmix_core.data.tensors` (:func:`preprocess`, the one CIFAR
preprocessing entry point).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from cutmix_core.data.tensors import normalize, to_nchw


class CheckpointError(ValueError):
    """A checkpoint or pretrained model that cannot be loaded; the message names file and cause."""


def preprocess(images_hwc_uint8: np.ndarray | torch.Tensor) -> torch.Tensor:
    """HWC or NHWC uint8 RGB -> NCHW float32 normalised with the CIFAR-10 mean and std.

    Raises:
        ValueError: if the images are not uint8 with 3 channels last.
    """
    return normalize(to_nchw(images_hwc_uint8))  # (N, 3, H, W)


def predict(
    model: nn.Module, images: torch.Tensor, *, batch_size: int = 500, flip_average: bool = False
) -> np.ndarray:
    """Softmax probabilities (N, num_classes) float32 for an NCHW float batch (see ``preprocess``).

    With ``flip_average`` the logits are the mean of the image's and its mirror image's (the
    test-time augmentation the fast CIFAR-10 recipe is measured with; a model card says
    ``"tta": "flip"``).

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
        probs = []
        # With the flip the images and their mirrors go through in one forward pass, so a
        # chunk holds half as many images: a pass stays at most ``batch_size`` images.
        for chunk in images.split(max(1, batch_size // 2) if flip_average else batch_size):
            chunk = chunk.to(device)
            if flip_average:
                both = model(torch.cat((chunk, chunk.flip(-1)))).float()
                logits = 0.5 * (both[: len(chunk)] + both[len(chunk) :])
            else:
                logits = model(chunk).float()
            probs.append(logits.softmax(1).cpu())
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

    @property
    def flip_average(self) -> bool:
        """Whether this model predicts with the mean of an image's and its mirror's logits
        (the card's ``"tta": "flip"``), as its card's accuracy was measured."""
        return self.card.get("tta") == "flip"

    def predict_input(self, x: torch.Tensor) -> np.ndarray:
        """Probabilities (N, num_classes) for an already normalised NCHW float batch, the way
        this model predicts (flip averaging if its card says so)."""
        return predict(self.model, x, flip_average=self.flip_average)

    def predict(self, images_hwc_uint8: np.ndarray | torch.Tensor) -> np.ndarray:
        """Probabilities (N, num_classes) for HWC / NHWC uint8 images."""
        return self.predict_input(self.preprocess(images_hwc_uint8))


def ready(model: nn.Module) -> nn.Module:
    """``model`` in eval mode with frozen parameters (in place), so that a model shared between
    sessions never accumulates ``.grad`` nor updates its BatchNorm statistics."""
    return model.eval().requires_grad_(False)


def count_correct(scores: np.ndarray | torch.Tensor, labels: np.ndarray | torch.Tensor) -> int:
    """How many rows of ``scores`` (N, num_classes: logits or probabilities) have their largest
    entry at ``labels`` (N,): the one definition of top-1 correctness behind every accuracy the
    project reports (:func:`accuracy`, the evaluation's occlusion curves, training's per-epoch
    record)."""
    if isinstance(scores, torch.Tensor):
        return int((scores.argmax(1) == torch.as_tensor(labels, device=scores.device)).sum())
    return int((np.asarray(scores).argmax(1) == np.asarray(labels)).sum())


def accuracy(loaded: LoadedModel, images_hwc_uint8: np.ndarray, labels: np.ndarray) -> float:
    """Top-1 accuracy in [0, 1] of ``loaded`` (fp32, eval mode, batched) on (N, H, W, 3) uint8
    images: the one definition behind a model card's ``test_accuracy`` (written by
    :mod:`cutmix_core.training` from the saved checkpoint) and the evaluation's clean accuracy.

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
    return count_correct(probs, labels) / len(labels)

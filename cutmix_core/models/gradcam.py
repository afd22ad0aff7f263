"""Grad-CAM: where in the image a classifier finds evidence for a class, without hooks.

Grad-CAM (Selvaraju et al., "Grad-CAM: Visual Explanations from Deep Networks via Gradient-based
Localization", ICCV 2017, https://arxiv.org/abs/1610.02391), for class c, last-stage activations
A (K channels on an h x w grid) and the class score y_c taken BEFORE the softmax:

    alpha_k^c = 1 / (h w) * sum_ij  d y_c / d A_k[i, j]        (global-average-pooled gradients)
    L^c       = ReLU( sum_k alpha_k^c A_k )                      (h x w, then bilinear to H x W)

CutMix (Yun et al., ICCV 2019, https://arxiv.org/abs/1905.04899, figure 1) uses it to show that
a CutMix-trained network looks at both the pasted patch (class B) and the rest (class A).

The model is run as two parts, ``features`` (to the last stage) and ``head`` (pool, flatten,
linear): features once without a graph, then head once on the activations marked as requiring
grad, then one ``torch.autograd.grad`` per class with ``inputs`` = the activations only. So there
are no module hooks, no ``.backward()``, no parameter ``.grad`` written and no mode switched:
one cached model can serve many sessions (threads) at once. The model must already be in eval
mode. :func:`split_model` knows any module with ``features`` and ``head`` (the CIFAR ResNets of
:mod:`cutmix_core.models.resnet`, :mod:`cutmix_core.models.airnet`) and torchvision's ResNets;
pass ``split=`` for anything else.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from cutmix_core.box import Box
from cutmix_core.checks import check_int, check_number

Stage = Callable[[torch.Tensor], torch.Tensor]
Split = Callable[[nn.Module], tuple[Stage, Stage]]


def split_model(model: nn.Module) -> tuple[Stage, Stage]:
    """``(features, head)`` with ``head(features(x)) == model(x)``; features end at the last stage.

    Raises:
        ValueError: if the model is neither a ``features`` + ``head`` module nor a torchvision
            ResNet.
    """
    body, top = getattr(model, "features", None), getattr(model, "head", None)
    if isinstance(body, nn.Module) and isinstance(top, nn.Module):  # CIFAR ResNet, AirNet
        return body, top
    # torchvision is looked up, not imported: a model cannot be its ResNet unless it is loaded.
    tv = sys.modules.get("torchvision")
    if tv is not None and isinstance(model, tv.models.ResNet):
        stem = (
            model.conv1,
            model.bn1,
            model.relu,
            model.maxpool,
            model.layer1,
            model.layer2,
            model.layer3,
            model.layer4,
        )

        def features(x: torch.Tensor) -> torch.Tensor:  # (B, 3, H, W) -> (B, C, H/32, W/32)
            for module in stem:
                x = module(x)
            return x

        def head(a: torch.Tensor) -> torch.Tensor:  # (B, C, h, w) -> (B, num_classes)
            return model.fc(torch.flatten(model.avgpool(a), 1))

        return features, head
    raise ValueError(f"cannot split a {type(model).__name__} into features and head; pass split=")


@dataclass(frozen=True, eq=False)
class GradCamResult:
    """Grad-CAM maps for ``classes`` on one image (all float32, maps >= 0, unnormalised)."""

    classes: tuple[int, ...]
    raw: np.ndarray  # (K, h, w) at the last stage's resolution
    upsampled: np.ndarray  # (K, H, W) bilinear to the input size
    weights: np.ndarray  # (K, C) the alpha_k per class
    logits: np.ndarray  # (num_classes,) scores before the softmax

    @property
    def probabilities(self) -> np.ndarray:
        """Softmax of ``logits``, (num_classes,)."""
        e = np.exp(self.logits - self.logits.max())
        return e / e.sum()

    def normalized(self, *, joint: bool = True, upsampled: bool = True) -> np.ndarray:
        """Maps divided by their maximum, in [0, 1]; all-zero maps stay zero.

        Args:
            joint: one shared scale for all classes (so A and B are comparable) if True, each
                map by its own maximum if False.
            upsampled: scale ``upsampled`` (K, H, W) if True, else ``raw`` (K, h, w).
        """
        maps = self.upsampled if upsampled else self.raw
        scale = maps.max(keepdims=True) if joint else maps.max(axis=(1, 2), keepdims=True)
        return np.divide(maps, scale, out=np.zeros_like(maps), where=scale > 0)


def gradcam(
    model: nn.Module, x: torch.Tensor, classes: Sequence[int], *, split: Split | None = None
) -> GradCamResult:
    """Grad-CAM of one image for several classes from a single forward pass.

    Args:
        model: a classifier in eval mode; it is not modified.
        x: the preprocessed image, (1, C, H, W) or (C, H, W) float.
        classes: class indices, e.g. ``(label_a, label_b)``; repeats are allowed.
        split: ``model -> (features, head)``; default :func:`split_model`.
    Raises:
        ValueError: on a model in training mode, a bad ``x`` or an out-of-range class.
    """
    if model.training:
        raise ValueError("gradcam needs a model in eval mode; call model.eval() before sharing it")
    if (
        not isinstance(x, torch.Tensor)
        or not x.is_floating_point()
        or x.ndim not in (3, 4)
        or (x.ndim == 4 and x.shape[0] != 1)
    ):
        got = (tuple(x.shape), x.dtype) if isinstance(x, torch.Tensor) else type(x)
        raise ValueError(f"x must be one float image, (1, C, H, W) or (C, H, W); got {got}")
    if not (classes := tuple(classes)):
        raise ValueError("classes must be a non-empty sequence of ints, got ()")
    classes = tuple(check_int(c, "a class") for c in classes)
    features, head = (split or split_model)(model)
    param = next(model.parameters(), None)
    x = x.reshape(1, *x.shape[-3:]).to(param.device if param is not None else x.device)
    # inference_mode(False): still works when a caller wraps us in torch.inference_mode().
    with torch.inference_mode(False):
        with torch.no_grad():  # no graph through the features: only d y / d A is needed
            acts = features(x.clone())  # (1, C, h, w)
        acts = acts.detach().requires_grad_(True)
        with torch.enable_grad():
            logits = head(acts)  # (1, num_classes)
        n = logits.shape[-1]
        if bad := [c for c in classes if not 0 <= c < n]:
            raise ValueError(f"classes must lie in [0, {n}), got {bad}")
        grads = [  # K x (1, C, h, w); inputs=acts only, so no parameter .grad is written
            torch.autograd.grad(logits[0, c], acts, retain_graph=i < len(classes) - 1)[0]
            for i, c in enumerate(classes)
        ]
        with torch.no_grad():
            weights = torch.cat([g.mean(dim=(2, 3)) for g in grads])  # (K, C)
            # (K, C) @ (C, h w): one matrix product, no (K, C, h, w) stack of the gradients
            cams = F.relu(weights @ acts[0].flatten(1)).view(len(classes), *acts.shape[-2:])
            up = F.interpolate(
                cams[:, None], size=tuple(x.shape[-2:]), mode="bilinear", align_corners=False
            )[:, 0]  # (K, H, W)
    return GradCamResult(
        classes=tuple(int(c) for c in classes),
        raw=cams.float().cpu().numpy(),
        upsampled=up.float().cpu().numpy(),
        weights=weights.float().cpu().numpy(),
        logits=logits[0].detach().float().cpu().numpy(),
    )


def mass_inside(cam: np.ndarray, box: Box) -> float:
    """Share of a map's total mass that lies inside ``box`` (half-open), in [0, 1].

    Returns NaN for an all-zero map (no mass to share out).

    Raises:
        ValueError: if ``cam`` is not a 2-D finite non-negative map or ``box`` does not fit it.
    """
    cam = np.asarray(cam, dtype=np.float64)
    if cam.ndim != 2 or not np.isfinite(cam).all() or (cam < 0).any():
        raise ValueError(f"cam must be a 2-D finite non-negative map, got shape {cam.shape}")
    if not box.fits(*cam.shape):
        raise ValueError(f"box {box} does not fit a map of shape {cam.shape}")
    total = cam.sum()
    if total == 0:
        return float("nan")
    return float(cam[box.y0 : box.y1, box.x0 : box.x1].sum() / total)


def colormap(cam: np.ndarray) -> np.ndarray:
    """The jet colour map (dark blue -> cyan -> yellow -> dark red) of values in [0, 1]: HWC uint8.

    Piecewise linear like matplotlib's ``jet``, computed here so the app does not need matplotlib.
    """
    v = np.clip(np.asarray(cam, dtype=np.float64), 0.0, 1.0)[..., None]  # (H, W, 1)
    centres = np.array([0.75, 0.5, 0.25])  # where red, green and blue peak
    rgb = np.clip(1.5 - np.abs(4.0 * (v - centres)), 0.0, 1.0)  # (H, W, 3)
    return np.round(rgb * 255).astype(np.uint8)


def overlay(image_hwc_uint8: np.ndarray, cam: np.ndarray, alpha: float = 0.5) -> np.ndarray:
    """Blend ``colormap(cam)`` over an image: ``(1 - alpha) image + alpha colours``, HWC uint8.

    Args:
        cam: (H, W) values in [0, 1], e.g. one map of ``GradCamResult.normalized()``.
    Raises:
        ValueError: on a non-HWC-uint8 image, a map of another size or outside [0, 1], or an
            alpha outside [0, 1].
    """
    image = np.asarray(image_hwc_uint8)
    cam = np.asarray(cam)
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(
            f"image must be HWC uint8 RGB, got shape {image.shape} dtype {image.dtype}"
        )
    if cam.shape != image.shape[:2]:
        raise ValueError(f"cam must have the image's shape {image.shape[:2]}, got {cam.shape}")
    if not np.isfinite(cam).all() or cam.min(initial=0) < -1e-6 or cam.max(initial=0) > 1 + 1e-6:
        raise ValueError(
            f"cam values must lie in [0, 1] (normalise first), got range "
            f"[{np.nanmin(cam):.4g}, {np.nanmax(cam):.4g}]"
        )
    alpha = check_number(alpha, "alpha", 0.0, 1.0)
    blend = (1.0 - alpha) * image + alpha * colormap(cam).astype(np.float64)
    return np.round(blend).astype(np.uint8)

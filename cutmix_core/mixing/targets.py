"""The soft targets of the torch batch ops (:mod:`cutmix_core.mixing.batch`): each sample's
one-hot label, smoothed, weighted by the share of its own pixels, plus its partner's weighted by
the rest, as float32 numbers equal to ``torchvision.transforms.v2.CutMix``'s to the bit
(tests/mixing/test_batch.py checks it).
"""

from __future__ import annotations

import numpy as np
import torch

from cutmix_core import defaults

__all__ = ["check_labels", "soft_targets"]


def check_labels(labels: np.ndarray, num_classes: int) -> None:
    """Raises ``ValueError`` naming the labels unless every one is in ``[0, num_classes)``."""
    if len(labels) and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f"labels must be in [0, {num_classes}), got {labels.tolist()}")


def soft_targets(
    y: torch.Tensor,
    partners: torch.Tensor,
    lams_adjusted: torch.Tensor,
    num_classes: int,
    smoothing: float = defaults.SMOOTHING,
) -> torch.Tensor:
    """``lam * onehot_s(y) + (1 - lam) * onehot_s(y[partners])`` as float32, (N, num_classes).

    ``onehot_s`` is the smoothed one-hot of ``mixing.soft_label`` (timm's convention). The sum is
    written in torchvision's order (partner term first) so that it matches v2.CutMix exactly.

    Raises:
        ValueError: for labels in host memory outside ``[0, num_classes)``.
    """
    if y.is_cpu:  # on an accelerator the scatter's own index check raises instead
        check_labels(y.numpy(), num_classes)
    lam = lams_adjusted.to(torch.float64).unsqueeze(1)  # (N, 1)
    return mix_onehots(y, partners, lam, num_classes, smoothing)


def mix_onehots(
    y: torch.Tensor,
    partners: torch.Tensor,
    lam: torch.Tensor | float,
    num_classes: int,
    smoothing: float,
) -> torch.Tensor:
    """:func:`soft_targets` for float64 weights of shape (N, 1), or one weight for the whole
    batch as a Python float (batch mode: fewer ops, the same numbers), and labels the caller
    has checked (:func:`check_labels`)."""
    if not smoothing:
        return _scatter_weights(y, partners, lam, num_classes)
    off = float(smoothing) / num_classes
    on = 1.0 - float(smoothing) + off
    onehot = torch.nn.functional.one_hot(y.long(), num_classes).float()  # (N, K)
    onehot = onehot.mul_(on - off).add_(off)
    w_partner, w_own = _weights(lam, y.device)
    partner_rows = onehot.index_select(0, partners.to(y.device, non_blocking=True))
    return partner_rows.mul_(w_partner).add_(onehot.mul_(w_own))


def _scatter_weights(
    y: torch.Tensor, partners: torch.Tensor, lam: torch.Tensor | float, num_classes: int
) -> torch.Tensor:
    # mix_onehots without smoothing: each row holds the partner's weight at the partner's class
    # plus its own weight at its own class, written by two scatters rather than two one-hot
    # matrices. Both weights are float32 as there, and where the classes agree the one sum is
    # the same float32 addition, so the numbers are the same to the bit.
    # numpy indexes with integer labels only; others take torch's path, through y.long().
    on_host = y.is_cpu and partners.is_cpu and not y.dtype.is_floating_point
    on_host = on_host and y.dtype != torch.bool
    if isinstance(lam, torch.Tensor):
        on_host = on_host and lam.is_cpu and not lam.requires_grad
    if on_host:
        return _scatter_on_host(y, partners, lam, num_classes)
    labels = y.long().unsqueeze(1)  # (N, 1)
    partner_labels = labels.index_select(0, partners.to(y.device, non_blocking=True))
    out = torch.zeros((y.shape[0], num_classes), dtype=torch.float32, device=y.device)
    w_partner, w_own = _weights(lam, y.device)
    out.scatter_(1, partner_labels, w_partner)
    if not isinstance(w_own, torch.Tensor):
        w_own = torch.full((y.shape[0], 1), w_own, dtype=torch.float32, device=y.device)
    return out.scatter_add_(1, labels, w_own)


def _scatter_on_host(
    y: torch.Tensor, partners: torch.Tensor, lam: torch.Tensor | float, num_classes: int
) -> torch.Tensor:
    # _scatter_weights for tensors in host memory, in numpy: the same two writes and the same
    # float32 sum, where each of torch's seven small ops costs several times numpy's.
    labels = y.numpy()  # checked: numpy would wrap a negative label round to the last classes
    n = len(labels)
    rows = np.arange(n)
    w_partner: np.ndarray | np.float32
    w_own: np.ndarray | np.float32
    if isinstance(lam, torch.Tensor):
        lam64 = lam.numpy().reshape(n)
        w_partner, w_own = (1.0 - lam64).astype(np.float32), lam64.astype(np.float32)
    else:
        w_partner, w_own = np.float32(1.0 - lam), np.float32(lam)
    out = np.zeros((n, num_classes), dtype=np.float32)
    out[rows, labels[partners.numpy()]] = w_partner
    out[rows, labels] += w_own
    return torch.from_numpy(out)


def _weights(
    lam: torch.Tensor | float, device: torch.device
) -> tuple[torch.Tensor | float, torch.Tensor | float]:
    """The partner's and the own label's weights: (N, 1) float32 tensors on ``device`` for
    (N, 1) float64 ``lam``, or Python floats for one batch-wide ``lam``. Both are rounded to
    float32 from float64, as torchvision's python-float scalars are; 1 - float32(lam) would
    differ from float32(1 - lam) in the last bit."""
    if isinstance(lam, torch.Tensor):
        weights = torch.cat((1.0 - lam, lam), 1).float().to(device, non_blocking=True)
        return weights[:, :1], weights[:, 1:]
    return 1.0 - lam, lam

"""CutMix, Mixup and Cutout on a torch batch (NCHW), for training and for the batch page.

Each sample i is paired with a partner ``partners[i]`` and receives the partner's box:

    out[i] = x[i] outside box_i, x[partners[i]] inside box_i
    target[i] = lam_adj_i * onehot(y[i]) + (1 - lam_adj_i) * onehot(y[partners[i]])

Pairing is ``"roll"`` (partner of i is i - 1, what ``torchvision.transforms.v2.CutMix`` does) or
``"permutation"`` (a random permutation, as the paper's official code does with
``torch.randperm``; timm instead pairs i with N - 1 - i by flipping the batch). Mode ``"batch"``
draws one lambda and one box for the whole batch (paper, torchvision); ``"elem"`` draws one per
sample (timm's ``mode="elem"``). ``prob`` is the chance of applying the op: once per batch in
batch mode (the official ``cutmix_prob``), once per sample in elem mode. A sample left alone
keeps its image and gets an empty box, ``lam_adjusted = 1`` and its own one-hot target.

The box maths is not repeated here: the boxes of both modes and Cutout's holes come from the one
vectorised rule, :mod:`cutmix_core.mixing.rule`, so the batch op and the single-pair op agree
exactly. :mod:`cutmix_core.mixing.paste` applies them (``paste_checked``: ``paste_boxes`` without
re-checking boxes built here): a copy of one region when the whole batch shares a box, otherwise
one masked select over the batch, with no loop over samples; :mod:`cutmix_core.mixing.targets`
writes the soft targets. Given the same lambda and box,
``cutmix_batch(..., pairing="roll")`` equals torchvision's ``v2.CutMix`` bit for bit, images and
targets (tests/mixing/test_batch.py checks it).

Randomness comes only from the ``generator`` argument, a CPU ``torch.Generator``: the partner
permutation is drawn with it, and a numpy Generator seeded from it then draws, in this order, the
coins (one, or one per sample), and the lambdas and centres in the rule's one order (all lambdas,
then the centres box by box, row then column; Cutout draws centres for the applied samples only).
Parameters are sampled on the CPU and applied on whatever device ``x`` lives on.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch

from cutmix_core import defaults
from cutmix_core.box import Box
from cutmix_core.checks import check_choice, check_int, check_number
from cutmix_core.mixing.pair import check_alpha, check_lambda
from cutmix_core.mixing.paste import corners_of, paste_boxes, paste_checked
from cutmix_core.mixing.rule import (
    _draw_corners,
    _draw_one_box,
    area_lambda,
    area_lambdas,
    clip_boxes,
    sample_centres,
    sample_lambdas,
)
from cutmix_core.mixing.targets import check_labels, mix_onehots, soft_targets

__all__ = [
    "BatchMixResult",
    "Mode",
    "Pairing",
    "cutmix_batch",
    "cutout_batch",
    "mixup_batch",
    "pair_indices",
    "paste_boxes",
    "soft_targets",
]

Pairing = Literal["roll", "permutation"]
Mode = Literal["batch", "elem"]


@dataclass(frozen=True)
class BatchMixResult:
    """The output of a batch op.

    Attributes:
        images: (N, C, H, W), same dtype and device as the input.
        targets: (N, num_classes) float32 soft targets on the input's device; rows sum to 1.
        corners: (N, 4) int64 rows ``(y0, y1, x0, x1)``, read-only: each sample's box in pixels
            (all zero for Mixup and for samples left alone); :attr:`boxes` as Box objects.
        lams: (N,) float64, the lambda sampled (or set) for each sample.
        lams_adjusted: (N,) float64, the weight of each sample's own label.
        partners: (N,) int64, the index of each sample's partner.
        applied: (N,) bool, whether the op touched each sample.
    """

    images: torch.Tensor
    targets: torch.Tensor
    corners: np.ndarray
    lams: torch.Tensor
    lams_adjusted: torch.Tensor
    partners: torch.Tensor
    applied: torch.Tensor

    @functools.cached_property
    def boxes(self) -> tuple[Box, ...]:
        """The N boxes as :class:`Box` objects (``EMPTY_BOX`` where nothing was pasted); built
        on first use, since a training loop that never reads them should not pay for them."""
        return tuple(Box(*row) for row in self.corners.tolist())


def _check_batch(x: torch.Tensor, y: torch.Tensor, num_classes: int) -> None:
    if not isinstance(x, torch.Tensor) or x.ndim != 4:
        raise ValueError(f"x must be an NCHW tensor, got {getattr(x, 'shape', type(x).__name__)}")
    if x.shape[0] < 1 or x.shape[2] < 1 or x.shape[3] < 1:
        raise ValueError(f"x must hold at least one 1x1 image, got shape {tuple(x.shape)}")
    if not isinstance(y, torch.Tensor) or y.ndim != 1 or y.shape[0] != x.shape[0]:
        raise ValueError(
            f"y must be a 1-D tensor of {x.shape[0]} class indices, got "
            f"{getattr(y, 'shape', type(y).__name__)}"
        )
    if y.dtype.is_floating_point or y.dtype == torch.bool:
        raise ValueError(f"y must hold integer class indices, got dtype {y.dtype}")
    num_classes = check_int(num_classes, "num_classes", lo=1)
    # Reading labels on an accelerator would make the host wait for it; there the device-side
    # index check of the targets' scatter (or one_hot, with smoothing) catches one out of range.
    if y.is_cpu:
        check_labels(y.numpy(), num_classes)


def _check_options(mode: str, pairing: str, prob: float, smoothing: float) -> None:
    check_choice(mode, "mode", ("batch", "elem"))
    check_choice(pairing, "pairing", ("roll", "permutation"))
    check_number(prob, "prob", 0.0, 1.0)
    check_number(smoothing, "smoothing", 0.0, 1.0, hi_open=True)


def _own(generator: torch.Generator | None) -> torch.Generator:
    # Without a generator, take fresh entropy rather than torch's global generator.
    if generator is None:
        generator = torch.Generator()
        generator.seed()
    return generator


def _generators(
    generator: torch.Generator | None,
) -> tuple[torch.Generator, np.random.Generator]:
    generator = _own(generator)
    seed = int(torch.randint(0, 2**62, (1,), generator=generator))
    return generator, np.random.default_rng(seed)


def pair_indices(
    n: int, pairing: Pairing = "roll", *, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Partner of each sample: ``roll`` gives i -> i - 1 (torchvision), else a permutation.

    Raises:
        ValueError: for an unknown pairing or ``n`` not an integer >= 0.
    """
    check_choice(pairing, "pairing", ("roll", "permutation"))
    n = check_int(n, "n", lo=0)
    if pairing == "roll":  # [n - 1, 0, 1, ..., n - 2], built in numpy: one tensor, no roll
        order = np.arange(-1, n - 1, dtype=np.int64)
        order[:1] = n - 1
        return torch.from_numpy(order)
    return torch.randperm(n, generator=_own(generator))


def _applied(n: int, mode: Mode, prob: float, rng: np.random.Generator) -> np.ndarray:
    # One coin per batch in batch mode (the official cutmix_prob), one per sample in elem mode.
    if mode == "batch":
        return np.full(n, rng.random() < prob)
    return rng.random(n) < prob


def _frozen(corners: np.ndarray) -> np.ndarray:
    out = np.ascontiguousarray(corners, dtype=np.int64)
    out.setflags(write=False)
    return out


def cutmix_batch(
    x: torch.Tensor,
    y: torch.Tensor,
    num_classes: int,
    alpha: float = defaults.ALPHA,
    *,
    generator: torch.Generator | None = None,
    mode: Mode = "batch",
    pairing: Pairing = "roll",
    prob: float = defaults.PROB,
    smoothing: float = defaults.SMOOTHING,
    lam: float | None = None,
    boxes: Box | tuple[Box, ...] | None = None,
) -> BatchMixResult:
    """CutMix a batch. ``x`` and ``y`` are not modified.

    Args:
        x: (N, C, H, W) images, any dtype, any device.
        y: (N,) integer class labels.
        num_classes: number of classes of the targets.
        alpha: Beta(alpha, alpha) concentration.
        generator: CPU torch.Generator for every random draw (None: a fresh, unseeded one).
        mode: "batch" (one lambda and box for all) or "elem" (one per sample).
        pairing: "roll" (torchvision) or "permutation".
        prob: probability of applying CutMix (per batch or per sample, see ``mode``).
        smoothing: label smoothing applied before mixing.
        lam: a lambda set by hand (boxes are still sampled).
        boxes: one box for the whole batch, or one per sample; then nothing is sampled for them.

    Returns:
        BatchMixResult with images, targets, boxes, lambdas, partners and the applied mask.

    Raises:
        ValueError: for malformed shapes, labels, options or boxes that do not fit.
    """
    _check_batch(x, y, num_classes)
    _check_options(mode, pairing, prob, smoothing)
    alpha = check_alpha(alpha)
    n, _, h, w = x.shape
    generator, rng = _generators(generator)
    partners = pair_indices(n, pairing, generator=generator)
    applied = _applied(n, mode, prob, rng)
    lam = None if lam is None else check_lambda(lam)
    if boxes is None and mode == "batch":  # one box: the rule on Python scalars, same draws
        lam_drawn, box = _draw_one_box(h, w, alpha, rng, lam)
        lams, corners = np.array([lam_drawn]), np.array([box], dtype=np.int64)
    elif boxes is None:  # (N, 4)
        lams, corners = _draw_corners(h, w, alpha, n, rng, lam)
    else:
        chosen = [boxes] if isinstance(boxes, Box) else list(boxes)
        if len(chosen) not in (1, n):
            raise ValueError(f"boxes must hold 1 or {n} boxes, got {len(chosen)}")
        corners = corners_of(chosen, len(chosen), h, w)  # checked even where the coin says no
        if lam is None:  # a box set by hand reports its own lambda adjusted
            lams = area_lambdas(h, w, corners)
        else:
            lams = np.full(len(chosen), lam)
    # In batch mode one coin decides for all, so one box serves the whole batch.
    shared = mode == "batch" and len(corners) == 1
    # A sample left alone gets the empty box (0, 0, 0, 0), the rule's box for a 0 x 0 cut at 0.
    weight: float | torch.Tensor  # the weight of each sample's own label
    if shared:
        corners = corners if applied[0] else np.zeros_like(corners)
        weight = area_lambda(h, w, corners[0].tolist())  # on Python ints: one box, no arrays
        corners = np.repeat(corners, n, axis=0)
        lams_adj = torch.full((n,), weight, dtype=torch.float64)
    else:
        corners = np.where(applied[:, None], corners, 0)  # (N, 4)
        lams_adj = torch.from_numpy(area_lambdas(h, w, corners))  # (N,) float64
        weight = lams_adj.unsqueeze(1)  # (N, 1)
    return BatchMixResult(
        images=paste_checked(x, corners, partners, shared=shared, roll=pairing == "roll"),
        targets=mix_onehots(y, partners, weight, num_classes, smoothing),
        corners=_frozen(corners),
        lams=torch.full((n,), lams[0], dtype=torch.float64)
        if len(lams) == 1
        else torch.from_numpy(lams.copy()),
        lams_adjusted=lams_adj,
        partners=partners,
        applied=torch.from_numpy(applied),
    )


def mixup_batch(
    x: torch.Tensor,
    y: torch.Tensor,
    num_classes: int,
    alpha: float = defaults.ALPHA,
    *,
    generator: torch.Generator | None = None,
    mode: Mode = "batch",
    pairing: Pairing = "roll",
    prob: float = defaults.PROB,
    smoothing: float = defaults.SMOOTHING,
) -> BatchMixResult:
    """Mixup a batch: ``lam * x[i] + (1 - lam) * x[partner]``, label weights ``lam``.

    Integer images are blended in float32 and rounded back to their dtype.
    """
    _check_batch(x, y, num_classes)
    _check_options(mode, pairing, prob, smoothing)
    alpha = check_alpha(alpha)
    n = x.shape[0]
    generator, rng = _generators(generator)
    partners = pair_indices(n, pairing, generator=generator)
    applied = _applied(n, mode, prob, rng)
    draws = 1 if mode == "batch" else n
    lams = sample_lambdas(alpha, draws, rng=rng).repeat(n // draws)
    lams_adj = torch.from_numpy(np.where(applied, lams, 1.0))
    work = x.dtype if x.dtype.is_floating_point else torch.float32  # float64 stays float64
    weight = lams_adj.to(work).to(x.device, non_blocking=True).view(n, 1, 1, 1)
    partner = x.index_select(0, partners.to(x.device, non_blocking=True))
    blend = x.to(work) * weight + partner.to(work) * (1.0 - weight)
    if not x.dtype.is_floating_point:
        info = torch.iinfo(x.dtype)
        blend = blend.round().clamp(info.min, info.max)
    return BatchMixResult(
        images=blend.to(x.dtype),
        targets=mix_onehots(y, partners, lams_adj.unsqueeze(1), num_classes, smoothing),
        corners=_frozen(np.zeros((n, 4), np.int64)),
        lams=torch.from_numpy(lams),
        lams_adjusted=lams_adj,
        partners=partners,
        applied=torch.from_numpy(applied),
    )


def cutout_batch(
    x: torch.Tensor,
    y: torch.Tensor,
    num_classes: int,
    size: int = defaults.CUTOUT_SIZE,
    *,
    generator: torch.Generator | None = None,
    prob: float = defaults.PROB,
    fill: float = 0.0,
    smoothing: float = defaults.SMOOTHING,
) -> BatchMixResult:
    """Cutout a batch (DeVries & Taylor 2017, arXiv 1708.04552): a ``size`` x ``size`` hole per
    sample, centre uniform and clipped by CutMix's rule, filled with ``fill``; labels unchanged.

    ``lams`` reports the share of each image that survives; ``lams_adjusted`` is 1.
    """
    _check_batch(x, y, num_classes)
    _check_options("elem", "roll", prob, smoothing)
    size = check_int(size, "size", lo=0)
    n, _, h, w = x.shape
    _, rng = _generators(generator)
    applied = _applied(n, "elem", prob, rng)
    cy, cx = sample_centres(h, w, int(applied.sum()), rng=rng)  # applied samples only
    side = np.full(len(cy), size)
    corners = np.zeros((n, 4), dtype=np.int64)
    corners[applied] = clip_boxes(h, w, side, side, cy, cx).corners
    own, ones = torch.arange(n), torch.ones(n, dtype=torch.float64)
    return BatchMixResult(
        images=paste_checked(x, corners, fill=fill),
        targets=mix_onehots(y, own, ones.unsqueeze(1), num_classes, smoothing),
        corners=_frozen(corners),
        lams=torch.from_numpy(area_lambdas(h, w, corners)),
        lams_adjusted=ones,
        partners=own,
        applied=torch.from_numpy(applied),
    )

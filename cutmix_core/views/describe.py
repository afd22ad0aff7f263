"""Words and records for a mixed pair: the box in plain language, why the two lambdas differ,
and the parameters as a JSON-ready dict.

Kept in the library, not in the pages, so the sentences a student reads are tested against the
numbers they describe. The lambdas differ for two reasons (Yun et al., ICCV 2019,
arXiv 1905.04899, and its official code):

1. clipping: the centre is uniform over the whole image, so the box often hangs over a border
   and loses the part outside; B then covers less than ``1 - lam`` of the image;
2. rounding: each side is ``int(side * sqrt(1 - lam))`` and the box spans ``cut // 2`` either
   side of the centre, so sides are whole, even numbers of pixels.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cutmix_core.mixing.pair import Box, box_lambda, check_lambda, cut_size


@dataclass(frozen=True)
class LambdaStory:
    """Why lam_adjusted differs from lam for one box.

    Attributes:
        clipped: True if a border cut the box.
        unclipped_area: area of the box before clipping (whole, even sides).
        target_area: ``(1 - lam) * H * W``, the area lambda asked for.
        sentence: one sentence for the page.
    """

    clipped: bool
    unclipped_area: int
    target_area: float
    sentence: str


def describe_box(box: Box, h: int, w: int) -> str:
    """E.g. ``rows 3-19, columns 5-21 (16 x 16 px = 25.0% of the image)``."""
    share = box.area / (h * w)
    return (
        f"rows {box.y0}–{box.y1}, columns {box.x0}–{box.x1} (half-open; "
        f"{box.height} × {box.width} px = {share:.1%} of the {h} × {w} image)"
    )


def explain_lambdas(h: int, w: int, lam: float | None, box: Box) -> LambdaStory:
    """Say why ``lam_adjusted`` differs from ``lam`` for this box.

    Args:
        h, w: image size.
        lam: the sampled or set lambda; None when the box was drawn by hand.
        box: the pasted box.
    """
    lam_adj = box_lambda(box, h, w)
    if lam is None:
        return LambdaStory(
            False,
            box.area,
            box.area,
            (
                f"You drew the box by hand, so there is no sampled λ: the label weight is the "
                f"share of pixels still from A, λ_adjusted = 1 − {box.area}/{h * w} = {lam_adj:.4f}."
            ),
        )
    lam = check_lambda(lam)
    cut_h, cut_w = cut_size(h, w, lam)
    unclipped = 2 * (cut_h // 2) * 2 * (cut_w // 2)
    target = (1.0 - lam) * h * w
    clipped = box.area < unclipped
    if clipped:
        sentence = (
            f"The box hangs over the border and was clipped from {unclipped} to {box.area} "
            f"pixels, so B covers {1 - lam_adj:.1%} of the image, not 1 − λ = {1 - lam:.1%}; "
            f"the label follows the pixels: λ_adjusted = {lam_adj:.4f}."
        )
    elif abs(lam_adj - lam) > 1e-12:
        sentence = (
            f"The box is not clipped, but its sides are rounded down to whole, even pixel "
            f"counts ({box.height} × {box.width} instead of {target:.1f} px²), so "
            f"λ_adjusted = {lam_adj:.4f} differs slightly from λ = {lam:.4f}."
        )
    else:
        sentence = f"The box covers exactly 1 − λ of the image, so λ_adjusted = λ = {lam:.4f}."
    return LambdaStory(clipped, unclipped, target, sentence)


def mix_record(
    *,
    alpha: float | None,
    seed: int | None,
    lam: float | None,
    lam_adjusted: float,
    box: Box,
    size: tuple[int, int],
    labels: dict[str, Any],
    target: list[float],
    class_names: list[str],
    mode: str,
) -> dict[str, Any]:
    """The parameters of one mix as a JSON-ready dict (what the page offers for download).

    ``lam`` is written as ``lambda_sampled`` in mode "sample" and as ``lambda_by_hand`` in mode
    "lambda" (the other is None), so a file never calls a hand-set value sampled.
    """
    if mode not in ("sample", "lambda", "box"):
        raise ValueError(f"mode must be 'sample', 'lambda' or 'box', got {mode!r}")
    return {
        "method": "CutMix (Yun et al., ICCV 2019, arXiv 1905.04899)",
        "mode": mode,
        "alpha": alpha,
        "seed": seed,
        "lambda_sampled": lam if mode == "sample" else None,
        "lambda_by_hand": lam if mode == "lambda" else None,
        "lambda_adjusted": lam_adjusted,
        "box": {**box.as_dict(), "convention": "half-open rows [y0, y1), columns [x0, x1)"},
        "image_size": {"height": size[0], "width": size[1]},
        "labels": labels,
        "class_names": class_names,
        "soft_label": [float(v) for v in target],
    }


def label_space(
    name_a: str, label_a: int | None, name_b: str, label_b: int | None, cifar_classes: tuple
) -> tuple[list[str], int, int]:
    """The classes a soft label is drawn over, and A's and B's index in them.

    Two CIFAR-10 picks use the ten CIFAR-10 classes; otherwise the label space is the two names
    (one class when they are the same name, so "cat" and "cat" give 1.0 on "cat").
    """
    if label_a is not None and label_b is not None:
        return list(cifar_classes), int(label_a), int(label_b)
    names = [name_a] if name_a == name_b else [name_a, name_b]
    return names, 0, names.index(name_b)

"""Every sentence a student reads that depends on a number: the box in plain language, why the
two lambdas differ, what the models say about a mix, the alpha explorer's summaries, the model
card and evaluation captions; and the parameters of a mix as a JSON-ready dict.

Kept in the library, not in the pages, so the sentences are tested against the numbers they
describe. The lambdas differ for two reasons (Yun et al., ICCV 2019,
arXiv 1905.04899, and its official code):

1. clipping: the centre is uniform over the whole image, so the box often hangs over a border
   and loses the part outside; B then covers less than ``1 - lam`` of the image;
2. rounding: each side is ``int(side * sqrt(1 - lam))`` and the box spans ``cut // 2`` either
   side of the centre, so sides are whole, even numbers of pixels.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cutmix_core.box import Box
from cutmix_core.mixing.explorer import AlphaStats, beta_mean_var
from cutmix_core.mixing.pair import box_lambda, check_lambda, cut_size

if TYPE_CHECKING:  # the report module needs torch; a type is all this module wants from it
    from cutmix_core.evaluation.report import EvaluationReport


@dataclass(frozen=True)
class MetricText:
    """One metric as a page shows it: a label, a value, and an optional delta and tooltip."""

    label: str
    value: str
    delta: str | None = None
    help: str | None = None


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
                f"share of pixels still from A, λ_adjusted = 1 − {box.area}/{h * w} = "
                f"{lam_adj:.4f}."
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


def missing_index_notice(title: str, idx: int, name: str, source: str, count: int) -> str:
    """Why a picker shows image 0: the linked index ``idx`` is not in the set in use."""
    return (
        f"{title}: image {idx} of class {name} is not in the set in use ({source}, {count} "
        f"images of that class); showing image 0. A link made with the full CIFAR-10 needs it "
        f"here too (sidebar)."
    )


# ---------------------------------------------------------------------------- models on a mix
def models_say_title(lam_adjusted: float) -> str:
    """The heading of the playground's "what the trained models say" row, with the label."""
    return (
        f"**What the trained models say** about the mixed image · the label is "
        f"{lam_adjusted:.2f} A + {1 - lam_adjusted:.2f} B"
    )


def model_says_line(model: str, name_a: str, name_b: str, p_a: float, p_b: float, top1: str) -> str:
    """One model's p(A), p(B) and top-1 on the mixed image, e.g.
    ``ResNet-20 · CutMix: p(cat) = **0.61**, p(dog) = **0.30**; top-1 cat``."""
    return f"{model}: p({name_a}) = **{p_a:.2f}**, p({name_b}) = **{p_b:.2f}**; top-1 {top1}"


def target_story(lam_adjusted: float, name_a: str, name_b: str) -> str:
    """What a model that learned CutMix's label should say about the mix (Models page)."""
    return (
        f"The label CutMix trains on is **{lam_adjusted:.2f} × {name_a} + "
        f"{1 - lam_adjusted:.2f} × {name_b}**. A model that learned it should give p(A) ≈ "
        f"{lam_adjusted:.2f} and p(B) ≈ {1 - lam_adjusted:.2f} on the mixed image. Grad-CAM "
        "maps are on one scale per model, so A's and B's maps can be compared; the pasted "
        "region is outlined in yellow here and in white on the maps."
    )


def mixed_caption(lam_adjusted: float) -> str:
    """The caption of the mixed image on the Models page."""
    return f"Mixed: λ_adj = {lam_adjusted:.3f} of the pixels from A"


def card_caption(card: Mapping[str, Any]) -> str | None:
    """A model card in one line (accuracy, epochs, size, machine, time); None without an
    accuracy (the ImageNet models' cards)."""
    if card.get("test_accuracy") is None:
        return None
    return (
        f"CIFAR-10 test accuracy {card['test_accuracy']:.2%} · {card.get('epochs', '?')} epochs "
        f"· {card.get('num_parameters', 0):,} parameters · trained on {card.get('device', '?')} "
        f"in {card.get('wall_time_s', 0) / 60:.0f} min"
    )


def fallback_classes_caption(name_a: str, name_b: str, missing: Sequence[str]) -> str:
    """Why classes A and B are the model's own top-1: its classes lack the names in ``missing``."""
    return (
        f"Classes A and B are the model's top-1 on each image alone ({name_a}, {name_b}): its "
        f"classes do not include {' / '.join(missing)}."
    )


def same_class_caption(name: str) -> str:
    """Why no split can be seen when A and B are one class for the model."""
    return (
        f"A and B are both {name} for this model, so p(A) = p(B) and the label is one-hot: "
        "pick two different classes to see a split."
    )


def model_metrics(
    p_a: float,
    p_b: float,
    lam_adjusted: float,
    name_a: str,
    name_b: str,
    *,
    same: bool,
    both_in_top2: bool,
) -> tuple[MetricText, MetricText, MetricText]:
    """p(A) and p(B) on the mix against the label's weights, and whether A and B lead."""
    top2 = "—" if same else "yes" if both_in_top2 else "no"
    return (
        MetricText(f"p(A: {name_a})", f"{p_a:.2f}", f"{p_a - lam_adjusted:+.2f} vs λ_adj"),
        MetricText(
            f"p(B: {name_b})", f"{p_b:.2f}", f"{p_b - (1 - lam_adjusted):+.2f} vs 1 − λ_adj"
        ),
        MetricText("A and B are the top 2", top2),
    )


def box_share_caption(lam_adjusted: float) -> str:
    """What share of a Grad-CAM map a box-blind map would put inside the box."""
    return (
        f"The box (white) holds {1 - lam_adjusted:.0%} of the pixels: a map that ignored the box "
        "would have about that share inside it."
    )


def report_caption(report: EvaluationReport) -> str:
    """How an evaluation report was made, and the command that reproduces it."""
    return (
        f"{report.test_images:,} test images ({report.data}), {report.pairs:,} seeded CutMix "
        f"pairs (α = {report.alpha:g}), on {report.device}, {report.date[:10]}. Reproduce "
        f"with `{report.command}`."
    )


def report_box_share_caption(box_share: float) -> str:
    """The share of pixels inside the evaluation's boxes: a box-blind map's score."""
    return (
        f"In the box lie {box_share:.0%} of the pixels on average: a Grad-CAM map blind to the "
        "box would put about that share of its mass there."
    )


# ---------------------------------------------------------------------------- alpha explorer
def draws_heading(stats: AlphaStats) -> str:
    """E.g. ``**α = 1** · 20,000 draws on 32 × 32``."""
    return f"**α = {stats.alpha:g}** · {stats.n:,} draws on {stats.h} × {stats.w}"


def explorer_metrics(stats: AlphaStats) -> tuple[MetricText, ...]:
    """The five summaries of one alpha's draws, with the closed forms in their tooltips."""
    mean, var = beta_mean_var(stats.alpha)
    return (
        MetricText("Mean λ", f"{stats.mean_lam:.4f}", help=f"Closed form E[λ] = {mean}"),
        MetricText("Var λ", f"{stats.var_lam:.4f}", help=f"Closed form 1/(4(2α+1)) = {var:.4f}"),
        MetricText(
            "Mean λ adjusted",
            f"{stats.mean_lam_adjusted:.4f}",
            help="The average weight of A's label, 1 − box area / (HW)",
        ),
        MetricText(
            "Boxes clipped",
            f"{stats.clipped_share:.1%}",
            help="The share of boxes that an image border cut",
        ),
        MetricText(
            "Mean box area",
            f"{stats.mean_area:.4f}",
            help=f"As a fraction of H × W; {stats.mean_unclipped_area:.4f} before clipping",
        ),
    )


def why_lam_adjusted(stats: AlphaStats) -> str:
    """Why the mean lam_adjusted is above 1 - mean lam: rounding, then clipping at borders."""
    return (
        f"**Why is the mean λ adjusted {stats.mean_lam_adjusted:.3f} and not "
        f"{1 - stats.mean_lam:.3f}?** On average 1 − λ = {1 - stats.mean_lam:.3f} of the image "
        f"should come from B. Rounding the cut sides down (and halving them with `// 2`) leaves "
        f"boxes of {stats.mean_unclipped_area:.3f} of the image before clipping. The centre is "
        f"uniform over the *whole* image, so boxes near a border hang over it and are clipped "
        f"({stats.clipped_share:.0%} of them here): B ends up covering {stats.mean_area:.3f}, "
        f"and A's label weight is {stats.mean_lam_adjusted:.3f}. That is why CutMix uses λ "
        "adjusted."
    )


def aspect_caption(h: int, w: int) -> str:
    """What the aspect histogram should show for an ``h`` x ``w`` image."""
    if h == w:
        return (
            "Aspect: on a square image every unclipped box is square (width / height = 1); "
            "only clipping makes it vary."
        )
    return (
        f"Aspect: unclipped boxes have the image's shape, width / height ≈ W / H = "
        f"{w / h:.3g}; clipping spreads it out."
    )


# ---------------------------------------------------------------------------- training batch
def batch_source_caption(source: str, positions: Sequence[int]) -> str:
    """Where the training batch page's images come from: the set and their positions in it."""
    return f"Images from {source}, positions {list(positions)}."


def short_set_notice(available: int) -> str:
    """Why the batch is smaller than asked: the set in use has only ``available`` images."""
    return f"The CIFAR-10 set in use has only {available} images; the batch has {available}."

"""The sentences about the localizer that depend on numbers: where one model's class-B Grad-CAM
says B is on the Models page, and what the evaluation's IoU columns mean.

The localizer is :mod:`cutmix_core.models.localize` (CAM's protocol, Zhou et al., CVPR 2016,
arXiv 1512.04150, which the CutMix paper, Yun et al., ICCV 2019, arXiv 1905.04899, uses for its
weakly-supervised localization). Kept apart from :mod:`cutmix_core.views.describe` so the two
grow independently; the colour words match the pictures of
:func:`cutmix_core.views.model_figures.localizer_panel`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from cutmix_core.models.localize import IOU_HIT, Localization
from cutmix_core.views.model_figures import LOCALIZER_COLOR_NAME, TRUTH_COLOR_NAME

if TYPE_CHECKING:  # the report module needs torch; a type is all this module wants from it
    from cutmix_core.evaluation.report import EvaluationReport


def percent(fraction: float) -> str:
    """A threshold as a percentage without spurious digits: 0.2 -> "20%", 0.125 -> "12.5%"."""
    return f"{100 * fraction:.1f}".rstrip("0").rstrip(".") + "%"


def localizer_method(fraction: float) -> str:
    """How the localizer draws its box, at threshold ``fraction`` (a share of the maximum)."""
    return (
        "A weakly-supervised localizer (the protocol of CAM, Zhou et al. 2016, which the "
        "CutMix paper's localization experiment follows) keeps the pixels of B's Grad-CAM at "
        f"≥ {percent(fraction)} of its maximum, takes the largest region of touching pixels "
        "(diagonals count) and draws its bounding box. "
        f"A box with IoU ≥ {IOU_HIT:g} against the true one counts as found."
    )


def localizer_caption(loc: Localization, name_b: str) -> str:
    """The caption of the localizer's picture: the legend and the IoU, e.g. ``"Where the model
    thinks B (dog) is (cyan) against the pasted box (gold): IoU 0.43, below 0.5: missed."``"""
    legend = (
        f"Where the model thinks B ({name_b}) is ({LOCALIZER_COLOR_NAME}) against the pasted "
        f"box ({TRUTH_COLOR_NAME})"
    )
    if loc.box is None:
        return (
            f"{legend}: B's Grad-CAM is all zero (no positive evidence), so there is no region "
            "to box."
        )
    if loc.truth.area == 0:
        return f"{legend}: nothing was pasted (an empty box), so there is nothing to find: IoU 0."
    verdict = "found" if loc.hit else "missed"
    side = "at least" if loc.hit else "below"
    return f"{legend}: IoU {loc.iou:.2f}, {side} {IOU_HIT:g}: {verdict}."


def _whole_image_hits(report: EvaluationReport) -> float | None:
    """The share of pairs with t >= IOU_HIT, from the split curve's bins of t: what the whole
    image as the box scores in the IoU >= 0.5 column. None unless IOU_HIT is a bin edge."""
    counts = report.models[0].pairs.curve.counts if report.models else ()
    edge = IOU_HIT * len(counts)
    if not counts or not sum(counts) or edge != int(edge):
        return None
    return sum(counts[int(edge) :]) / sum(counts)


def report_localizer_caption(report: EvaluationReport) -> str:
    """What the evaluation table's IoU columns measure, with the scores of a box-blind guess
    (the whole image as the box, whose IoU with the pasted box is t)."""
    if math.isnan(report.cam_fraction):
        return (
            f"This report (version {report.version}) has no localizer columns; rebuild it "
            "with `python -m cutmix_core.evaluation` to add them."
        )
    hits = _whole_image_hits(report)
    share = (
        ""
        if hits is None
        else (
            f", and IoU ≥ {IOU_HIT:g} on about {hits:.1%} of the pairs (where B covers at least "
            "half the image)"
        )
    )
    return (
        f"CAM-B box IoU: the box around the largest region of class B's Grad-CAM at ≥ "
        f"{percent(report.cam_fraction)} of its maximum against the pasted box, averaged over "
        f"the pairs with a box and a non-zero map; IoU ≥ {IOU_HIT:g}: the share a localization "
        f"benchmark counts as found. For scale, the whole image as the box scores IoU = t: on "
        f"average about {report.box_share:.2f}{share}."
    )

"""Tests for cutmix_core.views.localize_text: the localizer's sentences against the numbers."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from cutmix_core.box import Box
from cutmix_core.evaluation.report import EvaluationReport
from cutmix_core.models.localize import Localization, localize
from cutmix_core.views import localize_text as lt


@pytest.mark.parametrize(
    ("fraction", "text"), [(0.2, "20%"), (0.05, "5%"), (0.125, "12.5%"), (1.0, "100%")]
)
def test_percent_drops_spurious_digits(fraction: float, text: str) -> None:
    assert lt.percent(fraction) == text


def test_caption_gives_the_iou_and_whether_it_counts_as_found() -> None:
    cam = np.zeros((8, 8))
    cam[0:4, 0:4] = 1.0
    hit = localize(cam, Box(0, 4, 0, 8))  # 16 / 32
    assert lt.localizer_caption(hit, "dog") == (
        "Where the model thinks B (dog) is (cyan) against the pasted box (gold): IoU 0.50, "
        "at least 0.5: found."
    )
    miss = localize(cam, Box(0, 5, 0, 8))  # 16 / 40
    assert lt.localizer_caption(miss, "dog").endswith("IoU 0.40, below 0.5: missed.")


def test_caption_of_an_all_zero_map_and_of_an_empty_pasted_box() -> None:
    zero = localize(np.zeros((4, 4)), Box(0, 2, 0, 2))
    assert "B's Grad-CAM is all zero (no positive evidence)" in lt.localizer_caption(zero, "cat")
    empty = Localization(Box(0, 2, 0, 2), Box(1, 1, 1, 1), 0.2, 0.0)
    assert "nothing was pasted" in lt.localizer_caption(empty, "cat")


def test_method_names_the_threshold() -> None:
    text = lt.localizer_method(0.35)
    assert "at ≥ 35% of its maximum" in text and "IoU ≥ 0.5" in text


def _report(report: EvaluationReport, fraction: float, version: int) -> EvaluationReport:
    return replace(report, box_share=0.2875, cam_fraction=fraction, version=version)


def test_report_caption_says_what_the_columns_mean_or_that_they_are_missing(report) -> None:
    text = lt.report_localizer_caption(_report(report, 0.2, 2))
    assert "at ≥ 20% of its maximum" in text and "on average about 0.29" in text
    counts = report.models[0].pairs.curve.counts  # 10 bins of t: t >= 0.5 in the last five
    assert f"IoU ≥ 0.5 on about {sum(counts[5:]) / sum(counts):.1%} of the pairs" in text
    old = lt.report_localizer_caption(_report(report, math.nan, 1))
    assert old.startswith("This report (version 1) has no localizer columns")
    empty = lt.report_localizer_caption(replace(_report(report, 0.2, 2), models=()))
    assert empty.endswith("on average about 0.29.")

"""Tests for cutmix_core.views.evaluation_figures: the model page's plots and table rows."""

from __future__ import annotations

import math
from dataclasses import replace

from evaluation.fakes import HOLES, N_PAIRS

from cutmix_core.evaluation import report as rep
from cutmix_core.views import evaluation_figures as figs


def test_occlusion_figure_has_a_solid_and_a_dashed_line_per_model(report) -> None:
    fig = figs.occlusion_figure(report)
    assert len(fig.data) == 4
    curves = [(m, c) for m in report.models for c in m.occlusion]
    for trace, (model, curve) in zip(fig.data, curves):
        assert list(trace.x) == list(HOLES) and list(trace.y) == list(curve.accuracy)
        assert trace.line.dash == {"centre": "solid", "random": "dash"}[curve.placement]
        assert model.name in trace.name
    assert fig.data[0].line.color != fig.data[2].line.color


def test_split_figure_has_the_ideal_line_and_one_curve_per_model(report) -> None:
    fig = figs.split_figure(report)
    assert list(fig.data[0].x) == [0, 1] and list(fig.data[0].y) == [0, 1]
    for trace, m in zip(fig.data[1:], report.models):
        c = m.pairs.curve
        assert list(trace.y) == [p for p, n in zip(c.mean_p_b, c.counts) if n]
        assert sum(trace.customdata) == N_PAIRS


def test_display_rows_format_percentages_and_count_zero_maps(report) -> None:
    rows = figs.display_rows(report)
    m = report.models[1]
    assert rows[1]["clean acc"] == f"{100 * m.clean_accuracy:.1f}%"
    assert rows[1]["p(B) corr"] == f"{m.pairs.corr_p_b:.3f}"
    assert rows[1]["all-zero CAMs (A / B)"] == f"{m.pairs.cam_skipped_a} / {m.pairs.cam_skipped_b}"
    assert list(rows[0])[: len(rep.COLUMNS)] == list(rep.COLUMNS)


def test_display_rows_show_the_localizer_columns(report) -> None:
    rows = figs.display_rows(report)
    for row, m in zip(rows, report.models):
        assert row[rep.IOU_COLUMN] == f"{m.pairs.cam_b_iou:.3f}"
        assert row[rep.IOU_HIT_COLUMN] == f"{100 * m.pairs.cam_b_iou_hits:.1f}%"


def test_display_rows_of_a_version_1_report_show_dashes(report) -> None:
    pairs = replace(report.models[0].pairs, cam_b_iou=math.nan, cam_b_iou_hits=math.nan)
    old = replace(report, models=(replace(report.models[0], pairs=pairs),), version=1)
    row = figs.display_rows(old)[0]
    assert row[rep.IOU_COLUMN] == row[rep.IOU_HIT_COLUMN] == "–"

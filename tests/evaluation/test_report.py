"""Tests for cutmix_core.evaluation.report: JSON round trip, readable errors, the table."""

from __future__ import annotations

import json
import math

import pytest
import torch
from evaluation.fakes import HOLES, N_PAIRS

from cutmix_core.evaluation import report as rep
from cutmix_core.records import from_json, to_json


def test_card_on_other_test_images_is_not_compared(report) -> None:
    m = report.models[1]
    other = from_json(rep.ModelEvaluation, {**to_json(m), "card_test_images": 10_000})
    assert other.card_agrees is None
    assert from_json(rep.ModelEvaluation, {**to_json(m), "card_accuracy": None}).card_agrees is None


@pytest.mark.parametrize(
    "clean, card, agrees",
    [
        (0.8010, 0.8009, True),
        (0.8009, 0.8010, True),
        (0.8778, 0.8778, True),
        (0.8011, 0.8009, False),
        (0.5, 0.6, False),
    ],
)
def test_card_agrees_within_one_image(report, clean, card, agrees) -> None:
    # 0.8010 - 0.8009 is a little over 1e-4 in floating point: the rule counts images.
    m = from_json(
        rep.ModelEvaluation,
        {
            **to_json(report.models[1]),
            "test_images": 10_000,
            "card_test_images": 10_000,
            "clean_accuracy": clean,
            "card_accuracy": card,
        },
    )
    assert m.card_agrees is agrees


def test_report_round_trips_through_strict_json(report, tmp_path) -> None:
    path = rep.save_report(report, tmp_path / "sub" / "evaluation.json")
    text = path.read_text()
    d = json.loads(text, parse_constant=lambda c: pytest.fail(f"{c} in the JSON"))
    assert d["version"] == rep.REPORT_VERSION and d["holes"] == list(HOLES)
    assert d["pairs"] == N_PAIRS and d["seed"] == 3 and d["command"] == "test"
    assert d["torch"] == torch.__version__ and d["device"] and d["date"].startswith("20")
    assert d["data"] == "fake test set" and d["test_images"] == 60
    assert [m["name"] for m in d["models"]] == ["r8_none", "r8_cutmix"]
    first = d["models"][0]
    assert first["card_accuracy"] == 0.5 and first["wall_time_s"] >= 0
    curve = first["pairs"]["curve"]
    assert curve["mean_p_b"].count(None) == curve["counts"].count(0) > 0  # empty bins: null
    assert [c["placement"] for c in first["occlusion"]] == ["centre", "random"]
    loaded = rep.load_report(path)
    assert to_json(loaded) == to_json(report)
    assert loaded.models[0].card_agrees is False  # r8_none's card claims 0.5
    assert loaded.models[1].occlusion == report.models[1].occlusion


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (None, "does not exist; run `python -m cutmix_core.evaluation`"),
        ("{not json", "is not readable JSON"),
        ('{"version": 99}', "has version 99, this code reads versions 1 and 2"),
        ('{"version": true}', "has version True"),
        ("[1, 2]", "has version None"),
        ('{"version": 1, "models": []}', "is malformed \\(EvaluationReport.command is missing\\)"),
    ],
)
def test_load_report_errors_say_what_is_wrong(tmp_path, content, match) -> None:
    path = tmp_path / "evaluation.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ValueError, match=match):
        rep.load_report(path)


def test_markdown_table_and_summary_rows(report) -> None:
    rows = rep.summary_rows(report)
    assert [r["model"] for r in rows] == ["r8_none", "r8_cutmix"]
    assert list(rows[0]) == list(rep.COLUMNS)
    m = report.models[1]
    assert rows[1]["clean acc"] == m.clean_accuracy and rows[1]["params"] == m.num_parameters
    assert rows[1]["occl. 16px random"] == m.occlusion[1].at(16)
    lines = rep.markdown_table(report).splitlines()
    assert len(lines) == 4 and lines[0].startswith("| model | aug | params | epochs | clean acc")
    cells = [c.strip() for c in lines[3].strip("|").split("|")]
    assert cells[:4] == ["r8_cutmix", "cutmix", f"{m.num_parameters / 1e6:.2f}M", "3"]
    assert cells[4] == f"{100 * m.clean_accuracy:.2f}%" and cells[6] == f"{m.pairs.corr_p_b:.3f}"
    assert cells[11] == f"{m.pairs.cam_b_iou:.3f}"
    assert cells[12] == f"{100 * m.pairs.cam_b_iou_hits:.2f}%"
    assert cells[14] == f"{100 * m.occlusion[1].at(16):.2f}%"
    assert rows[1][rep.IOU_COLUMN] == m.pairs.cam_b_iou
    assert rows[1][rep.IOU_HIT_COLUMN] == m.pairs.cam_b_iou_hits
    assert rep.IOU_HIT_COLUMN == "IoU ≥ 0.5"


def _version_1(report: rep.EvaluationReport) -> dict:
    """The report as version 1 wrote it: no localizer fields."""
    d = to_json(report)
    del d["cam_fraction"]
    for m in d["models"]:
        del m["pairs"]["cam_b_iou"], m["pairs"]["cam_b_iou_hits"]
    return {**d, "version": 1}


def test_a_version_1_report_still_loads_without_the_localizer(report, tmp_path) -> None:
    path = tmp_path / "old.json"
    path.write_text(json.dumps(_version_1(report)))
    old = rep.load_report(path)
    assert old.version == 1 and math.isnan(old.cam_fraction)
    assert all(math.isnan(m.pairs.cam_b_iou) for m in old.models)
    assert old.models[1].pairs.cam_b_in_box == report.models[1].pairs.cam_b_in_box
    row = rep.summary_rows(old)[1]
    assert row[rep.IOU_COLUMN] is None and row[rep.IOU_HIT_COLUMN] is None
    assert "| – | – |" in rep.markdown_table(old)


@pytest.mark.parametrize(
    ("drop", "match"),
    [
        ("cam_fraction", r"EvaluationReport.cam_fraction is missing \(version 2\)"),
        ("cam_b_iou", r"EvaluationReport.models\[0\].pairs.cam_b_iou is missing \(version 2\)"),
    ],
)
def test_a_version_2_report_must_have_the_localizer(report, tmp_path, drop, match) -> None:
    d = to_json(report)
    d.pop(drop, None)
    d["models"][0]["pairs"].pop(drop, None)
    path = tmp_path / "evaluation.json"
    path.write_text(json.dumps(d))
    with pytest.raises(rep.ReportError, match=match):
        rep.load_report(path)


def test_the_report_records_the_localizer_threshold(report) -> None:
    assert report.version == rep.REPORT_VERSION == 2 and report.cam_fraction == 0.2
    for m in report.models:
        assert 0 <= m.pairs.cam_b_iou <= 1 and 0 <= m.pairs.cam_b_iou_hits <= 1

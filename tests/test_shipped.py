"""Checks on what ships in assets/: the four checkpoints, their cards, the evaluation report,
and README's table, which must be exactly what the report says (no hand-copied numbers).

A check is skipped where its checkpoints are absent (a fresh fork before training); CI has them.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

from cutmix_core.evaluation.report import REPORT_VERSION, load_report, markdown_table
from cutmix_core.models.checkpoints import load_checkpoint
from cutmix_core.models.localize import FRACTION
from cutmix_core.views.model_view import find_models

MODELS = ROOT / "assets" / "models"
AUGS = ("none", "cutmix", "mixup", "cutout")
SHIPPED = {m.aug: m for m in find_models(MODELS)}
SCHEDULE = (
    "arch",
    "epochs",
    "bias_lr_scale",
    "lookahead",
    "translate",
    "alternating_flip",
    "whiten_bias_epochs",
    "tta",
    "batch_size",
    "lr",
    "momentum",
    "nesterov",
    "weight_decay",
    "label_smoothing",
    "schedule",
    "warmup_epochs",
    "seed",
    "channels_last",
)


def _shipped(aug: str) -> Path:
    if aug not in SHIPPED:
        pytest.skip(f"no {aug} checkpoint in {MODELS} (not trained yet)")
    return SHIPPED[aug].path


@pytest.mark.parametrize("aug", AUGS)
def test_checkpoint_loads_is_small_and_its_card_says_where_and_how_long(aug: str) -> None:
    path = _shipped(aug)
    assert path.stat().st_size <= 5 * 1024 * 1024
    loaded = load_checkpoint(path)  # verifies the card's sha256 and the architecture
    card = loaded.card
    assert card["aug"] == aug and card["arch"] == "airnet" and card["dtype"] == "float16"
    assert card["device"] and card["wall_time_s"] > 0 and 0 < card["test_accuracy"] <= 1
    assert card["test_images"] == 10_000 and card["train_images"] == 50_000
    assert card["precision"] and card["command"].startswith("python -m cutmix_core.training")
    # the training record the teaching pages plot: one entry per epoch, loss and test accuracy
    history = card["history"]
    assert [h["epoch"] for h in history] == list(range(1, card["epochs"] + 1))
    assert all(h["loss"] > 0 and 0 < h["test_accuracy"] <= 1 for h in history)
    # the card's accuracy is measured the way the app predicts: with the flip average
    assert card["tta"] == "flip" and loaded.flip_average
    # alpha where the augmentation uses it (1, as asked); older cards may carry an unused one
    if aug in ("cutmix", "mixup"):
        assert card["alpha"] == 1.0


def test_baseline_reaches_90_percent() -> None:
    assert load_checkpoint(_shipped("none")).card["test_accuracy"] >= 0.90


@pytest.mark.xfail(
    strict=True,
    reason="a known miss: the 10-epoch airnet baseline reaches 90.76% with flip "
    "averaging on this JPEG copy of CIFAR-10 (README, Trained models); drop this mark when "
    "a shipped baseline reaches 93%",
)
def test_baseline_reaches_93_percent() -> None:
    assert load_checkpoint(_shipped("none")).card["test_accuracy"] >= 0.93


@pytest.mark.xfail(
    strict=True,
    reason="a known miss: the 10-epoch airnet CutMix model puts 49% of class B's Grad-CAM mass "
    "in the box, the ResNet-20 55% (README, Trained models)",
)
def test_cutmix_grad_cam_finds_the_box_at_least_as_well_as_before() -> None:
    if "cutmix" not in SHIPPED:
        pytest.skip("no CutMix checkpoint")
    report = load_report(ROOT / "assets" / "evaluation.json")
    cutmix = next(m for m in report.models if m.aug == "cutmix")
    assert cutmix.pairs.cam_b_in_box >= 0.55  # the ResNet-20's share, which must not drop


def test_shipped_models_trained_on_one_schedule() -> None:
    if len(SHIPPED) < 2:
        pytest.skip("fewer than two shipped checkpoints")
    configs = [load_checkpoint(m.path).card["config"] for m in SHIPPED.values()]
    for key in SCHEDULE:
        assert len({repr(c[key]) for c in configs}) == 1, key


def test_all_four_are_shipped() -> None:
    assert set(SHIPPED) == set(AUGS), sorted(SHIPPED)


def test_evaluation_covers_the_shipped_models_and_readme_shows_it() -> None:
    if not SHIPPED:
        pytest.skip(f"no shipped checkpoints in {MODELS}")
    report = load_report(ROOT / "assets" / "evaluation.json")  # models ship: so does this
    assert [m.aug for m in report.models] == [aug for aug in AUGS if aug in SHIPPED]
    assert report.test_images == 10_000
    for m in report.models:
        card = load_checkpoint(SHIPPED[m.aug].path).card
        assert m.card_accuracy == card["test_accuracy"]
        assert m.card_agrees, (m.name, m.clean_accuracy, m.card_accuracy)
        # the localizer's columns were measured, on the pairs the CAM shares use
        assert 0 < m.pairs.cam_b_iou < 1 and 0 <= m.pairs.cam_b_iou_hits <= 1, m.name
    assert report.version == REPORT_VERSION and report.cam_fraction == FRACTION
    assert markdown_table(report) in (ROOT / "README.md").read_text()


def test_readme_speed_tables_are_the_shipped_benchmark_report() -> None:
    # README's Speed section is the benchmark command's output, not numbers copied by hand.
    report = ROOT / "assets" / "benchmark.json"
    out = subprocess.run(
        [sys.executable, "scripts/benchmark.py", "--markdown", str(report)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    tables = out.stdout.strip()
    assert "| batch |" in tables and "**2 server reruns**" in tables
    assert tables in (ROOT / "README.md").read_text()

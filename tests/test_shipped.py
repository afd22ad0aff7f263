"""Checks on what ships in assets/: the four checkpoints, their cards, the evaluation report,
and README's table, which must be exactly what the report says (no hand-copied numbers).

A check is skipped where its checkpoints are absent (a fresh fork before training); CI has them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ROOT

from cutmix_core.evaluation.report import load_report, markdown_table
from cutmix_core.models.checkpoints import load_checkpoint
from cutmix_core.views.model_view import find_models

MODELS = ROOT / "assets" / "models"
AUGS = ("none", "cutmix", "mixup", "cutout")
SHIPPED = {m.aug: m for m in find_models(MODELS)}
SCHEDULE = (
    "arch",
    "epochs",
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
    assert card["aug"] == aug and card["num_parameters"] == 269_722
    assert card["device"] and card["wall_time_s"] > 0 and 0 < card["test_accuracy"] <= 1
    assert card["test_images"] == 10_000 and card["train_images"] == 50_000
    # alpha where the augmentation uses it (1, as asked); older cards may carry an unused one
    if aug in ("cutmix", "mixup"):
        assert card["alpha"] == 1.0


@pytest.mark.xfail(
    strict=True,
    reason="a known miss: the shipped baseline, 30 epochs on a "
    "2-core CPU, reaches 87.78% (60 epochs reached 88.65%); retrain longer "
    "(scripts/train_shipped.sh DATA EPOCHS, on a GPU) and drop this mark when it "
    "passes",
)
def test_baseline_reaches_90_percent() -> None:
    assert load_checkpoint(_shipped("none")).card["test_accuracy"] >= 0.90


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
    assert markdown_table(report) in (ROOT / "README.md").read_text()

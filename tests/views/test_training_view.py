"""Tests for cutmix_core.views.training_view: curves read from model cards, and a caption that
says CutMix keeps up only when the numbers do."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from conftest import ROOT

from cutmix_core.views import training_view as tv
from cutmix_core.views.model_view import ShippedModel, find_models


def _card(aug: str, loss: list[float], acc: list[float | None]) -> dict:
    history = [
        {"epoch": i + 1, "loss": lo, "test_accuracy": ac, "lr": 1.0}
        for i, (lo, ac) in enumerate(zip(loss, acc))
    ]
    return {"aug": aug, "history": history}


def test_training_curve_reads_the_history_and_marks_missing_evaluations_nan() -> None:
    card = _card("cutmix", [2.0, 1.5, 1.2], [0.5, None, 0.8])
    curve = tv.training_curve(card, "m_cutmix", "M · CutMix")
    assert curve is not None
    assert (curve.key, curve.label, curve.aug) == ("m_cutmix", "M · CutMix", "cutmix")
    assert curve.epochs == (1, 2, 3) and curve.loss == (2.0, 1.5, 1.2)
    assert curve.test_accuracy[0] == 0.5 and math.isnan(curve.test_accuracy[1])
    assert tv.training_curve({"aug": "none"}, "k", "l") is None
    assert tv.training_curve({"history": []}, "k", "l") is None
    assert tv.training_curve({"history": [{"loss": 1.0}]}, "k", "l") is None  # no epoch


def test_training_curves_skip_unreadable_cards(tmp_path: Path) -> None:
    good, bad, empty = (tmp_path / f"{n}.pt" for n in ("good", "bad", "empty"))
    good.with_suffix(".json").write_text(json.dumps(_card("none", [1.0], [0.5])))
    bad.with_suffix(".json").write_text("{broken")
    empty.with_suffix(".json").write_text(json.dumps({"aug": "none"}))
    models = [ShippedModel(p.stem, p, p.stem, "none", None) for p in (good, bad, empty)]
    assert [c.key for c in tv.training_curves(models)] == ["good"]


def _curves(cutmix_loss: float, cutmix_acc: float) -> tuple[tv.TrainingCurve, ...]:
    return tuple(
        c
        for c in (
            tv.training_curve(_card("none", [2.0, 1.0], [0.7, 0.9]), "n", "N"),
            tv.training_curve(_card("cutmix", [2.1, cutmix_loss], [0.6, cutmix_acc]), "c", "C"),
        )
        if c is not None
    )


def test_caption_says_cutmix_keeps_up_only_when_it_does() -> None:
    kept = tv.training_caption(_curves(1.3, 0.895))
    assert "Last epoch (loss, test accuracy): baseline 1.00, 90.0%; CutMix 1.30, 89.5%." in kept
    assert (
        "CutMix's training loss stays above the baseline's at every epoch (1.30 against 1.00 "
        "at the end), yet its test accuracy catches up: behind by up to 10.0 points on the "
        "way, it ends 0.5 points behind." in kept
    )
    ahead = tv.training_caption(_curves(1.3, 0.91))
    assert "catches up: behind by up to 10.0 points on the way, it ends 1.0 points ahead" in ahead
    lagging = tv.training_caption(_curves(1.3, 0.85))
    assert "yet" not in lagging and "does not keep up (5.0 points behind)" in lagging
    lower = tv.training_caption(_curves(0.9, 0.9))  # CutMix's loss is not higher: say nothing
    assert "CutMix's" not in lower
    alone = tv.training_caption(_curves(1.3, 0.9)[:1])
    assert alone.endswith("baseline 1.00, 90.0%.")


def test_caption_keeps_up_without_trailing_and_ends_above_when_it_crossed() -> None:
    base = tv.training_curve(_card("none", [2.0, 1.0], [0.7, 0.9]), "n", "N")
    cut = tv.training_curve(_card("cutmix", [1.9, 1.2], [0.695, 0.9]), "c", "C")
    assert base is not None and cut is not None
    text = tv.training_caption((base, cut))
    assert "training loss ends above the baseline's (1.20 against 1.00 at the end)" in text
    assert "yet its test accuracy keeps up: it ends level with it." in text


def test_caption_of_the_shipped_cards_matches_their_last_epochs() -> None:
    shipped = {m.aug: m for m in find_models(ROOT / "assets" / "models")}
    if not {"none", "cutmix"} <= set(shipped):
        pytest.skip("needs the shipped baseline and CutMix checkpoints")
    curves = tv.training_curves(tuple(shipped.values()))
    text = tv.training_caption(curves)
    last = {
        aug: json.loads(m.path.with_suffix(".json").read_text())["history"][-1]
        for aug, m in shipped.items()
    }
    assert f"CutMix {last['cutmix']['loss']:.2f}, {last['cutmix']['test_accuracy']:.1%}" in text
    higher = last["cutmix"]["loss"] > last["none"]["loss"]
    gap = last["none"]["test_accuracy"] - last["cutmix"]["test_accuracy"]
    assert ("yet its test accuracy" in text) == (higher and gap <= tv.KEEPS_UP)

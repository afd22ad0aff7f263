"""How the shipped models trained: each model card's per-epoch record, as learning curves, and
the sentence that says what to notice in them.

Training writes one ``history`` entry per epoch into the card
(:mod:`cutmix_core.training.loop`): ``loss``, the mean training loss over the epoch's batches
*after* augmentation, against their (mixed) targets, and ``test_accuracy``, measured on the
training model after the epoch, without the flip average the app predicts with (so the last
point sits a little below the card's ``test_accuracy``). The loss is therefore a measure of how
hard the training task was, not of fit: CutMix and Mixup train towards soft two-class targets
on mixed images, whose loss cannot fall as low as a one-hot target's. That CutMix nonetheless
generalises is the paper's claim (Yun et al., ICCV 2019, arXiv 1905.04899); the caption says
whether these cards bear it out.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cutmix_core.views.model_view import AUG_LABELS, ShippedModel

#: "Keeps up": CutMix's last test accuracy within this much of the baseline's (1 point).
KEEPS_UP = 0.01


@dataclass(frozen=True)
class TrainingCurve:
    """One model's record by epoch (NaN where an epoch was not evaluated)."""

    key: str  # file stem, e.g. "airnet_cutmix"
    label: str  # e.g. "AirNet · CutMix"
    aug: str
    epochs: tuple[int, ...]
    loss: tuple[float, ...]
    test_accuracy: tuple[float, ...]


def _number(value: Any) -> float:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    return float(value) if ok else math.nan


def training_curve(card: Mapping[str, Any], key: str, label: str) -> TrainingCurve | None:
    """The curve of one model card; None when the card has no per-epoch history."""
    history = card.get("history")
    if not isinstance(history, list) or not history:
        return None
    rows = [h for h in history if isinstance(h, dict) and isinstance(h.get("epoch"), int)]
    if not rows:
        return None
    return TrainingCurve(
        key=key,
        label=label,
        aug=str(card.get("aug") or ""),
        epochs=tuple(int(h["epoch"]) for h in rows),
        loss=tuple(_number(h.get("loss")) for h in rows),
        test_accuracy=tuple(_number(h.get("test_accuracy")) for h in rows),
    )


def training_curves(models: Sequence[ShippedModel]) -> tuple[TrainingCurve, ...]:
    """The curves of the shipped models whose cards can be read and hold a history, in order."""
    curves = []
    for m in models:
        try:
            card = json.loads(m.path.with_suffix(".json").read_text())
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            continue
        curve = training_curve(card, m.key, m.label) if isinstance(card, dict) else None
        if curve is not None:
            curves.append(curve)
    return tuple(curves)


def _last(values: tuple[float, ...]) -> float:
    return next((v for v in reversed(values) if not math.isnan(v)), math.nan)


def training_caption(curves: Sequence[TrainingCurve]) -> str:
    """What the curves show, from their last epochs: each model's final loss and accuracy, and,
    only when the numbers say so, that CutMix's loss stays high while its accuracy keeps up."""
    augs = [c.aug for c in curves]
    finals = "; ".join(
        f"{AUG_LABELS.get(c.aug, c.label) if augs.count(c.aug) == 1 else c.label} "
        f"{_last(c.loss):.2f}, {_last(c.test_accuracy):.1%}"
        for c in curves
    )
    text = (
        "The training loss is measured on the augmented batches against their targets, so it "
        "says how hard each training task was, not how well the model fits the test set; the "
        "test accuracy is measured after each epoch without the flip average. "
        f"Last epoch (loss, test accuracy): {finals}."
    )
    by_aug = {c.aug: c for c in curves}
    if "none" not in by_aug or "cutmix" not in by_aug:
        return text
    base, cut = by_aug["none"], by_aug["cutmix"]
    loss_b, loss_c = _last(base.loss), _last(cut.loss)
    acc_b, acc_c = _last(base.test_accuracy), _last(cut.test_accuracy)
    if any(math.isnan(v) for v in (loss_b, loss_c, acc_b, acc_c)) or loss_c <= loss_b:
        return text
    gap = 100 * (acc_b - acc_c)  # points the baseline leads by at the end (< 0: CutMix leads)
    pairs = [(b, c) for b, c in zip(base.loss, cut.loss) if not (math.isnan(b) or math.isnan(c))]
    stays = (
        "stays above the baseline's at every epoch"
        if all(c > b for b, c in pairs)
        else ("ends above the baseline's")
    )
    losses = f"CutMix's training loss {stays} ({loss_c:.2f} against {loss_b:.2f} at the end)"
    if gap > 100 * KEEPS_UP:
        return f"{text} {losses}, and its test accuracy does not keep up ({gap:.1f} points behind)."
    ends = (
        "level with it"
        if round(gap, 1) == 0
        else f"{gap:.1f} points behind"
        if gap > 0
        else f"{-gap:.1f} points ahead"
    )
    gaps = [100 * (b - c) for b, c in zip(base.test_accuracy, cut.test_accuracy)]
    widest = max((g for g in gaps if not math.isnan(g)), default=gap)
    if widest > gap + 100 * KEEPS_UP:  # behind by more than the margin at some epoch
        keeps = f"catches up: behind by up to {widest:.1f} points on the way, it ends {ends}"
    else:
        keeps = f"keeps up: it ends {ends}"
    return (
        f"{text} {losses}, yet its test accuracy {keeps}. A high training loss is no sign of "
        "a worse model here."
    )

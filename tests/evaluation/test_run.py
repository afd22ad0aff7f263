"""Tests for cutmix_core.evaluation.run: loading the models, clean accuracy against the card,
and one draw of pairs and hole places shared by every model."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from cutmix_core.data.tensors import to_nchw
from cutmix_core.evaluation import run as er
from cutmix_core.models import checkpoints as models
from cutmix_core.training.loop import evaluate_accuracy


def test_models_are_loaded_baseline_first_and_cardless_files_skipped(loaded, test_set) -> None:
    assert [m.name for m in loaded] == ["r8_none", "r8_cutmix"]  # by aug, not by name
    for m in loaded:  # the fixture's models are not degenerate
        assert np.unique(m.predict(test_set.images).argmax(1)).size >= 3


def test_load_models_needs_a_checkpoint(tmp_path) -> None:
    with pytest.raises(ValueError, match="no checkpoints"):
        er.load_models(tmp_path)


def test_clean_accuracy_equals_an_independent_computation(report, loaded, test_set) -> None:
    for m, result in zip(loaded, report.models):
        by_hand = float((m.predict(test_set.images).argmax(1) == test_set.labels).mean())
        assert result.name == m.name and result.clean_accuracy == by_hand
        assert result.clean_accuracy == evaluate_accuracy(
            m.model, to_nchw(test_set.images), torch.from_numpy(np.array(test_set.labels))
        )
        assert result.test_images == len(test_set) and result.epochs == 3
        assert result.num_parameters == models.count_parameters(m.model)
    none, cutmix = report.models
    assert cutmix.card_agrees is True  # the card holds the right number
    assert none.card_accuracy == 0.5 and none.card_agrees is False
    assert none.occlusion_at("centre", 16) is not None and none.occlusion_at("centre", 5) is None


def test_the_localizer_threshold_is_checked_first_and_recorded(loaded, test_set) -> None:
    with pytest.raises(ValueError, match=r"fraction must be in \(0, 1\], got 1.5"):
        er.evaluate(loaded, test_set, n_pairs=4, holes=(0,), fraction=1.5)
    report = er.evaluate(loaded[:1], test_set, seed=3, n_pairs=6, holes=(0,), fraction=0.6)
    assert report.cam_fraction == 0.6
    default = er.evaluate(loaded[:1], test_set, seed=3, n_pairs=6, holes=(0,))
    assert default.cam_fraction == 0.2  # CAM's 20% of the maximum
    # the same pairs and maps, another threshold: only the localizer's numbers may change
    same = ("cam_b_in_box", "cam_a_outside", "cam_pairs", "cam_skipped_b", "corr_p_b")
    for name in same:
        assert getattr(report.models[0].pairs, name) == getattr(default.models[0].pairs, name)

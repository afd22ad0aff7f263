"""Tests for cutmix_core.views.methods_view: shipped models on Mixup, Cutout and CutMix images."""

from __future__ import annotations

import numpy as np
import pytest

from cutmix_core.mixing.pair import Box, paste
from cutmix_core.views.methods_view import MethodPredictions, method_rows, predict_methods
from cutmix_core.views.model_view import LoadedModel, to_input, top_k


def test_predict_methods_is_one_prediction_per_image(tiny: LoadedModel, pair) -> None:
    a, b = pair(seed=4)
    grey = a.copy()
    grey[4:20, 8:24] = 128
    mixed = paste(a, b, Box(4, 20, 8, 24))
    images = (("Cutout", grey), ("CutMix", mixed))
    got = predict_methods(tiny, a, b, images, class_b=7)
    alone = [tiny.predict_input(to_input(tiny, [img]))[0] for img in (a, grey, mixed)]
    assert got.methods == ("Cutout", "CutMix") and got.classes == tuple(tiny.classes)
    assert got.class_a == int(np.argmax(alone[0])) and got.class_b == 7  # top-1 on A; as given
    for (name, _), probs in zip(images, alone[1:]):
        np.testing.assert_allclose(got.probs[got.methods.index(name)], probs, atol=1e-5)
        assert got.p_a(name) == pytest.approx(float(probs[got.class_a]), abs=1e-5)
        assert got.p_b(name) == pytest.approx(float(probs[7]), abs=1e-5)
        assert got.top(name, 2) == top_k(got.probs[got.methods.index(name)], tiny.classes, 2)


def test_predict_methods_rejects_bad_inputs(tiny: LoadedModel, pair) -> None:
    a, b = pair()
    with pytest.raises(ValueError, match="one shape"):
        predict_methods(tiny, a, b, (("CutMix", a[:16]),))
    with pytest.raises(ValueError, match="class_a"):
        predict_methods(tiny, a, b, (("CutMix", a),), class_a=10)


def test_method_rows_put_the_training_label_above_each_models_numbers() -> None:
    classes = ("cat", "dog", "ship")
    probs = np.array([[0.6, 0.3, 0.1], [0.2, 0.1, 0.7]], np.float32)
    base = MethodPredictions(classes, ("Mixup", "CutMix"), 0, 1, probs)
    other = MethodPredictions(classes, ("Mixup", "CutMix"), 0, 2, probs[::-1])  # B read as ship
    rows = method_rows("CutMix", 0.75, [("baseline", False, base), ("CutMix", True, other)], k=2)
    assert rows == [
        {
            "model": "the label it trains on",
            "p(A: cat)": "0.75",
            "p(B: dog)": "0.25",
            "top 2": "cat 0.75, dog 0.25",
        },
        {
            "model": "baseline",
            "p(A: cat)": "0.20",
            "p(B: dog)": "0.10",
            "top 2": "ship 0.70, cat 0.20",
        },
        {
            "model": "★ CutMix",
            "p(A: cat)": "0.60",
            "p(B: dog)": "0.10 (ship)",
            "top 2": "cat 0.60, dog 0.30",
        },
    ]
    cutout = method_rows("Mixup", 1.0, [("baseline", False, base)])
    assert cutout[0]["top 3"] == "cat 1.00" and cutout[0]["p(B: dog)"] == "0.00"
    assert method_rows("Mixup", 0.5, []) == []

"""app_ui/models.py's "what the trained models say" row: its models run at once (one thread
each) and are cached by the images' content (a new mix of the same A and B runs the models on
the mix only), with exactly the numbers of ``predict_mix`` run one model after the other."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import app_ui.models as models
from cutmix_core import cutmix, paths
from cutmix_core.data.cifar import load_sample
from cutmix_core.models.checkpoints import load_checkpoint
from cutmix_core.views.model_view import find_models, predict_mix

SHIPPED = {m.aug: m for m in find_models(paths.models_dir())}
pytestmark = pytest.mark.skipif(
    not {"none", "cutmix"} <= set(SHIPPED), reason="needs the shipped baseline and CutMix models"
)


@pytest.fixture(scope="module")
def row() -> list[tuple[str, object, int | None, int | None]]:
    picked = [SHIPPED["none"], SHIPPED["cutmix"]]
    return [(m.key, load_checkpoint(m.path), 3, None) for m in picked]


def _mix(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    ds = load_sample()
    a, b = ds.image(0), ds.image(7)
    return a, b, cutmix(a, b, 1.0, rng=np.random.default_rng(seed)).image


def _same(got, expected) -> None:
    assert (got.class_a, got.class_b, got.classes) == (
        expected.class_a,
        expected.class_b,
        expected.classes,
    )
    for name in ("probs_a", "probs_b", "probs_mixed"):
        np.testing.assert_array_equal(getattr(got, name), getattr(expected, name))  # bit for bit


@pytest.mark.parametrize("threads", [1, 2])
def test_the_row_gives_predict_mix_numbers_bit_for_bit(
    row, threads: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(torch, "get_num_threads", lambda: threads)  # 1: the models at once
    for seed in range(10 * threads, 10 * threads + 3):  # new mixes: not served from the cache
        a, b, mixed = _mix(seed)
        before = [img.copy() for img in (a, b, mixed)]
        got = models._predicted(row, a, b, mixed)
        for pm, (_, loaded, ca, cb) in zip(got, row, strict=True):
            _same(pm, predict_mix(loaded, a, b, mixed, class_a=ca, class_b=cb))
        for img, old in zip((a, b, mixed), before):
            np.testing.assert_array_equal(img, old)


def test_the_row_is_cached_by_content(row, monkeypatch: pytest.MonkeyPatch) -> None:
    a, b, mixed = _mix(11)
    first = models._predicted(row, a, b, mixed)
    monkeypatch.setattr(models, "predict_images", lambda *a, **k: pytest.fail("ran the model"))
    again = models._predicted(row, a.copy(), b.copy(), mixed.copy())  # same content
    for got, expected in zip(again, first, strict=True):
        _same(got, expected)
    other = mixed.copy()
    other[0, 0, 0] ^= 1
    with pytest.raises(pytest.fail.Exception, match="ran the model"):
        models._predicted(row, a, b, other)


def test_a_new_mix_of_the_same_pair_runs_the_models_on_the_mix_only(
    row, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b, mixed = _mix(41)  # seeds no other test uses: not cached yet
    models._predicted(row, a, b, mixed)
    seen: list[int] = []
    real = models.predict_images

    def counted(loaded, images):
        seen.append(len(images))
        return real(loaded, images)

    monkeypatch.setattr(models, "predict_images", counted)
    _, _, other = _mix(42)
    got = models._predicted(row, a, b, other)
    assert seen == [1, 1]  # one image, the new mix, per model
    for pm, (_, loaded, ca, cb) in zip(got, row, strict=True):
        _same(pm, predict_mix(loaded, a, b, other, class_a=ca, class_b=cb))

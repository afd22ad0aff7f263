"""Tests for cutmix_core.models.inference: CIFAR preprocessing, predict and accuracy."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from cutmix_core.data.cifar_set import CLASSES
from cutmix_core.data.tensors import CIFAR10_MEAN, CIFAR10_STD
from cutmix_core.models.inference import (
    LoadedModel,
    accuracy,
    count_correct,
    predict,
    preprocess,
    ready,
)
from cutmix_core.models.resnet import resnet_from_name


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _batch(n: int = 2, seed: int = 0) -> torch.Tensor:
    return torch.randn(n, 3, 32, 32, generator=_gen(seed))  # (N, 3, 32, 32)


def test_preprocess_normalises_with_the_cifar_constants() -> None:
    img = np.zeros((4, 5, 3), np.uint8)
    img[0, 0] = (255, 0, 51)
    before = img.copy()
    x = preprocess(img)
    assert x.shape == (1, 3, 4, 5) and x.dtype == torch.float32
    expected = [
        (1 - CIFAR10_MEAN[0]) / CIFAR10_STD[0],
        -CIFAR10_MEAN[1] / CIFAR10_STD[1],
        (0.2 - CIFAR10_MEAN[2]) / CIFAR10_STD[2],
    ]
    assert x[0, :, 0, 0].tolist() == pytest.approx(expected, abs=1e-6)
    assert np.array_equal(img, before)
    batch = np.stack([img, img[::-1]])
    assert torch.equal(preprocess(torch.from_numpy(batch)), preprocess(batch))
    assert torch.equal(preprocess(batch)[1:], preprocess(img[::-1]))


@pytest.mark.parametrize(
    "bad",
    [np.zeros((4, 4, 3), np.float32), np.zeros((4, 4), np.uint8), np.zeros((3, 4, 4), np.uint8)],
)
def test_preprocess_rejects_non_hwc_uint8(bad: np.ndarray) -> None:
    with pytest.raises(ValueError, match=rf"HWC.*got shape \({bad.shape[0]}"):
        preprocess(bad)


def test_predict_returns_probabilities_equal_to_softmax_of_logits() -> None:
    model = resnet_from_name("resnet8").eval()
    x = _batch(5)
    probs = predict(model, x, batch_size=2)  # several chunks
    assert probs.shape == (5, 10) and probs.dtype == np.float32
    np.testing.assert_allclose(probs.sum(1), 1.0, atol=1e-6)
    with torch.no_grad():
        np.testing.assert_allclose(probs, model(x).softmax(1).numpy(), atol=1e-6)


@pytest.mark.parametrize("batch_size", [1, 2, 3, 500])
def test_flip_averaging_is_the_mean_of_the_image_and_its_mirror(batch_size: int) -> None:
    model = resnet_from_name("resnet8", generator=_gen(1)).eval()
    x = _batch(5, seed=2)
    x0 = x.clone()
    probs = predict(model, x, batch_size=batch_size, flip_average=True)
    with torch.no_grad():
        mean = 0.5 * (model(x) + model(x.flip(-1)))
    np.testing.assert_allclose(probs, mean.softmax(1).numpy(), atol=1e-6)
    assert not np.allclose(probs, predict(model, x, batch_size=batch_size), atol=1e-3)
    assert torch.equal(x, x0)


def test_predict_rejects_raw_images_and_training_mode() -> None:
    model = resnet_from_name("resnet8")
    with pytest.raises(ValueError, match="eval mode"):
        predict(model, _batch())
    with pytest.raises(ValueError, match=r"NCHW float.*uint8"):
        predict(model.eval(), torch.zeros(1, 32, 32, 3, dtype=torch.uint8))


def test_count_correct_counts_rows_whose_largest_score_is_the_label() -> None:
    scores = np.array([[0.1, 0.7, 0.2], [0.5, 0.3, 0.2], [0.2, 0.2, 0.6], [0.0, 0.9, 0.1]])
    labels = np.array([1, 2, 2, 0])  # rows 0 and 2 are right
    assert count_correct(scores, labels) == 2
    as_tensor = count_correct(torch.tensor(scores), torch.tensor(labels))
    assert as_tensor == 2 and isinstance(as_tensor, int)


def test_accuracy_counts_top1_hits_and_rejects_mismatched_labels() -> None:
    model = ready(resnet_from_name("resnet8", generator=_gen(3)))
    loaded = LoadedModel(model, {}, "m", CLASSES, preprocess)
    assert loaded.normalize is preprocess  # CIFAR-10 models: normalising is all preprocessing does
    images = np.random.default_rng(5).integers(0, 256, (7, 32, 32, 3), dtype=np.uint8)
    top1 = loaded.predict(images).argmax(1)  # (7,)
    labels = top1.copy()
    labels[:3] = (labels[:3] + 1) % 10  # three misses
    assert accuracy(loaded, images, labels) == pytest.approx(4 / 7)
    assert accuracy(loaded, images, top1) == 1.0
    with pytest.raises(ValueError, match=r"7 images and labels of shape \(6,\)"):
        accuracy(loaded, images, top1[:6])

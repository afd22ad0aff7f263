"""Tests for cutmix_core.data.training (cache, crop/flip, loader) and cutmix_core.training.loop (config, loop, CLI).

Training runs use a synthetic class-folder CIFAR-10 of 200 + 50 PNGs written to tmp_path, where
each class has its own colour (so a tiny ResNet can learn something), and ``resnet8w4`` (one block
per stage, base width 4) for one or two epochs of a few steps.
"""

from __future__ import annotations

import builtins
import dataclasses
import json
import re
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from cutmix_core.data import training as data
from cutmix_core.data.cifar import CLASSES, CifarSet, load_cifar10
from cutmix_core.models import checkpoints as models
from cutmix_core.training import loop as train
from cutmix_core.training.loop import TrainConfig

ARCH = "resnet8w4"


def _gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _uint8(n: int = 6, h: int = 32, w: int = 32, seed: int = 0) -> torch.Tensor:
    return torch.randint(0, 256, (n, 3, h, w), dtype=torch.uint8, generator=_gen(seed))


@pytest.fixture(scope="module")
def cifar_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """<root>/<split>/<class>/<i>.png: 20 train and 5 test images per class, class-coloured."""
    root = tmp_path_factory.mktemp("cifar")
    rng = np.random.default_rng(0)
    for split, per_class in (("train", 20), ("test", 5)):
        for c, name in enumerate(CLASSES):
            folder = root / split / name
            folder.mkdir(parents=True)
            for i in range(per_class):
                img = rng.integers(0, 60, (32, 32, 3), dtype=np.uint8)
                img[..., c % 3] += np.uint8(40 + 19 * c)  # a class-dependent colour cast
                Image.fromarray(img).save(folder / f"{i:03d}.png")
    return root


def _config(cifar_dir: Path, out: Path, **kw) -> TrainConfig:
    base = dict(
        data=str(cifar_dir),
        out=str(out),
        arch=ARCH,
        epochs=1,
        batch_size=50,
        lr=0.05,
        warmup_epochs=0.5,
        cache=str(out.parent / "cache"),
        eval_batch_size=32,
    )
    return TrainConfig(**{**base, **kw})


# ---------------------------------------------------------------- augmentation


@pytest.mark.parametrize(("padding", "mode"), [("reflect", "reflect"), ("zeros", "constant")])
@pytest.mark.parametrize("dtype", [torch.uint8, torch.float32])
def test_crop_equals_slicing_a_padded_image(padding, mode, dtype) -> None:
    x = _uint8(8, 12, 10).to(dtype)
    before = x.clone()
    dy, dx = data.sample_crop_offsets(8, 3, generator=_gen())
    out = data.crop(x, dy, dx, 3, padding)
    padded = F.pad(x.float(), (3, 3, 3, 3), mode=mode)
    expected = torch.stack([padded[i, :, dy[i] : dy[i] + 12, dx[i] : dx[i] + 10] for i in range(8)])
    assert out.dtype == dtype and out.shape == x.shape
    assert torch.equal(out, expected.to(dtype))
    assert torch.equal(x, before)


def test_crop_offsets_cover_the_range_and_zero_offset_is_identity() -> None:
    dy, dx = data.sample_crop_offsets(2000, 4, generator=_gen())
    assert set(dy.tolist()) == set(range(9)) == set(dx.tolist())
    x = _uint8()
    centre = torch.full((6,), 4)
    assert torch.equal(data.crop(x, centre, centre, 4), x)


def test_flip_is_an_exact_mirror_or_nothing() -> None:
    x = _uint8(64)
    assert torch.equal(data.batch_flip(x, generator=_gen(), p=1.0), x.flip(-1))
    assert torch.equal(data.batch_flip(x, generator=_gen(), p=0.0), x)
    out = data.batch_flip(x, generator=_gen())
    flipped = [bool(torch.equal(o, xi.flip(-1))) for o, xi in zip(out, x)]
    kept = [bool(torch.equal(o, xi)) for o, xi in zip(out, x)]
    assert all(f != k for f, k in zip(flipped, kept)) and 10 < sum(flipped) < 54


def test_augment_keeps_shape_dtype_and_input_and_is_seeded() -> None:
    x = _uint8(16)
    before = x.clone()
    a = data.augment(x, generator=_gen(3))
    assert a.shape == x.shape and a.dtype == torch.uint8 and torch.equal(x, before)
    assert torch.equal(a, data.augment(x, generator=_gen(3)))
    assert not torch.equal(a, data.augment(x, generator=_gen(4)))


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: data.crop(torch.zeros(3, 8, 8), torch.zeros(3), torch.zeros(3)), "NCHW"),
        (lambda: data.crop(_uint8(2), torch.zeros(2), torch.zeros(2), 4, "edge"), "padding"),
        (lambda: data.crop(_uint8(2, 4, 4), torch.zeros(2), torch.zeros(2), 4), "reflect padding"),
        (lambda: data.crop(_uint8(2), torch.zeros(3), torch.zeros(3)), r"dy and dx must be \(2,\)"),
        (lambda: data.sample_crop_offsets(2, -1, generator=_gen()), "pad must be >= 0"),
        (lambda: data.batch_flip(_uint8(2), generator=_gen(), p=1.5), r"p must be in \[0, 1\]"),
        (lambda: next(data.iterate_batches(_uint8(2), torch.zeros(2), 0)), "batch_size"),
    ],
)
def test_augmentation_errors_name_the_bad_value(call, match) -> None:
    with pytest.raises(ValueError, match=match):
        call()


# ---------------------------------------------------------------- loader, subset, cache


def test_iterate_batches_shuffles_whole_batches_with_aligned_labels() -> None:
    x = torch.arange(10, dtype=torch.uint8).view(10, 1, 1, 1).expand(10, 3, 2, 2).contiguous()
    y = torch.arange(10)
    batches = list(data.iterate_batches(x, y, 4, generator=_gen()))
    assert len(batches) == data.num_batches(10, 4) == 2  # the last 2 images are dropped
    seen = torch.cat([b[1] for b in batches])
    assert len(set(seen.tolist())) == 8 and not torch.equal(seen, torch.arange(8))
    assert all(torch.equal(bx[:, 0, 0, 0].long(), by) for bx, by in batches)
    ordered = list(data.iterate_batches(x, y, 4, drop_last=False))
    assert [b[1].tolist() for b in ordered] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


def test_balanced_subset_takes_classes_round_robin() -> None:
    labels = np.repeat(np.arange(10), 5)  # class-sorted, like a class-folder copy
    ds = CifarSet(np.zeros((50, 32, 32, 3), np.uint8), labels, np.arange(50), "train", "x")
    sub = data.balanced_subset(ds, 23)
    assert len(sub) == 23 and np.bincount(sub.labels, minlength=10).tolist() == [3] * 3 + [2] * 7
    assert np.all(np.diff(sub.indices) > 0)
    assert data.balanced_subset(ds, None) is ds
    with pytest.raises(ValueError, match="limit must be a positive int"):
        data.balanced_subset(ds, 0)


def test_cache_is_written_once_then_read_without_decoding(cifar_dir, tmp_path, monkeypatch) -> None:
    cache = tmp_path / "cache"
    first = data.load_cached(cifar_dir, "test", cache)
    files = list(cache.glob("*.npz"))
    assert [f.name for f in files] == [data.cache_file(cifar_dir, "test", cache).name]

    def no_decoding(*args, **kwargs):
        raise AssertionError("decoded again instead of using the cache")

    monkeypatch.setattr(data, "load_cifar10", no_decoding)
    second = data.load_cached(cifar_dir, "test", cache)
    assert np.array_equal(first.images, second.images)
    assert np.array_equal(first.labels, second.labels) and second.source == first.source
    assert list(cache.glob("*")) == files  # nothing new, no temporary files left
    assert data.cache_file(cifar_dir, "train", cache) != files[0]


def test_to_tensors_is_nchw_of_the_set(cifar_dir) -> None:
    ds = load_cifar10(cifar_dir, "test")
    x, y = data.to_tensors(ds)
    assert x.shape == (50, 3, 32, 32) and x.dtype == torch.uint8 and y.dtype == torch.int64
    assert np.array_equal(x.permute(0, 2, 3, 1).numpy(), ds.images)


# ---------------------------------------------------------------- config and pieces


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("aug", "cutpaste"),
        ("schedule", "step"),
        ("precision", "fp16"),
        ("epochs", 0),
        ("batch_size", 2.5),
        ("alpha", 0.0),
        ("cutmix_prob", 1.5),
        ("label_smoothing", -0.1),
        ("lr", float("inf")),
        ("warmup_epochs", 99),
        ("limit", 0),
        ("seed", -1),
        ("device", "tpu"),
        ("eval_every", True),
        ("alpha", float("nan")),
        ("momentum", "0.9"),
        ("data", ""),
    ],
)
def test_config_rejects_bad_values_by_name(field, value) -> None:
    with pytest.raises(ValueError, match=field):
        TrainConfig(**{"data": "d", "out": "o", field: value})


def test_config_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        TrainConfig(data="d", out="o").epochs = 3


@pytest.mark.parametrize("schedule", ["onecycle", "cosine"])
def test_lr_factor_warms_up_peaks_and_ends_at_zero(schedule) -> None:
    f = [train.lr_factor(s, 100, 10, schedule) for s in range(101)]
    assert f[0] == pytest.approx(0.1) and f[9] == 1.0 and f[10] == 1.0 and f[100] == 0.0
    assert all(a >= b for a, b in zip(f[10:], f[11:]))
    assert f[55] == pytest.approx(0.5)  # halfway through the decay, for both shapes


def test_soft_cross_entropy_equals_cross_entropy_on_one_hot_targets() -> None:
    logits = torch.randn(5, 10, generator=_gen())
    y = torch.tensor([0, 3, 9, 3, 1])
    got = train.soft_cross_entropy(logits, F.one_hot(y, 10).float())
    assert torch.allclose(got, F.cross_entropy(logits, y))


def test_normalize_matches_models_preprocess() -> None:
    x = _uint8(4)
    assert torch.equal(train.normalize(x), models.preprocess(x.permute(0, 2, 3, 1)))


@pytest.mark.parametrize("aug", train.AUGS)
def test_mix_gives_images_and_targets_that_sum_to_one(aug) -> None:
    config = TrainConfig(data="d", out="o", aug=aug, cutmix_prob=1.0)
    x = torch.randn(8, 3, 32, 32, generator=_gen())
    y = torch.arange(8)
    images, targets = train.mix(config, x, y, generator=_gen())
    assert images.shape == x.shape and targets.shape == (8, 10)
    assert torch.allclose(targets.sum(1), torch.ones(8))
    assert torch.equal(images, x) == (aug == "none")


def test_evaluate_accuracy_takes_numpy_hwc_or_torch_nchw(cifar_dir) -> None:
    ds = load_cifar10(cifar_dir, "test")
    model = models.build_model(ARCH, generator=_gen()).train()
    a = train.evaluate_accuracy(model, ds.images, ds.labels, batch_size=16)
    x, y = data.to_tensors(ds)
    assert train.evaluate_accuracy(model, x, y, batch_size=50) == a and 0 <= a <= 1
    assert model.training  # mode restored
    with pytest.raises(ValueError, match="uint8"):
        train.evaluate_accuracy(model, ds.images.astype(np.float32), ds.labels)


def test_progress_falls_back_to_plain_lines_without_tqdm(monkeypatch, capsys) -> None:
    real_import = builtins.__import__

    def no_tqdm(name, *args, **kwargs):
        if name.startswith("tqdm"):
            raise ImportError("no tqdm here")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_tqdm)
    bar = train._Progress(4, "epoch 1/1", enabled=True, every=2)
    for i in range(4):
        bar.update({"loss": f"{i}"})
    bar.close("done")
    assert capsys.readouterr().err.splitlines() == [
        "epoch 1/1 step 2/4 loss=1",
        "epoch 1/1 step 4/4 loss=3",
        "epoch 1/1 done",
    ]


# ---------------------------------------------------------------- end to end


@pytest.mark.parametrize("aug", train.AUGS)
def test_training_writes_a_loadable_checkpoint_and_card(cifar_dir, tmp_path, aug, capsys) -> None:
    precision = "auto" if aug == "cutmix" else "fp32"  # auto is bf16 on CPUs that have it
    config = _config(cifar_dir, tmp_path / aug, aug=aug, precision=precision)
    result = train.train(config, progress=False)
    assert result.epochs_done == 1 and result.checkpoint == tmp_path / aug / f"{ARCH}_{aug}.pt"
    state = torch.load(result.checkpoint, weights_only=True)
    assert all(isinstance(v, torch.Tensor) for v in state.values())
    assert torch.load(result.last, weights_only=True)["epoch"] == 1
    card = json.loads(result.checkpoint.with_suffix(".json").read_text())
    for key in (
        "arch",
        "num_parameters",
        "aug",
        "alpha",
        "epochs",
        "seed",
        "wall_time_s",
        "device",
        "images_per_s",
        "test_accuracy",
        "precision",
        "history",
    ):
        assert key in card, key
    assert card["arch"] == ARCH and card["aug"] == aug and card["train_images"] == 200
    assert (card["alpha"] is None) == (aug in ("none", "cutout"))  # alpha only where it is used
    assert isinstance(card["test_accuracy"], float) and 0.0 <= card["test_accuracy"] <= 1.0
    assert card["images_per_s"] > 0 and card["wall_time_s"] >= 0
    loaded = models.load_checkpoint(result.checkpoint)
    test = load_cifar10(cifar_dir, "test")
    # The card's number is the evaluation's: the saved checkpoint on the CPU in fp32.
    assert models.accuracy(loaded, test.images, test.labels) == card["test_accuracy"]
    assert card == result.card
    # Without the bar, the epoch's summary still reaches the log.
    assert re.search(
        r"^epoch 1/1 loss \d+\.\d{4} train_acc .* img/s \d+$", capsys.readouterr().err, re.M
    )


def test_limit_and_stop_after(cifar_dir, tmp_path) -> None:
    config = _config(cifar_dir, tmp_path / "run", limit=100, epochs=2, aug="none")
    result = train.train(config, stop_after=1, progress=False)
    assert result.checkpoint is None and result.epochs_done == 1
    saved = torch.load(result.last, weights_only=True)
    assert saved["epoch"] == 1 and saved["config"]["limit"] == 100
    with pytest.raises(ValueError, match="batch_size 150 exceeds the 100 train images"):
        train.train(_config(cifar_dir, tmp_path / "big", limit=100, batch_size=150), progress=False)


def test_resume_through_the_cli_equals_an_unbroken_run(cifar_dir, tmp_path, capsys) -> None:
    kw = dict(aug="cutmix", epochs=2, cutmix_prob=1.0)
    whole = train.train(_config(cifar_dir, tmp_path / "whole", **kw), progress=False)
    out = tmp_path / "broken"
    args = [
        "--data",
        str(cifar_dir),
        "--out",
        str(out),
        "--arch",
        ARCH,
        "--epochs",
        "2",
        "--batch-size",
        "50",
        "--lr",
        "0.05",
        "--warmup-epochs",
        "0.5",
        "--cutmix-prob",
        "1",
        "--cache",
        str(tmp_path / "cache"),
        "--eval-batch-size",
        "32",
        "--no-progress",
    ]
    assert train.main([*args, "--stop-after", "1"]) == 0
    assert not (out / f"{ARCH}_cutmix.pt").exists()
    with pytest.raises(SystemExit):  # a result-changing flag differs from the saved run
        train.main(["--out", str(out), "--resume", "--lr", "0.1"])
    assert "lr: saved 0.05 vs 0.1" in capsys.readouterr().err
    assert train.main(["--out", str(out), "--resume", "--no-progress"]) == 0
    a = torch.load(whole.checkpoint, weights_only=True)
    b = torch.load(out / f"{ARCH}_cutmix.pt", weights_only=True)
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k


def test_resume_refuses_a_different_config(cifar_dir, tmp_path) -> None:
    config = _config(cifar_dir, tmp_path / "run", epochs=2)
    train.train(config, stop_after=1, progress=False)
    with pytest.raises(ValueError, match="alpha: saved 1.0 vs 0.5"):
        train.train(dataclasses.replace(config, alpha=0.5), resume=True, progress=False)


def test_help_lists_every_config_field(capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        train.main(["--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    for f in dataclasses.fields(TrainConfig):
        assert "--" + f.name.replace("_", "-") in text

"""Tests for cutmix_core.models.checkpoints: building, saving, loading and finding checkpoints."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from cutmix_core.data.cifar_set import CLASSES
from cutmix_core.models.checkpoints import (
    CheckpointError,
    build_model,
    count_parameters,
    find_checkpoints,
    load_checkpoint,
    predict,
    preprocess,
    save_checkpoint,
)


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _batch(n: int = 2, seed: int = 0) -> torch.Tensor:
    return torch.randn(n, 3, 32, 32, generator=_gen(seed))  # (N, 3, 32, 32)


def _trained_like(arch: str = "resnet8") -> torch.nn.Module:
    model = build_model(arch, generator=_gen(3))
    with torch.no_grad():  # non-trivial BN statistics, so the round trip has to carry them
        for name, buf in model.named_buffers():
            if name.endswith("running_mean"):
                buf.normal_(generator=_gen(4))
    return model.eval()


def test_round_trip_preserves_outputs_and_writes_a_card(tmp_path: Path) -> None:
    model = _trained_like()
    path = tmp_path / "cutmix.pt"
    card = save_checkpoint(path, model, {"name": "CutMix", "method": "cutmix", "alpha": 1.0})
    state = torch.load(path, weights_only=True)  # plain tensors: the safe loader accepts it
    assert set(state) == set(model.state_dict())
    on_disk = json.loads(path.with_suffix(".json").read_text())
    assert on_disk == card and card["arch"] == "resnet8" and card["classes"] == list(CLASSES)
    assert card["num_parameters"] == count_parameters(model) and card["dtype"] == "float32"

    loaded = load_checkpoint(path)
    assert loaded.name == "CutMix" and loaded.card["alpha"] == 1.0 and loaded.classes == CLASSES
    assert not loaded.model.training
    assert not any(p.requires_grad for p in loaded.model.parameters())
    x = _batch(3)
    with torch.no_grad():
        assert torch.equal(loaded.model(x), model(x))
    images = np.full((2, 32, 32, 3), 100, np.uint8)
    np.testing.assert_array_equal(loaded.predict(images), predict(model, preprocess(images)))


def test_float16_checkpoint_is_half_the_size_and_close(tmp_path: Path) -> None:
    model = _trained_like("resnet20")
    save_checkpoint(tmp_path / "a.pt", model, {})
    save_checkpoint(tmp_path / "b.pt", model, {}, dtype=torch.float16)
    size_32, size_16 = (tmp_path / "a.pt").stat().st_size, (tmp_path / "b.pt").stat().st_size
    assert 1.0e6 < size_32 < 1.2e6 and size_16 < 0.55 * size_32
    assert torch.load(tmp_path / "b.pt", weights_only=True)["head.fc.weight"].dtype == torch.float16
    # BatchNorm statistics stay float32: a tiny variance would round to 0 in float16
    assert (
        torch.load(tmp_path / "b.pt", weights_only=True)["features.bn.running_var"].dtype
        == torch.float32
    )
    loaded = load_checkpoint(tmp_path / "b.pt").model.state_dict()
    for key, value in model.state_dict().items():  # exactly the fp16-rounded weights, back in fp32
        stat = key.endswith(("running_mean", "running_var"))
        expected = value.half().float() if value.is_floating_point() and not stat else value
        assert loaded[key].dtype == value.dtype and torch.equal(loaded[key], expected), key


def test_save_rejects_bad_cards_and_dtypes(tmp_path: Path) -> None:
    model = build_model("resnet8")
    with pytest.raises(ValueError, match="'resnet20' does not match the model's arch 'resnet8'"):
        save_checkpoint(tmp_path / "m.pt", model, {"arch": "resnet20"})
    with pytest.raises(ValueError, match="not JSON-serialisable"):
        save_checkpoint(tmp_path / "m.pt", model, {"when": object()})
    with pytest.raises(ValueError, match="float64"):
        save_checkpoint(tmp_path / "m.pt", model, {}, dtype=torch.float64)
    assert list(tmp_path.iterdir()) == []  # nothing half-written


@pytest.fixture
def saved(tmp_path: Path) -> Path:
    path = tmp_path / "model.pt"
    save_checkpoint(path, _trained_like(), {"name": "m"})
    return path


def _edit_card(path: Path, **changes: object) -> None:
    card_path = path.with_suffix(".json")
    card_path.write_text(json.dumps({**json.loads(card_path.read_text()), **changes}))


def test_missing_checkpoint_raises(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match=r"nope\.pt does not exist"):
        load_checkpoint(tmp_path / "nope.pt")


def test_missing_card_raises(saved: Path) -> None:
    saved.with_suffix(".json").unlink()
    with pytest.raises(CheckpointError, match=r"model card .*model\.json .* is missing"):
        load_checkpoint(saved)


def test_unreadable_card_raises(saved: Path) -> None:
    saved.with_suffix(".json").write_text("{not json")
    with pytest.raises(CheckpointError, match=r"model\.json is not valid JSON"):
        load_checkpoint(saved)
    saved.with_suffix(".json").write_text('{"name": "no arch"}')
    with pytest.raises(CheckpointError, match=r"model\.json needs 'arch' \(str\)"):
        load_checkpoint(saved)
    card = json.loads(json.dumps({"arch": "resnet8", "num_classes": 10, "classes": ["cat", "dog"]}))
    saved.with_suffix(".json").write_text(json.dumps(card))
    with pytest.raises(CheckpointError, match="lists 2 classes for num_classes 10"):
        load_checkpoint(saved)


@pytest.mark.parametrize("damage", ["truncate", "garbage", "empty"])
def test_corrupt_or_truncated_checkpoint_raises(saved: Path, damage: str) -> None:
    data = saved.read_bytes()
    damaged = {
        "truncate": data[: len(data) // 2],
        "garbage": b"PK\x03\x04 not a torch file",
        "empty": b"",
    }
    saved.write_bytes(damaged[damage])
    with pytest.raises(CheckpointError, match=r"model\.pt is corrupt or truncated"):
        load_checkpoint(saved)


def test_weights_for_another_architecture_raise(saved: Path) -> None:
    _edit_card(saved, arch="resnet20")  # the file holds resnet8 weights
    with pytest.raises(
        CheckpointError,
        match=r"model\.pt does not match architecture 'resnet20'"
        r".*missing keys",
    ):
        load_checkpoint(saved)
    _edit_card(saved, arch="resnet8x2")  # same keys, other shapes
    with pytest.raises(CheckpointError, match=r"does not match architecture 'resnet8x2'.*shape"):
        load_checkpoint(saved)
    _edit_card(saved, arch="vgg11")
    with pytest.raises(CheckpointError, match="unusable arch: arch must"):
        load_checkpoint(saved)


def test_a_replaced_weight_file_fails_the_card_checksum(saved: Path, tmp_path: Path) -> None:
    save_checkpoint(tmp_path / "other.pt", build_model("resnet8", generator=_gen(9)), {})
    saved.write_bytes((tmp_path / "other.pt").read_bytes())
    with pytest.raises(CheckpointError, match=r"model\.pt does not match the sha256"):
        load_checkpoint(saved)


def test_build_model_dispatches_airnet_and_resnet_names() -> None:
    from cutmix_core.models.airnet import AirNet
    from cutmix_core.models.resnet import CifarResNet

    assert isinstance(build_model("airnet"), AirNet)
    assert isinstance(build_model("resnet8", 7), CifarResNet)
    assert build_model("resnet20-b").arch == "resnet20-b"
    for bad in ("vgg16", "ResNet20", 20, "air net"):
        with pytest.raises(ValueError, match="arch must be airnet or look like resnet20"):
            build_model(bad)


def test_find_checkpoints_orders_by_augmentation_then_name(tmp_path: Path) -> None:
    model = build_model("resnet8")
    for name, aug in (
        ("z_cutout", "cutout"),
        ("m_mixup", "mixup"),
        ("b_cutmix", "cutmix"),
        ("x_base", "none"),
        ("c_base", "none"),
        ("a_other", "autoaugment"),
    ):
        save_checkpoint(tmp_path / f"{name}.pt", model, {"aug": aug})
    save_checkpoint(tmp_path / "no_aug.pt", model, {})
    (tmp_path / "orphan.pt").write_bytes(b"no card")  # skipped: no card
    (tmp_path / "broken.pt").write_bytes(b"x")  # kept with the rest: loading names the problem
    (tmp_path / "broken.json").write_text("{not json")
    (tmp_path / "notes.json").write_text("{}")  # a card without weights is not a checkpoint
    found = find_checkpoints(tmp_path)
    assert [p.name for p in found] == [
        "c_base.pt",
        "x_base.pt",
        "b_cutmix.pt",
        "m_mixup.pt",
        "z_cutout.pt",
        "a_other.pt",
        "broken.pt",
        "no_aug.pt",
    ]
    assert all(p.parent == tmp_path for p in found)
    assert find_checkpoints(tmp_path / "missing") == []

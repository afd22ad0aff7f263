"""Tests for cutmix_core.models.checkpoints: CIFAR ResNets, preprocessing, checkpoints, ImageNet models offline.

Nothing here touches the network: the ImageNet tests put a randomly initialised state dict under
the file name torchvision expects in a temporary ``$TORCH_HOME``, or replace ``_open`` under
cutmix_core.data.download (tests/data/test_download.py runs that module against a real local server).
"""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path
from urllib.error import HTTPError, URLError
from urllib.request import Request

import numpy as np
import pytest
import torch
import torchvision

from cutmix_core.data import download
from cutmix_core.data.cifar import CLASSES
from cutmix_core.models.checkpoints import (
    CIFAR10_MEAN,
    CIFAR10_STD,
    CheckpointError,
    accuracy,
    build_model,
    count_parameters,
    load_checkpoint,
    load_imagenet_model,
    predict,
    preprocess,
    save_checkpoint,
)


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _batch(n: int = 2, seed: int = 0) -> torch.Tensor:
    return torch.randn(n, 3, 32, 32, generator=_gen(seed))  # (N, 3, 32, 32)


# --------------------------------------------------------------------------------- architecture
@pytest.mark.parametrize(
    ("arch", "channels"),
    [("resnet8", 64), ("resnet20", 64), ("resnet8x2", 128), ("resnet8w24", 96)],
)
def test_features_end_at_8x8_and_head_gives_the_logits(arch: str, channels: int) -> None:
    model = build_model(arch, num_classes=7).eval()
    x = _batch()
    with torch.no_grad():
        feats = model.features(x)
        assert feats.shape == (2, channels, 8, 8)
        assert torch.equal(model.head(feats), model(x))
        assert model(x).shape == (2, 7)


def test_parameter_counts_match_the_paper() -> None:
    # He et al. 2016, table 6 (option A shortcuts): 0.27M, 0.46M, 0.85M.
    assert count_parameters(build_model("resnet20")) == 269_722
    assert count_parameters(build_model("resnet32")) == 464_154
    assert count_parameters(build_model("resnet56")) == 853_018
    # Option B adds 1x1 projections (+BN) at the two downsampling blocks: 16*32 + 64 + 32*64 + 128.
    assert count_parameters(build_model("resnet20-b")) == 269_722 + 512 + 64 + 2048 + 128


def test_arch_names_round_trip_and_bad_names_raise() -> None:
    for arch in ("resnet20", "resnet56", "resnet20x4", "resnet8w24", "resnet32-b"):
        assert build_model(arch).arch == arch
    for bad in ("resnet21", "resnet2", "vgg16", "resnet20x0", "ResNet20", 20):
        with pytest.raises(ValueError, match="arch must|depth must|width must"):
            build_model(bad)


def test_initialisation_uses_only_the_given_generator() -> None:
    state = torch.get_rng_state()
    a = build_model("resnet8", generator=_gen(1)).state_dict()
    b = build_model("resnet8", generator=_gen(1)).state_dict()
    c = build_model("resnet8", generator=_gen(2)).state_dict()
    assert torch.equal(torch.get_rng_state(), state)  # global RNG neither used nor advanced
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not torch.equal(a["features.conv.weight"], c["features.conv.weight"])
    assert a["features.bn.running_var"].eq(1).all()  # buffers initialised, not left empty


# -------------------------------------------------------------------------------- preprocessing
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
    model = build_model("resnet8").eval()
    x = _batch(5)
    probs = predict(model, x, batch_size=2)  # several chunks
    assert probs.shape == (5, 10) and probs.dtype == np.float32
    np.testing.assert_allclose(probs.sum(1), 1.0, atol=1e-6)
    with torch.no_grad():
        np.testing.assert_allclose(probs, model(x).softmax(1).numpy(), atol=1e-6)


def test_predict_rejects_raw_images_and_training_mode() -> None:
    model = build_model("resnet8")
    with pytest.raises(ValueError, match="eval mode"):
        predict(model, _batch())
    with pytest.raises(ValueError, match=r"NCHW float.*uint8"):
        predict(model.eval(), torch.zeros(1, 32, 32, 3, dtype=torch.uint8))


# ---------------------------------------------------------------------------------- checkpoints
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


def test_accuracy_counts_top1_hits_and_rejects_mismatched_labels(saved: Path) -> None:
    loaded = load_checkpoint(saved)
    images = np.random.default_rng(5).integers(0, 256, (7, 32, 32, 3), dtype=np.uint8)
    top1 = loaded.predict(images).argmax(1)  # (7,)
    labels = top1.copy()
    labels[:3] = (labels[:3] + 1) % 10  # three misses
    assert accuracy(loaded, images, labels) == pytest.approx(4 / 7)
    assert accuracy(loaded, images, top1) == 1.0
    with pytest.raises(ValueError, match=r"7 images and labels of shape \(6,\)"):
        accuracy(loaded, images, top1[:6])


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


# ------------------------------------------------------------------------ ImageNet, offline only
@pytest.fixture
def torch_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_proxies: None) -> list[str]:
    """An empty TORCH_HOME whose connection probe succeeds but whose downloads then fail like a
    lost connection; returns what was tried: ``probe HOST:PORT TIMEOUT`` and the URLs downloaded.
    torch.hub's own download (no timeout) must never run."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    tried: list[str] = []

    def probe(host: str, port: int = 443, *, timeout: float) -> bool:
        tried.append(f"probe {host}:{port} {timeout:g}")
        return True

    def offline(request: Request, timeout: float) -> None:
        tried.append(request.full_url)
        raise URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(download, "is_online", probe)
    monkeypatch.setattr(download, "_open", offline)
    monkeypatch.setattr(torch.hub, "download_url_to_file", lambda *a, **k: pytest.fail("hub"))
    return tried


class _Response(io.BytesIO):
    """What an opened URL gives fetch: ``headers`` and ``read1``; after ``stall_at``
    bytes a read times out, as a socket does when a transfer goes silent."""

    def __init__(self, body: bytes, stall_at: int | None = None) -> None:
        super().__init__(body)
        self.headers = {"Content-Length": str(len(body))}
        self.stall_at = stall_at

    def read1(self, n: int = -1) -> bytes:
        if self.stall_at is not None and self.tell() >= self.stall_at:
            raise TimeoutError("timed out")
        return super().read1(n)


def test_imagenet_model_loads_cached_weights_offline(torch_home: list[str]) -> None:
    weights = torchvision.models.ResNet18_Weights.DEFAULT
    state = torchvision.models.resnet18().state_dict()  # random, stands in for the real file
    cached = Path(torch.hub.get_dir()) / "checkpoints" / Path(weights.url).name
    cached.parent.mkdir(parents=True)
    torch.save(state, cached)

    rng_state = torch.get_rng_state()
    loaded = load_imagenet_model("resnet18")
    assert torch_home == []  # served from the cache, no download attempted
    assert torch.equal(torch.get_rng_state(), rng_state)  # global RNG untouched
    assert all(torch.equal(v, state[k]) for k, v in loaded.model.state_dict().items())
    assert not loaded.model.training and loaded.classes == tuple(weights.meta["categories"])
    assert len(loaded.classes) == 1000 and loaded.classes[0] == "tench"
    # The weights' identity, for caches keyed on it (the page's explanations)
    assert loaded.card["sha256"] == hashlib.sha256(cached.read_bytes()).hexdigest()
    image = np.zeros((60, 80, 3), np.uint8)
    x = loaded.preprocess(image)
    assert x.shape == (1, 3, 224, 224)  # resize 256, centre crop 224
    assert x[0, :, 0, 0].tolist() == pytest.approx(
        [-0.485 / 0.229, -0.456 / 0.224, -0.406 / 0.225], abs=1e-5
    )
    np.testing.assert_allclose(loaded.predict(image).sum(), 1.0, atol=1e-5)
    # For Grad-CAM: normalisation alone at the model's input size, no crop that would move a box.
    assert loaded.input_size == 224
    square = np.full((224, 224, 3), 255, np.uint8)
    square[0, 0] = 0
    xn = loaded.normalize(square)
    assert xn.shape == (1, 3, 224, 224)
    assert xn[0, :, 0, 0].tolist() == pytest.approx(
        [-0.485 / 0.229, -0.456 / 0.224, -0.406 / 0.225], abs=1e-5
    )
    assert xn[0, 0, 1, 1].item() == pytest.approx((1 - 0.485) / 0.229, abs=1e-5)


def test_imagenet_model_offline_and_not_cached_raises(torch_home: list[str]) -> None:
    url = torchvision.models.ResNet18_Weights.DEFAULT.url
    with pytest.raises(
        CheckpointError,
        match=(
            r"^could not download resnet18 weights from https://download\.pytorch\.org/models/"
            r"resnet18-f37072fd\.pth: this machine appears to be offline \(no connection to "
            r"download\.pytorch\.org:443: \[Errno -3\] Temporary failure in name resolution\); "
            r"the CIFAR-10 models keep working \(to use "
            r"resnet18 without a download, copy the file to .*resnet18-f37072fd\.pth\)$"
        ),
    ):
        load_imagenet_model("resnet18")
    assert torch_home == ["probe download.pytorch.org:443 5", url]
    assert not (Path(torch.hub.get_dir()) / "checkpoints" / Path(url).name).exists()


def test_imagenet_model_unreachable_host_is_offline_without_a_download(
    torch_home: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Packets dropped (no answer at all): the probe's timeout bounds the wait, and nothing is
    downloaded."""

    def silent(host: str, port: int = 443, *, timeout: float) -> bool:
        torch_home.append(f"probe {host}:{port} {timeout:g}")
        return False

    monkeypatch.setattr(download, "is_online", silent)
    with pytest.raises(
        CheckpointError,
        match=r"appears to be offline \(no connection to "
        r"download\.pytorch\.org:443 within 0\.5 s\); the "
        r"CIFAR-10 models keep working \(to use resnet18 "
        r"without a download, copy the file to "
        r".*resnet18-f37072fd\.pth\)$",
    ):
        load_imagenet_model("resnet18", timeout=0.5)
    assert torch_home == ["probe download.pytorch.org:443 0.5"]


def test_imagenet_model_http_error_is_not_called_offline(
    torch_home: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def forbidden(request: Request, timeout: float) -> None:
        raise HTTPError(request.full_url, 403, "Forbidden", None, None)  # the server says no

    monkeypatch.setattr(download, "_open", forbidden)
    with pytest.raises(
        CheckpointError,
        match=r"server answered HTTP 403 \(Forbidden\); the "
        r"CIFAR-10 models keep working",
    ) as info:
        load_imagenet_model("resnet18")
    assert "offline" not in str(info.value)


def test_imagenet_download_stalled_or_not_the_published_file_is_not_cached(
    torch_home: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real download path, fed by a fake response: a transfer that goes silent gives up with
    a message (torch.hub would hang), and a complete file whose sha256 does not start with the
    prefix in torchvision's file name is refused; neither leaves a file in the cache."""
    buf = io.BytesIO()
    torch.save(torchvision.models.resnet18().state_dict(), buf)  # random: not the published file
    body = buf.getvalue()
    responses = iter([_Response(body, stall_at=1 << 20), _Response(body)])
    timeouts: list[float] = []

    def serve(request: Request, timeout: float) -> _Response:
        timeouts.append(timeout)
        return next(responses)

    monkeypatch.setattr(download, "_open", serve)
    with pytest.raises(
        CheckpointError,
        match=r"resnet18 weights from .*: the transfer stalled "
        r"after 1\.0 MB of 46\.\d MB: nothing arrived for "
        r"2 s; the CIFAR-10 models keep working",
    ):
        load_imagenet_model("resnet18", timeout=2)
    with pytest.raises(
        CheckpointError,
        match=r"the downloaded file is not the expected one \(its "
        r"sha256 starts [0-9a-f]{8}, expected f37072fd\)",
    ):
        load_imagenet_model("resnet18", timeout=2)
    assert timeouts == [2, 2]
    checkpoints = Path(torch.hub.get_dir()) / "checkpoints"
    assert list(checkpoints.iterdir()) == []  # no partial or wrong file under any name


def test_imagenet_model_damaged_cache_and_unknown_name_raise(torch_home: list[str]) -> None:
    url = torchvision.models.ResNet18_Weights.DEFAULT.url
    cached = Path(torch.hub.get_dir()) / "checkpoints" / Path(url).name
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"half a download")
    with pytest.raises(CheckpointError, match=r"resnet18-f37072fd\.pth are damaged; delete"):
        load_imagenet_model("resnet18")
    with pytest.raises(CheckpointError, match="unknown torchvision model 'resnet7'"):
        load_imagenet_model("resnet7")

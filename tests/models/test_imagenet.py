"""Tests for cutmix_core.models.imagenet: torchvision's ImageNet models, offline only.

Nothing here touches the network: the tests put a randomly initialised state dict under the file
name torchvision expects in a temporary ``$TORCH_HOME``, or replace ``_open`` under
cutmix_core.data.download (tests/data/test_download.py runs that module against a real local
server).
"""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path
from urllib.error import HTTPError, URLError
from urllib.request import Request

import numpy as np
import pytest
import torch
import torchvision

from cutmix_core.data import download
from cutmix_core.models import imagenet
from cutmix_core.models.imagenet import WEIGHTS_SHA256, load_imagenet_model
from cutmix_core.models.inference import CheckpointError


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


@pytest.fixture
def unpinned(monkeypatch: pytest.MonkeyPatch) -> None:
    """No pinned sha256, so that a random state dict stands in for the published file."""
    monkeypatch.setattr(imagenet, "WEIGHTS_SHA256", {})


def _cache(state: object) -> Path:
    """``state`` saved where torchvision's resnet18 weights are cached; returns the path."""
    cached = Path(torch.hub.get_dir()) / "checkpoints" / "resnet18-f37072fd.pth"
    cached.parent.mkdir(parents=True, exist_ok=True)
    torch.save(state, cached)
    return cached


def test_imagenet_model_loads_cached_weights_offline(torch_home: list[str], unpinned: None) -> None:
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
        rf"sha256 is [0-9a-f]{{64}}, expected {WEIGHTS_SHA256['resnet18-f37072fd.pth']}\)",
    ):
        load_imagenet_model("resnet18", timeout=2)
    assert timeouts == [2, 2]
    checkpoints = Path(torch.hub.get_dir()) / "checkpoints"
    assert list(checkpoints.iterdir()) == []  # no partial or wrong file under any name


def test_imagenet_model_damaged_cache_and_unknown_name_raise(
    torch_home: list[str], unpinned: None
) -> None:
    url = torchvision.models.ResNet18_Weights.DEFAULT.url
    cached = Path(torch.hub.get_dir()) / "checkpoints" / Path(url).name
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"half a download")
    with pytest.raises(CheckpointError, match=r"f37072fd\.pth are damaged or not plain weights"):
        load_imagenet_model("resnet18")
    with pytest.raises(CheckpointError, match="unknown torchvision model 'resnet7'"):
        load_imagenet_model("resnet7")


def test_the_offered_models_have_full_pinned_sha256s() -> None:
    """Every ImageNet model the app offers is pinned by its file's full sha256, which starts
    with the prefix torchvision puts in the file name."""
    from app_ui.models import IMAGENET_MODELS

    for name in IMAGENET_MODELS:
        file = Path(torchvision.models.get_model_weights(name).DEFAULT.url).name
        pin = WEIGHTS_SHA256[file]
        assert len(pin) == 64 and int(pin, 16) >= 0
        assert pin.startswith(torch.hub.HASH_REGEX.search(file).group(1))


def test_a_cached_file_that_is_not_the_pinned_one_is_refused(torch_home: list[str]) -> None:
    """Copied in by hand or left by another tool: a file under the right name whose sha256 is
    not the pinned one is never loaded; with its own sha256 pinned, the same file loads."""
    state = torchvision.models.resnet18().state_dict()
    cached = _cache(state)
    with pytest.raises(CheckpointError, match=r"are not the published file \(sha256 "):
        load_imagenet_model("resnet18")
    digest = hashlib.sha256(cached.read_bytes()).hexdigest()
    loaded = load_imagenet_model("resnet18", pinned={cached.name: digest})
    assert all(torch.equal(v, state[k]) for k, v in loaded.model.state_dict().items())
    assert torch_home == []  # nothing downloaded either time


class _Payload:
    """Unpickling this calls ``os.mkdir`` on its marker: code a hostile file would run."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.mkdir, (str(self.marker),))


def test_a_pickle_payload_in_the_cached_weights_is_refused_unrun(
    torch_home: list[str], unpinned: None, tmp_path: Path
) -> None:
    """The cached file is read with weights_only=True: a pickled callable in it is refused
    before it runs, even where no pin would catch the file first."""
    marker = tmp_path / "payload-ran"
    state = dict(torchvision.models.resnet18().state_dict())
    state["fc.weight"] = _Payload(marker)  # type: ignore[assignment]
    cached = _cache(state)
    torch.load(cached, weights_only=False)  # the payload is real: a full unpickle runs it
    assert marker.exists()
    marker.rmdir()
    with pytest.raises(CheckpointError, match=r"are damaged or not plain weights; delete"):
        load_imagenet_model("resnet18")
    assert not marker.exists()

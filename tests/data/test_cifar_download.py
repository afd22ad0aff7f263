"""Tests for cutmix_core.data.cifar_download: fetch, extract, reuse and repair, offline."""

from __future__ import annotations

import hashlib
import shutil
import sys
import types
from pathlib import Path

import pytest

from cutmix_core.data import cifar_download
from cutmix_core.data.cifar_download import download_cifar10
from cutmix_core.data.cifar_layouts import TORCHVISION_FOLDER
from cutmix_core.data.cifar_set import CifarError
from cutmix_core.data.download import DownloadError

ARCHIVE_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"


def _md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


@pytest.fixture
def fake_torchvision(monkeypatch, write_batches):
    """A stand-in torchvision: ``CIFAR10``'s file names and md5s, and an ``extract_archive``
    that records its call and runs ``state["behaviour"](root)``, by default writing small batches
    (``state["expected"]``) whose md5s it lists as ``CIFAR10.train_list`` / ``test_list``; and a
    stand-in :func:`cutmix_core.data.download.fetch` that records its call and writes the "archive"
    (tests/data/test_download.py runs the real fetch against local servers)."""
    calls = []
    dataset = types.SimpleNamespace(
        url=ARCHIVE_URL,
        filename="cifar-10-python.tar.gz",
        tgz_md5=hashlib.md5(b"archive").hexdigest(),
        base_folder=TORCHVISION_FOLDER,
        train_list=[],
        test_list=[],
        meta={"filename": "batches.meta", "md5": hashlib.md5(b"meta").hexdigest()},
    )

    def extract(root):
        folder = root / TORCHVISION_FOLDER
        shutil.rmtree(folder, ignore_errors=True)
        state["expected"] = write_batches(folder)
        (folder / "batches.meta").write_bytes(b"meta")
        dataset.train_list = [
            [f"data_batch_{i}", _md5(folder / f"data_batch_{i}")] for i in range(1, 6)
        ]
        dataset.test_list = [["test_batch", _md5(folder / "test_batch")]]

    state = {"behaviour": extract, "dataset": dataset}

    def extract_archive(from_path, to_path):
        calls.append(("extract", Path(from_path), Path(to_path)))
        state["behaviour"](Path(to_path))

    def fetch(url, dst, *, timeout, md5):
        calls.append(("fetch", url, Path(dst), timeout, md5))
        Path(dst).parent.mkdir(parents=True, exist_ok=True)
        Path(dst).write_bytes(b"archive")

    utils = types.ModuleType("torchvision.datasets.utils")
    utils.extract_archive = extract_archive
    datasets = types.ModuleType("torchvision.datasets")
    datasets.CIFAR10, datasets.utils = dataset, utils
    package = types.ModuleType("torchvision")
    package.datasets = datasets
    monkeypatch.setitem(sys.modules, "torchvision", package)
    monkeypatch.setitem(sys.modules, "torchvision.datasets", datasets)
    monkeypatch.setitem(sys.modules, "torchvision.datasets.utils", utils)
    monkeypatch.setattr(cifar_download, "fetch", fetch)
    return calls, state


def test_download_offline_message(monkeypatch, fake_torchvision, tmp_path):
    calls, _ = fake_torchvision

    def offline(url, dst, *, timeout, md5):
        calls.append(("fetch", url))
        raise DownloadError(
            "this machine appears to be offline (no connection to "
            "www.cs.toronto.edu:443 within 0.5 s)",
            offline=True,
        )

    monkeypatch.setattr(cifar_download, "fetch", offline)
    with pytest.raises(
        CifarError,
        match=r"^CIFAR-10 could not be downloaded from https://www\."
        r"cs\.toronto\.edu/~kriz/cifar-10-python\.tar\.gz: this machine appears "
        r"to be offline \(no connection to www\.cs\.toronto\.edu:443 within "
        r"0\.5 s\)\. Use the bundled sample or point CUTMIX_CIFAR10 at a local "
        r"copy\.$",
    ):
        download_cifar10(tmp_path, timeout=0.5)
    assert calls == [("fetch", ARCHIVE_URL)]  # nothing to extract


def test_download_errors_and_missing_torchvision(monkeypatch, fake_torchvision, tmp_path):
    calls, state = fake_torchvision

    def stalled(url, dst, *, timeout, md5):
        raise DownloadError(
            "the transfer stalled after 3.1 MB of 170.5 MB: nothing arrived for 5 s"
        )

    with monkeypatch.context() as m:
        m.setattr(cifar_download, "fetch", stalled)
        with pytest.raises(
            CifarError,
            match=r"^CIFAR-10 could not be downloaded from https://www\."
            r"cs\.toronto\.edu/~kriz/cifar-10-python\.tar\.gz: the transfer stalled "
            r"after 3\.1 MB of 170\.5 MB: nothing arrived for 5 s\. Use the bundled "
            r"sample",
        ):
            download_cifar10(tmp_path)
    assert calls == []  # nothing to extract

    def fail(root):
        raise OSError("disk full")

    state["behaviour"] = fail
    with pytest.raises(
        CifarError,
        match=r"could not be extracted into .* \(OSError: disk full\)\. "
        r"Use the bundled sample",
    ):
        download_cifar10(tmp_path)
    monkeypatch.setitem(sys.modules, "torchvision", None)
    monkeypatch.delitem(sys.modules, "torchvision.datasets")
    with pytest.raises(CifarError, match="torchvision is not installed.*CUTMIX_CIFAR10"):
        download_cifar10(tmp_path)


@pytest.mark.parametrize("split", ["train", "test"])
def test_download_fetches_extracts_and_loads(fake_torchvision, tmp_path, split, check_batches):
    calls, state = fake_torchvision
    root = tmp_path / "data"
    ds = download_cifar10(root, split, timeout=2)
    archive = root / "cifar-10-python.tar.gz"
    assert calls == [
        ("fetch", ARCHIVE_URL, archive, 2, hashlib.md5(b"archive").hexdigest()),
        ("extract", archive, root),
    ]
    check_batches(ds, state["expected"], split)


def test_download_reuses_an_intact_copy_and_repairs_a_damaged_one(
    fake_torchvision, tmp_path, check_batches
):
    """Intact extracted files (by md5): no download (so no network) and no extraction, so reuse
    works offline. A damaged file is extracted again from an intact archive, and a damaged
    archive is fetched again, so that torchvision never downloads (it has no timeout)."""
    calls, state = fake_torchvision
    root = tmp_path / "data"
    folder, archive = root / TORCHVISION_FOLDER, root / "cifar-10-python.tar.gz"
    download_cifar10(root)
    assert [c[0] for c in calls] == ["fetch", "extract"]
    calls.clear()
    check_batches(download_cifar10(root), state["expected"], "test")
    assert calls == []
    (folder / "test_batch").write_bytes(b"half a batch")
    check_batches(download_cifar10(root), state["expected"], "test")
    assert calls == [("extract", archive, root)]
    (folder / "batches.meta").unlink()
    archive.write_bytes(b"half an archive")
    check_batches(download_cifar10(root), state["expected"], "test")
    assert [c[0] for c in calls] == ["extract", "fetch", "extract"]

"""Tests for cutmix_core.data.cifar: every layout on tiny generated data, the bundled sample, errors."""

from __future__ import annotations

import errno
import hashlib
import os
import pickle
import re
import shutil
import struct
import sys
import types
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cutmix_core.data import cifar
from cutmix_core.data.cifar import (
    CLASSES,
    TORCHVISION_FOLDER,
    CifarError,
    CifarSet,
    download_cifar10,
    load_cifar10,
    load_sample,
    random_pair,
    resolve_path,
)
from cutmix_core.data.download import DownloadError

SHARED_CIFAR = Path(__file__).resolve().parents[3] / "shared" / "data" / "cifar10"
STEMS = ["2", "10", "1"]  # written in this order; plain string order reads them as 1, 10, 2
SORTED_STEMS = [1, 10, 2]


def _tile(value: int) -> np.ndarray:
    """A 32x32 image whose red channel identifies it exactly (PNG is lossless)."""
    img = np.zeros((32, 32, 3), dtype=np.uint8)
    img[..., 0], img[..., 1], img[..., 2] = value, 255 - value, 7
    return img


def _png_bytes(img: np.ndarray, fmt: str = "PNG") -> bytes:
    import io

    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format=fmt)
    return buf.getvalue()


def _write_tree(root: Path, prefix: str = "") -> None:
    """<root>/<prefix><class>/<stem>.png with red = 10 * class + stem."""
    for c, cls in enumerate(CLASSES):
        folder = root / prefix / cls
        folder.mkdir(parents=True)
        for stem in STEMS:
            (folder / f"{stem}.png").write_bytes(_png_bytes(_tile(10 * c + int(stem))))
        (folder / ".DS_Store").write_bytes(b"junk")  # hidden and non-image files are ignored
        (folder / "notes.txt").write_text("not an image")


def _write_zip(path: Path, prefix: str = "", offset: int = 0) -> None:
    with zipfile.ZipFile(path, "a") as zf:
        for c, cls in enumerate(CLASSES):
            for stem in STEMS:
                img = _tile(offset + 10 * c + int(stem))
                zf.writestr(f"{prefix}{cls}/{stem}.png", _png_bytes(img))


def _expected_red(offset: int = 0) -> list[int]:
    return [offset + 10 * c + s for c in range(len(CLASSES)) for s in SORTED_STEMS]


def _check_tree_set(ds: CifarSet, offset: int = 0, split: str = "test") -> None:
    assert len(ds) == 30 and ds.split == split
    assert ds.images[:, 0, 0, 0].tolist() == _expected_red(offset)
    assert np.array_equal(ds.images[0], _tile(offset + 1))
    assert ds.labels.tolist() == [c for c in range(10) for _ in STEMS]
    assert ds.indices.tolist() == list(range(30))


def _write_batches(folder: Path, protocol: int = 2, old_numpy: bool = False) -> dict:
    """torchvision's cifar-10-batches-py format with 2 images per train batch and 3 in test."""
    rng = np.random.default_rng(1)
    folder.mkdir(parents=True)
    expected = {}
    sizes = {f"data_batch_{i}": 2 for i in range(1, 6)} | {"test_batch": 3}
    for name, n in sizes.items():
        imgs = rng.integers(0, 256, size=(n, 32, 32, 3), dtype=np.uint8)  # (N, H, W, C)
        labels = rng.integers(0, 10, size=n).tolist()
        batch = {
            b"batch_label": name.encode(),
            b"labels": labels,
            b"data": imgs.transpose(0, 3, 1, 2).reshape(n, 3072),  # rows: 1024 R, 1024 G, 1024 B
            b"filenames": [f"{name}_{k}.png".encode() for k in range(n)],
        }
        blob = pickle.dumps(batch, protocol=protocol)
        if old_numpy:  # how numpy 1.x (and the real CIFAR files) name the array constructor
            blob = blob.replace(b"numpy._core.multiarray", b"numpy.core.multiarray")
        (folder / name).write_bytes(blob)
        expected[name] = (imgs, labels)
    meta = {b"label_names": [c.encode() for c in CLASSES], b"num_cases_per_batch": 10000}
    (folder / "batches.meta").write_bytes(pickle.dumps(meta, protocol=2))
    train = [expected[f"data_batch_{i}"] for i in range(1, 6)]
    return {
        "test": expected["test_batch"],
        "train": (np.concatenate([t[0] for t in train]), sum((t[1] for t in train), [])),
    }


def _check_batches(ds: CifarSet, expected: dict, split: str) -> None:
    imgs, labels = expected[split]
    assert ds.split == split and len(ds) == len(labels)
    assert np.array_equal(ds.images, imgs)
    assert ds.labels.tolist() == labels
    assert ds.indices.tolist() == list(range(len(labels)))


def _tiny_set(labels: list[int]) -> CifarSet:
    n = len(labels)
    images = np.arange(n, dtype=np.uint8)[:, None, None, None] * np.ones((1, 32, 32, 3), np.uint8)
    return CifarSet(images, np.array(labels), np.arange(n) + 100, "test", "tiny")


# --- CifarSet ----------------------------------------------------------------------------------


def test_classes_are_cifar10_in_standard_order():
    assert CLASSES == (
        "airplane",
        "automobile",
        "bird",
        "cat",
        "deer",
        "dog",
        "frog",
        "horse",
        "ship",
        "truck",
    )


def test_set_is_read_only_and_leaves_inputs_untouched():
    images = np.zeros((3, 32, 32, 3), np.uint8)
    labels = np.array([0, 1, 2], dtype=np.int32)
    indices = np.array([5, 6, 7])
    before = (images.copy(), labels.copy(), indices.copy())
    ds = CifarSet(images, labels, indices, "train", "x")
    assert ds.labels.dtype == np.int64 and ds.indices.dtype == np.int64
    for arr in (ds.images, ds.labels, ds.indices):
        with pytest.raises(ValueError, match="read-only"):
            arr[0] = 1
    assert images.flags.writeable and labels.flags.writeable and indices.flags.writeable
    for got, want in zip((images, labels, indices), before):
        assert np.array_equal(got, want)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"images": np.zeros((2, 32, 32), np.uint8)}, r"\(2, 32, 32\)"),
        ({"images": np.zeros((2, 32, 32, 3), np.float32)}, "float32"),
        ({"labels": np.array([0, 1, 2])}, r"labels must be \(2,\).*\(3,\)"),
        ({"labels": np.array([0, 10])}, r"0\.\.10"),
        ({"indices": np.array([0.0, 1.0])}, "indices.*float64"),
        ({"split": "val"}, "'val'"),
    ],
)
def test_set_rejects_bad_fields(kwargs, match):
    fields = {
        "images": np.zeros((2, 32, 32, 3), np.uint8),
        "labels": np.array([0, 1]),
        "indices": np.array([0, 1]),
        "split": "test",
        "source": "x",
    }
    with pytest.raises(ValueError, match=match):
        CifarSet(**(fields | kwargs))


def test_positions_image_and_label():
    ds = _tiny_set([3, 1, 3, 0])
    assert ds.positions_of(3).tolist() == [0, 2]
    assert ds.positions_of(9).tolist() == []
    assert ds.label(2) == 3 and isinstance(ds.label(2), int)
    img = ds.image(1)
    img[:] = 99  # a copy: writable, and the set is unchanged
    assert int(ds.images[1, 0, 0, 0]) == 1
    with pytest.raises(ValueError, match="got 4"):
        ds.image(4)
    with pytest.raises(ValueError, match="got 10"):
        ds.positions_of(10)


# --- local layouts -------------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["test", ""])
def test_class_folder_tree(tmp_path, prefix):
    _write_tree(tmp_path, prefix)
    ds = load_cifar10(tmp_path, split="test")
    _check_tree_set(ds)
    assert str(tmp_path) in ds.source


@pytest.mark.parametrize("prefix", ["test/", ""])
def test_zip_of_tree(tmp_path, prefix):
    _write_zip(tmp_path / "any-name.zip", prefix)
    _check_tree_set(load_cifar10(tmp_path / "any-name.zip"))


def test_zip_with_both_splits_and_folder_holding_it(tmp_path):
    _write_zip(tmp_path / "cifar10-test-jpg.zip", "test/", offset=0)
    _write_zip(tmp_path / "cifar10-test-jpg.zip", "train/", offset=100)
    _check_tree_set(load_cifar10(tmp_path / "cifar10-test-jpg.zip", "test"))
    _check_tree_set(load_cifar10(tmp_path / "cifar10-test-jpg.zip", "train"), 100, "train")
    ds = load_cifar10(tmp_path, "test")  # (d): the folder holding cifar10-test-jpg.zip
    _check_tree_set(ds)
    assert ds.source.endswith("cifar10-test-jpg.zip")


def test_jpeg_and_grayscale_decode_to_rgb(tmp_path):
    for c, cls in enumerate(CLASSES):
        (tmp_path / cls).mkdir()
        color = np.full((32, 32, 3), (20 * c, 100, 200), np.uint8)
        (tmp_path / cls / "a.jpg").write_bytes(_png_bytes(color, "JPEG"))
        Image.new("L", (32, 32), 50 + c).save(tmp_path / cls / "b.JPEG")
    ds = load_cifar10(tmp_path)
    assert ds.images.shape == (20, 32, 32, 3)
    got = ds.images[0::2, 16, 16].astype(int)
    assert np.abs(got - [(20 * c, 100, 200) for c in range(10)]).max() <= 4  # JPEG is lossy
    assert ds.images[1::2, 16, 16, :].tolist() == [[50 + c] * 3 for c in range(10)]


@pytest.mark.parametrize(("protocol", "old_numpy"), [(2, True), (2, False), (5, False)])
@pytest.mark.parametrize("split", ["train", "test"])
def test_torchvision_folder_and_parent(tmp_path, split, protocol, old_numpy):
    expected = _write_batches(tmp_path / "cifar-10-batches-py", protocol, old_numpy)
    _check_batches(load_cifar10(tmp_path / "cifar-10-batches-py", split), expected, split)
    _check_batches(load_cifar10(tmp_path, split), expected, split)


def test_torchvision_pickle_cannot_run_code(tmp_path):
    class Evil:
        def __reduce__(self):
            return (os.mkdir, (str(tmp_path / "pwned"),))

    (tmp_path / "test_batch").write_bytes(pickle.dumps({b"data": Evil()}, protocol=2))
    with pytest.raises(CifarError, match=r"python batch: refusing to load (posix|os)\.mkdir"):
        load_cifar10(tmp_path, "test")
    assert not (tmp_path / "pwned").exists()


def test_torchvision_missing_batch(tmp_path):
    _write_batches(tmp_path / "cifar-10-batches-py")
    (tmp_path / "cifar-10-batches-py" / "data_batch_3").unlink()
    with pytest.raises(CifarError, match="data_batch_3 is missing"):
        load_cifar10(tmp_path, "train")


# --- errors --------------------------------------------------------------------------------------


def test_missing_path(tmp_path):
    with pytest.raises(CifarError, match=r"nowhere does not exist"):
        load_cifar10(tmp_path / "nowhere")


def test_empty_folder_lists_accepted_layouts(tmp_path):
    with pytest.raises(CifarError, match=r"holds nothing.*accepted layouts: torchvision"):
        load_cifar10(tmp_path)


def test_wrong_image_size(tmp_path):
    _write_tree(tmp_path)
    Image.new("RGB", (16, 24)).save(tmp_path / "cat" / "3.png")
    with pytest.raises(
        CifarError, match=r"cat/3\.png is 16x24 pixels; CIFAR-10 images must be 32x"
    ):
        load_cifar10(tmp_path)


def test_missing_class_folder_and_bad_files(tmp_path):
    _write_tree(tmp_path)
    for f in (tmp_path / "deer").iterdir():
        f.unlink()
    with pytest.raises(CifarError, match="no images for class.*deer"):
        load_cifar10(tmp_path)
    (tmp_path / "frog" / "1.png").write_bytes(b"not a png")
    (tmp_path / "deer" / "1.png").write_bytes(_png_bytes(_tile(0)))
    with pytest.raises(CifarError, match=r"cannot decode .*frog/1\.png"):
        load_cifar10(tmp_path)
    (tmp_path / "fake.zip").write_bytes(b"not a zip")
    with pytest.raises(CifarError, match="fake.zip is not a readable zip"):
        load_cifar10(tmp_path / "fake.zip")


def test_zip_without_requested_split(tmp_path):
    _write_zip(tmp_path / "train.zip", "train/")
    with pytest.raises(CifarError, match=r"no test/<class>/.*\['train'\].*accepted layouts"):
        load_cifar10(tmp_path / "train.zip", "test")


def test_truncated_zip(tmp_path):
    _write_zip(tmp_path / "whole.zip", "test/")
    data = (tmp_path / "whole.zip").read_bytes()
    (tmp_path / "cut.zip").write_bytes(data[: len(data) // 2])  # a copy that stopped half-way
    with pytest.raises(
        CifarError,
        match=re.escape(
            f"{tmp_path / 'cut.zip'} is not a readable zip file (zipfile.BadZipFile: File is "
            "not a zip file)"
        ),
    ):
        load_cifar10(tmp_path / "cut.zip")


def test_zip_with_a_damaged_member(tmp_path):
    path = tmp_path / "damaged.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for c, cls in enumerate(CLASSES):
            zf.writestr(f"{cls}/1.png", _png_bytes(_tile(c)))
        info = zf.getinfo("cat/1.png")
    data = bytearray(path.read_bytes())
    name_len, extra_len = struct.unpack("<HH", data[info.header_offset + 26 :][:4])
    start = info.header_offset + 30 + name_len + extra_len  # the member's deflated bytes
    data[start : start + info.compress_size] = b"\xff" * info.compress_size
    path.write_bytes(data)
    with pytest.raises(
        CifarError,
        match=re.escape(
            f"{path}: cannot read cat/1.png (zlib.error: Error -3 while decompressing data: "
            "invalid block type)"
        ),
    ):
        load_cifar10(path)


def test_zip_member_that_ends_early(tmp_path):
    path = tmp_path / "short.zip"
    _write_zip(path)  # stored members, truck/1.png written last
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("truck/1.png")
    data = bytearray(path.read_bytes())
    entry = data.rfind(b"PK\x01\x02")  # the last member's central directory entry
    struct.pack_into("<II", data, entry + 20, info.compress_size + 10**6, info.file_size + 10**6)
    path.write_bytes(data)  # its sizes now promise more bytes than the file holds
    with pytest.raises(
        CifarError,
        match=re.escape(f"{path}: cannot read truck/1.png (EOFError: the data ends early"),
    ):
        load_cifar10(path)


@pytest.mark.skipif(not Path("/dev/null").exists(), reason="no /dev/null")
def test_dev_null():
    with pytest.raises(CifarError, match=r"/dev/null is neither a folder nor a file \(a device"):
        load_cifar10("/dev/null")


def _deny(monkeypatch, method: str, denied: Path) -> None:
    """Make ``Path.<method>`` fail on ``denied`` as an unreadable folder or file does.

    Simulated, because tests may run as root, whom chmod 000 does not stop.
    """
    real = getattr(Path, method)

    def fake(self, *args, **kwargs):
        if self == denied:
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, method, fake)


def test_unreadable_class_folder(tmp_path, monkeypatch):
    _write_tree(tmp_path)
    _deny(monkeypatch, "iterdir", tmp_path / "cat")
    with pytest.raises(
        CifarError,
        match=re.escape(
            f"CIFAR-10 path {tmp_path} could not be read (Permission denied: {tmp_path / 'cat'})"
        ),
    ):
        load_cifar10(tmp_path)


def test_unreadable_image_file(tmp_path, monkeypatch):
    _write_tree(tmp_path)
    file = tmp_path / "cat" / "1.png"
    _deny(monkeypatch, "read_bytes", file)
    with pytest.raises(
        CifarError, match=re.escape(f"{tmp_path}: cannot read {file} (Permission denied: {file})")
    ):
        load_cifar10(tmp_path)


def test_unreadable_torchvision_batch(tmp_path, monkeypatch):
    _write_batches(tmp_path / "cifar-10-batches-py")
    file = tmp_path / "cifar-10-batches-py" / "test_batch"
    _deny(monkeypatch, "open", file)
    with pytest.raises(
        CifarError, match=re.escape(f"{file} could not be read (Permission denied: {file})")
    ):
        load_cifar10(tmp_path, "test")


def _broken_crc(png: bytes) -> bytes:
    data = bytearray(png)
    data[29:33] = b"\0\0\0\0"  # the IHDR chunk's CRC
    return bytes(data)


@pytest.mark.parametrize(
    ("content", "cause"),
    [
        (b"just some text", "not an image file in a format PIL reads"),
        (_png_bytes(_tile(0))[:60], "(OSError: image file is truncated"),
        (_broken_crc(_png_bytes(_tile(0))), "not an image file in a format PIL reads"),
    ],
    ids=["text", "truncated", "bad-crc"],
)
def test_a_non_image_file_in_a_class_folder(tmp_path, content, cause):
    _write_tree(tmp_path)
    file = tmp_path / "cat" / "1.png"
    file.write_bytes(content)
    with pytest.raises(CifarError, match=re.escape(f"{tmp_path}: cannot decode {file}")) as err:
        load_cifar10(tmp_path)
    assert cause in str(err.value)


def test_bad_split_is_value_error(tmp_path):
    with pytest.raises(ValueError, match="'valid'"):
        load_cifar10(tmp_path, "valid")


# --- bundled sample ------------------------------------------------------------------------------


def test_bundled_sample():
    ds = load_sample()
    assert ds.images.shape == (100, 32, 32, 3) and ds.images.dtype == np.uint8
    assert np.bincount(ds.labels, minlength=10).tolist() == [10] * 10
    assert np.all(np.diff(ds.labels) >= 0)  # stored class by class
    assert len(np.unique(ds.indices)) == 100 and ds.indices.min() >= 0 and ds.indices.max() < 10000
    assert ds.split == "test" and ds.source == "bundled sample (100 test images)"
    assert not ds.images.flags.writeable
    assert ds.images.std() > 30  # real pictures, not a blank placeholder


def test_sample_missing_or_corrupt(tmp_path):
    with pytest.raises(CifarError, match=r"none\.npz not found.*make_cifar_sample"):
        load_sample(tmp_path / "none.npz")
    (tmp_path / "garbage.npz").write_bytes(b"\x00" * 100)
    with pytest.raises(CifarError, match=r"garbage\.npz is corrupt"):
        load_sample(tmp_path / "garbage.npz")
    np.savez(tmp_path / "nolabels.npz", images=np.zeros((1, 32, 32, 3), np.uint8))
    with pytest.raises(CifarError, match=r"nolabels\.npz is corrupt"):
        load_sample(tmp_path / "nolabels.npz")


@pytest.fixture(scope="module")
def full_test_split() -> CifarSet:
    if not (SHARED_CIFAR / "cifar10-test-jpg.zip").is_file():
        pytest.skip(f"no CIFAR-10 test zip at {SHARED_CIFAR}")
    return load_cifar10(SHARED_CIFAR, "test")


def test_full_test_split_and_sample_match_it(full_test_split):
    full, sample = full_test_split, load_sample()
    assert len(full) == 10000 and np.bincount(full.labels).tolist() == [1000] * 10
    assert np.array_equal(full.images[sample.indices], sample.images)
    assert np.array_equal(full.labels[sample.indices], sample.labels)


# --- paths, download, pairs ----------------------------------------------------------------------


def test_resolve_path_precedence(tmp_path):
    env = {"CUTMIX_CIFAR10": str(tmp_path / "env")}
    assert resolve_path(str(tmp_path / "ui"), env) == tmp_path / "ui"
    assert resolve_path("  ", env) == tmp_path / "env"
    assert resolve_path(None, env) == tmp_path / "env"
    assert resolve_path(None, {"CUTMIX_CIFAR10": " "}) is None
    assert resolve_path(None, {}) is None
    assert resolve_path("~/x", {}) == Path.home() / "x"


ARCHIVE_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"


def _md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


@pytest.fixture
def fake_torchvision(monkeypatch):
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
        state["expected"] = _write_batches(folder)
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
    monkeypatch.setattr(cifar, "fetch", fetch)
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

    monkeypatch.setattr(cifar, "fetch", offline)
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
        m.setattr(cifar, "fetch", stalled)
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
def test_download_fetches_extracts_and_loads(fake_torchvision, tmp_path, split):
    calls, state = fake_torchvision
    root = tmp_path / "data"
    ds = download_cifar10(root, split, timeout=2)
    archive = root / "cifar-10-python.tar.gz"
    assert calls == [
        ("fetch", ARCHIVE_URL, archive, 2, hashlib.md5(b"archive").hexdigest()),
        ("extract", archive, root),
    ]
    _check_batches(ds, state["expected"], split)


def test_download_reuses_an_intact_copy_and_repairs_a_damaged_one(fake_torchvision, tmp_path):
    """Intact extracted files (by md5): no download (so no network) and no extraction, so reuse
    works offline. A damaged file is extracted again from an intact archive, and a damaged
    archive is fetched again, so that torchvision never downloads (it has no timeout)."""
    calls, state = fake_torchvision
    root = tmp_path / "data"
    folder, archive = root / TORCHVISION_FOLDER, root / "cifar-10-python.tar.gz"
    download_cifar10(root)
    assert [c[0] for c in calls] == ["fetch", "extract"]
    calls.clear()
    _check_batches(download_cifar10(root), state["expected"], "test")
    assert calls == []
    (folder / "test_batch").write_bytes(b"half a batch")
    _check_batches(download_cifar10(root), state["expected"], "test")
    assert calls == [("extract", archive, root)]
    (folder / "batches.meta").unlink()
    archive.write_bytes(b"half an archive")
    _check_batches(download_cifar10(root), state["expected"], "test")
    assert [c[0] for c in calls] == ["extract", "fetch", "extract"]


def test_random_pair_is_seeded_and_crosses_classes():
    ds = _tiny_set([0, 0, 0, 1, 2, 2])
    pairs = [random_pair(ds, rng=np.random.default_rng(s)) for s in range(60)]
    assert pairs == [random_pair(ds, rng=np.random.default_rng(s)) for s in range(60)]
    assert all(isinstance(p, int) and 0 <= p < 6 for pair in pairs for p in pair)
    assert all(ds.label(i) != ds.label(j) for i, j in pairs)
    assert len(set(pairs)) > 10  # not stuck on one pair
    rngs = [np.random.default_rng(s) for s in range(60)]
    same = [random_pair(ds, rng=r, distinct_classes=False) for r in rngs]
    assert all(i != j for i, j in same)
    assert any(ds.label(i) == ds.label(j) for i, j in same)


def test_random_pair_needs_two_images_and_two_classes():
    with pytest.raises(ValueError, match="got 1"):
        random_pair(_tiny_set([3]), rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="'cat'"):
        random_pair(_tiny_set([3, 3]), rng=np.random.default_rng(0))
    assert random_pair(_tiny_set([3, 3]), rng=np.random.default_rng(0), distinct_classes=False) in {
        (0, 1),
        (1, 0),
    }

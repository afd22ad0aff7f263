"""Tests for cutmix_core.data.cifar_layouts: every layout on tiny generated data, and errors."""

from __future__ import annotations

import errno
import io
import os
import pickle
import re
import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cutmix_core.data.cifar_layouts import load_cifar10
from cutmix_core.data.cifar_set import CLASSES, CifarError, CifarSet

STEMS = ["2", "10", "1"]  # written in this order; plain string order reads them as 1, 10, 2
SORTED_STEMS = [1, 10, 2]


def _tile(value: int) -> np.ndarray:
    """A 32x32 image whose red channel identifies it exactly (PNG is lossless)."""
    img = np.zeros((32, 32, 3), dtype=np.uint8)
    img[..., 0], img[..., 1], img[..., 2] = value, 255 - value, 7
    return img


def _png_bytes(img: np.ndarray, fmt: str = "PNG") -> bytes:
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
def test_torchvision_folder_and_parent(
    tmp_path, split, protocol, old_numpy, write_batches, check_batches
):
    expected = write_batches(tmp_path / "cifar-10-batches-py", protocol, old_numpy)
    check_batches(load_cifar10(tmp_path / "cifar-10-batches-py", split), expected, split)
    check_batches(load_cifar10(tmp_path, split), expected, split)


def test_torchvision_pickle_cannot_run_code(tmp_path):
    class Evil:
        def __reduce__(self):
            return (os.mkdir, (str(tmp_path / "pwned"),))

    (tmp_path / "test_batch").write_bytes(pickle.dumps({b"data": Evil()}, protocol=2))
    with pytest.raises(CifarError, match=r"python batch: refusing to load (posix|os)\.mkdir"):
        load_cifar10(tmp_path, "test")
    assert not (tmp_path / "pwned").exists()


def test_torchvision_missing_batch(tmp_path, write_batches):
    write_batches(tmp_path / "cifar-10-batches-py")
    (tmp_path / "cifar-10-batches-py" / "data_batch_3").unlink()
    with pytest.raises(CifarError, match="data_batch_3 is missing"):
        load_cifar10(tmp_path, "train")


# --- errors --------------------------------------------------------------------------------------


def test_missing_path(tmp_path):
    with pytest.raises(CifarError, match=r"nowhere does not exist"):
        load_cifar10(tmp_path / "nowhere")


def test_a_folder_in_no_layout_lists_the_layouts_not_its_contents(tmp_path):
    with pytest.raises(CifarError, match=r"not a CIFAR-10 test copy; accepted layouts: torchv"):
        load_cifar10(tmp_path)
    for name in (".bashrc", ".ssh", "secrets.txt", "id_rsa"):  # what a home folder holds
        (tmp_path / name).write_text("private")
    with pytest.raises(CifarError) as err:
        load_cifar10(tmp_path)
    assert not any(name in str(err.value) for name in ("bashrc", "ssh", "secrets", "id_rsa"))


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
    with zipfile.ZipFile(tmp_path / "train.zip", "a") as zf:
        zf.writestr("private-notes/cat.png", b"x")
    with pytest.raises(CifarError, match=r"no test/<class>/ or <class>/ images; accepted layouts"):
        load_cifar10(tmp_path / "train.zip", "test")
    with pytest.raises(CifarError) as err:  # what the zip holds is never listed
        load_cifar10(tmp_path / "train.zip", "test")
    assert "private-notes" not in str(err.value) and "'train'" not in str(err.value)


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


def test_unreadable_torchvision_batch(tmp_path, monkeypatch, write_batches):
    write_batches(tmp_path / "cifar-10-batches-py")
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
        (b"just some text", "not a JPEG or PNG image file"),
        (_png_bytes(_tile(0))[:60], "(OSError: image file is truncated"),
        (_broken_crc(_png_bytes(_tile(0))), "not a JPEG or PNG image file"),
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


@pytest.mark.parametrize("fmt", ["EPS", "TIFF", "BMP", "GIF"])
def test_class_folder_images_are_opened_only_as_jpeg_or_png(tmp_path, fmt, monkeypatch):
    # An EPS named .png would be handed to Ghostscript by a plain Image.open.
    from PIL import EpsImagePlugin

    def no_ghostscript(*args, **kwargs):
        raise AssertionError("Ghostscript was called")

    monkeypatch.setattr(EpsImagePlugin, "Ghostscript", no_ghostscript)
    _write_tree(tmp_path)
    file = tmp_path / "cat" / "1.png"
    file.write_bytes(_png_bytes(_tile(0), fmt))
    with pytest.raises(CifarError, match=re.escape(f"cannot decode {file}: not a JPEG or PNG")):
        load_cifar10(tmp_path)

"""Tests of app_ui/sources.py: which CIFAR-10 copy a visitor can reach, what the sidebar says
about it, and the bounds on decoding uploads (one cache, a few large decodes at once).

A shared server must not let a visitor choose server paths: the path box exists only when the
server names a root (``$CUTMIX_CIFAR10_ROOT``), a typed path is used only inside it, and every
refusal reads the same, so nobody learns which paths outside it exist or what a folder holds.
"""

from __future__ import annotations

import io
import os
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT, assert_ok, open_app
from PIL import Image

import app_ui.sources as sources
from cutmix_core.data.cifar import CLASSES
from cutmix_core.data.images import Decoded, ImageError
from cutmix_core.defaults import CIFAR_ENV, CIFAR_ROOT_ENV, LARGE_DECODE_PIXELS, LARGE_DECODES

PLAYGROUND = "app_pages/playground.py"
SHARED = ROOT.parent / "shared" / "data" / "cifar10"
SHARED_TEST_ZIP = SHARED / "cifar10-test-jpg.zip"
SECRETS = (".bashrc", "id_rsa", "salaries.xlsx")  # what a server folder might hold


@pytest.fixture(autouse=True)
def _no_server_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in (CIFAR_ENV, CIFAR_ROOT_ENV):
        monkeypatch.delenv(var, raising=False)


def _tree(folder: Path, per_class: int = 2) -> Path:
    """A class-folder CIFAR-10 copy with ``per_class`` 32x32 PNGs per class."""
    for c, cls in enumerate(CLASSES):
        (folder / cls).mkdir(parents=True)
        for i in range(per_class):
            Image.new("RGB", (32, 32), (20 * c, i, 0)).save(folder / cls / f"{i}.png")
    return folder


def _sidebar_text(at) -> str:
    parts = [w.value for w in at.sidebar.warning] + [c.value for c in at.sidebar.caption]
    return "\n".join(parts)


def _in_use(at) -> str:
    return at.sidebar.caption[-1].value


def _type_path(at, text: str):
    at.sidebar.text_input(key="cifar_path").set_value(text).run()
    assert_ok(at)
    return at


# --------------------------------------------------------------------------- no path box


def test_without_a_root_there_is_no_path_box_and_the_sample_is_used() -> None:
    at = open_app(PLAYGROUND)
    assert_ok(at)
    assert not [t for t in at.sidebar.text_input if t.key == "cifar_path"]
    assert _in_use(at) == "In use: bundled sample (100 test images)"
    # Even a path put straight into session state (no widget can) is not read.
    at.session_state["cifar_path"] = "/etc"
    at.run()
    assert_ok(at)
    assert "bundled sample" in _in_use(at) and not at.sidebar.warning


def test_the_servers_copy_is_used_and_its_path_never_shown(tmp_path, monkeypatch) -> None:
    copy = _tree(tmp_path / "private" / "cifar")
    monkeypatch.setenv(CIFAR_ENV, str(copy))
    at = open_app(PLAYGROUND)
    assert_ok(at)
    assert _in_use(at) == "In use: the server's CIFAR-10 copy"
    assert at.number_input(key="a_idx").max == 1  # two images per class: this copy, not the sample
    assert "private" not in _sidebar_text(at)


def test_a_broken_server_copy_warns_without_naming_its_folder(tmp_path, monkeypatch) -> None:
    copy = tmp_path / "private"
    copy.mkdir()
    for name in SECRETS:
        (copy / name).write_text("x")
    monkeypatch.setenv(CIFAR_ENV, str(copy))
    at = open_app(PLAYGROUND)
    assert_ok(at)
    text = _sidebar_text(at)
    assert "is not a CIFAR-10 test copy" in text and "bundled sample" in text
    assert "private" not in text and not any(s in text for s in SECRETS)


def test_the_download_button_uses_the_servers_cache_only(tmp_path, monkeypatch) -> None:
    cache = _tree(tmp_path / "cache")
    calls = []
    monkeypatch.setattr(sources, "DOWNLOAD_ROOT", cache)
    monkeypatch.setattr(sources, "download_cifar10", lambda root, split: calls.append(root))
    at = open_app(PLAYGROUND)
    button = next(b for b in at.sidebar.button if b.label == "Download CIFAR-10")
    assert str(cache) not in button.help and str(Path.home()) not in button.help
    button.click().run()
    assert_ok(at)
    assert calls == [cache]
    assert _in_use(at) == "In use: CIFAR-10 downloaded to the server"
    assert at.number_input(key="a_idx").max == 1


# --------------------------------------------------------------------------- with a root


@pytest.fixture
def root(tmp_path, monkeypatch) -> Path:
    """A server root holding one good copy ("mini"), a folder in no layout, and beside it,
    outside the root, another good copy and a symlink into it."""
    base = tmp_path / "root"
    _tree(base / "mini")
    (base / "junk").mkdir()
    for name in SECRETS:
        (base / "junk" / name).write_text("x")
    _tree(tmp_path / "outside")
    (base / "link").symlink_to(tmp_path / "outside")
    monkeypatch.setenv(CIFAR_ROOT_ENV, str(base))
    return base


def test_a_path_under_the_root_is_used(root: Path) -> None:
    at = _type_path(open_app(PLAYGROUND), "mini")
    assert not at.sidebar.warning
    assert _in_use(at) == "In use: mini (in the server's CIFAR-10 folder)"
    assert at.number_input(key="a_idx").max == 1
    assert str(root) not in _sidebar_text(at)
    _type_path(at, "")
    assert "bundled sample" in _in_use(at) and not at.sidebar.warning


@pytest.mark.parametrize(
    "typed",
    [
        "/etc",  # exists, outside
        "../outside",  # a valid copy, outside by ..
        "link",  # a valid copy, outside through a symlink inside the root
        "mini/../../outside",
        "/nowhere/at/all",  # does not exist, outside
        "missing",  # does not exist, inside
        "~",  # not expanded: no such folder under the root
    ],
)
def test_paths_outside_the_root_missing_or_unreadable_read_alike(root: Path, typed: str) -> None:
    at = _type_path(open_app(PLAYGROUND), typed)
    assert [w.value for w in at.sidebar.warning] == [
        sources.plain(sources.PATH_REFUSED.format(path=typed))
    ]
    assert "bundled sample" in _in_use(at)
    assert str(root.parent) not in _sidebar_text(at)


def test_an_unreadable_folder_reads_like_a_missing_one(root: Path, monkeypatch) -> None:
    real = os.scandir

    def denied(path=".", *args):  # as root, chmod 000 would not stop the tests: simulate it
        if Path(path) == root / "mini":
            raise PermissionError(13, "Permission denied", str(path))
        return real(path, *args)

    monkeypatch.setattr(os, "scandir", denied)
    at = _type_path(open_app(PLAYGROUND), "mini")
    assert [w.value for w in at.sidebar.warning] == [
        sources.plain(sources.PATH_REFUSED.format(path="mini"))
    ]


def test_a_folder_in_no_layout_is_named_as_typed_and_its_contents_never_listed(root) -> None:
    at = _type_path(open_app(PLAYGROUND), "junk")
    text = _sidebar_text(at)
    assert "junk (in the server's CIFAR-10 folder) is not a CIFAR-10 test copy" in text
    assert str(root) not in text and not any(s in text for s in SECRETS)
    assert "bundled sample" in _in_use(at)


def test_markup_in_a_typed_path_is_shown_as_text(root: Path) -> None:
    at = _type_path(open_app(PLAYGROUND), "[x](http://evil) **b**")
    (warning,) = at.sidebar.warning
    assert "\\[x\\](http\\://evil) \\*\\*b\\*\\*" in warning.value


@pytest.mark.skipif(not SHARED_TEST_ZIP.exists(), reason="no CIFAR-10 test zip beside the repo")
def test_the_full_test_split_from_a_zip_under_the_root(monkeypatch) -> None:
    monkeypatch.setenv(CIFAR_ROOT_ENV, str(SHARED))
    at = _type_path(open_app(PLAYGROUND), SHARED_TEST_ZIP.name)
    assert not at.sidebar.warning
    assert at.number_input(key="a_idx").max == 999  # 1,000 test images per class
    at.number_input(key="a_idx").set_value(500).run()
    assert_ok(at)
    # Class folders in CLASSES order, 1,000 each: cat (class 3) #500 is test image 3500.
    assert "test #3500 (cat)" in str(at.image[0].captions)


# --------------------------------------------------------------------------- decoding bounds


def _png(w: int, h: int) -> bytes:
    buf = io.BytesIO()
    Image.new("L", (w, h), 99).save(buf, "PNG")
    return buf.getvalue()


def test_large_decodes_wait_for_one_of_a_few_slots(monkeypatch) -> None:
    running, peak, lock = [0], [0], threading.Lock()

    def slow_decode(data, name, **kwargs):
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.05)
        with lock:
            running[0] -= 1
        return Decoded(np.zeros((1, 1, 3), np.uint8), "PNG", (1, 1))

    monkeypatch.setattr(sources, "decode_image", slow_decode)
    side = int(LARGE_DECODE_PIXELS**0.5) + 1
    large, small = _png(side, side), _png(8, 8)

    def run_all(data: bytes) -> int:
        peak[0] = 0
        threads = [
            threading.Thread(target=sources.decode_now, args=("x.png", (255, 255, 255), data))
            for _ in range(3 * LARGE_DECODES)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return peak[0]

    assert run_all(large) == LARGE_DECODES
    assert run_all(small) > LARGE_DECODES  # small images do not queue


def test_uploads_are_decoded_once_reduced_and_refusals_cached_too(monkeypatch) -> None:
    calls = []
    real = sources.decode_now
    monkeypatch.setattr(sources, "decode_now", lambda *a: calls.append(a[0]) or real(*a))
    big = _png(2000, 1000)
    for _ in range(3):
        out = sources.decode_upload("id-big", "big.png", big, (255, 255, 255))
    assert out.image.shape == (256, 512, 3)  # MAX_SIDE on the longer side
    for _ in range(3):
        with pytest.raises(ImageError, match=r"^notes\.png: not an image"):
            sources.decode_upload("id-bad", "notes.png", b"text", (255, 255, 255))
    assert calls == ["big.png", "notes.png"]


def test_the_decode_cache_keeps_a_bounded_number_of_uploads(monkeypatch) -> None:
    calls = []
    tiny = Decoded(np.zeros((1, 1, 3), np.uint8), "PNG", (1, 1))
    monkeypatch.setattr(sources, "decode_now", lambda *a: calls.append(1) or tiny)
    for i in range(sources.DECODE_CACHE_ENTRIES + 1):
        sources.decode_upload(f"evict-{i}", "x.png", b"x", (0, 0, 0))
    sources.decode_upload("evict-0", "x.png", b"x", (0, 0, 0))  # the oldest was dropped
    assert len(calls) == sources.DECODE_CACHE_ENTRIES + 2


def test_long_names_are_shortened_in_messages() -> None:
    with pytest.raises(ImageError) as err:
        sources.decode_upload("id-long", "n" * 300 + ".png", b"text", (255, 255, 255))
    name = str(err.value).split(": ")[0]
    assert len(name) == 60 and "…" in name and name.endswith("nnn.png")

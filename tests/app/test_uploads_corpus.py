"""The corpus of hostile and odd uploads (tests/corpus.py) through every page that takes uploads.

Every page draws its pickers with ``app_ui.controls.pair_controls``; each test here opens one
session of a page and uploads file after file into it, as a scripted client could (AppTest skips
the browser's own checks), then checks: no exception, the outcome the corpus states (a mix for a
decoded file, one error naming the file for a refused one, the page otherwise whole), names
shown as plain text, and that the next good upload gives a mix again.

Speed (the whole module runs in about 40 s on two cores): the compare page, the cheapest to
rerun, takes every file (refused and decoded interleaved, so each refusal is followed by a good
upload), and every file's bytes again through the camera widget of image A. The playground and
the Models page run models on each mix, so they take every refused file and the decoded files
of :data:`KINDS`: every odd name (the playground captions B with its name), and one of each
kind of shape and mode. The decoder itself takes every file in a test of its own.
"""

from __future__ import annotations

import itertools

import corpus
import numpy as np
import pytest
from conftest import assert_ok, open_app

from app_ui.sources import plain
from cutmix_core.data.images import ImageError, decode_image, name_note
from cutmix_core.data.names import short_name
from cutmix_core.defaults import MAX_SIDE

ENTRIES = corpus.build()
DECODED = [e for e in ENTRIES if e.outcome == corpus.DECODED]
REFUSED = [e for e in ENTRIES if e.outcome == corpus.REFUSED]
GOOD = next(e for e in ENTRIES if e.name == "plain.png")
MIME = "application/octet-stream"  # what a scripted client may claim for anything
#: Decoded files the playground and the Models page take besides every refused one.
KINDS = {
    "playground": ("plain.png", "tall.png", "wide.png", "deep16.png", "clear.png", "rotated.jpg",
                   "bigphoto.jpg", "at-pixel-limit.png", "animated.png"),
    "models": ("one.png", "tall.png", "bigphoto.jpg", "photo.png.exe"),
}  # fmt: skip
ODD_NAMES = [e for e in DECODED if e.group == "names"]


def _interleaved(decoded: list[corpus.Entry] = DECODED) -> list[corpus.Entry]:
    """Refused and decoded files alternating, so that each refusal is followed by a good one
    while there are good ones left."""
    pairs = itertools.zip_longest(REFUSED, decoded)
    return [e for pair in pairs for e in pair if e is not None]


def _expected_error(entry: corpus.Entry) -> str:
    with pytest.raises(ImageError) as err:
        decode_image(entry.data, short_name(entry.name), max_side=MAX_SIDE)
    return str(err.value)


def _check(at, entry: corpus.Entry, *, mixes: int, caption: bool, note: bool) -> None:
    """One upload's outcome on the page ``at`` shows. ``mixes``: the images a mix puts on the
    page; ``caption``: B's image is captioned with its origin; ``note``: a wrong name is said."""
    assert_ok(at)
    if entry.outcome == corpus.REFUSED:
        message = _expected_error(entry)
        assert entry.reason in message, message
        assert message.startswith(short_name(entry.name))
        assert [e.value for e in at.error] == [plain(message)], entry.why
        assert not at.image, entry.why  # the page stopped after the pickers
        return
    assert not at.error, [e.value for e in at.error]
    assert len(at.image) == mixes, entry.why
    fmt = decode_image(entry.data, "x", max_side=MAX_SIDE).format
    said = name_note(short_name(entry.name), fmt) if note else None
    notes = [c.value for c in at.caption if "so it was read as one" in c.value]
    assert notes == ([] if said is None else [plain(said)]), entry.why
    assert (said is not None) == (entry.note and note), entry.why
    if caption:
        assert f"B: upload {plain(short_name(entry.name))}" in at.image[1].captions


def _upload_all(page: str, slot: str, entries, *, mixes: int, caption: bool = False) -> None:
    at = open_app(page)
    at.segmented_control(key=f"{slot}_src").set_value("Upload").run()
    for entry in [*entries, GOOD]:
        at.file_uploader(key=f"{slot}_file").upload(entry.name, entry.data, MIME).run()
        _check(at, entry, mixes=mixes, caption=caption, note=True)
    at.select_slider[0].set_value(0.3).run()  # the rest of the page still works after all that
    assert_ok(at)
    assert len(at.image) == mixes and not at.error


def test_the_corpus_is_large_and_states_every_outcome() -> None:
    assert len(ENTRIES) >= 40 and len(DECODED) >= 20 and len(REFUSED) >= 20
    whys = " ".join(e.why for e in ENTRIES)
    topics = (
        "truncated", "zero bytes", "HTML", "SVG", "zTXt", "iTXt", "ICC", "I;16", "(F)", "CMYK",
        "LAB", "1-bit", "transparency", "animated GIF", "WebP", "APNG", "multi-page", "EXIF",
        "EPS", "PDF", "Photoshop", "ICO", "1x1", "1x5000", "upload limit", "pixel limit",
        "traversal", "markdown", "unicode", "300 characters", "double extension",
        "no extension", ".bin", "upper-case",
    )  # fmt: skip
    for topic in topics:
        assert topic in whys, topic


@pytest.mark.parametrize("entry", ENTRIES, ids=[f"{i:02d}" for i in range(len(ENTRIES))])
def test_each_file_has_the_stated_outcome_in_the_decoder(entry: corpus.Entry) -> None:
    name = short_name(entry.name)
    if entry.outcome == corpus.REFUSED:
        message = _expected_error(entry)
        assert message.startswith(f"{name}: ") and entry.reason in message
        return
    out = decode_image(entry.data, name, max_side=MAX_SIDE)
    assert out.image.dtype == np.uint8 and out.image.ndim == 3 and out.image.shape[2] == 3
    assert max(out.image.shape[:2]) <= MAX_SIDE
    assert (name_note(name, out.format) is not None) == entry.note


def test_refused_files_odd_names_and_each_kind_on_the_playground() -> None:
    chosen = [*ODD_NAMES, *(e for e in DECODED if e.name in KINDS["playground"])]
    assert len(ODD_NAMES) >= 10
    _upload_all("app_pages/playground.py", "b", _interleaved(chosen), mixes=3, caption=True)


def test_every_file_on_the_compare_page_and_through_the_camera() -> None:
    _upload_all("app_pages/compare.py", "cb", _interleaved(), mixes=3)
    at = open_app("app_pages/compare.py")
    at.segmented_control(key="ca_src").set_value("Camera").run()
    for entry in [*_interleaved(), GOOD]:
        # A camera file is always called *.jpg; whatever it holds is decided by content.
        shot = corpus.Entry(
            "snapshot.jpg", entry.data, entry.outcome, entry.why, False, entry.reason
        )
        at.camera_input(key="ca_cam").upload("snapshot.jpg", entry.data).run()
        _check(at, shot, mixes=3, caption=False, note=False)


def test_refused_files_and_each_kind_on_the_models_page() -> None:
    chosen = [e for e in DECODED if e.name in KINDS["models"]]
    _upload_all("app_pages/models.py", "b", _interleaved(chosen), mixes=9)

"""AppTest tests of the occlusion lab: every number shown is recomputed here from the shipped
checkpoints and cutmix_core.views.occlusion_view, never read back from the page."""

from __future__ import annotations

import io

import numpy as np
import pytest
from conftest import assert_ok, open_app
from PIL import Image

from cutmix_core import Box, paths
from cutmix_core.data.cifar import CLASSES, load_sample
from cutmix_core.models.checkpoints import load_checkpoint
from cutmix_core.views.model_view import find_models, to_input
from cutmix_core.views.occlusion_view import (
    fill_image,
    occlude,
    occlusion_line,
    occlusion_map,
    sensitivity_caption,
)

PAGE = "app_pages/occlusion.py"
SHIPPED = find_models(paths.models_dir())
pytestmark = pytest.mark.skipif(not SHIPPED, reason="needs shipped models")
DS = load_sample()


def _image(cls: str, idx: int = 0) -> np.ndarray:
    return DS.image(int(DS.positions_of(CLASSES.index(cls))[idx]))


def _lines(at) -> list[str]:
    return [m.value for m in at.markdown if "with the region hidden" in m.value]


def _expected_lines(a, hidden, label, models=SHIPPED) -> list[str]:
    out = []
    for m in models:
        loaded = load_checkpoint(m.path)
        probs = loaded.predict_input(to_input(loaded, [a, hidden]))
        top1 = loaded.classes[int(np.argmax(probs[1]))]
        out.append(occlusion_line(m.label, CLASSES[label], probs[0, label], probs[1, label], top1))
    return out


def test_default_view_hides_the_centre_in_grey_for_every_model() -> None:
    at = open_app(PAGE)
    assert_ok(at)
    a, b = _image("cat"), _image("dog")
    hidden = occlude(a, Box(8, 24, 8, 24), fill_image(a, "grey"))
    assert _lines(at) == _expected_lines(a, hidden, CLASSES.index("cat"))
    texts = " ".join(str(el.proto) for el in at.image)
    loaded = load_checkpoint(SHIPPED[-1].path)  # one model's map in full; the rest by count
    result = occlusion_map(loaded, a, 3, patch=8, stride=4, fill="grey", other=b)
    captions = [c.value for c in at.main.caption]
    assert sensitivity_caption("cat", result) in captions
    assert sum(c.startswith("Occlusion: mean drop in p(cat)") for c in captions) == len(SHIPPED)
    assert texts.count("Occlusion sensitivity for cat") == len(SHIPPED)
    assert texts.count("Grad-CAM for cat") == len(SHIPPED)
    assert at.query_params["occ_fill"] == "grey"


def test_a_link_sets_the_region_the_fill_and_the_patches() -> None:
    query = {
        "oa_class": "horse",
        "ob_class": "ship",
        "ob_idx": "2",
        "occ_fill": "image",
        "occ_rows": "0-12",
        "occ_cols": "4-30",
        "occ_patch": "12",
        "occ_stride": "10",
    }
    at = open_app(PAGE, query=query)
    assert_ok(at)
    a, b = _image("horse"), _image("ship", 2)
    hidden = occlude(a, Box(0, 12, 4, 30), b)  # the "image B" fill: this is CutMix
    horse = CLASSES.index("horse")
    assert _lines(at) == _expected_lines(a, hidden, horse)
    loaded = load_checkpoint(SHIPPED[0].path)
    result = occlusion_map(loaded, a, horse, patch=12, stride=10, fill="image", other=b)
    assert len(result.boxes) == 9
    assert sensitivity_caption("horse", result) in [c.value for c in at.main.caption]
    # Fewer models: fewer verdicts and maps; the settings stay in the link.
    at.multiselect(key="occ_models").set_value([SHIPPED[0].key]).run()
    assert_ok(at)
    assert (
        len(_lines(at)) == 1 and " ".join(str(el.proto) for el in at.image).count("Grad-CAM") == 1
    )
    assert at.query_params["occ_rows"] == "0-12" and at.query_params["occ_patch"] == "12"


def test_an_upload_is_judged_by_each_models_own_top_1_and_a_bad_file_is_refused() -> None:
    at = open_app(PAGE, query={"occ_patch": "16", "occ_stride": "16"})
    at.multiselect(key="occ_models").set_value([SHIPPED[0].key])
    at.segmented_control(key="oa_src").set_value("Upload").run()
    upload = at.file_uploader(key="oa_file")
    upload.upload("broken.png", b"not an image", "image/png").run()
    assert_ok(at)
    assert any("broken.png" in e.value for e in at.error) and not _lines(at)
    a = _image("frog")
    buf = io.BytesIO()
    Image.fromarray(a).save(buf, "PNG")
    at.file_uploader(key="oa_file").upload("mystery.png", buf.getvalue(), "image/png").run()
    assert_ok(at)
    assert not at.error
    hidden = occlude(a, Box(8, 24, 8, 24), fill_image(a, "grey"))
    expected = []
    for m in SHIPPED[:1]:
        loaded = load_checkpoint(m.path)
        probs = loaded.predict_input(to_input(loaded, [a, hidden]))
        c = int(np.argmax(probs[0]))  # no class named "A": the model's top-1 on A
        top1 = loaded.classes[int(np.argmax(probs[1]))]
        expected.append(occlusion_line(m.label, CLASSES[c], probs[0, c], probs[1, c], top1))
    assert _lines(at) == expected

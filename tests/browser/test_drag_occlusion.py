"""Drawing the hidden region with the mouse in the occlusion lab, in Chromium: a drag on image A
sets the region, and every shipped model's verdict follows to what the library gives for it."""

from __future__ import annotations

import re

import pytest
from browser.drag import default_pair, drag, slider_values
from browser.server import IMAGES_LOADED

from cutmix_core import Box, paths
from cutmix_core.data.cifar import CLASSES
from cutmix_core.models.checkpoints import load_checkpoint
from cutmix_core.views.model_view import find_models, predict_images
from cutmix_core.views.occlusion_view import fill_image, occlude, occlusion_line

try:
    from playwright.sync_api import expect
except ImportError:  # the chromium fixture (conftest.py here) then skips or fails
    expect = None

pytestmark = pytest.mark.browser

SHIPPED = find_models(paths.models_dir())


@pytest.mark.skipif(not SHIPPED, reason="needs the shipped checkpoints")
def test_dragging_on_image_a_hides_that_region_for_every_model(page) -> None:
    page.goto("/occlusion?occ_rows=8-24&occ_cols=8-24")
    # A hidden, then Grad-CAM and the sensitivity map of each shipped model
    page.wait_for_function(IMAGES_LOADED, arg=1 + 2 * len(SHIPPED), timeout=120_000)
    expect(page.get_by_text("A with 256 pixels hidden")).to_be_visible()
    # The same drag as on the playground: from 10% to 50% across and 10% to 60% down.
    drag(page, (0.1, 0.1), (0.5, 0.6))
    expect(page).to_have_url(re.compile(r"occ_rows=3-19&occ_cols=3-16"))
    box = Box(3, 19, 3, 16)
    expect(page.get_by_text(f"A with {box.area} pixels hidden")).to_be_visible()
    assert slider_values(page)[-4:] == ["3", "19", "3", "16"]
    a, b = default_pair()
    hidden = occlude(a, box, fill_image(a, "grey", other=b, seed=0))
    cat = CLASSES.index("cat")
    for m in SHIPPED:
        loaded = load_checkpoint(m.path)
        probs = predict_images(loaded, [a, hidden])
        top1 = loaded.classes[int(probs[1].argmax())]
        line = occlusion_line(m.label, "cat", float(probs[0, cat]), float(probs[1, cat]), top1)
        shown = page.locator('[data-testid="stMarkdownContainer"]').filter(
            has_text=line.replace("**", "")
        )
        expect(shown).to_have_count(1)
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)

"""Drawing the box with the mouse on the Models page in Chromium: a drag on image A sets the
box, and λ_adjusted and both models' predictions follow to what the library gives for it."""

from __future__ import annotations

import re

import pytest
from browser.drag import default_pair, drag, linked_box, metric, slider_values
from browser.server import IMAGES_LOADED

from cutmix_core import cutmix, paths
from cutmix_core.models.checkpoints import load_checkpoint
from cutmix_core.views.describe import mixed_caption, target_story
from cutmix_core.views.model_view import find_models, predict_mix

try:
    from playwright.sync_api import expect
except ImportError:  # the chromium fixture (conftest.py here) then skips or fails
    expect = None

pytestmark = pytest.mark.browser

#: The default left and right models: the shipped baseline and CutMix checkpoints.
SHIPPED = {m.aug: m for m in find_models(paths.models_dir())}


@pytest.mark.skipif(
    not {"none", "cutmix"} <= set(SHIPPED),
    reason="needs the shipped baseline and CutMix checkpoints",
)
def test_dragging_on_image_a_moves_the_box_under_both_models(page) -> None:
    page.goto("/models?mode=box&rows=8-24&cols=8-24")
    # B, the mix, and per model Grad-CAM for A and for B and the localizer's panel; A is the
    # drawer (a chart, not an image). A cold server computes both models' maps first.
    page.wait_for_function(IMAGES_LOADED, arg=8, timeout=120_000)
    expect(page.get_by_text(mixed_caption(0.75))).to_have_count(1)
    # From 10% to 50% across and 10% to 60% down a 32-pixel image: pixel centres 3..15 and
    # 3..18 lie inside (a pixel c spans c - 0.5 .. c + 0.5 on the image's axes).
    drag(page, (0.1, 0.1), (0.5, 0.6))
    expect(page).to_have_url(re.compile(r"rows=3-19&cols=3-16"))
    box = linked_box(page.url)
    a, b = default_pair()
    res = cutmix(a, b, box=box)
    expect(page.get_by_text(mixed_caption(res.lam_adjusted))).to_have_count(1)
    story = target_story(res.lam_adjusted, "cat", "dog").replace("**", "")
    expect(
        page.locator('[data-testid="stMarkdownContainer"]').filter(has_text=story)
    ).to_have_count(1)
    assert [str(v) for v in (box.y0, box.y1, box.x0, box.x1)] == slider_values(page)[-4:]
    p_a, p_b = [], []
    for aug in ("none", "cutmix"):  # left, right
        pm = predict_mix(load_checkpoint(SHIPPED[aug].path), a, b, res.image, class_a=3, class_b=5)
        p_a.append(f"{pm.p_a:.2f}")
        p_b.append(f"{pm.p_b:.2f}")
    expect(metric(page, "p(A: cat)")).to_have_text(p_a)
    expect(metric(page, "p(B: dog)")).to_have_text(p_b)
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)

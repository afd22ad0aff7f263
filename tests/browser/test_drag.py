"""Drawing the box with the mouse in Chromium: a drag on image A sets the box, and the numbers
and the models' predictions follow to what the library gives for that box."""

from __future__ import annotations

import re

import pytest
from browser.drag import default_pair, drag, linked_box, metric, slider_values
from browser.server import IMAGES_LOADED

from cutmix_core import cutmix, paths
from cutmix_core.models.checkpoints import load_checkpoint
from cutmix_core.views.describe import model_says_line
from cutmix_core.views.model_view import find_models, predict_mix

try:
    from playwright.sync_api import expect
except ImportError:  # the chromium fixture (conftest.py here) then skips or fails
    expect = None

pytestmark = pytest.mark.browser


def test_dragging_on_image_a_sets_the_box_and_everything_follows(page) -> None:
    page.goto("/?mode=box&rows=8-24&cols=8-24")
    page.wait_for_function(IMAGES_LOADED, arg=3, timeout=60_000)
    expect(metric(page, "Pixels from B")).to_have_text("256 of 1024")
    # From 10% to 50% across and 10% to 60% down a 32-pixel image: pixel centres 3..15 and
    # 3..18 lie inside (a pixel c spans c - 0.5 .. c + 0.5 on the image's axes).
    drag(page, (0.1, 0.1), (0.5, 0.6))
    expect(page).to_have_url(re.compile(r"rows=3-19&cols=3-16"))
    box = linked_box(page.url)
    a, b = default_pair()
    res = cutmix(a, b, box=box)
    expect(metric(page, "λ adjusted")).to_have_text(f"{res.lam_adjusted:.4f}")
    expect(metric(page, "Pixels from B")).to_have_text(f"{box.area} of 1024")
    assert [str(v) for v in (box.y0, box.y1, box.x0, box.x1)] == slider_values(page)[-4:]
    shipped = {m.aug: m for m in find_models(paths.models_dir())}
    for aug in ("none", "cutmix"):
        if aug not in shipped:
            continue
        loaded = load_checkpoint(shipped[aug].path)
        pm = predict_mix(loaded, a, b, res.image, class_a=3, class_b=5)
        line = model_says_line(shipped[aug].label, "cat", "dog", pm.p_a, pm.p_b, pm.top1)
        expect(
            page.locator('[data-testid="stMarkdownContainer"]').filter(
                has_text=line.replace("**", "")
            )
        ).to_have_count(1)
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)

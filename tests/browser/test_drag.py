"""Drawing the box with the mouse in Chromium: a drag on image A sets the box, and the numbers
and the models' predictions follow to what the library gives for that box."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest
from browser.server import IMAGES_LOADED

from cutmix_core import Box, cutmix, paths
from cutmix_core.data.cifar import CLASSES, load_sample
from cutmix_core.models.checkpoints import load_checkpoint
from cutmix_core.views.describe import model_says_line
from cutmix_core.views.model_view import find_models, predict_mix

try:
    from playwright.sync_api import expect
except ImportError:  # the chromium fixture (conftest.py here) then skips or fails
    expect = None

pytestmark = pytest.mark.browser


def _metric(page, label: str):
    return (
        page.locator('[data-testid="stMetric"]')
        .filter(has_text=label)
        .locator('[data-testid="stMetricValue"]')
    )


def _drag(page, start: tuple[float, float], end: tuple[float, float]) -> None:
    """Drag across the box drawer from and to fractions of its width and height."""
    area = page.locator('[data-testid="stPlotlyChart"] .nsewdrag').first
    area.scroll_into_view_if_needed()
    bb = area.bounding_box()
    assert bb is not None
    (fx0, fy0), (fx1, fy1) = start, end
    x0, y0 = bb["x"] + bb["width"] * fx0, bb["y"] + bb["height"] * fy0
    x1, y1 = bb["x"] + bb["width"] * fx1, bb["y"] + bb["height"] * fy1
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move((x0 + x1) / 2, (y0 + y1) / 2, steps=4)
    page.mouse.move(x1, y1, steps=4)
    page.mouse.up()


def test_dragging_on_image_a_sets_the_box_and_everything_follows(page) -> None:
    page.goto("/?mode=box&rows=8-24&cols=8-24")
    page.wait_for_function(IMAGES_LOADED, arg=3, timeout=60_000)
    expect(_metric(page, "Pixels from B")).to_have_text("256 of 1024")
    # From 10% to 50% across and 10% to 60% down a 32-pixel image: pixel centres 3..15 and
    # 3..18 lie inside (a pixel c spans c - 0.5 .. c + 0.5 on the image's axes).
    _drag(page, (0.1, 0.1), (0.5, 0.6))
    expect(page).to_have_url(re.compile(r"rows=3-19&cols=3-16"))
    query = parse_qs(urlparse(page.url).query)
    (y0, y1), (x0, x1) = (map(int, query[k][0].split("-")) for k in ("rows", "cols"))
    box = Box(y0, y1, x0, x1)
    ds = load_sample()
    a = ds.image(int(ds.positions_of(CLASSES.index("cat"))[0]))
    b = ds.image(int(ds.positions_of(CLASSES.index("dog"))[0]))
    res = cutmix(a, b, box=box)
    expect(_metric(page, "λ adjusted")).to_have_text(f"{res.lam_adjusted:.4f}")
    expect(_metric(page, "Pixels from B")).to_have_text(f"{box.area} of 1024")
    slider_values = page.locator('[data-testid="stSliderThumbValue"]').all_inner_texts()
    assert [str(v) for v in (y0, y1, x0, x1)] == slider_values[-4:]
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

"""Real-browser tests of the playground and the Models page: what only a browser shows
(rendering, the URL, uploads).

One Streamlit server per module, on a free loopback port, driven by Debian's Chromium through
Playwright (fixtures in conftest.py here, the server in server.py). Expected numbers come from
``cutmix_core``, never from the page itself.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from browser.server import IMAGES_LOADED
from browser.steps import open_upload_b

from cutmix_core import MixResult, cutmix, paths
from cutmix_core.data.cifar import CLASSES, load_sample

try:
    from playwright.sync_api import expect
except ImportError:  # the chromium fixture (conftest.py here) then skips or fails
    expect = None

pytestmark = pytest.mark.browser


def _expected(a_class: str, b_class: str, alpha: float, seed: int) -> MixResult:
    """What the playground should show for image #0 of two classes of the bundled sample."""
    ds = load_sample()
    pa = int(ds.positions_of(CLASSES.index(a_class))[0])
    pb = int(ds.positions_of(CLASSES.index(b_class))[0])
    return cutmix(ds.image(pa), ds.image(pb), alpha, rng=np.random.default_rng(seed))


def _metric(page, label: str):
    return (
        page.locator('[data-testid="stMetric"]')
        .filter(has_text=label)
        .locator('[data-testid="stMetricValue"]')
    )


def _no_exception(page) -> None:
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)


def _wait_for_images(page, n: int = 3) -> None:
    page.wait_for_function(IMAGES_LOADED, arg=n)


def _expect_mix(page, res: MixResult) -> None:
    expect(_metric(page, "λ sampled")).to_have_text(f"{res.lam:.4f}")
    expect(_metric(page, "λ adjusted")).to_have_text(f"{res.lam_adjusted:.4f}")
    expect(_metric(page, "Pixels from B")).to_have_text(f"{res.box.area} of 1024")


def test_playground_renders_images_metrics_and_charts(page) -> None:
    page.goto("/")
    _wait_for_images(page)
    _expect_mix(page, _expected("cat", "dog", 1.0, 0))
    expect(page.locator('[data-testid="stPlotlyChart"]')).to_have_count(2)
    for chart in page.locator('[data-testid="stPlotlyChart"]').all():
        expect(chart.locator(".main-svg").first).to_be_visible()  # drawn, not just mounted
    _no_exception(page)
    assert page.js_errors == []


def test_resample_and_alpha_slider_update_metrics_and_url(page) -> None:
    page.goto("/")
    _expect_mix(page, _expected("cat", "dog", 1.0, 0))
    page.get_by_role("button", name="Resample").click()
    _expect_mix(page, _expected("cat", "dog", 1.0, 1))
    expect(page).to_have_url(re.compile(r"[?&]seed=1(&|$)"))

    slider = page.get_by_role("slider")  # α is the only slider in "sample" mode
    expect(slider).to_have_count(1)
    slider.focus()
    page.keyboard.press("ArrowRight")  # α: 1.0 -> 1.5, the next value of ALPHAS
    _expect_mix(page, _expected("cat", "dog", 1.5, 1))
    expect(page).to_have_url(re.compile(r"[?&]alpha=1\.5(&|$)"))
    expect(page).to_have_url(re.compile(r"[?&]seed=1(&|$)"))
    _no_exception(page)


def test_a_link_reopens_exactly_what_the_library_computes(page) -> None:
    page.goto("/?a_class=horse&b_class=ship&alpha=0.3&seed=42&mode=sample")
    _expect_mix(page, _expected("horse", "ship", 0.3, 42))
    expect(page.locator(".st-key-a_class").get_by_role("combobox")).to_have_value("horse")
    expect(page.locator(".st-key-b_class").get_by_role("combobox")).to_have_value("ship")
    expect(page.locator('[data-testid="stAlertContentWarning"]')).to_have_count(0)
    _no_exception(page)


def test_a_malformed_link_warns_and_still_renders(page) -> None:
    page.goto("/?alpha=abc")
    expect(page.locator('[data-testid="stAlertContentWarning"]')).to_contain_text(
        "could not be used"
    )
    _wait_for_images(page)
    _expect_mix(page, _expected("cat", "dog", 1.0, 0))  # α fell back to its default
    _no_exception(page)


def test_uploading_a_non_image_shows_an_error_naming_the_file(page) -> None:
    file_input = open_upload_b(page)
    file_input.set_input_files(
        {"name": "notes.png", "mimeType": "image/png", "buffer": b"not an image"}
    )
    expect(page.locator('[data-testid="stAlertContentError"]')).to_contain_text("notes.png")
    _no_exception(page)


def test_models_page_shows_predictions_and_grad_cams(page) -> None:
    from cutmix_core.models.checkpoints import load_checkpoint
    from cutmix_core.views.model_view import explain_mix, find_models

    shipped = {m.aug: m for m in find_models(paths.models_dir())}
    if not {"none", "cutmix"} <= set(shipped):
        pytest.skip("needs the shipped baseline and CutMix checkpoints")
    page.goto("/models?seed=3")
    _wait_for_images(page, 9)  # A, B, the mix, Grad-CAM for A and B per model, the localizer
    res = _expected("cat", "dog", 1.0, 3)
    ds = load_sample()
    a, b = (ds.image(int(ds.positions_of(CLASSES.index(c))[0])) for c in ("cat", "dog"))
    values = (
        page.locator('[data-testid="stMetric"]')
        .filter(has_text="p(A: cat)")
        .locator('[data-testid="stMetricValue"]')
    )
    expect(values).to_have_count(2)
    for i, aug in enumerate(("none", "cutmix")):
        ex = explain_mix(
            load_checkpoint(shipped[aug].path), a, b, res.image, res.box, class_a=3, class_b=5
        )
        expect(values.nth(i)).to_have_text(f"{ex.p_a:.2f}")
    # By the chart's title: axis titles of other charts ("... on the mixed image") also match
    # a plain text filter.
    mixed_charts = page.locator('[data-testid="stPlotlyChart"]').filter(
        has=page.locator(".gtitle", has_text=re.compile(r"^On the mixed image$"))
    )
    expect(mixed_charts).to_have_count(2)
    for chart in mixed_charts.all():
        expect(chart.locator(".main-svg").first).to_be_visible()
    _no_exception(page)
    assert page.js_errors == []

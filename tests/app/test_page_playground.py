"""AppTest tests of the app shell and the playground page (the first page)."""

from __future__ import annotations

import io

import numpy as np
import pytest
from conftest import APP, chart_traces
from conftest import assert_ok as _ok
from conftest import metrics as _metrics
from PIL import Image
from streamlit.testing.v1 import AppTest

from cutmix_core import Box, box_from_center, cutmix, soft_label
from cutmix_core.data.cifar import CLASSES, load_sample
from cutmix_core.data.images import fit_pair, limit_side, load_image

TIMEOUT = 90


def _app() -> AppTest:
    return AppTest.from_file(APP, default_timeout=TIMEOUT)


def _png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def _jpeg(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=95)
    return buf.getvalue()


def _expected(a_class: str, b_class: str, alpha: float, seed: int):
    ds = load_sample()
    pa = int(ds.positions_of(CLASSES.index(a_class))[0])
    pb = int(ds.positions_of(CLASSES.index(b_class))[0])
    return cutmix(ds.image(pa), ds.image(pb), alpha, rng=np.random.default_rng(seed))


def _bars(chart) -> dict:
    return chart_traces(chart)[0]


@pytest.fixture(scope="module")
def started() -> AppTest:
    at = _app().run()
    _ok(at)
    return at


def test_app_starts_and_shows_the_default_mix(started: AppTest) -> None:
    res = _expected("cat", "dog", 1.0, 0)
    metrics = _metrics(started)
    assert metrics["λ sampled"] == f"{res.lam:.4f}"
    assert metrics["λ adjusted (weight of A's label)"] == f"{res.lam_adjusted:.4f}"
    assert metrics["Pixels from B"] == f"{res.box.area} of 1024"
    assert len(started.image) == 3
    assert not started.error
    assert f"rows {res.box.y0}–{res.box.y1}" in started.markdown[-1].value or any(
        f"rows {res.box.y0}–{res.box.y1}" in m.value for m in started.markdown
    )


def test_soft_label_chart_matches_lam_adjusted(started: AppTest) -> None:
    res = _expected("cat", "dog", 1.0, 0)
    charts = started.get("plotly_chart")
    assert len(charts) == 2
    bars = _bars(charts[1])
    expected = soft_label(CLASSES.index("cat"), CLASSES.index("dog"), res.lam_adjusted, 10)
    assert list(bars["x"]) == list(CLASSES)
    np.testing.assert_allclose(np.asarray(bars["y"]), expected)


@pytest.mark.parametrize(
    ("a_class", "b_class", "alpha", "seed"),
    [("airplane", "truck", 0.2, 5), ("frog", "ship", 5.0, 11)],
)
def test_cifar_picks_alpha_and_seed(a_class: str, b_class: str, alpha: float, seed: int) -> None:
    at = _app().run()
    before = _metrics(at)
    at.selectbox(key="a_class").set_value(a_class)
    at.selectbox(key="b_class").set_value(b_class)
    at.select_slider(key="alpha").set_value(alpha)
    at.number_input(key="seed").set_value(seed)
    at.run()
    _ok(at)
    res = _expected(a_class, b_class, alpha, seed)
    after = _metrics(at)
    assert after["λ sampled"] == f"{res.lam:.4f}"
    assert after["Pixels from B"] == f"{res.box.area} of 1024"
    assert after != before


def test_changing_alpha_or_seed_moves_the_box() -> None:
    at = _app().run()
    boxes = set()
    for seed in range(4):
        at.number_input(key="seed").set_value(seed).run()
        boxes.add(_metrics(at)["Pixels from B"] + _box_text(at))
    at.select_slider(key="alpha").set_value(0.05).run()
    boxes.add(_metrics(at)["Pixels from B"] + _box_text(at))
    assert len(boxes) >= 4


def _box_text(at: AppTest) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("**Box:**"))


def test_resample_button_advances_the_seed() -> None:
    at = _app().run()
    at.button[0].click().run()  # "🎲 Resample" is the first button on the page
    _ok(at)
    assert at.number_input(key="seed").value == 1
    res = _expected("cat", "dog", 1.0, 1)
    assert _metrics(at)["λ sampled"] == f"{res.lam:.4f}"


def test_random_pair_is_seeded_and_of_two_classes() -> None:
    at = _app().run()
    button = next(b for b in at.button if b.label == "Random CIFAR-10 pair")
    button.click().run()
    _ok(at)
    first = (at.selectbox(key="a_class").value, at.selectbox(key="b_class").value)
    assert first[0] != first[1]
    again = _app().run()
    next(b for b in again.button if b.label == "Random CIFAR-10 pair").click().run()
    assert (again.selectbox(key="a_class").value, again.selectbox(key="b_class").value) == first


def test_two_uploads_of_different_sizes_and_modes() -> None:
    rgba = Image.new("RGBA", (40, 30), (255, 0, 0, 0))  # fully transparent: becomes white
    grey = Image.linear_gradient("L").resize((64, 48))
    data_a, data_b = _png(rgba), _jpeg(grey)
    at = _app().run()
    at.segmented_control(key="a_src").set_value("Upload")
    at.segmented_control(key="b_src").set_value("Upload")
    at.run()
    at.file_uploader(key="a_file").upload("clear.png", data_a, "image/png")
    at.file_uploader(key="b_file").upload("grey.jpg", data_b, "image/jpeg")
    at.text_input(key="b_name").set_value("gradient")
    at.run()
    _ok(at)
    assert not at.error, [e.value for e in at.error]
    img_a = limit_side(load_image(data_a, "clear.png"))
    img_b = limit_side(load_image(data_b, "grey.jpg"))
    fa, fb = fit_pair(img_a, img_b)
    res = cutmix(fa, fb, 1.0, rng=np.random.default_rng(0))
    assert fa.shape == (30, 40, 3) and (fa == 255).all()
    metrics = _metrics(at)
    assert metrics["Pixels from B"] == f"{res.box.area} of {30 * 40}"
    assert metrics["λ adjusted (weight of A's label)"] == f"{res.lam_adjusted:.4f}"
    assert len(at.image) == 3
    # Uploads are labelled by the names typed in, default "A" for the first.
    bars = _bars(at.get("plotly_chart")[1])
    assert list(bars["x"]) == ["A", "gradient"]


def test_a_bad_file_gives_a_clear_error_and_the_page_keeps_working() -> None:
    at = _app().run()
    at.segmented_control(key="b_src").set_value("Upload").run()
    at.file_uploader(key="b_file").upload("notes.png", b"this is not an image", "image/png")
    at.run()
    _ok(at)
    assert len(at.error) == 1
    assert "notes.png" in at.error[0].value
    # Image A's picker and the controls still work.
    at.selectbox(key="a_class").set_value("ship").run()
    _ok(at)
    assert at.selectbox(key="a_class").value == "ship"


def test_manual_lambda_and_manual_box() -> None:
    at = _app().run()
    at.radio(key="mode").set_value("lambda").run()
    at.slider(key="lam").set_value(0.5)
    at.slider(key="cy").set_value(0)
    at.slider(key="cx").set_value(0)
    at.run()
    _ok(at)
    box = box_from_center(32, 32, 0.5, 0, 0)
    assert _metrics(at)["λ set by hand"] == "0.5000" and "λ sampled" not in _metrics(at)
    assert _metrics(at)["λ adjusted (weight of A's label)"] == f"{1 - box.area / 1024:.4f}"
    assert "clipped" in at.info[0].value
    at.radio(key="mode").set_value("box").run()
    at.slider(key="rows").set_value((0, 16))
    at.slider(key="cols").set_value((4, 12))
    at.run()
    _ok(at)
    assert (
        _metrics(at)["λ adjusted (weight of A's label)"]
        == f"{1 - Box(0, 16, 4, 12).area / 1024:.4f}"
    )
    assert _metrics(at)["λ sampled"] == "—"


def test_link_round_trip_reopens_the_same_view() -> None:
    at = _app().run()
    at.selectbox(key="a_class").set_value("horse")
    at.number_input(key="b_idx").set_value(3)
    at.select_slider(key="alpha").set_value(0.3)
    at.number_input(key="seed").set_value(42)
    at.run()
    _ok(at)
    query = {k: (v[-1] if isinstance(v, list) else v) for k, v in at.query_params.items()}
    assert query["a_class"] == "horse" and query["seed"] == "42"
    fresh = _app()
    for key, value in query.items():
        fresh.query_params[key] = value
    fresh.run()
    _ok(fresh)
    assert not fresh.warning
    assert _metrics(fresh) == _metrics(at)
    assert fresh.selectbox(key="a_class").value == "horse"
    assert fresh.number_input(key="b_idx").value == 3


def test_malformed_link_falls_back_with_a_notice() -> None:
    at = _app()
    at.query_params["alpha"] = "abc"
    at.query_params["seed"] = "-4"
    at.query_params["mode"] = "sample"
    at.run()
    _ok(at)
    assert len(at.warning) == 1
    assert "alpha" in at.warning[0].value and "seed" in at.warning[0].value
    res = _expected("cat", "dog", 1.0, 0)
    assert _metrics(at)["λ sampled"] == f"{res.lam:.4f}"


def test_a_link_index_beyond_the_set_in_use_says_so() -> None:
    at = _app()
    at.query_params.update({"a_class": "horse", "a_idx": "5000"})
    at.run()
    _ok(at)
    warnings = " ".join(w.value for w in at.warning)
    assert "image 5000 of class horse is not in the set in use" in warnings
    assert at.number_input(key="a_idx").value == 0

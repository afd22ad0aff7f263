"""AppTest tests of the Models and Grad-CAM page, against the checkpoints shipped in assets/.

Every number the page shows is recomputed here with the library (load_checkpoint, cutmix,
explain_mix, localize, the cards' histories), so a page that showed the wrong model, box,
class, threshold or curve would fail.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from urllib.error import URLError
from urllib.request import Request

import numpy as np
import pytest
import torch
import torchvision
from conftest import ROOT, assert_ok, chart_traces, open_app
from PIL import Image

from app_ui.models import forget_imagenet
from cutmix_core import Box, cutmix, paths
from cutmix_core.data import download
from cutmix_core.data.cifar import CLASSES, load_sample
from cutmix_core.data.images import fit_pair, limit_side, load_image
from cutmix_core.evaluation.report import load_report, save_report
from cutmix_core.evaluation.run import evaluate, load_models
from cutmix_core.models import imagenet
from cutmix_core.models.checkpoints import (
    build_model,
    load_checkpoint,
    load_imagenet_model,
    save_checkpoint,
)
from cutmix_core.models.localize import FRACTION, localize
from cutmix_core.views.describe import mixed_caption, target_story
from cutmix_core.views.evaluation_figures import display_rows
from cutmix_core.views.localize_text import (
    localizer_caption,
    localizer_method,
    report_localizer_caption,
)
from cutmix_core.views.model_view import explain_mix, find_models, mass_text, predict_mix
from cutmix_core.views.training_view import training_caption, training_curves

PAGE = "app_pages/models.py"
# The models the app uses: assets/models, or the folder $CUTMIX_MODELS names.
SHIPPED = {m.aug: m for m in find_models(paths.models_dir())}
needs_models = pytest.mark.skipif(
    not {"none", "cutmix"} <= set(SHIPPED),
    reason="needs the shipped baseline and CutMix checkpoints",
)


def _pair(a_class: str = "cat", b_class: str = "dog") -> tuple[np.ndarray, np.ndarray]:
    ds = load_sample()
    return tuple(ds.image(int(ds.positions_of(CLASSES.index(c))[0])) for c in (a_class, b_class))


def _columns(at) -> list[dict[str, str]]:
    """Metrics of each model column, in page order (three per column)."""
    ms = [(m.label, m.value) for m in at.metric]
    return [dict(ms[i : i + 3]) for i in range(0, len(ms), 3)]


def _image_captions(at) -> list[str]:
    return [img.caption for el in at.image for img in el.proto.imgs]


def _expected(
    aug: str,
    a: np.ndarray,
    b: np.ndarray,
    seed: int,
    alpha: float = 1.0,
    class_a: int | None = 3,
    class_b: int | None = 5,
):
    res = cutmix(a, b, alpha, rng=np.random.default_rng(seed))
    loaded = load_checkpoint(SHIPPED[aug].path)
    return res, explain_mix(loaded, a, b, res.image, res.box, class_a=class_a, class_b=class_b)


@needs_models
def test_default_view_compares_baseline_and_cutmix() -> None:
    at = open_app(PAGE)
    assert_ok(at)
    assert [h.value for h in at.subheader][:2] == [SHIPPED["none"].label, SHIPPED["cutmix"].label]
    a, b = _pair()
    for col, aug in zip(_columns(at), ("none", "cutmix")):
        _, ex = _expected(aug, a, b, seed=0)
        assert col["p(A: cat)"] == f"{ex.p_a:.2f}"
        assert col["p(B: dog)"] == f"{ex.p_b:.2f}"
        assert col["A and B are the top 2"] == ("yes" if ex.both_in_top2 else "no")
    # Grad-CAM panels carry the share of each map inside the box, per model.
    texts = " ".join(str(el.proto) for el in at.image)
    for aug in ("none", "cutmix"):
        _, ex = _expected(aug, a, b, seed=0)
        assert f"Grad-CAM for B (dog): {mass_text(ex.mass_b_inside)}" in texts
        assert f"Grad-CAM for A (cat): {mass_text(ex.mass_a_inside)}" in texts
    # Where each model thinks B is: the localizer's box from B's map, at CAM's 20% by default.
    captions = _image_captions(at)
    for aug in ("none", "cutmix"):
        res, ex = _expected(aug, a, b, seed=0)
        assert localizer_caption(localize(ex.cam_b, res.box, FRACTION), "dog") in captions
    assert [c.value for c in at.caption].count(localizer_method(FRACTION)) == 2
    # The sweep: per model p(B) as the box grows, ending at p(B) on B alone.
    sweep = next(c for c in at.get("plotly_chart") if "As the pasted box grows" in c.proto.spec)
    traces = chart_traces(sweep)
    for i, aug in enumerate(("none", "cutmix")):
        loaded = load_checkpoint(SHIPPED[aug].path)
        assert traces[2 + 2 * i]["y"][-1] == pytest.approx(loaded.predict(b)[0, 5], abs=1e-6)


@needs_models
def test_the_same_model_on_both_sides() -> None:
    key = SHIPPED["cutmix"].key
    at = open_app(PAGE, query={"left": key, "right": key, "seed": "5"})
    assert_ok(at)
    assert [h.value for h in at.subheader][:2] == [SHIPPED["cutmix"].label] * 2
    left, right = _columns(at)[:2]
    assert left == right
    _, ex = _expected("cutmix", *_pair(), seed=5)
    assert left["p(B: dog)"] == f"{ex.p_b:.2f}"


def _assert_box_drives_the_page(at, box: Box) -> None:
    """Every number downstream of the box is the library's for ``box`` on cat + dog: λ_adjusted
    (the mix's caption and the target story), both columns' predictions, Grad-CAM shares, the
    localizer and the sweep's marker."""
    assert_ok(at)
    a, b = _pair()
    res = cutmix(a, b, box=box)
    assert res.box == box
    assert mixed_caption(res.lam_adjusted) in _image_captions(at)
    assert target_story(res.lam_adjusted, "cat", "dog") in [m.value for m in at.markdown]
    texts = " ".join(str(el.proto) for el in at.image)
    for col, aug in zip(_columns(at), ("none", "cutmix")):
        loaded = load_checkpoint(SHIPPED[aug].path)
        pm = predict_mix(loaded, a, b, res.image, class_a=3, class_b=5)
        assert col["p(A: cat)"] == f"{pm.p_a:.2f}" and col["p(B: dog)"] == f"{pm.p_b:.2f}"
        ex = explain_mix(loaded, a, b, res.image, box, class_a=3, class_b=5)
        assert f"Grad-CAM for B (dog): {mass_text(ex.mass_b_inside)}" in texts
        assert localizer_caption(localize(ex.cam_b, box, FRACTION), "dog") in _image_captions(at)
    sweep = next(c for c in at.get("plotly_chart") if "As the pasted box grows" in c.proto.spec)
    (marker,) = json.loads(sweep.proto.spec)["layout"]["shapes"]
    assert marker["x0"] == pytest.approx(1 - res.lam_adjusted)


@needs_models
def test_a_box_in_the_link_drives_the_mix_and_both_models() -> None:
    at = open_app(PAGE, query={"mode": "box", "rows": "4-20", "cols": "10-30", "seed": "3"})
    _assert_box_drives_the_page(at, Box(4, 20, 10, 30))
    assert not at.warning, [w.value for w in at.warning]
    assert at.slider(key="rows").value == (4, 20) and at.slider(key="cols").value == (10, 30)
    assert at.select_slider(key="alpha").disabled  # α samples nothing while the box is drawn
    # The box drawer shows image A with the box (plotly's rect over pixel edges).
    drawer = next(c for c in at.get("plotly_chart") if '"dragmode":"select"' in c.proto.spec)
    (rect,) = json.loads(drawer.proto.spec)["layout"]["shapes"]
    assert (rect["x0"], rect["x1"], rect["y0"], rect["y1"]) == (9.5, 29.5, 3.5, 19.5)


@needs_models
def test_the_box_sliders_set_the_box_and_the_link_reopens_it() -> None:
    at = open_app(PAGE)
    at.radio(key="mode").set_value("box").run()
    _assert_box_drives_the_page(at, Box(8, 24, 8, 24))  # the sliders' starting box
    at.slider(key="rows").set_value((0, 16))
    at.slider(key="cols").set_value((16, 32)).run()
    _assert_box_drives_the_page(at, Box(0, 16, 16, 32))
    link = {k: at.query_params[k] for k in ("mode", "rows", "cols")}
    assert link == {"mode": "box", "rows": "0-16", "cols": "16-32"}
    shown = _columns(at)
    reopened = open_app(PAGE, query=dict(at.query_params))
    _assert_box_drives_the_page(reopened, Box(0, 16, 16, 32))
    assert _columns(reopened) == shown


def test_without_checkpoints_the_page_says_how_to_train_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No shipped models: both sides default to the ImageNet model, which offline gives a
    message per side (same model twice must not collide), and the page still runs."""
    monkeypatch.setenv("CUTMIX_MODELS", str(tmp_path / "none-here"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    monkeypatch.setattr(torch.hub, "download_url_to_file", lambda *a, **k: pytest.fail("download"))
    monkeypatch.setattr(download, "_open", lambda *a, **k: pytest.fail("download"))
    monkeypatch.setattr(download, "is_online", lambda host, port=443, *, timeout: False)
    forget_imagenet()
    try:
        at = open_app(PAGE)
    finally:
        forget_imagenet()
    assert_ok(at)
    warnings = [w.value for w in at.warning]
    assert any("scripts/train_shipped.sh" in w for w in warnings)
    assert (
        sum(
            bool(
                re.search(
                    r"offline \(no connection to .*\); the CIFAR-10 models keep "
                    r"working",
                    w,
                )
            )
            for w in warnings
        )
        == 2
    )


@needs_models
def test_link_chooses_models_pair_and_seed() -> None:
    others = [aug for aug in ("mixup", "cutout", "cutmix", "none") if aug in SHIPPED][:2]
    query = {
        "a_class": "horse",
        "b_class": "ship",
        "seed": "7",
        "alpha": "0.5",
        "left": SHIPPED[others[0]].key,
        "right": SHIPPED[others[1]].key,
        "cam_fraction": "0.55",
    }
    at = open_app(PAGE, query=query)
    assert_ok(at)
    assert not at.warning, [w.value for w in at.warning]
    assert [h.value for h in at.subheader][:2] == [SHIPPED[o].label for o in others]
    a, b = _pair("horse", "ship")
    for col, aug in zip(_columns(at), others):
        res, ex = _expected(aug, a, b, seed=7, alpha=0.5, class_a=7, class_b=8)
        assert col["p(A: horse)"] == f"{ex.p_a:.2f}" and col["p(B: ship)"] == f"{ex.p_b:.2f}"
        loc = localize(ex.cam_b, res.box, 0.55)
        assert localizer_caption(loc, "ship") in _image_captions(at)
    assert at.slider(key="cam_fraction").value == 0.55
    assert localizer_method(0.55) in [c.value for c in at.caption]
    assert at.query_params["right"] == SHIPPED[others[1]].key  # the share link keeps it
    assert at.query_params["cam_fraction"] == "0.55"


@needs_models
def test_imagenet_offline_gives_a_message_and_cifar_models_keep_working(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    tried: list[str] = []

    def offline(request: Request, timeout: float) -> None:
        tried.append(request.full_url)
        raise URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(download, "_open", offline)
    # the connection probe passes, the download itself fails
    monkeypatch.setattr(download, "is_online", lambda host, port=443, *, timeout: True)
    forget_imagenet()  # the app caches a load (or its failure) per server process
    at = open_app(
        PAGE, query={"left": SHIPPED["none"].key, "right": "imagenet:resnet50", "seed": "11"}
    )
    assert_ok(at)
    assert tried == [torchvision.models.ResNet50_Weights.DEFAULT.url]
    warning = " ".join(w.value for w in at.warning)
    assert re.search(
        r"resnet50 weights.*offline \(.*name resolution\); the CIFAR-10 models keep "
        r"working",
        warning,
    )
    a, b = _pair()
    _, ex = _expected("none", a, b, seed=11)
    assert _columns(at)[0]["p(A: cat)"] == f"{ex.p_a:.2f}"


def _png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


@needs_models
def test_uploads_use_typed_names_or_the_models_top1() -> None:
    rng = np.random.default_rng(4)
    data_a = _png(Image.fromarray(rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)))
    data_b = _png(
        Image.fromarray(rng.integers(0, 256, (48, 64, 3), dtype=np.uint8), "RGB").convert("RGBA")
    )
    at = open_app(PAGE)
    at.segmented_control(key="a_src").set_value("Upload")
    at.segmented_control(key="b_src").set_value("Upload")
    at.run()
    at.file_uploader(key="a_file").upload("mine.png", data_a, "image/png")
    at.file_uploader(key="b_file").upload("other.png", data_b, "image/png")
    at.text_input(key="a_name").set_value("Frog")
    at.run()
    assert_ok(at)
    assert not at.error, [e.value for e in at.error]
    img_a = limit_side(load_image(data_a, "mine.png"))
    img_b = limit_side(load_image(data_b, "other.png"))
    fa, fb = fit_pair(img_a, img_b)
    _, ex = _expected("cutmix", fa, fb, seed=0, class_a=CLASSES.index("frog"), class_b=None)
    col = _columns(at)[1]
    assert col["p(A: frog)"] == f"{ex.p_a:.2f}"
    assert col[f"p(B: {CLASSES[ex.class_b]})"] == f"{ex.p_b:.2f}"
    assert any("top-1 on each image alone" in c.value for c in at.caption)


@needs_models
def test_the_learning_curves_are_the_cards_histories() -> None:
    at = open_app(PAGE)
    assert_ok(at)
    chart = next(c for c in at.get("plotly_chart") if "How they trained" in c.proto.spec)
    traces = chart_traces(chart)
    shipped = find_models(paths.models_dir())
    assert len(traces) == 2 * len(shipped)
    for i, m in enumerate(shipped):
        history = load_checkpoint(m.path).card["history"]
        loss, acc = traces[2 * i], traces[2 * i + 1]
        assert loss["name"] == acc["name"] == m.label
        assert list(loss["x"]) == [h["epoch"] for h in history]
        assert list(loss["y"]) == [h["loss"] for h in history]
        assert list(acc["y"]) == [h["test_accuracy"] for h in history]
    assert training_caption(training_curves(shipped)) in [c.value for c in at.caption]


def _assert_report_shown(at, report) -> None:
    table = at.dataframe[0].value  # a pandas DataFrame
    assert table.to_dict("records") == display_rows(report)
    assert any(report.command in c.value for c in at.caption)
    titles = " ".join(c.proto.spec for c in at.get("plotly_chart"))
    assert "Does p(B) follow the pasted area?" in titles
    assert report_localizer_caption(report) in [c.value for c in at.caption]


@needs_models
def test_the_shipped_evaluation_is_shown() -> None:
    at = open_app(PAGE)
    assert_ok(at)
    report_path = ROOT / "assets" / "evaluation.json"
    if not report_path.exists():
        assert any("python -m cutmix_core.evaluation" in i.value for i in at.info)
        return
    _assert_report_shown(at, load_report(report_path))


def test_an_evaluation_report_is_shown_as_a_table_and_plots(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real report, made here by the evaluation's code on two small models and the bundled
    sample, rendered by the page (whether or not assets/ has one)."""
    folder = tmp_path / "models"
    folder.mkdir()
    for aug, seed in (("none", 1), ("cutmix", 2)):
        model = build_model("resnet8", generator=torch.Generator().manual_seed(seed))
        save_checkpoint(folder / f"resnet8_{aug}.pt", model, {"aug": aug, "epochs": 1})
    report = evaluate(
        load_models(folder),
        load_sample(),
        seed=0,
        n_pairs=12,
        holes=(0, 16),
        command="python -m cutmix_core.evaluation --pairs 12",
    )
    monkeypatch.setenv("CUTMIX_EVALUATION", str(save_report(report, tmp_path / "ev.json")))
    monkeypatch.setenv("CUTMIX_MODELS", str(folder))
    at = open_app(PAGE)
    assert_ok(at)
    assert [m.name for m in report.models] == ["resnet8_none", "resnet8_cutmix"]
    _assert_report_shown(at, report)


@needs_models
def test_playground_shows_what_the_models_say() -> None:
    at = open_app()  # the playground, default cat + dog, seed 0
    assert_ok(at)
    text = " ".join(m.value for m in at.markdown)
    assert "What the trained models say" in text
    a, b = _pair()
    for aug in ("none", "cutmix"):
        _, ex = _expected(aug, a, b, seed=0)
        assert (
            f"{SHIPPED[aug].label}: p(cat) = **{ex.p_a:.2f}**, p(dog) = **{ex.p_b:.2f}**"
        ) in text


@needs_models
@pytest.mark.parametrize(("name", "label"), [("resnet50", "ResNet-50"), ("resnet18", "ResNet-18")])
def test_imagenet_model_from_a_local_state_dict(
    name: str, label: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real loading path (torchvision's weights API, $TORCH_HOME cache), with a random
    state dict saved where the download would put it (so unpinned); the network is never
    touched."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    monkeypatch.setattr(imagenet, "WEIGHTS_SHA256", {})
    monkeypatch.setattr(torch.hub, "download_url_to_file", lambda *a, **k: pytest.fail("download"))
    monkeypatch.setattr(download, "is_online", lambda *a, **k: pytest.fail("network probe"))
    weights = torchvision.models.get_model_weights(name).DEFAULT
    cached = tmp_path / "hub" / "checkpoints" / Path(weights.url).name
    cached.parent.mkdir(parents=True)
    model = torchvision.models.get_model(name).eval()
    torch.save(model.state_dict(), cached)
    forget_imagenet()
    try:
        at = open_app(PAGE, query={"left": f"imagenet:{name}", "right": SHIPPED["cutmix"].key})
    finally:
        forget_imagenet()  # do not leave a random ImageNet model cached for other tests
    assert_ok(at)
    assert not at.warning, [w.value for w in at.warning]
    assert at.subheader[0].value == f"{label} · ImageNet (torchvision)"
    a, b = _pair()
    loaded = load_imagenet_model(name)
    res = cutmix(a, b, 1.0, rng=np.random.default_rng(0))
    ex = explain_mix(loaded, a, b, res.image, res.box)  # classes: its top-1 on A and on B
    col = _columns(at)[0]
    name_a, name_b = loaded.classes[ex.class_a], loaded.classes[ex.class_b]
    assert col[f"p(A: {name_a})"] == f"{ex.p_a:.2f}" and col[f"p(B: {name_b})"] == f"{ex.p_b:.2f}"
    assert any("top-1 on each image alone" in c.value for c in at.caption)


@needs_models
def test_a_rerun_and_another_session_with_the_same_settings_rebuild_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Seen settings are served from app_ui.model_cache: no model runs and no figure is built
    again, and the page shows the same charts and images, in this session and in another."""
    from app_ui import model_cache

    built: list[str] = []
    real = model_cache.column_figures
    monkeypatch.setattr(
        model_cache, "column_figures", lambda *a, **k: built.append("x") or real(*a, **k)
    )
    model_cache._views.clear()
    at = open_app(PAGE, query={"seed": "4321"})
    assert_ok(at)
    assert len(built) == 2  # one view per model, made once
    specs = [c.proto.spec for c in at.get("plotly_chart")]
    images = [str(el.proto) for el in at.image]
    for again in (at.run(), open_app(PAGE, query={"seed": "4321"})):
        assert_ok(again)
        assert [c.proto.spec for c in again.get("plotly_chart")] == specs
        assert [str(el.proto) for el in again.image] == images
    assert len(built) == 2


def test_read_only_figures_give_plotly_s_json_and_are_not_changed_by_drawing() -> None:
    from plotly import io as pio
    from plotly import tools

    from cutmix_core.views.charts import read_only
    from cutmix_core.views.model_figures import prediction_figure, sweep_figure
    from cutmix_core.views.model_view import SplitSweep

    probs = np.linspace(0.0, 1.0, 10) / 5
    sweep = SplitSweep(np.linspace(0, 1, 5), np.linspace(1, 0, 5), np.linspace(0, 1, 5))
    for build in (
        lambda: prediction_figure(probs, CLASSES, target=probs, class_a=1, class_b=2),
        lambda: sweep_figure([("m", sweep)], t_now=0.3),
    ):
        want = build().to_json()
        fig = read_only(build())
        as_dict = json.loads(json.dumps(fig.to_dict()))
        for _ in range(2):  # what st.plotly_chart does with a figure
            shown = tools.return_figure_from_figure_or_data(fig, validate_figure=True)
            assert pio.to_json(shown, validate=False) == want
        assert fig.to_json() == want
        assert json.loads(json.dumps(fig.to_dict())) == as_dict


def test_panels_are_the_bytes_st_image_makes_of_their_arrays() -> None:
    """The Grad-CAM and localizer panels are cached encoded; st.image shows those bytes as they
    are, the ones it made of the panel's array on every rerun before (same media address)."""
    from streamlit.elements.lib import image_utils

    from cutmix_core.views.model_figures import cam_panel, panel_bytes

    image = _pair()[0]
    cam = np.linspace(0, 1, 32 * 32, dtype=np.float32).reshape(32, 32)
    panel = cam_panel(image, cam, Box(4, 20, 8, 24), scale=7)
    data = panel_bytes(panel)
    assert data == image_utils._np_array_to_bytes(panel, output_format="auto")
    assert image_utils._validate_image_format_string(data, "auto") == "JPEG"  # kept as is

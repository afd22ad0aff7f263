"""AppTest tests of the compare page (CutMix vs Mixup vs Cutout), run through app.py.

Expected numbers come from ``mixing.cutmix`` with the same seed: the page must draw λ and the box
in the same order as ``cutmix`` does, so the CutMix column is the playground's mix.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import assert_ok as _ok
from conftest import chart_traces, open_app
from conftest import metrics as _metrics
from streamlit.testing.v1 import AppTest

from cutmix_core import cutmix, paths, soft_label
from cutmix_core.data.cifar import CLASSES, load_sample
from cutmix_core.models.checkpoints import load_checkpoint
from cutmix_core.views.batch_view import CUTOUT_FILLS, compare_three
from cutmix_core.views.methods_view import METHOD_AUGS, predict_methods
from cutmix_core.views.model_view import find_models

PAGE = "app_pages/compare.py"
DS = load_sample()


def _fresh(query: dict | None = None) -> AppTest:
    """The page opened from a link with ``query``, on a new session."""
    return open_app(PAGE, query or {})


def _image(cls: str, idx: int) -> np.ndarray:
    return DS.image(int(DS.positions_of(CLASSES.index(cls))[idx]))


def _expected(a=("cat", 0), b=("dog", 0), alpha=1.0, seed=0, lam=None):
    return cutmix(_image(*a), _image(*b), alpha, rng=np.random.default_rng(seed), lam=lam)


def _check(at: AppTest, res, lam_label: str = "λ sampled") -> None:
    _ok(at)
    metrics = _metrics(at)
    assert metrics[lam_label] == f"{res.lam:.4f}"
    assert metrics["λ adjusted (CutMix label weight of A)"] == f"{res.lam_adjusted:.4f}"
    assert metrics["Pixels in the box"] == f"{res.box.area} of 1024"


def _bars(at: AppTest) -> list[np.ndarray]:
    return [np.asarray(chart_traces(c)[0]["y"]) for c in at.get("plotly_chart")]


def _widgets(at: AppTest) -> tuple:
    return (
        at.selectbox(key="ca_class").value,
        at.number_input(key="ca_idx").value,
        at.selectbox(key="cb_class").value,
        at.number_input(key="cb_idx").value,
        at.radio(key="cmp_lam_mode").value,
        at.select_slider(key="cmp_alpha").value,
        at.slider(key="cmp_lam").value,
        at.number_input(key="cmp_seed").value,
        at.selectbox(key="cmp_fill").value,
    )


@pytest.fixture(scope="module")
def at() -> AppTest:
    return open_app(PAGE)


def test_default_view_shows_three_methods_with_their_labels(at: AppTest) -> None:
    res = _expected()
    _check(at, res)
    assert not at.warning
    assert [s.value for s in at.subheader][:3] == ["Mixup", "Cutout", "CutMix"]
    assert len(at.image) == 3 and len(at.latex) == 3
    cat, dog = CLASSES.index("cat"), CLASSES.index("dog")
    mixup_bars, cutout_bars, cutmix_bars = _bars(at)
    assert np.allclose(mixup_bars, soft_label(cat, dog, res.lam, 10))
    assert np.allclose(cutout_bars, soft_label(cat, cat, 1.0, 10))
    assert np.allclose(cutmix_bars, soft_label(cat, dog, res.lam_adjusted, 10))
    text = " ".join(m.value for m in at.markdown)
    assert f"{res.lam_adjusted:.3f} · cat + {1 - res.lam_adjusted:.3f} · dog" in text
    assert "1.000 · cat, unchanged" in text and "grey (128, 128, 128)" in text


def test_controls_drive_the_numbers_and_the_seed_changes_them(at: AppTest) -> None:
    at.selectbox(key="ca_class").set_value("ship")
    at.number_input(key="ca_idx").set_value(3)
    at.selectbox(key="cb_class").set_value("frog")
    at.number_input(key="cb_idx").set_value(2)
    at.select_slider(key="cmp_alpha").set_value(0.4)
    at.number_input(key="cmp_seed").set_value(7).run()
    first = _expected(("ship", 3), ("frog", 2), 0.4, 7)
    _check(at, first)
    at.number_input(key="cmp_seed").set_value(8).run()
    second = _expected(("ship", 3), ("frog", 2), 0.4, 8)
    _check(at, second)
    assert (first.lam, first.box) != (second.lam, second.box)
    at.radio(key="cmp_lam_mode").set_value("manual").run()  # enables the λ slider
    at.slider(key="cmp_lam").set_value(0.55).run()
    _check(at, _expected(("ship", 3), ("frog", 2), seed=8, lam=0.55), lam_label="λ set")
    at.selectbox(key="cmp_fill").set_value("black").run()
    assert any("black (0, 0, 0)" in m.value for m in at.markdown)


def test_link_round_trip_restores_the_view() -> None:
    at = _fresh()
    at.selectbox(key="ca_class").set_value("horse")
    at.number_input(key="ca_idx").set_value(4)
    at.selectbox(key="cb_class").set_value("truck")
    at.radio(key="cmp_lam_mode").set_value("manual").run()  # enables the λ slider
    at.slider(key="cmp_lam").set_value(0.37)
    at.number_input(key="cmp_seed").set_value(11)
    at.selectbox(key="cmp_fill").set_value("black").run()
    _check(at, _expected(("horse", 4), ("truck", 0), seed=11, lam=0.37), lam_label="λ set")
    assert at.query_params["cmp_seed"] in ("11", ["11"])
    query = {k: v[-1] if isinstance(v, list) else v for k, v in at.query_params.items()}
    again = _fresh(query)
    _ok(again)
    assert not again.warning
    assert _metrics(again) == _metrics(at)
    assert (
        _widgets(again)
        == _widgets(at)
        == ("horse", 4, "truck", 0, "manual", 1.0, 0.37, 11, "black")
    )


def test_malformed_link_falls_back_to_defaults_with_a_warning() -> None:
    at = _fresh(
        {
            "cmp_seed": "abc",
            "cmp_alpha": "0.33",
            "ca_class": "unicorn",
            "cmp_lam_mode": "manual",
            "cmp_lam": "2.5",
            "bogus": "1",
        }
    )
    _ok(at)
    warning = " ".join(w.value for w in at.warning)
    for key in ("cmp_seed", "cmp_alpha", "ca_class", "cmp_lam"):
        assert key in warning
    assert "bogus" not in warning  # keys no page knows are ignored silently (links.py)
    # cmp_lam fell back to 0.7 while the valid cmp_lam_mode=manual was kept.
    _check(at, _expected(seed=0, lam=0.7), lam_label="λ set")
    assert _widgets(at) == ("cat", 0, "dog", 0, "manual", 1.0, 0.7, 0, "grey")


# --------------------------------------------------------------------------- trained models
SHIPPED = {m.aug: m for m in find_models(paths.models_dir())}


def _model_tables(at: AppTest) -> list[list[dict[str, str]]]:
    return [t.value.to_dict("records") for t in at.table]


@pytest.mark.skipif(len(SHIPPED) < 2, reason="needs shipped models")
def test_each_model_on_each_methods_image_beside_the_label_it_trains_on() -> None:
    """The tables under the three images: computed here from the checkpoints and the
    library's compare_three for the same seed, not read back from the page."""
    at = _fresh({"cmp_seed": "3", "cmp_fill": "black"})
    _ok(at)
    a, b = _image("cat", 0), _image("dog", 0)
    res = _expected(seed=3)
    cmp = compare_three(
        a, b, res.lam, res.box, y_a=3, y_b=5, class_names=CLASSES, fill=CUTOUT_FILLS["black"]
    )
    images = tuple((v.name, v.result.image) for v in cmp.methods)
    tables = _model_tables(at)
    assert len(tables) == 3
    shown = [m.key for m in SHIPPED.values()]
    assert at.multiselect(key="cmp_models").value == shown  # every shipped model by default
    for view, table in zip(cmp.methods, tables):
        label_row, *rows = table
        assert label_row["p(A: cat)"] == f"{view.weight_a:.2f}"
        assert label_row["p(B: dog)"] == f"{1 - view.weight_a:.2f}"
        assert len(rows) == len(SHIPPED)
        for model, row in zip(SHIPPED.values(), rows):
            loaded = load_checkpoint(model.path)
            pred = predict_methods(loaded, a, b, images, class_a=3, class_b=5)
            trained = model.aug == METHOD_AUGS[view.name]
            assert row["model"] == ("★ " if trained else "") + model.label
            assert row["p(A: cat)"] == f"{pred.p_a(view.name):.2f}"
            assert row["p(B: dog)"] == f"{pred.p_b(view.name):.2f}"
            top = pred.top(view.name)
            assert row["top 3"] == ", ".join(f"{n} {p:.2f}" for n, p in top)
    # Fewer models chosen: fewer rows, the rest of the page unchanged.
    at.multiselect(key="cmp_models").set_value(shown[:1]).run()
    _ok(at)
    assert [len(t) for t in _model_tables(at)] == [2, 2, 2]
    at.multiselect(key="cmp_models").set_value([]).run()
    _ok(at)
    assert not at.table and len(at.get("plotly_chart")) == 3

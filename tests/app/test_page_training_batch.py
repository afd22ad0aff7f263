"""AppTest tests of the training-batch page, run through app.py.

The expected batch is rebuilt here from the bundled sample with the same seeds and
``cutmix_batch``; the page's metrics, every cell caption and the heatmap must match it.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from conftest import assert_ok as _ok
from conftest import chart_traces, open_app
from streamlit.testing.v1 import AppTest

from cutmix_core import cutmix_batch
from cutmix_core.data.cifar import CLASSES, load_sample
from cutmix_core.data.tensors import to_nchw
from cutmix_core.views.batch_view import cell_caption, seeded_subset
from cutmix_core.views.code_export import LIBRARIES, BatchSettings, snippets

PAGE = "app_pages/training_batch.py"
DS = load_sample()
DEFAULTS = dict(
    n=16, data_seed=0, seed=0, alpha=1.0, pairing="roll", mode="batch", prob=1.0, smoothing=0.0
)
KEYS = {
    "n": "tb_n",
    "data_seed": "tb_data_seed",
    "seed": "tb_seed",
    "alpha": "tb_alpha",
    "pairing": "tb_pairing",
    "mode": "tb_mode",
    "prob": "tb_prob",
    "smoothing": "tb_smoothing",
}


def _fresh(query: dict | None = None) -> AppTest:
    """The page opened from a link with ``query``, on a new session."""
    return open_app(PAGE, query or {})


def _expected(**settings):
    s = {**DEFAULTS, **settings}
    pos = seeded_subset(len(DS), s["n"], rng=np.random.default_rng(s["data_seed"]))
    labels = DS.labels[pos]
    res = cutmix_batch(
        to_nchw(DS.images[pos]),
        torch.from_numpy(labels),
        10,
        s["alpha"],
        generator=torch.Generator().manual_seed(s["seed"]),
        mode=s["mode"],
        pairing=s["pairing"],
        prob=s["prob"],
        smoothing=s["smoothing"],
    )
    return res, labels


def _check(at: AppTest, **settings) -> dict[str, str]:
    _ok(at)
    res, labels = _expected(**settings)
    n = len(labels)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Samples mixed"] == f"{int(res.applied.sum())} of {n}"
    assert metrics["Mean λ adjusted"] == f"{float(res.lams_adjusted.mean()):.4f}"
    batch_mode = {**DEFAULTS, **settings}["mode"] == "batch"
    assert metrics["λ sampled"] == (f"{float(res.lams[0]):.4f}" if batch_mode else "one per sample")
    assert len(at.image) == n
    captions = [c.value for c in at.caption if c.value.startswith("#")]
    assert captions == [cell_caption(i, res, labels, CLASSES, sep="  \n") for i in range(n)]
    (heat,) = [t for c in at.get("plotly_chart") for t in chart_traces(c) if t["type"] == "heatmap"]
    np.testing.assert_allclose(np.asarray(heat["z"]).reshape(n, 10), res.targets.numpy())
    assert list(heat["x"]) == list(CLASSES)
    return metrics


def _widgets(at: AppTest) -> tuple:
    return (
        at.slider(key="tb_n").value,
        at.number_input(key="tb_data_seed").value,
        at.number_input(key="tb_seed").value,
        at.select_slider(key="tb_alpha").value,
        at.radio(key="tb_pairing").value,
        at.radio(key="tb_mode").value,
        at.slider(key="tb_prob").value,
        at.slider(key="tb_smoothing").value,
    )


def _set(at: AppTest, **settings) -> AppTest:
    for name, value in settings.items():
        key = KEYS[name]
        widget = next(w for w in at.main if getattr(w, "key", None) == key)
        widget.set_value(value)
    return at.run()


@pytest.fixture(scope="module")
def at() -> AppTest:
    return open_app(PAGE)


def test_default_batch_matches_cutmix_batch(at: AppTest) -> None:
    metrics = _check(at)
    assert metrics["Samples mixed"] == "16 of 16"
    assert not at.warning
    assert len(at.latex) == 2


def test_controls_drive_the_batch_and_the_seed_changes_it(at: AppTest) -> None:
    settings = dict(
        n=24,
        data_seed=5,
        seed=9,
        alpha=0.4,
        pairing="permutation",
        mode="elem",
        prob=0.5,
        smoothing=0.1,
    )
    first = _check(_set(at, **settings), **settings)
    assert first["Samples mixed"] != "24 of 24"  # prob 0.5 per sample leaves some alone
    second = _check(_set(at, seed=10), **{**settings, "seed": 10})
    assert first != second
    _check(
        _set(at, mode="batch", prob=0.0), **{**settings, "seed": 10, "mode": "batch", "prob": 0.0}
    )
    assert {m.label: m.value for m in at.metric}["Samples mixed"] == "0 of 24"


def test_link_round_trip_restores_the_batch() -> None:
    settings = dict(
        n=12,
        data_seed=3,
        seed=42,
        alpha=2.0,
        pairing="permutation",
        mode="elem",
        prob=0.75,
        smoothing=0.05,
    )
    at = _set(_fresh(), **settings)
    metrics = _check(at, **settings)
    query = {k: v[-1] if isinstance(v, list) else v for k, v in at.query_params.items()}
    assert query["tb_seed"] == "42" and query["tb_pairing"] == "permutation"
    again = _fresh(query)
    assert not again.warning
    assert _check(again, **settings) == metrics
    assert _widgets(again) == _widgets(at) == tuple(settings[k] for k in KEYS)


def test_malformed_link_falls_back_to_defaults_with_a_warning() -> None:
    at = _fresh(
        {
            "tb_n": "999",
            "tb_mode": "pairs",
            "tb_prob": "nan",
            "tb_seed": "x1",
            "tb_pairing": "permutation",
        }
    )
    _ok(at)
    warning = " ".join(w.value for w in at.warning)
    for key in ("tb_n", "tb_mode", "tb_prob", "tb_seed"):
        assert key in warning
    _check(at, pairing="permutation")  # the one valid setting is kept
    assert _widgets(at) == (16, 0, 0, 1.0, "permutation", "batch", 1.0, 0.0)


def test_code_panel_shows_the_linked_settings_as_code() -> None:
    """Opened from a link, the panel shows code_export's snippets for the link's settings, one
    tab per library, each with its caveats and notes; the batch above is unchanged by it."""
    settings = dict(seed=7, alpha=0.4, pairing="permutation", mode="elem", prob=0.75, smoothing=0.1)
    at = _fresh({KEYS[k]: str(v) for k, v in settings.items()})
    _check(at, **settings)
    assert not at.warning
    expected = snippets(BatchSettings(len(CLASSES), **settings))
    (panel,) = [e for e in at.expander if e.label == "Use it in your training"]
    assert [tab.label for tab in panel.tabs] == list(LIBRARIES)
    for tab, snippet in zip(panel.tabs, expected):
        (code,) = tab.code
        # st.code strips the file's final newline (clean_text); the rest is shown as made.
        assert (code.value, code.language) == (snippet.code.removesuffix("\n"), "python")
        shown = "\n".join(m.value for m in tab.markdown)
        for sentence in (*snippet.caveats, *snippet.notes):
            assert f"- {sentence}" in shown
    assert "seed(7)" in expected[1].code and "Pairing permutation" in shown  # not the defaults

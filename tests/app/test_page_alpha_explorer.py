"""AppTest of the alpha explorer page, through app.py: metrics, controls and shareable links."""

import numpy as np
import pytest
from conftest import assert_ok, open_app

from cutmix_core.mixing.explorer import alpha_stats

PAGE = "app_pages/alpha_explorer.py"
METRICS_PER_ALPHA = 5


def open_page(query=None):
    """The app opened at the explorer, as a browser opening its URL (with ``query``) would."""
    at = open_app(PAGE, query)
    assert_ok(at)
    return at


def shown(at):
    """Per alpha shown: {metric label: value}."""
    values = [(m.label, m.value) for m in at.metric]
    assert len(values) % METRICS_PER_ALPHA == 0
    return [
        dict(values[i : i + METRICS_PER_ALPHA]) for i in range(0, len(values), METRICS_PER_ALPHA)
    ]


def expected(alpha, h=32, w=32, n=20_000, seed=0):
    s = alpha_stats(alpha, h, w, n, rng=np.random.default_rng(seed))
    return {
        "Mean λ": f"{s.mean_lam:.4f}",
        "Var λ": f"{s.var_lam:.4f}",
        "Mean λ adjusted": f"{s.mean_lam_adjusted:.4f}",
        "Boxes clipped": f"{s.clipped_share:.1%}",
        "Mean box area": f"{s.mean_area:.4f}",
    }


def widgets(at):
    return {
        "alpha": at.select_slider(key="ae_alpha").value,
        "compare": at.toggle(key="ae_compare").value,
        "alpha2": at.select_slider(key="ae_alpha2").value,
        "n": at.select_slider(key="ae_n").value,
        "seed": at.number_input(key="ae_seed").value,
        "size": at.radio(key="ae_size").value,
        "h": at.number_input(key="ae_h").value,
        "w": at.number_input(key="ae_w").value,
    }


def test_defaults_show_the_numbers_of_the_library():
    at = open_page()
    assert at.title[0].value == "Alpha explorer"
    assert not at.warning and not at.error
    assert shown(at) == [expected(1.0)]
    assert 0.68 < float(shown(at)[0]["Mean λ adjusted"]) < 0.72  # the "about 0.70" of the text
    assert len(at.get("plotly_chart")) == 6
    assert "λ adjusted" in at.info[0].value and any("\\lambda" in x.value for x in at.latex)
    assert dict(at.query_params)["ae_alpha"] == "1.0"  # the link mirrors the settings


def test_controls_change_the_metrics():
    at = open_page()
    before = shown(at)
    at.select_slider(key="ae_alpha").set_value(0.3)
    at.number_input(key="ae_seed").set_value(5)
    at.radio(key="ae_size").set_value("custom")
    at.toggle(key="ae_compare").set_value(True)
    at.run()  # H, W and the second alpha are disabled until then, as in a browser
    at.number_input(key="ae_h").set_value(20)
    at.number_input(key="ae_w").set_value(50)
    at.select_slider(key="ae_alpha2").set_value(4.0)
    at.run()
    assert not at.exception
    after = shown(at)
    assert after == [expected(0.3, 20, 50, seed=5), expected(4.0, 20, 50, seed=5)]
    assert after[0] != before[0]
    assert len(at.get("plotly_chart")) == 8  # aspect and coverage for each alpha
    at.radio(key="ae_size").set_value("224").run()
    assert (at.number_input(key="ae_h").value, at.number_input(key="ae_w").value) == (224, 224)
    assert shown(at)[1] == expected(4.0, 224, 224, seed=5)


def test_link_round_trip():
    at = open_page()
    at.select_slider(key="ae_alpha").set_value(0.15)
    at.toggle(key="ae_compare").set_value(True)
    at.select_slider(key="ae_n").set_value(5_000)
    at.number_input(key="ae_seed").set_value(42)
    at.radio(key="ae_size").set_value("custom").run()
    at.select_slider(key="ae_alpha2").set_value(2.0)
    at.number_input(key="ae_h").set_value(17)
    at.number_input(key="ae_w").set_value(300)
    at.run()
    link = {k: v[-1] if isinstance(v, list) else v for k, v in dict(at.query_params).items()}
    at2 = open_page(link)
    assert not at2.warning
    assert (
        widgets(at2)
        == widgets(at)
        == {
            "alpha": 0.15,
            "compare": True,
            "alpha2": 2.0,
            "n": 5_000,
            "seed": 42,
            "size": "custom",
            "h": 17,
            "w": 300,
        }
    )
    assert (
        shown(at2)
        == shown(at)
        == [expected(0.15, 17, 300, 5_000, 42), expected(2.0, 17, 300, 5_000, 42)]
    )


def test_malformed_link_falls_back_to_defaults_with_a_warning():
    at = open_page({"ae_alpha": "abc", "ae_n": "-5", "ae_h": "5000", "ae_seed": "7"})
    assert len(at.warning) == 1
    text = at.warning[0].value
    assert "ae_alpha='abc'" in text and "ae_n='-5'" in text and "ae_h='5000'" in text
    assert "ae_seed" not in text
    assert widgets(at) | {"seed": 0} == {
        "alpha": 1.0,
        "compare": False,
        "alpha2": 0.2,
        "n": 20_000,
        "seed": 0,
        "size": "32",
        "h": 32,
        "w": 32,
    }
    assert at.number_input(key="ae_seed").value == 7  # the valid setting is kept
    assert shown(at) == [expected(1.0, seed=7)]


@pytest.mark.parametrize(
    "query", [{"ae_size": "custom", "ae_h": "1", "ae_w": "1"}, {"ae_alpha": "0.05", "ae_n": "1000"}]
)
def test_extreme_settings_render(query):
    at = open_page(query)
    assert not at.warning and not at.error
    h = int(query.get("ae_h", 32))
    assert shown(at) == [
        expected(float(query.get("ae_alpha", 1.0)), h, h, int(query.get("ae_n", 20_000)))
    ]

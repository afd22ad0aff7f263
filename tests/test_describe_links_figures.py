"""Tests of the words shown for a mix, shareable-link parsing, and the figure builders."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cutmix_core import Box
from cutmix_core.views.describe import describe_box, explain_lambdas, label_space, mix_record
from cutmix_core.views.figures import beta_density_figure, beta_pdf, soft_label_figure
from cutmix_core.views.links import Param, encode_params, parse_params

# ------------------------------------------------------------------------------ describe


def test_describe_box_names_rows_columns_and_share() -> None:
    text = describe_box(Box(3, 19, 5, 21), 32, 32)
    assert "rows 3–19" in text and "columns 5–21" in text
    assert "16 × 16 px = 25.0%" in text


def test_explain_clipped_box() -> None:
    # lam = 0.75 on 32x32: cut = int(32 * 0.5) = 16, half 8; centre (0, 0) keeps rows 0-8 and
    # columns 0-8: 64 of the 256 pixels of the unclipped box.
    story = explain_lambdas(32, 32, 0.75, Box(0, 8, 0, 8))
    assert story.clipped and story.unclipped_area == 256
    assert "clipped from 256 to 64" in story.sentence
    assert "0.9375" in story.sentence  # 1 - 64/1024


def test_explain_rounding_only() -> None:
    # lam = 0.5 on 32x32: cut = int(32 * 0.7071) = 22, half 11 -> 22 x 22 = 484 px, not 512.
    story = explain_lambdas(32, 32, 0.5, Box(5, 27, 5, 27))
    assert not story.clipped
    assert "rounded down" in story.sentence and "0.5273" in story.sentence


def test_explain_exact_and_hand_drawn() -> None:
    assert "λ_adjusted = λ" in explain_lambdas(32, 32, 0.75, Box(8, 24, 8, 24)).sentence
    assert "by hand" in explain_lambdas(32, 32, None, Box(0, 4, 0, 4)).sentence


def test_label_space() -> None:
    classes = ("x", "y", "z")
    assert label_space("x", 0, "z", 2, classes) == (["x", "y", "z"], 0, 2)
    assert label_space("cat", 3, "B", None, classes) == (["cat", "B"], 0, 1)
    assert label_space("A", None, "A", None, classes) == (["A"], 0, 0)


def test_mix_record_is_json_ready() -> None:
    import json

    rec = mix_record(
        alpha=1.0,
        seed=3,
        lam=0.5,
        lam_adjusted=0.75,
        box=Box(0, 16, 0, 16),
        size=(32, 32),
        labels={"A": "cat"},
        target=[0.75, 0.25],
        class_names=["cat", "dog"],
        mode="sample",
    )
    again = json.loads(json.dumps(rec))
    assert again["box"]["y1"] == 16 and again["lambda_adjusted"] == 0.75
    assert (again["lambda_sampled"], again["lambda_by_hand"]) == (0.5, None)
    by_hand = mix_record(
        alpha=None,
        seed=3,
        lam=0.5,
        lam_adjusted=0.75,
        box=Box(0, 16, 0, 16),
        size=(32, 32),
        labels={},
        target=[0.75, 0.25],
        class_names=["cat", "dog"],
        mode="lambda",
    )
    assert (by_hand["lambda_sampled"], by_hand["lambda_by_hand"]) == (None, 0.5)
    with pytest.raises(ValueError, match="mode must be"):
        mix_record(
            alpha=None,
            seed=3,
            lam=0.5,
            lam_adjusted=0.75,
            box=Box(0, 16, 0, 16),
            size=(32, 32),
            labels={},
            target=[],
            class_names=[],
            mode="drawn",
        )


# ------------------------------------------------------------------------------ links

SCHEMA = (
    Param("alpha", "choice", 1.0, choices=(0.5, 1.0, 2.0)),
    Param("seed", "int", 0, 0, 1000),
    Param("lam", "float", 0.7, 0.0, 1.0),
    Param("rows", "range", (8, 24), 0, 32),
    Param("name", "str", "A", hi=10),
)


@settings(max_examples=150, deadline=None)
@given(
    alpha=st.sampled_from((0.5, 1.0, 2.0)),
    seed=st.integers(0, 1000),
    lam=st.floats(0.0, 1.0),
    rows=st.tuples(st.integers(0, 32), st.integers(0, 32)).map(lambda t: tuple(sorted(t))),
    name=st.text(max_size=10),
)
def test_links_round_trip_exactly(alpha, seed, lam, rows, name) -> None:
    values = {"alpha": alpha, "seed": seed, "lam": lam, "rows": rows, "name": name}
    parsed, notices = parse_params(encode_params(values, SCHEMA), SCHEMA)
    assert notices == []
    assert parsed == values


def test_links_fall_back_with_notices() -> None:
    query = {"alpha": "7", "seed": "x", "lam": "nan", "rows": "20-10", "junk": "1"}
    values, notices = parse_params(query, SCHEMA)
    assert values == {p.key: p.default for p in SCHEMA}
    assert len(notices) == 4  # one per bad value; the unknown "junk" is ignored silently
    assert not any("junk" in n for n in notices) and any("seed='x'" in n for n in notices)


def test_links_accept_equivalent_numbers_and_lists() -> None:
    values, notices = parse_params({"alpha": "2", "seed": ["1", "5"]}, SCHEMA)
    assert values["alpha"] == 2.0 and values["seed"] == 5 and notices == []


def test_link_schema_rejects_bad_defaults_and_values() -> None:
    with pytest.raises(ValueError, match="default of 'seed'"):
        Param("seed", "int", -1, 0, 10)
    with pytest.raises(ValueError, match="'lam'"):
        encode_params({"alpha": 1.0, "seed": 0, "lam": 2.0, "rows": (0, 1), "name": ""}, SCHEMA)


# ------------------------------------------------------------------------------ figures


@pytest.mark.parametrize("alpha", [1.0, 2.0, 5.0, 20.0])
def test_beta_pdf_integrates_to_one(alpha: float) -> None:
    x = np.linspace(0, 1, 200_001)
    assert np.trapezoid(beta_pdf(x, alpha), x) == pytest.approx(1.0, abs=1e-6)


def test_beta_pdf_closed_forms() -> None:
    # Beta(1,1) is uniform; Beta(2,2) is 6x(1-x); Beta(0.5,0.5) is 1/(pi sqrt(x(1-x))).
    x = np.array([0.1, 0.5, 0.9])
    np.testing.assert_allclose(beta_pdf(x, 1.0), 1.0)
    np.testing.assert_allclose(beta_pdf(x, 2.0), 6 * x * (1 - x))
    np.testing.assert_allclose(beta_pdf(x, 0.5), 1 / (math.pi * np.sqrt(x * (1 - x))))
    with pytest.raises(ValueError, match="alpha"):
        beta_pdf(x, 0.0)


def test_beta_density_figure_marks_both_lambdas() -> None:
    fig = beta_density_figure(0.2, 0.3, 0.45)
    names = [t.name for t in fig.data]
    assert names == ["Beta(0.2, 0.2)", "λ sampled = 0.300", "λ adjusted = 0.450"]
    assert list(fig.data[2].x) == [0.45, 0.45]
    assert np.isfinite(np.asarray(fig.data[0].y)).all()  # capped for alpha < 1


def test_soft_label_figure() -> None:
    fig = soft_label_figure([0.25, 0.75, 0.0], ["a", "b", "c"], class_a=0, class_b=1)
    assert list(fig.data[0].y) == [0.25, 0.75, 0.0]
    colors = list(fig.data[0].marker.color)
    assert colors[0] != colors[1] and colors[2] not in colors[:2]
    with pytest.raises(ValueError, match="3 class names"):
        soft_label_figure([1.0], ["a", "b", "c"])

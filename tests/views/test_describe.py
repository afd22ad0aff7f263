"""cutmix_core.views.describe: every sentence a student reads agrees with the numbers it names.

Expected numbers are computed here from the inputs (areas, closed forms, the sample moments of
a seeded ``alpha_stats``), never read back from the function under test.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from cutmix_core import Box
from cutmix_core.mixing.explorer import alpha_stats
from cutmix_core.views.describe import (
    aspect_caption,
    box_share_caption,
    card_caption,
    describe_box,
    draws_heading,
    explain_lambdas,
    explorer_metrics,
    fallback_classes_caption,
    label_space,
    missing_index_notice,
    mix_record,
    model_metrics,
    model_says_line,
    models_say_title,
    report_box_share_caption,
    short_set_notice,
    target_story,
    why_lam_adjusted,
)


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


# ------------------------------------------------------------------------------ models on a mix
def test_what_the_models_say_names_the_label_and_each_probability() -> None:
    assert models_say_title(0.75).endswith("the label is 0.75 A + 0.25 B")
    line = model_says_line("ResNet-20 · CutMix", "cat", "dog", 0.614, 0.296, "cat")
    assert line == "ResNet-20 · CutMix: p(cat) = **0.61**, p(dog) = **0.30**; top-1 cat"


def test_target_story_gives_the_weights_a_model_should_match() -> None:
    story = target_story(0.8125, "cat", "ship")
    assert "**0.81 × cat + 0.19 × ship**" in story
    assert "p(A) ≈ 0.81 and p(B) ≈ 0.19" in story


def test_card_caption_formats_the_card_and_skips_cards_without_accuracy() -> None:
    card = {
        "test_accuracy": 0.8717,
        "epochs": 30,
        "num_parameters": 272474,
        "device": "cpu",
        "wall_time_s": 5400.0,
    }
    caption = card_caption(card)
    assert caption is not None
    assert "accuracy 87.17%" in caption and "30 epochs" in caption
    assert "272,474 parameters" in caption and "on cpu in 90 min" in caption
    assert card_caption({"arch": "resnet50"}) is None
    assert card_caption({"test_accuracy": None}) is None


def test_fallback_caption_names_only_the_missing_classes() -> None:
    text = fallback_classes_caption("tabby", "golden retriever", ["Frog", "B"])
    assert "(tabby, golden retriever)" in text and text.endswith("do not include Frog / B.")


@pytest.mark.parametrize(
    ("same", "top2", "shown"), [(False, True, "yes"), (False, False, "no"), (True, True, "—")]
)
def test_model_metrics_compare_p_a_and_p_b_with_the_label(
    same: bool, top2: bool, shown: str
) -> None:
    m_a, m_b, m_top = model_metrics(0.5, 0.25, 0.75, "cat", "dog", same=same, both_in_top2=top2)
    assert (m_a.label, m_a.value, m_a.delta) == ("p(A: cat)", "0.50", "-0.25 vs λ_adj")
    assert (m_b.label, m_b.value, m_b.delta) == ("p(B: dog)", "0.25", "+0.00 vs 1 − λ_adj")
    assert (m_top.value, m_top.delta) == (shown, None)


def test_box_share_captions_give_the_share_of_pixels_in_the_box() -> None:
    assert "holds 19% of the pixels" in box_share_caption(0.8125)
    assert report_box_share_caption(0.3333).startswith("In the box lie 33% of the pixels")


def test_missing_index_notice_names_the_index_class_and_set() -> None:
    text = missing_index_notice("Image A: the base", 5000, "horse", "bundled sample", 10)
    assert text.startswith("Image A: the base: image 5000 of class horse is not in the set")
    assert "(bundled sample, 10 images of that class); showing image 0" in text


def test_short_set_notice_gives_the_size_of_the_batch() -> None:
    assert short_set_notice(12) == ("The CIFAR-10 set in use has only 12 images; the batch has 12.")


# ------------------------------------------------------------------------------ alpha explorer
@pytest.fixture(scope="module")
def stats():
    return alpha_stats(0.5, 20, 30, 4_000, rng=np.random.default_rng(3))


def test_explorer_metrics_show_the_sample_moments_and_the_closed_forms(stats) -> None:
    shown = {m.label: m for m in explorer_metrics(stats)}
    assert list(shown) == [
        "Mean λ",
        "Var λ",
        "Mean λ adjusted",
        "Boxes clipped",
        "Mean box area",
    ]
    assert shown["Mean λ"].value == f"{np.mean(stats.lams):.4f}"
    assert shown["Var λ"].value == f"{np.var(stats.lams, ddof=1):.4f}"
    assert shown["Var λ"].help.endswith(f"= {1 / (4 * (2 * 0.5 + 1)):.4f}")  # 1/(4(2α+1))
    assert shown["Mean λ adjusted"].value == f"{np.mean(stats.lam_adjusted):.4f}"
    assert shown["Boxes clipped"].value == f"{stats.clipped_share:.1%}"
    assert f"{stats.mean_unclipped_area:.4f} before clipping" in shown["Mean box area"].help
    assert draws_heading(stats) == "**α = 0.5** · 4,000 draws on 20 × 30"


def test_why_lam_adjusted_quotes_the_draws(stats) -> None:
    text = why_lam_adjusted(stats)
    assert f"mean λ adjusted {np.mean(stats.lam_adjusted):.3f} and not" in text
    assert f"{1 - np.mean(stats.lams):.3f}?**" in text
    assert f"({stats.clipped_share:.0%} of them here)" in text
    assert f"B ends up covering {stats.mean_area:.3f}" in text


def test_aspect_caption_follows_the_image_shape() -> None:
    assert "every unclipped box is square" in aspect_caption(32, 32)
    assert "W / H = 1.5;" in aspect_caption(20, 30)
    assert "W / H = 0.333;" in aspect_caption(300, 100)

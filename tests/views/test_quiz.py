"""Tests for cutmix_core.views.quiz: seeded questions whose right answer is λ_adjusted and
whose wrong choices are the named mistakes."""

from __future__ import annotations

import numpy as np
import pytest

from cutmix_core.mixing.pair import box_lambda, cut_size
from cutmix_core.views.quiz import CHOICES, QUESTIONS, question, score_line, verdict

LABELS = np.repeat(np.arange(10), 10)  # the bundled sample's shape: 10 per class


def test_a_question_is_fixed_by_its_seed_and_number() -> None:
    assert question(LABELS, 3, 2) == question(LABELS, 3, 2)
    assert question(LABELS, 3, 2) != question(LABELS, 3, 3)
    assert question(LABELS, 3, 2) != question(LABELS, 4, 2)


@pytest.mark.parametrize("seed", range(6))
def test_every_question_has_one_right_answer_and_named_mistakes(seed: int) -> None:
    for n in range(1, QUESTIONS + 1):
        q = question(LABELS, seed, n)
        assert LABELS[q.position_a] != LABELS[q.position_b] and q.number == n
        assert q.lam_adjusted == box_lambda(q.box, 32, 32)
        assert len(q.choices) == CHOICES == len(set(q.choices)) == len(q.why)
        assert q.choices[q.answer] == round(q.lam_adjusted, 2) and q.why[q.answer] == ""
        assert all(0.0 <= c <= 1.0 for c in q.choices)
        assert all(q.why[i] for i in range(CHOICES) if i != q.answer)
        for c, why in zip(q.choices, q.why):
            if why.startswith("the sampled λ"):
                assert c == round(q.lam, 2)
            if why.startswith("A and B swapped"):
                assert c == round(1 - q.lam_adjusted, 2)
            if why.startswith("the box before"):
                ch, cw = cut_size(32, 32, q.lam)
                assert c == round(1 - (2 * (ch // 2)) * (2 * (cw // 2)) / 1024, 2)


def test_the_right_answer_is_not_always_in_one_place() -> None:
    places = {question(LABELS, 0, n).answer for n in range(1, QUESTIONS + 1)}
    assert len(places) > 1


def test_verdicts_and_score() -> None:
    q = question(LABELS, 1, 1)
    right = verdict(q, q.answer)
    assert right.startswith(f"Right: {q.choices[q.answer]:.2f}.")
    assert f"1 − {q.box.area}/1024 = {q.lam_adjusted:.4f}" in right
    wrong = next(i for i in range(CHOICES) if i != q.answer)
    assert verdict(q, wrong).startswith(f"Not quite: {q.choices[wrong]:.2f} is {q.why[wrong]}.")
    assert score_line({1: True, 2: False, 3: True}) == "2 of 3 right so far"
    with pytest.raises(ValueError):
        question(LABELS, 0, QUESTIONS + 1)
    with pytest.raises(ValueError):
        question(np.zeros(5, int), 0, 1)

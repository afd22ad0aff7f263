"""Check yourself: a seeded quiz on what a CutMix image's label is.

Each question shows a CutMix of two images and asks for λ_adjusted, the weight of A's label
(the share of pixels still from A). The wrong choices are the mistakes a student makes: taking
the sampled λ for the label (it ignores clipping and rounding), swapping A and B (1 − λ_adjusted),
and, for a clipped box, the share the box would have had before the border cut it. A quiz is a
seed: question ``k`` of seed ``s`` is the same for everyone on the same CIFAR-10 set, so a
lecturer hands out the same quiz by link.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from cutmix_core import defaults
from cutmix_core.box import Box
from cutmix_core.checks import check_int
from cutmix_core.mixing.pair import box_lambda, cut_size, sample_cutmix

#: How many questions one quiz has.
QUESTIONS = 10
#: How many choices a question offers.
CHOICES = 4


@dataclass(frozen=True)
class Question:
    """One question: which images, the draws, and the choices (rounded to 2 decimals).

    Attributes:
        number: 1-based position in the quiz.
        position_a, position_b: the two images' positions in the set the quiz was drawn from.
        lam: the sampled λ; ``box``: the pasted box; ``lam_adjusted``: the answer.
        choices: CHOICES distinct values; ``answer`` is the index of the right one.
        why: what each wrong choice is, by choice index (the right one: "").
    """

    number: int
    position_a: int
    position_b: int
    lam: float
    box: Box
    lam_adjusted: float
    choices: tuple[float, ...]
    answer: int
    why: tuple[str, ...]


def _unclipped_share(h: int, w: int, lam: float) -> float:
    cut_h, cut_w = cut_size(h, w, lam)
    return 1.0 - (2 * (cut_h // 2)) * (2 * (cut_w // 2)) / (h * w)


def question(
    labels: Sequence[int] | np.ndarray,
    seed: int,
    number: int,
    *,
    size: tuple[int, int] = (32, 32),
    alpha: float = defaults.ALPHA,
) -> Question:
    """Question ``number`` (1..QUESTIONS) of the quiz ``seed`` over a set with ``labels``.

    A is uniform over the set, B uniform over the images of other classes; λ and the box come
    from :func:`~cutmix_core.mixing.pair.sample_cutmix`, all from one generator seeded with
    ``(seed, number)``.

    Raises:
        ValueError: a number out of range, or labels of fewer than two classes.
    """
    check_int(seed, "seed", 0)
    check_int(number, "number", 1, QUESTIONS)
    labels = np.asarray(labels)
    if labels.ndim != 1 or np.unique(labels).size < 2:
        raise ValueError("labels must be 1-D with at least two classes")
    rng = np.random.default_rng([seed, number])
    a = int(rng.integers(labels.size))
    others = np.flatnonzero(labels != labels[a])
    b = int(others[rng.integers(others.size)])
    h, w = size
    lam, box = sample_cutmix(h, w, alpha, rng=rng)
    right = round(box_lambda(box, h, w), 2)
    wrong = {
        round(lam, 2): "the sampled λ: the label follows the pixels actually pasted, after "
        "clipping and rounding",
        round(1.0 - box_lambda(box, h, w), 2): "A and B swapped: this is the share of B's pixels",
        round(_unclipped_share(h, w, lam), 2): "the box before the border cut it: the label "
        "counts only the pixels inside the image",
    }
    options: dict[float, str] = {right: ""}
    for value, reason in wrong.items():
        options.setdefault(value, reason)
    while len(options) < CHOICES:  # near misses where two mistakes coincide
        value = round(
            min(max(right + float(rng.choice([-1, 1])) * rng.uniform(0.05, 0.3), 0), 1), 2
        )
        options.setdefault(value, "not a quantity of this mix")
    values = list(options)[:CHOICES]
    order = rng.permutation(CHOICES)
    choices = tuple(values[i] for i in order)
    return Question(
        number=number,
        position_a=a,
        position_b=b,
        lam=lam,
        box=box,
        lam_adjusted=box_lambda(box, h, w),
        choices=choices,
        answer=choices.index(right),
        why=tuple(options[c] for c in choices),
    )


def verdict(q: Question, chosen: int, h: int = 32, w: int = 32) -> str:
    """What the app says after an answer: right or wrong, what the chosen value is, and the
    arithmetic of the right one."""
    check_int(chosen, "chosen", 0, len(q.choices) - 1)
    sums = (
        f"λ_adjusted = 1 − {q.box.area}/{h * w} = {q.lam_adjusted:.4f} (sampled λ = {q.lam:.4f})."
    )
    if chosen == q.answer:
        return f"Right: {q.choices[chosen]:.2f}. {sums}"
    return f"Not quite: {q.choices[chosen]:.2f} is {q.why[chosen]}. {sums}"


def score_line(answers: dict[int, bool]) -> str:
    """The running score: ``"3 of 4 right so far"``."""
    right = sum(answers.values())
    return f"{right} of {len(answers)} right so far"

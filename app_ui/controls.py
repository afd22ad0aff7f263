"""The controls pages share: the alpha slider, the seed box, the whole block "pick A and B,
alpha, seed, resample, random pair, size policy, share" that the playground, the compare page
and the Models page draw, and the box set by hand (the mode choice, the row and column
sliders and their link settings) that the playground and the Models page offer.

The block is one function, so the three pages cannot drift apart; what differs between them
(widget keys, which extras, the titles) is a ``PairControls`` spec. Keys are the pages' own
and stay so: they are the names in every link a lecturer has shared.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import cast

import numpy as np
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from app_ui.pickers import (
    DEFAULT_CLASSES,
    Picked,
    fitted_pair,
    image_picker,
    pick_random_pair,
    size_policy_controls,
)
from app_ui.sources import cifar
from app_ui.state import SEED_MAX, clamp_state, init_state, share_link
from cutmix_core import Box, defaults
from cutmix_core.views.links import Param

ALPHA_LABEL = "α (log scale)"
BETA_HELP = "λ ~ Beta(α, α)"
#: How a page chooses λ and the box: the keys are what links carry, the values what the radio
#: shows. A page offers those of them it supports.
MODES = {
    "sample": "Sample λ ~ Beta(α, α)",
    "lambda": "Set λ by hand",
    "box": "Draw the box by hand",
}
MODE_LABEL = "How λ and the box are chosen"
#: The rows (and the columns) of a box set by hand before the user moves it.
BOX_RANGE = (8, 24)
#: Largest image side a box in a link may name (uploads are limited well below it).
BOX_MAX = 4096


def alpha_slider(
    key: str,
    *,
    where: DeltaGenerator | None = None,
    label: str = ALPHA_LABEL,
    help: str | None = BETA_HELP,
    disabled: bool = False,
) -> float:
    """The log-scale alpha slider over ``defaults.ALPHAS``, in ``where`` (default: the page)."""
    target = st if where is None else where
    return target.select_slider(label, defaults.ALPHAS, key=key, disabled=disabled, help=help)


def seed_input(key: str, *, where: DeltaGenerator | None = None, label: str = "Seed") -> int:
    """A seed box in [0, SEED_MAX], in ``where`` (default: the page)."""
    target = st if where is None else where
    return int(target.number_input(label, min_value=0, max_value=SEED_MAX, step=1, key=key))


def seed_with_resample(key: str) -> int:
    """A seed box with a "Resample" button beside it that moves the seed on by one."""
    seed_col, button_col = st.columns([3, 2], vertical_alignment="bottom")
    seed = seed_input(key, where=seed_col)
    button_col.button("🎲 Resample", on_click=lambda: st.session_state.update({key: seed + 1}))
    return seed


@dataclass(frozen=True)
class PairControls:
    """What one page's pair block looks like.

    Attributes:
        slots: the two pickers' slots, A's first (the prefix of their widget keys).
        b_title: the heading of image B's picker.
        alpha_key, seed_key: the keys of the alpha slider and the seed box.
        alpha_help: the alpha slider's tooltip.
        sample_when: (key, value): alpha is enabled only while ``session_state[key] == value``
            (a mode in which lambda is sampled); None: always enabled.
        seed_label: the seed box's label.
        resample: a "Resample" button beside the seed box.
        random_pair: a "Random CIFAR-10 pair" button.
        share_always: offer the link even while an image is missing, below the columns;
            otherwise it is offered in the controls' column once A and B are there.
    """

    slots: tuple[str, str] = ("a", "b")
    b_title: str = "Image B: pasted in"
    alpha_key: str = "alpha"
    seed_key: str = "seed"
    alpha_help: str = BETA_HELP
    sample_when: tuple[str, str] | None = None
    seed_label: str = "Seed"
    resample: bool = True
    random_pair: bool = True
    share_always: bool = False


@dataclass(frozen=True)
class Pair:
    """What the block gives the page: both picks, brought to one size, and the settings."""

    a: Picked
    b: Picked
    img_a: np.ndarray  # (H, W, 3) uint8, A at the common size
    img_b: np.ndarray  # (H, W, 3) uint8, B at the same size
    alpha: float
    seed: int
    policy: str
    side: int


def _uploads(picks: Sequence[Picked | None]) -> bool:
    return any(p is not None and p.label is None for p in picks)


def pair_controls(
    spec: PairControls,
    link: Sequence[Param],
    *,
    top: Callable[[], object] | None = None,
    after_alpha: Callable[[], object] | None = None,
    after_seed: Callable[[], object] | None = None,
) -> Pair:
    """Draw the pair block: A's and B's pickers, then a column of controls; stop the page until
    both images are there.

    The page's own widgets go into the controls' column through ``top`` (before alpha),
    ``after_alpha`` and ``after_seed``; the page reads their values by key.
    """
    slot_a, slot_b = spec.slots
    if spec.random_pair:
        init_state({"pair_seed": 0})
    ds = cifar()
    col_a, col_b, col_c = st.columns([2, 2, 3])
    with col_a:
        a = image_picker(slot_a, "Image A: the base", DEFAULT_CLASSES[0], ds)
    with col_b:
        b = image_picker(slot_b, spec.b_title, DEFAULT_CLASSES[1], ds)
    with col_c:
        if top is not None:
            top()
        sampled = spec.sample_when is None or (
            st.session_state.get(spec.sample_when[0]) == spec.sample_when[1]
        )
        alpha = alpha_slider(spec.alpha_key, help=spec.alpha_help, disabled=not sampled)
        if after_alpha is not None:
            after_alpha()
        if spec.resample:
            seed = seed_with_resample(spec.seed_key)
        else:
            seed = seed_input(spec.seed_key, label=spec.seed_label)
        if after_seed is not None:
            after_seed()
        if spec.random_pair:
            st.button(
                "Random CIFAR-10 pair",
                on_click=pick_random_pair,
                args=(spec.slots,),
                help="A seeded pick of two images of different classes",
            )
        policy, side = size_policy_controls()
        if a is not None and b is not None and not spec.share_always:
            share_link(link, uploads=_uploads((a, b)))
    if spec.share_always:
        share_link(link, uploads=_uploads((a, b)))
    if a is None or b is None:
        st.stop()
    img_a, img_b = fitted_pair(a, b, policy, side)
    return Pair(a, b, img_a, img_b, alpha, seed, policy, side)


def mode_param(modes: Sequence[str], key: str = "mode") -> Param:
    """The linkable mode setting under ``key``: one of ``modes`` (keys of MODES), the first by
    default."""
    return Param(key, "choice", modes[0], choices=tuple(modes))


def mode_radio(modes: Sequence[str], key: str = "mode") -> str:
    """The radio that chooses among ``modes`` (keys of MODES); returns the chosen key."""
    return str(st.radio(MODE_LABEL, modes, format_func=MODES.get, key=key))


def box_params(rows_key: str = "rows", cols_key: str = "cols") -> tuple[Param, Param]:
    """The linkable settings of a box set by hand: its rows [y0, y1) and columns [x0, x1)."""
    return (
        Param(rows_key, "range", BOX_RANGE, 0, BOX_MAX),
        Param(cols_key, "range", BOX_RANGE, 0, BOX_MAX),
    )


def box_sliders(
    h: int,
    w: int,
    *,
    rows_key: str = "rows",
    cols_key: str = "cols",
    labels: tuple[str, str] = ("Box rows [y0, y1)", "Box columns [x0, x1)"),
) -> Box:
    """Two range sliders side by side, the box's rows and columns in an h x w image (the
    keyboard-accessible way to set it; ``app_ui.box_drawer`` sets the same keys by a drag)."""
    clamp_state(rows_key, 0, h)  # a smaller image than the link's: keep the box inside it
    clamp_state(cols_key, 0, w)
    rows_col, cols_col = st.columns(2)
    # A (lo, hi) value in session state makes these range sliders.
    y0, y1 = cast(tuple[int, int], rows_col.slider(labels[0], 0, h, key=rows_key))
    x0, x1 = cast(tuple[int, int], cols_col.slider(labels[1], 0, w, key=cols_key))
    return Box(y0, y1, x0, x1)

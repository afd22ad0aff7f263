"""Cached compute wrappers for pages whose numbers have no other app-side home.

Computed once per server for each setting (``st.cache_data``) and shared by every session, so
going back to a setting, or another student choosing it, costs nothing (CONVENTIONS.md point 10).
Randomness comes in as a seed and becomes a generator here, never global state.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from cutmix_core.mixing.explorer import AlphaStats, alpha_stats


@st.cache_data(max_entries=8, show_spinner="Sampling…")
def explorer_stats(*, alpha: float, h: int, w: int, n: int, seed: int) -> AlphaStats:
    """The alpha explorer's ``n`` draws of λ and the box for an ``h`` x ``w`` image."""
    return alpha_stats(alpha, h, w, n, rng=np.random.default_rng(seed))

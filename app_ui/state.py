"""Widget state and shareable links: defaults through session state, the URL in and out.

A lecturer prepares a view and sends its URL; opening it must show exactly that view. Each page
declares its settings as a tuple of ``cutmix_core.views.links.Param`` (the parsing and checking
live there, without Streamlit); this module moves them between the URL and session state.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

import streamlit as st

from cutmix_core import defaults
from cutmix_core.views.links import Param, encode_params, parse_params

#: Largest seed a page accepts (and a link may carry): numpy and torch take any 32-bit seed.
SEED_MAX = 2**31 - 1
_STREAMLIT_KEYS = ("embed", "embed_options")


def seed_param(key: str) -> Param:
    """The linkable seed setting under ``key``: an int in [0, SEED_MAX], default defaults.SEED."""
    return Param(key, "int", defaults.SEED, 0, SEED_MAX)


def alpha_param(key: str, default: float = defaults.ALPHA) -> Param:
    """The linkable alpha setting under ``key``: one of defaults.ALPHAS."""
    return Param(key, "choice", default, choices=defaults.ALPHAS)


def init_state(values: Mapping[str, object]) -> None:
    """Give widgets their defaults once, through session state, so that callbacks and links can
    set them later without Streamlit's "default value and session state" warning."""
    for key, value in values.items():
        st.session_state.setdefault(key, value)


def link_state(page: str, schema: Sequence[Param]) -> None:
    """Call at the top of a page, before its widgets: the URL's settings become widget state.

    On the first run of ``page`` in a session, values from the query string override session
    state; anything missing, malformed or out of range falls back to its default with a notice
    shown on the page. On later runs only missing keys get their defaults.
    """
    loaded = st.session_state.setdefault("_links_loaded", set())
    if page not in loaded:
        loaded.add(page)
        query = {k: v for k, v in st.query_params.to_dict().items() if k not in _STREAMLIT_KEYS}
        values, notices = parse_params(query, schema)
        for param in schema:
            if param.key in query:
                st.session_state[param.key] = values[param.key]
        if notices:
            st.warning(
                "This link had settings that could not be used:\n\n- " + "\n- ".join(notices)
            )
    init_state({p.key: p.default for p in schema})


def clamp_state(key: str, lo: int, hi: int) -> None:
    """Keep a slider's stored value (a number or a range) inside [lo, hi] for a new image size."""
    value = st.session_state.get(key)
    if isinstance(value, (tuple, list)):
        first, second = (min(max(int(v), lo), hi) for v in value)
        st.session_state[key] = (first, second)
    elif value is not None:
        st.session_state[key] = min(max(int(value), lo), hi)


def current_values(schema: Sequence[Param]) -> dict[str, Any]:
    """The schema's values from session state; defaults for widgets not shown or invalid."""
    values = {}
    for param in schema:
        value = st.session_state.get(param.key, param.default)
        if isinstance(value, list):  # range sliders may hand back lists
            value = tuple(value)
        values[param.key] = value if param.check(value) is None else param.default
    return values


def share_link(schema: Sequence[Param], *, uploads: bool = False) -> None:
    """Mirror the page's settings into the URL and offer the link to copy.

    Args:
        schema: the page's linkable settings.
        uploads: True when an uploaded image is on screen: the link cannot carry it.
    """
    params = encode_params(current_values(schema), schema)
    st.query_params.from_dict(params)
    base = (st.context.url or "").split("?")[0]
    with st.popover("🔗 Share this view"):
        st.code(f"{base}?{urlencode(params)}", language=None, wrap_lines=True)
        st.caption(
            "The address bar holds the same link. Uploaded images cannot be in a "
            "link: it reopens with the CIFAR-10 picks and every other setting."
        )
    if uploads:
        st.caption("🔗 Uploaded images cannot be shared in a link.")

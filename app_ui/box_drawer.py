"""Drawing the box with the mouse: a plotly image whose box selection sets a page's box.

Streamlit reports a plotly selection to the script (``on_select``); a callback turns it into
the rows and columns of the page's box sliders, before the page runs again, so the sliders
(the keyboard-accessible way), the link and every number follow the drawn box at once.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import streamlit as st

from cutmix_core import Box
from cutmix_core.views.box_select import box_from_selection, box_select_chart


def _apply(
    key: str, h: int, w: int, rows_key: str, cols_key: str, also: Mapping[str, object]
) -> None:
    state = st.session_state.get(key) or {}
    box = box_from_selection(state.get("selection") or {}, h, w)
    if box is not None:
        st.session_state[rows_key] = (box.y0, box.y1)
        st.session_state[cols_key] = (box.x0, box.x1)
        st.session_state.update(also)


def box_drawer(
    image: np.ndarray,
    box: Box,
    *,
    key: str,
    rows_key: str = "rows",
    cols_key: str = "cols",
    also: Mapping[str, object] | None = None,
    height: int = 320,
) -> None:
    """Show ``image`` with ``box``, ``height`` pixels high; a drag on it sets ``rows_key`` and
    ``cols_key`` (and the settings in ``also``, e.g. the mode that uses them) to the dragged
    pixels."""
    h, w = image.shape[:2]
    st.plotly_chart(
        box_select_chart(image, box, height=height),
        key=key,
        on_select=lambda: _apply(key, h, w, rows_key, cols_key, also or {}),
        selection_mode="box",
        config={"displayModeBar": False},
    )

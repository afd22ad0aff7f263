"""The training-batch page's "Use it in your training" panel: the page's settings as code for
cutmix_core, torchvision and timm, one tab each, with what that library cannot express.

The code and every sentence about a library come from ``cutmix_core.views.code_export``
(tested there by running each snippet); this module only lays them out. ``st.code`` gives each
snippet its copy button.
"""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from cutmix_core.views.code_export import BatchSettings, Snippet, snippets

TITLE = "Use it in your training"
INTRO = (
    "The settings above as training-loop code. Each snippet runs as it is on a stand-in "
    "batch: replace `x` and `y` with your DataLoader's batch. Where a library has no "
    "equivalent of a setting, the code uses the nearest one and a comment says so."
)
ALL_EXPRESSED = "{library} expresses every setting above."
CANNOT = "**What {library} cannot express**"
ALSO = "**Also worth knowing**"


def _bullets(title: str, sentences: Sequence[str]) -> None:
    st.markdown("\n".join([title, "", *(f"- {s}" for s in sentences)]))


def _tab(snippet: Snippet) -> None:
    st.code(snippet.code, language="python")
    if snippet.caveats:
        _bullets(CANNOT.format(library=snippet.library), snippet.caveats)
    else:
        st.markdown(ALL_EXPRESSED.format(library=snippet.library))
    if snippet.notes:
        _bullets(ALSO, snippet.notes)


def code_panel(settings: BatchSettings) -> None:
    """An expander with one tab per library, each with its snippet, caveats and notes."""
    with st.expander(TITLE):
        st.markdown(INTRO)
        found = snippets(settings)
        for tab, snippet in zip(st.tabs([s.library for s in found]), found):
            with tab:
                _tab(snippet)

"""CutMix Lab: the entry point. Page config, navigation over app_pages/, the shared sidebar.

Run with ``streamlit run app.py``. No maths here: pages call ``cutmix_core``. The folder is not
called ``pages/``: with that name Streamlit runs a page straight from its file, without this
script, when the first request after a server start is a link to that page.
"""

from typing import Any

from app_ui.server import freeze_imported, one_torch_thread

one_torch_thread()  # before anything imports torch: it reads OMP_NUM_THREADS once

# Imported before any session runs: plotly looks pandas up in sys.modules, and a session that
# did so while another session's thread was still importing it got a half-built module.
import pandas  # noqa: F401
import streamlit as st

from app_ui.sources import sidebar

# What a setting holds: a widget's value that can be written back through session state.
_PLAIN = (bool, int, float, str)


def _is_setting(value: Any) -> bool:
    if isinstance(value, (tuple, list)):  # range sliders, multiselects
        # Not an empty list: that is also what an empty multi-file uploader holds.
        return bool(value) and all(isinstance(v, _PLAIN) for v in value)
    return isinstance(value, _PLAIN)


def keep_settings() -> None:
    """Keep every page's settings while another page is shown.

    Streamlit drops the state of a widget that was not drawn in the last run, so after a visit
    to another page (or while a mode hides a slider) its value would be back at the default.
    Writing a value back under its own key makes it plain session state, which Streamlit keeps:
    the idiom of its docs ("Widget behavior", multipage apps). It runs before any widget is
    drawn, the sidebar's included: Streamlit raises when a key is written after its widget.

    Only settings (numbers, text, booleans and tuples of them) are written back. Files, camera
    shots and empty values (None) are left alone: Streamlit refuses values for a file uploader
    or a camera input through session state. Buttons, download buttons and chat inputs refuse
    them too but hold a bool or text, so they must have no key (none has; the tests visit every
    page twice to keep it so). Links still win: a page's first run applies its URL after this.
    """
    for key in list(st.session_state):
        value = st.session_state[key]
        if _is_setting(value):
            st.session_state[key] = value


st.set_page_config(page_title="CutMix Lab", page_icon="✂️", layout="wide")

PAGES = [
    st.Page("app_pages/playground.py", title="Playground", icon="🧩", default=True),
    st.Page("app_pages/alpha_explorer.py", title="Alpha explorer", icon="📈"),
    st.Page("app_pages/compare.py", title="CutMix vs Mixup vs Cutout", icon="⚖️"),
    st.Page("app_pages/training_batch.py", title="A training batch", icon="🧱"),
    st.Page("app_pages/models.py", title="Models and Grad-CAM", icon="🔬"),
    st.Page("app_pages/occlusion.py", title="Occlusion lab", icon="🙈"),
    st.Page("app_pages/quiz.py", title="Check yourself", icon="❓"),
]

page = st.navigation(PAGES)
keep_settings()
sidebar()
page.run()
freeze_imported()  # after a run that imported torch or plotly: Streamlit's GC then skips them

"""CutMix Lab: the entry point. Page config, navigation over app_pages/, the shared sidebar.

Run with ``streamlit run app.py``. No maths here: pages call ``cutmix_core``. The folder is not
called ``pages/``: with that name Streamlit runs a page straight from its file, without this
script, when the first request after a server start is a link to that page.
"""

import streamlit as st

import ui

st.set_page_config(page_title="CutMix Lab", page_icon="✂️", layout="wide")

PAGES = [
    st.Page("app_pages/playground.py", title="Playground", icon="🧩", default=True),
    st.Page("app_pages/alpha_explorer.py", title="Alpha explorer", icon="📈"),
    st.Page("app_pages/compare.py", title="CutMix vs Mixup vs Cutout", icon="⚖️"),
    st.Page("app_pages/training_batch.py", title="A training batch", icon="🧱"),
]

page = st.navigation(PAGES)
ui.sidebar()
page.run()

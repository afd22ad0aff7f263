"""CutMix Lab: the entry point. Page config, navigation over pages/, the shared sidebar.

Run with ``streamlit run app.py``. No maths here: pages call ``cutmix_core``.
"""

import streamlit as st

import ui

st.set_page_config(page_title="CutMix Lab", page_icon="✂️", layout="wide")

PAGES = [
    st.Page("pages/playground.py", title="Playground", icon="🧩", default=True),
    st.Page("pages/alpha_explorer.py", title="Alpha explorer", icon="📈"),
    st.Page("pages/compare.py", title="CutMix vs Mixup vs Cutout", icon="⚖️"),
    st.Page("pages/training_batch.py", title="A training batch", icon="🧱"),
]

page = st.navigation(PAGES)
ui.sidebar()
page.run()

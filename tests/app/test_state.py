"""app_ui.state in a bare script (AppTest.from_function): slider values kept inside a new image
size, and invalid state falling back to defaults."""

from __future__ import annotations

from conftest import assert_ok
from streamlit.testing.v1 import AppTest


def _state_script() -> None:
    import streamlit as st

    from app_ui.state import clamp_state, current_values, seed_param
    from cutmix_core.views.links import Param

    schema = (seed_param("seed"), Param("rows", "range", (8, 24), 0, 64))
    if "seed" not in st.session_state:
        st.session_state.update(seed=-3, rows=[40, 70], cy=99)
    clamp_state("rows", 0, 32)
    clamp_state("cy", 0, 31)
    clamp_state("absent", 0, 31)
    st.session_state["values"] = current_values(schema)


def test_clamp_state_and_current_values() -> None:
    at = AppTest.from_function(_state_script).run()
    assert_ok(at)
    assert at.session_state["rows"] == (32, 32) and at.session_state["cy"] == 31
    assert "absent" not in at.session_state
    # A seed below 0 is invalid: its default; the clamped range list comes back as a tuple.
    assert at.session_state["values"] == {"seed": 0, "rows": (32, 32)}

"""app_ui.pickers in a bare script (AppTest.from_function): the random pair's seeded callback
writes into the slots it is given and moves its seed on."""

from __future__ import annotations

from conftest import assert_ok
from streamlit.testing.v1 import AppTest


def _pair_script() -> None:
    import streamlit as st

    from app_ui.pickers import pick_random_pair

    st.button("pair", on_click=pick_random_pair, args=(("ca", "cb"), "my_seed"))


def test_random_pair_fills_the_given_slots_and_moves_its_seed_on() -> None:
    at = AppTest.from_function(_pair_script).run()
    at.button[0].click().run()
    assert_ok(at)
    first = tuple(at.session_state[k] for k in ("ca_class", "ca_idx", "cb_class", "cb_idx"))
    assert first[0] != first[2] and at.session_state["my_seed"] == 1
    assert at.session_state["ca_src"] == at.session_state["cb_src"] == "CIFAR-10"
    again = AppTest.from_function(_pair_script).run()
    again.button[0].click().run()
    assert (
        tuple(again.session_state[k] for k in ("ca_class", "ca_idx", "cb_class", "cb_idx")) == first
    )
    at.button[0].click().run()  # the next seed gives another pair
    assert at.session_state["my_seed"] == 2

"""app_ui's helpers in a bare script (AppTest.from_function): what the pages rely on but do not
show on their own: prose blocks drawn in order with their fields, slider values kept inside a
new image size, invalid state falling back to defaults, and the random pair's seeded callback
writing into the slots it is given.
"""

from __future__ import annotations

from conftest import assert_ok
from streamlit.testing.v1 import AppTest


def _prose_script() -> None:
    from app_ui.prose import render

    render(
        (
            ("md", "Cutout fills with {fill}; {other} stays."),
            ("latex", r"\frac{|B|}{HW} {fill}"),
            ("md", "no fields here"),
        ),
        {"fill": "grey"},
    )


def test_prose_blocks_render_in_order_and_fields_fill_only_markdown() -> None:
    at = AppTest.from_function(_prose_script).run()
    assert_ok(at)
    assert [m.value for m in at.markdown] == [
        "Cutout fills with grey; {other} stays.",
        "no fields here",
    ]
    assert [x.value.strip("$\n") for x in at.latex] == [r"\frac{|B|}{HW} {fill}"]


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

"""app_ui.prose in a bare script (AppTest.from_function): blocks drawn in order, fields filled
only in markdown."""

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

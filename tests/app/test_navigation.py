"""AppTest: a page's settings survive a visit to another page.

Streamlit drops the state of every widget that was not drawn in the last run, so without
app.py's ``keep_settings`` the playground would be back at its defaults after a look at the
alpha explorer. These tests switch pages as the sidebar does and check the settings, the page
they drive and the share link.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from conftest import APP, assert_ok, metrics, open_app
from streamlit.testing.v1 import AppTest

PLAYGROUND = "app_pages/playground.py"
EXPLORER = "app_pages/alpha_explorer.py"
COMPARE = "app_pages/compare.py"
BATCH = "app_pages/training_batch.py"
# Every page app.py navigates over, the default (the playground) first.
PAGES = tuple(re.findall(r'st\.Page\("([^"]+)"', Path(APP).read_text(encoding="utf-8")))


def go(at: AppTest, page: str) -> AppTest:
    """Switch to ``page`` as the sidebar does: a browser drops the previous page's query."""
    at.query_params.clear()
    at.switch_page(page)
    at.run()
    assert_ok(at)
    return at


def link(at: AppTest) -> dict[str, Any]:
    """The share link's settings, as the address bar holds them."""
    return {k: v[-1] if isinstance(v, list) else v for k, v in at.query_params.items()}


def playground(at: AppTest) -> dict[str, Any]:
    return {
        "a_class": at.selectbox(key="a_class").value,
        "b_idx": at.number_input(key="b_idx").value,
        "alpha": at.select_slider(key="alpha").value,
        "seed": at.number_input(key="seed").value,
    }


def explorer(at: AppTest) -> dict[str, Any]:
    return {
        "ae_alpha": at.select_slider(key="ae_alpha").value,
        "ae_compare": at.toggle(key="ae_compare").value,
        "ae_seed": at.number_input(key="ae_seed").value,
        "ae_size": at.radio(key="ae_size").value,
    }


def test_playground_settings_survive_a_visit_to_another_page() -> None:
    at = open_app(PLAYGROUND)
    at.selectbox(key="a_class").set_value("horse")
    at.number_input(key="b_idx").set_value(3)
    at.select_slider(key="alpha").set_value(0.3)
    at.number_input(key="seed").set_value(42)
    at.run()
    assert_ok(at)
    changed, shown = playground(at), metrics(at)
    assert changed == {"a_class": "horse", "b_idx": 3, "alpha": 0.3, "seed": 42}

    go(at, EXPLORER)
    assert at.title[0].value == "Alpha explorer"
    go(at, PLAYGROUND)

    assert playground(at) == changed
    assert metrics(at) == shown
    query = link(at)  # the share link carries the playground's own values, not defaults
    assert (query["a_class"], query["b_idx"], query["alpha"], query["seed"]) == (
        "horse",
        "3",
        "0.3",
        "42",
    )


def test_a_setting_hidden_by_the_mode_survives_too() -> None:
    at = open_app(PLAYGROUND)
    at.radio(key="mode").set_value("lambda").run()
    at.slider(key="lam").set_value(0.35).run()
    shown = metrics(at)
    at.radio(key="mode").set_value("sample").run()  # the λ slider is no longer drawn
    assert metrics(at) != shown
    go(at, COMPARE)
    go(at, PLAYGROUND)
    at.radio(key="mode").set_value("lambda").run()
    assert_ok(at)
    assert at.slider(key="lam").value == 0.35
    assert metrics(at) == shown


def test_explorer_settings_survive_a_visit_to_another_page() -> None:
    at = open_app(EXPLORER)
    at.select_slider(key="ae_alpha").set_value(0.3)
    at.toggle(key="ae_compare").set_value(True)
    at.number_input(key="ae_seed").set_value(7)
    at.radio(key="ae_size").set_value("224")
    at.run()
    assert_ok(at)
    changed = explorer(at)
    assert changed == {"ae_alpha": 0.3, "ae_compare": True, "ae_seed": 7, "ae_size": "224"}

    go(at, BATCH)
    go(at, EXPLORER)

    assert explorer(at) == changed
    assert at.number_input(key="ae_h").value == 224
    assert len(at.metric) == 10  # two α compared: five metrics each
    query = link(at)
    assert (query["ae_alpha"], query["ae_compare"], query["ae_seed"]) == ("0.3", "True", "7")


def test_a_link_wins_on_first_load_and_is_kept_afterwards() -> None:
    at = open_app(EXPLORER, {"ae_alpha": "0.3", "ae_seed": "5"})
    assert not at.warning
    assert explorer(at)["ae_alpha"] == 0.3 and explorer(at)["ae_seed"] == 5
    go(at, PLAYGROUND)
    assert playground(at)["seed"] == 0  # the explorer's link does not touch the playground
    go(at, EXPLORER)
    assert explorer(at)["ae_alpha"] == 0.3 and explorer(at)["ae_seed"] == 5
    assert link(at)["ae_seed"] == "5"


def test_every_page_twice_with_an_upload_on_screen() -> None:
    # File uploaders cannot be given a value through session state (Streamlit raises), so
    # keep_settings must leave their keys alone; a trip round every page with a file uploaded
    # would raise otherwise. Its upload is not kept: a browser re-sends no file either.
    at = open_app(PLAYGROUND)
    at.segmented_control(key="b_src").set_value("Upload").run()
    at.file_uploader(key="b_file").upload("notes.png", b"not an image", "image/png").run()
    assert_ok(at)
    assert PAGES[0] == PLAYGROUND and len(PAGES) >= 4
    for page in (*PAGES[1:], *PAGES[1:], PLAYGROUND):
        go(at, page)
    assert at.segmented_control(key="b_src").value == "Upload"

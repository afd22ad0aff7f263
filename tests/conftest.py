"""Shared test helpers: the repo root, reading plotly charts back from AppTest, the JSON
``st.plotly_chart`` sends for a figure, and a fixture that clears the machine's proxy
variables."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    """Forget the machine's *_proxy variables, so that which host a download would connect to
    first (cutmix_core.data.download.first_hop) does not depend on the machine the tests run on."""
    for var in list(os.environ):
        if var.lower().endswith("_proxy"):
            monkeypatch.delenv(var)


def _decode(value: Any) -> Any:
    # Plotly 6 writes numeric arrays as {"dtype": ..., "bdata": base64}; turn them back.
    if isinstance(value, dict) and "bdata" in value and "dtype" in value:
        arr = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
        shape = value.get("shape")
        if isinstance(shape, str):  # plotly writes 2-D shapes as "5, 10"
            shape = [int(s) for s in shape.split(",")]
        return arr.reshape(shape) if shape else arr
    if isinstance(value, dict):
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def chart_traces(chart: Any) -> list[dict[str, Any]]:
    """The traces of an AppTest plotly_chart element, numeric arrays decoded to numpy."""
    return _decode(json.loads(chart.proto.spec)["data"])


def chart_json(fig: Any) -> str:
    """The JSON ``st.plotly_chart`` sends for ``fig``: its own two steps (the figure's dict, then
    that dict serialised unchecked)."""
    from plotly import io as pio
    from plotly import tools

    return str(pio.to_json(tools.return_figure_from_figure_or_data(fig, True), validate=False))


APP = str(ROOT / "app.py")


def open_app(page: str | None = None, query: dict | None = None, timeout: float = 90) -> Any:
    """A new session of the app, shown at ``page``.

    With ``query``, the session opens as a browser opening that link does: the query and the
    page are set before the first run. Without it, the app runs first and then switches page
    with an empty query, as the sidebar does (a browser drops the previous page's query; AppTest
    would keep it).
    """
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=timeout)
    if query is None:
        at.run()
        at.query_params.clear()
    else:
        at.query_params.update(query)
    if page is not None:
        at.switch_page(page)
    return at.run()


def assert_ok(at: Any) -> None:
    """No exception was raised on the page."""
    assert not at.exception, [e.value for e in at.exception]


def metrics(at: Any) -> dict[str, str]:
    """The page's metrics, label to shown value."""
    return {m.label: m.value for m in at.metric}


@pytest.fixture(scope="session")
def cifar_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """<root>/<split>/<class>/<i>.png: 20 train and 5 test images per class, class-coloured, so a
    tiny network learns something in a few steps."""
    from cutmix_core.data.cifar import CLASSES

    root = tmp_path_factory.mktemp("cifar")
    rng = np.random.default_rng(0)
    for split, per_class in (("train", 20), ("test", 5)):
        for c, name in enumerate(CLASSES):
            folder = root / split / name
            folder.mkdir(parents=True)
            for i in range(per_class):
                img = rng.integers(0, 60, (32, 32, 3), dtype=np.uint8)
                img[..., c % 3] += np.uint8(40 + 19 * c)  # a class-dependent colour cast
                Image.fromarray(img).save(folder / f"{i:03d}.png")
    return root

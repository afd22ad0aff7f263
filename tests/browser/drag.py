"""What the drag tests share: the pages' default pair, reading a metric, dragging across a box
drawer in Chromium and reading the dragged box back from the page's link."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlparse

import numpy as np

from cutmix_core import Box
from cutmix_core.data.cifar import CLASSES, load_sample


def default_pair() -> tuple[np.ndarray, np.ndarray]:
    """The pages' default A and B: the sample's first cat and first dog."""
    ds = load_sample()
    a = ds.image(int(ds.positions_of(CLASSES.index("cat"))[0]))
    b = ds.image(int(ds.positions_of(CLASSES.index("dog"))[0]))
    return a, b


def metric(page: Any, label: str) -> Any:
    """The values of the metrics whose label contains ``label``, in page order."""
    return (
        page.locator('[data-testid="stMetric"]')
        .filter(has_text=label)
        .locator('[data-testid="stMetricValue"]')
    )


def drag(page: Any, start: tuple[float, float], end: tuple[float, float]) -> None:
    """Drag across the page's box drawer (its first plotly chart) from and to fractions of the
    drawer's width and height."""
    area = page.locator('[data-testid="stPlotlyChart"] .nsewdrag').first
    area.scroll_into_view_if_needed()
    bb = area.bounding_box()
    assert bb is not None
    (fx0, fy0), (fx1, fy1) = start, end
    x0, y0 = bb["x"] + bb["width"] * fx0, bb["y"] + bb["height"] * fy0
    x1, y1 = bb["x"] + bb["width"] * fx1, bb["y"] + bb["height"] * fy1
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move((x0 + x1) / 2, (y0 + y1) / 2, steps=4)
    page.mouse.move(x1, y1, steps=4)
    page.mouse.up()


def linked_box(url: str) -> Box:
    """The box a page's link carries as ``rows=y0-y1&cols=x0-x1``."""
    query = parse_qs(urlparse(url).query)
    (y0, y1), (x0, x1) = (map(int, query[k][0].split("-")) for k in ("rows", "cols"))
    return Box(y0, y1, x0, x1)


def slider_values(page: Any) -> list[str]:
    """The values shown on the page's slider thumbs, in page order."""
    return page.locator('[data-testid="stSliderThumbValue"]').all_inner_texts()

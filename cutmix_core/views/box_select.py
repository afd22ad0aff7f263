"""The image on which a box is drawn by dragging: :func:`box_select_figure` and its chart, and
:func:`box_from_selection`, which reads the dragged box back.

The figure shows the image with plotly's image trace, the box outlined, and invisible points on
pixel centres, so that a box selection reports points as well as its range. A page that lets the
box be dragged draws it on every rerun, while only the box changes: :func:`box_select_chart`
keeps each image's figure (at most :data:`BASE_CACHE_ENTRIES`, each a few times the image's raw
bytes: its pixels, base64-encoded in the dict, and the points) and checks only the new outline.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import numpy as np
import plotly.graph_objects as go

from cutmix_core.box import Box
from cutmix_core.data.images import check_image
from cutmix_core.views.charts import ReadOnlyFigure, chart_of
from cutmix_core.views.figures import BOX_RGB

__all__ = ["SELECT_POINTS", "box_from_selection", "box_select_chart", "box_select_figure"]

#: Images whose figure :func:`box_select_chart` keeps, per process.
BASE_CACHE_ENTRIES = 8

#: Most invisible points a box-select figure places (one per pixel centre for small images).
SELECT_POINTS = 4096


def box_select_figure(image: np.ndarray, box: Box, *, height: int = 320) -> go.Figure:
    """``image`` as a plotly image on which dragging selects a box (the drag mode is "select"),
    with ``box`` outlined. Invisible points sit on pixel centres (every pixel of an image up to
    :data:`SELECT_POINTS` pixels, a regular grid of them beyond), so that a selection reports
    points as well as its range; :func:`box_from_selection` reads either back."""
    check_image(image)
    h, w = image.shape[:2]
    step = max(1, math.ceil(math.sqrt(h * w / SELECT_POINTS)))
    ys, xs = np.mgrid[0:h:step, 0:w:step]
    points = go.Scatter(
        x=xs.ravel(),
        y=ys.ravel(),
        mode="markers",
        marker={"size": 2, "opacity": 0},
        hoverinfo="none",
        showlegend=False,
    )
    # One constructor call (see _figure); plotly's default template, as before.
    return go.Figure(
        [go.Image(z=image, hoverinfo="none"), points],
        layout=dict(
            shapes=[_outline(box)] if box.area else None,
            dragmode="select",
            height=height,
            margin={"l": 0, "r": 0, "t": 0, "b": 0},
            xaxis={"visible": False, "range": [-0.5, w - 0.5]},
            yaxis={"visible": False, "range": [h - 0.5, -0.5], "scaleanchor": "x"},
        ),
    )


def box_select_chart(image: np.ndarray, box: Box, *, height: int = 320) -> ReadOnlyFigure:
    """:func:`box_select_figure` for ``st.plotly_chart`` (:func:`chart_of`): the same JSON, the
    image, its points and the layout built once per image content and height (the last
    :data:`BASE_CACHE_ENTRIES` kept), only the box's outline each call."""
    check_image(image)
    base = _box_select_base(image.tobytes(), image.shape, height, bool(box.area))
    if not box.area:
        return chart_of(base)
    layout = dict(base["layout"])  # the same keys in the same order, a new outline
    layout["shapes"] = [go.layout.Shape(_outline(box)).to_plotly_json()]
    return chart_of({"data": base["data"], "layout": layout})


@lru_cache(maxsize=BASE_CACHE_ENTRIES)
def _box_select_base(
    pixels: bytes, shape: tuple[int, ...], height: int, outlined: bool
) -> dict[str, Any]:
    # The figure of an image (uint8, ``shape``) as a dict, with some outline if ``outlined``
    # (the caller replaces it); shared, never changed.
    image = np.frombuffer(pixels, np.uint8).reshape(shape)
    return box_select_figure(
        image, Box(0, 1, 0, 1) if outlined else Box(0, 0, 0, 0), height=height
    ).to_dict()


def _outline(box: Box) -> dict[str, Any]:
    """The box's outline on a box-select figure: around its pixels' edges."""
    return dict(
        type="rect",
        x0=box.x0 - 0.5,
        x1=box.x1 - 0.5,
        y0=box.y0 - 0.5,
        y1=box.y1 - 0.5,
        line={"color": f"rgb{BOX_RGB}", "width": 3},
    )


def box_from_selection(selection: Mapping[str, Any], h: int, w: int) -> Box | None:
    """The pixels a box selection on :func:`box_select_figure` covers, as a half-open Box
    clipped to the image; None when nothing was selected.

    A pixel is in when its centre lies inside the dragged range. Streamlit reports the range
    (``selection["box"][0]["x"]`` and ``["y"]``) and the points inside it; the range is used
    when present, else the bounding box of the points.
    """
    boxes = selection.get("box") or []
    if boxes and boxes[-1].get("x") and boxes[-1].get("y"):
        xa, xb = sorted(float(v) for v in boxes[-1]["x"][:2])
        ya, yb = sorted(float(v) for v in boxes[-1]["y"][:2])
        x0, x1 = max(0, math.ceil(xa)), min(w, math.floor(xb) + 1)
        y0, y1 = max(0, math.ceil(ya)), min(h, math.floor(yb) + 1)
    else:
        points = [p for p in selection.get("points") or [] if "x" in p and "y" in p]
        if not points:
            return None
        cols = [int(round(float(p["x"]))) for p in points]
        rows = [int(round(float(p["y"]))) for p in points]
        x0, x1 = max(0, min(cols)), min(w, max(cols) + 1)
        y0, y1 = max(0, min(rows)), min(h, max(rows) + 1)
    if x1 <= x0 or y1 <= y0:
        return None
    return Box(y0, y1, x0, x1)

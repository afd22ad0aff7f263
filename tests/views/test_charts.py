"""cutmix_core.views.charts: a read-only figure hands out its one dict, and nothing plotly does
with it (repr, copies, pickles) writes to that dict, which other charts share."""

from __future__ import annotations

import copy
import pickle
from collections.abc import Callable

import numpy as np
import plotly.graph_objects as go
import pytest
from conftest import chart_json

from cutmix_core import Box
from cutmix_core.views.box_select import box_select_chart
from cutmix_core.views.charts import ReadOnlyFigure, chart_of, read_only
from cutmix_core.views.figures import beta_density_chart, soft_label_chart

IMAGE = np.random.default_rng(0).integers(0, 256, (12, 10, 3), dtype=np.uint8)
CHARTS: dict[str, Callable[[], ReadOnlyFigure]] = {
    "beta": lambda: beta_density_chart(0.7, 0.4, 0.42),
    "soft label": lambda: soft_label_chart([0.6, 0.4], ["a", "b"], class_a=0, class_b=1),
    "box select": lambda: box_select_chart(IMAGE, Box(1, 5, 2, 8)),
    "read_only": lambda: read_only(
        go.Figure(go.Bar(x=["a"], y=[1.0]), layout={"template": "plotly_white"})
    ),
}


@pytest.mark.parametrize("name", CHARTS)
def test_repr_copies_and_pickles_leave_the_shared_dict_alone(name: str) -> None:
    chart = CHARTS[name]()
    want = chart_json(chart)
    assert "ReadOnlyFigure(" in repr(chart)  # plotly's repr would write "..." into it
    assert copy.copy(chart) is chart
    deep = copy.deepcopy(chart)
    assert isinstance(deep, ReadOnlyFigure) and deep.to_dict() is not chart.to_dict()
    back = pickle.loads(pickle.dumps(chart))  # plotly's pickle would add its grid's keys
    for other in (deep, back, chart, CHARTS[name]()):
        assert chart_json(other) == want
    deep.to_dict()["layout"]["height"] = 1  # a copy is the caller's own
    assert chart_json(CHARTS[name]()) == want


def test_a_chart_is_its_dict_and_a_read_only_figure_its_json() -> None:
    as_dict = go.Figure(go.Scatter(x=[1, 2], y=[3, 4])).to_dict()
    chart = chart_of(as_dict)
    assert isinstance(chart, go.Figure) and chart.to_dict() is as_dict
    fig = go.Figure(go.Scatter(x=[1, 2], y=[3, 4]))
    want = fig.to_json()
    same = read_only(fig)
    assert same is fig and same.to_json() == want and chart_json(same) == want

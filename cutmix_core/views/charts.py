"""Charts handed to ``st.plotly_chart`` as read-only figures: each stands for one dict, the
figure's plotly JSON, made once.

``st.plotly_chart`` given a plotly figure asks for its ``to_dict()``, which deep-copies the
figure and its template and walks every value again on every rerun; given a dict it checks the
whole figure again. A :class:`ReadOnlyFigure` hands out the dict it was made with instead:
:func:`read_only` turns a figure just built (and cached, never changed again) into one, and
:func:`chart_of` makes one from a dict built from parts plotly checked before (the chart
builders of :mod:`cutmix_core.views.figures` and :mod:`cutmix_core.views.box_select`), without
making any plotly object at all.

The dict is shared: by every rerun that draws a cached figure, and by every chart whose parts
come from one cache entry, in every session. Nothing may write to it. ``st.plotly_chart`` only
serialises it; plotly's own ``repr``, copy and pickle methods would write to it (``repr``
replaces the template with ``"..."``, a pickle adds the grid's keys), so they are replaced here
by ones that leave it alone and copy it (tests/views/test_charts.py).
"""

from __future__ import annotations

import copy
from typing import Any, cast

import plotly.graph_objects as go

__all__ = ["ReadOnlyFigure", "chart_of", "read_only"]


class ReadOnlyFigure(go.Figure):
    """A figure that nothing changes any more, standing for one dict (its ``to_dict``), for
    ``st.plotly_chart``. Use only ``to_dict`` and ``to_json`` on it: one made by
    :func:`chart_of` has no plotly state behind the dict, so its other methods fail, and one
    made by :func:`read_only` ignores later changes. ``repr``, ``copy.copy``,
    ``copy.deepcopy`` and pickling work on a copy of the dict."""

    def to_dict(self) -> dict[str, Any]:
        return cast("dict[str, Any]", self.__dict__["_as_dict"])

    def __repr__(self) -> str:
        data = self.to_dict().get("data", [])
        kinds = ", ".join(str(trace.get("type", "?")) for trace in data)
        return f"ReadOnlyFigure({len(data)} traces: {kinds})"

    def __copy__(self) -> ReadOnlyFigure:
        return self  # read-only: the same chart

    def __deepcopy__(self, memo: dict[int, Any]) -> ReadOnlyFigure:
        return chart_of(copy.deepcopy(self.to_dict(), memo))

    def __reduce__(self) -> tuple[Any, tuple[dict[str, Any]]]:
        return chart_of, (copy.deepcopy(self.to_dict()),)


def read_only(fig: go.Figure) -> ReadOnlyFigure:
    """Make ``fig``, a figure just built and never changed again, a :class:`ReadOnlyFigure`
    that hands out the dict plotly's ``to_dict`` gives now (so the chart's JSON is unchanged).
    Returns ``fig``."""
    as_dict = go.Figure.to_dict(fig)
    fig.__class__ = ReadOnlyFigure  # same layout, a few methods more: nothing else changes
    fig.__dict__["_as_dict"] = as_dict
    return cast(ReadOnlyFigure, fig)


def chart_of(as_dict: dict[str, Any]) -> ReadOnlyFigure:
    """The chart of ``as_dict``, a figure's ``to_dict()`` built from parts plotly checked: a
    :class:`ReadOnlyFigure` that is nothing but that dict (no plotly object is made, not even
    an empty figure, whose making checks its layout and template)."""
    fig = object.__new__(ReadOnlyFigure)
    fig.__dict__["_as_dict"] = as_dict
    return fig

"""cutmix_core.views.figures.set_template: the app's template set unchecked gives byte for byte
the JSON that plotly's checked ``update_layout(template=...)`` gives, on every chart builder
that uses it; the template keeps the registered layout and the defaults of the figure's own
trace types, and loses only the defaults of types the figure does not draw."""

from __future__ import annotations

from collections.abc import Callable

import plotly.graph_objects as go
import plotly.io as pio
import pytest

from cutmix_core.views import figures
from cutmix_core.views.figures import TEMPLATE, set_template, template_for

BUILDERS: dict[str, Callable[[], go.Figure]] = {
    "beta": lambda: figures.beta_density_figure(0.5, 0.3, 0.31),
    "beta, no lambdas": lambda: figures.beta_density_figure(2.0),
    "soft label": lambda: figures.soft_label_figure(
        [0.25, 0.75, 0.0], ["a", "b", "c"], class_a=0, class_b=1
    ),
    "apply_layout": lambda: figures.apply_layout(
        go.Figure(go.Bar(x=[1, 2], y=[3, 4])), "A title", 250
    ),
}


def _checked(fig: go.Figure, name: str) -> go.Figure:
    # plotly's own path: the template checked field by field and copied
    return fig.update_layout(template=template_for(fig, name))


@pytest.mark.parametrize("name", BUILDERS)
def test_set_template_gives_the_checked_json(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    fast = BUILDERS[name]().to_json()
    monkeypatch.setattr(figures, "set_template", _checked)
    assert fast == BUILDERS[name]().to_json()
    monkeypatch.undo()
    fig = BUILDERS[name]()
    template = fig.to_dict()["layout"]["template"]
    registered = pio.templates[TEMPLATE].to_plotly_json()
    kinds = {trace.type for trace in fig.data}
    assert kinds and template["layout"] == registered["layout"]
    assert template.get("data", {}) == {k: v for k, v in registered["data"].items() if k in kinds}


def test_the_template_keeps_every_default_of_the_types_drawn() -> None:
    registered = pio.templates[TEMPLATE].to_plotly_json()
    fig = go.Figure([go.Bar(x=[1], y=[2]), go.Scatter(x=[1], y=[2]), go.Heatmap(z=[[1]])])
    template = set_template(fig, TEMPLATE).to_dict()["layout"]["template"]
    assert set(template["data"]) == {"bar", "scatter", "heatmap"}
    for kind in template["data"]:
        assert template["data"][kind] == registered["data"][kind]
    assert template["layout"] == registered["layout"]


def test_set_template_leaves_the_registered_template_and_checking_alone() -> None:
    registered = pio.templates[TEMPLATE].to_plotly_json()
    fig = set_template(go.Figure(go.Bar(x=[1], y=[2])), TEMPLATE)
    fig.layout.template.layout.font.size = 99  # the figure's own copy
    fig.layout.template.data.bar[0].marker.line.width = 9
    assert pio.templates[TEMPLATE].to_plotly_json() == registered
    again = set_template(go.Figure(go.Bar(x=[1], y=[2])), TEMPLATE).to_dict()["layout"]
    assert again["template"]["layout"] == registered["layout"]
    assert again["template"]["data"] == {"bar": registered["data"]["bar"]}
    with pytest.raises(ValueError, match="nonsense"):
        fig.update_layout(nonsense=1)  # the figure still checks what is set later

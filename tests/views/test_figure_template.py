"""cutmix_core.views.figures.set_template: the app's template set unchecked gives byte for byte
the JSON that plotly's checked ``update_layout(template=...)`` gives, on every chart builder
that uses it."""

from __future__ import annotations

from collections.abc import Callable

import plotly.graph_objects as go
import plotly.io as pio
import pytest

from cutmix_core.views import figures
from cutmix_core.views.figures import TEMPLATE, set_template

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


@pytest.mark.parametrize("name", BUILDERS)
def test_set_template_gives_the_checked_json(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    fast = BUILDERS[name]().to_json()
    # plotly's own path: the name looked up, checked field by field and copied
    monkeypatch.setattr(figures, "set_template", lambda fig, t: fig.update_layout(template=t))
    assert fast == BUILDERS[name]().to_json()
    monkeypatch.undo()
    template = BUILDERS[name]().to_dict()["layout"]["template"]
    assert template == pio.templates[TEMPLATE].to_plotly_json()


def test_set_template_leaves_the_registered_template_and_checking_alone() -> None:
    registered = pio.templates[TEMPLATE].to_plotly_json()
    fig = set_template(go.Figure(), TEMPLATE)
    fig.layout.template.layout.font.size = 99  # the figure's own copy
    assert pio.templates[TEMPLATE].to_plotly_json() == registered
    assert set_template(go.Figure(), TEMPLATE).to_dict()["layout"]["template"] == registered
    with pytest.raises(ValueError, match="nonsense"):
        fig.update_layout(nonsense=1)  # the figure still checks what is set later

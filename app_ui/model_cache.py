"""The Models page's work, done once per setting: each model's explanation of a mix, its sweep
and its figures, the sweep's figure, the learning curves and the evaluation's table and plots.

A rerun with settings seen before (any session's) rebuilds none of it: the page only hands the
cached figures and image bytes to Streamlit. The results are kept with ``st.cache_resource``, not
``st.cache_data``: a plotly figure copied out of ``st.cache_data`` is rebuilt and checked again
by plotly, which is what the cache is there to avoid. They are shared read-only by every session
(CONVENTIONS.md point 10): ``st.plotly_chart`` and ``st.image`` only read them, and nothing here
or in the page writes to a cached figure or array.

On a new setting the models run at once, one per core (:func:`at_once`), each building its own
figures while the other's network runs.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TypeVar

import numpy as np
import plotly.graph_objects as go
import streamlit as st
import torch

from cutmix_core import Box
from cutmix_core.evaluation.report import EvaluationReport, load_report
from cutmix_core.models.checkpoints import LoadedModel
from cutmix_core.models.localize import Localization, localize
from cutmix_core.views.charts import read_only
from cutmix_core.views.evaluation_figures import display_rows, occlusion_figure, split_figure
from cutmix_core.views.model_figures import (
    ColumnFigures,
    column_figures,
    localizer_panel,
    panel_bytes,
    sweep_figure,
    training_figure,
)
from cutmix_core.views.model_view import (
    MixExplanation,
    ShippedModel,
    SplitSweep,
    explain_mix,
    sweep_split,
)
from cutmix_core.views.training_view import training_caption, training_curves

T = TypeVar("T")
#: One model of a column: its key, the loaded model, and the classes to explain for A and B
#: (None: the model's own top-1 on the image).
Job = tuple[str, LoadedModel, int | None, int | None]


@st.cache_resource
def _helpers() -> ThreadPoolExecutor:
    """Threads that run the other models while the script thread runs the first; shared by
    every session (one thread a core)."""
    return ThreadPoolExecutor(max_workers=os.cpu_count() or 1, thread_name_prefix="models_page")


def at_once(jobs: Sequence[Callable[[], T]]) -> list[T]:
    """Run ``jobs`` at once, the first in this thread, when torch has one thread: a core each,
    no OpenMP threads waiting for one another, and the same numbers as one after the other.
    With more torch threads, one after the other."""
    if len(jobs) < 2 or torch.get_num_threads() > 1:
        return [job() for job in jobs]
    others = [_helpers().submit(job) for job in jobs[1:]]
    first = jobs[0]()
    return [first, *(future.result() for future in others)]


def _read_only_figures(figures: ColumnFigures) -> ColumnFigures:
    for fig in (figures.on_mix, figures.on_a, figures.on_b):
        read_only(fig)
    return figures


@dataclass(frozen=True, eq=False)
class ModelView:
    """One model on one mix: its explanation, its sweep and its column's figures."""

    ex: MixExplanation
    sweep: SplitSweep
    figures: ColumnFigures


def _view(
    loaded: LoadedModel,
    a: np.ndarray,
    b: np.ndarray,
    mixed: np.ndarray,
    box: Box,
    class_a: int | None,
    class_b: int | None,
    scale: int,
) -> ModelView:
    ex = explain_mix(loaded, a, b, mixed, box, class_a=class_a, class_b=class_b)
    sweep = sweep_split(loaded, a, b, box, ex.class_a, ex.class_b)
    return ModelView(ex, sweep, _read_only_figures(column_figures(ex, mixed, scale=scale)))


@st.cache_resource(max_entries=32, show_spinner=False)
def _views(
    *,
    models: tuple[tuple[str, str | None, int | None, int | None], ...],
    pair: tuple[object, ...],
    box: tuple[int, int, int, int],
    scale: int,
    _loaded: tuple[LoadedModel, ...],
    _a: np.ndarray,
    _b: np.ndarray,
    _mixed: np.ndarray,
) -> tuple[ModelView, ...]:
    jobs = [
        partial(_view, loaded, _a, _b, _mixed, Box(*box), ca, cb, scale)
        for loaded, (_, _, ca, cb) in zip(_loaded, models)
    ]
    return tuple(at_once(jobs))


def model_views(
    jobs: Sequence[Job],
    pair: tuple[object, ...],
    img_a: np.ndarray,
    img_b: np.ndarray,
    mixed: np.ndarray,
    box: Box,
    *,
    scale: int,
) -> dict[str, ModelView]:
    """``explain_mix``, ``sweep_split`` and ``column_figures`` (Grad-CAM panels upscaled
    ``scale`` times) of each model of ``jobs`` on one mix, by model key, the models at once.

    Cached, as the explanation always was, on the models and their weights' sha256 (a retrained
    checkpoint copied over the old one is not served from the cache), the picks (``pair``:
    their keys and the size policy), the box and the classes: going back to a setting, or
    another session asking for the same view, costs nothing.
    """
    unique = {key: (key, loaded, ca, cb) for key, loaded, ca, cb in jobs}  # one run a model
    models = tuple(
        (key, loaded.card.get("sha256"), ca, cb) for key, loaded, ca, cb in unique.values()
    )
    views = _views(
        models=models,
        pair=pair,
        box=(box.y0, box.y1, box.x0, box.x1),
        scale=int(scale),
        _loaded=tuple(loaded for _, loaded, _, _ in unique.values()),
        _a=img_a,
        _b=img_b,
        _mixed=mixed,
    )
    return dict(zip(unique, views))


@st.cache_resource(max_entries=32, show_spinner=False)
def _sweep_figure(
    *,
    lines: tuple[tuple[str, str, str, str | None, int, int], ...],
    pair: tuple[object, ...],
    box: tuple[int, int, int, int],
    name_a: str,
    name_b: str,
    t_now: float,
    _sweeps: tuple[SplitSweep, ...],
) -> go.Figure:
    figure = sweep_figure(
        [(label, sweep) for (label, *_), sweep in zip(lines, _sweeps)],
        name_a=name_a,
        name_b=name_b,
        colors=[color for _, color, *_ in lines],
        t_now=t_now,
    )
    return read_only(figure)


def cached_sweep_figure(
    sweeps: Sequence[tuple[str, str, str, LoadedModel, ModelView]],
    pair: tuple[object, ...],
    box: Box,
    *,
    name_a: str,
    name_b: str,
    t_now: float,
) -> go.Figure:
    """:func:`~cutmix_core.views.model_figures.sweep_figure` of ``(label, colour, model key,
    model, view)`` lines on the mix of ``pair`` with ``box``, made once for each setting."""
    lines = tuple(
        (label, color, key, loaded.card.get("sha256"), view.ex.class_a, view.ex.class_b)
        for label, color, key, loaded, view in sweeps
    )
    corners = (box.y0, box.y1, box.x0, box.x1)
    return _sweep_figure(
        lines=lines,
        pair=pair,
        box=corners,
        name_a=name_a,
        name_b=name_b,
        t_now=t_now,
        _sweeps=tuple(v.sweep for *_, v in sweeps),
    )


def _stamp(path: Path) -> tuple[int, int] | None:
    """A file's modification time and size, None when it cannot be read: what the caches
    below are keyed on, so a file written while the app runs is read again."""
    try:
        st_ = path.stat()
    except OSError:
        return None
    return st_.st_mtime_ns, st_.st_size


@st.cache_resource(max_entries=4, show_spinner=False)
def _training(
    *,
    cards: tuple[tuple[str, str, str, tuple[int, int] | None], ...],
    _models: tuple[ShippedModel, ...],
) -> tuple[go.Figure, str] | None:
    curves = training_curves(_models)
    return (read_only(training_figure(curves)), training_caption(curves)) if curves else None


def training_view(models: Sequence[ShippedModel]) -> tuple[go.Figure, str] | None:
    """The learning curves' figure and caption of ``models`` (None when no card has a
    history), read again when a model card changes."""
    cards = tuple(
        (m.key, str(m.path), m.label, _stamp(m.path.with_suffix(".json"))) for m in models
    )
    return _training(cards=cards, _models=tuple(models))


@dataclass(frozen=True, eq=False)
class EvaluationView:
    """An evaluation report and what the page shows of it: the table's rows and two plots."""

    report: EvaluationReport
    rows: list[dict[str, str]]
    split: go.Figure
    occlusion: go.Figure


@st.cache_resource(max_entries=4, show_spinner=False)
def _evaluation(*, path: str, stamp: tuple[int, int] | None) -> EvaluationView:
    report = load_report(path)  # a ValueError is not cached: the page says why, every rerun
    split, occlusion = read_only(split_figure(report)), read_only(occlusion_figure(report))
    return EvaluationView(report, display_rows(report), split, occlusion)


def evaluation_view(path: Path) -> EvaluationView:
    """The report at ``path`` with its table rows and plots, read again when the file changes.

    Raises:
        ValueError: as :func:`~cutmix_core.evaluation.report.load_report` (missing, not
            JSON, another version).
    """
    return _evaluation(path=str(path), stamp=_stamp(path))


@st.cache_resource(max_entries=64, show_spinner=False)
def _localized(
    *,
    model: tuple[str, str | None, int, int],
    pair: tuple[object, ...],
    box: tuple[int, int, int, int],
    fraction: float,
    scale: int,
    _ex: MixExplanation,
    _mixed: np.ndarray,
) -> tuple[bytes, Localization]:
    loc = localize(_ex.cam_b, _ex.box, fraction)  # B's map, any scale: the threshold is relative
    return panel_bytes(localizer_panel(_mixed, _ex.box, loc.box, scale=scale)), loc


def localizer_view(
    key: str,
    loaded: LoadedModel,
    pair: tuple[object, ...],
    ex: MixExplanation,
    mixed: np.ndarray,
    *,
    fraction: float,
    scale: int,
) -> tuple[bytes, Localization]:
    """The box :func:`~cutmix_core.models.localize.localize` draws from B's map of ``ex`` at
    ``fraction`` of its maximum, and the localizer panel (upscaled ``scale`` times) as
    :func:`~cutmix_core.views.model_figures.panel_bytes`; made once for each model, mix and
    threshold."""
    model = (key, loaded.card.get("sha256"), ex.class_a, ex.class_b)
    box = (ex.box.y0, ex.box.y1, ex.box.x0, ex.box.x1)
    return _localized(
        model=model,
        pair=pair,
        box=box,
        fraction=float(fraction),
        scale=int(scale),
        _ex=ex,
        _mixed=mixed,
    )

"""The evaluation report: what ``python -m cutmix_core.evaluation`` measured, as frozen
dataclasses written to and read from JSON by :mod:`cutmix_core.records`, and the summary table
README and the model page show.

What the numbers mean is in :mod:`cutmix_core.evaluation.run`.

Versions: 1 had no localizer; 2 adds the IoU of the box a localizer draws from class B's
Grad-CAM (``PairStats.cam_b_iou``, ``cam_b_iou_hits``) and its threshold
(``EvaluationReport.cam_fraction``). A version-1 file still reads, with those fields NaN (the
tables show "–": not measured); a version-2 file must have them.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cutmix_core import defaults
from cutmix_core.files import write_atomic
from cutmix_core.models.localize import IOU_HIT
from cutmix_core.paths import REPORT_PATH
from cutmix_core.records import from_json, to_json

REPORT_VERSION = 2
READABLE_VERSIONS = (1, 2)  # what load_report accepts; older fields are never dropped
#: What version 2 added, in the report and in each model's pairs: a version-2 file must have it.
_ADDED_IN_2 = (("cam_fraction",), ("cam_b_iou", "cam_b_iou_hits"))
TABLE_HOLE = defaults.CUTOUT_SIZE  # the Cutout side for CIFAR-10: the table column
CARD_TOLERANCE_IMAGES = 1  # card_agrees: images the two accuracies may differ by
IOU_COLUMN = "CAM-B box IoU"  # the localizer's mean IoU, and its share of hits:
IOU_HIT_COLUMN = f"IoU ≥ {IOU_HIT:g}"
#: The summary table's columns (README and the app show them).
COLUMNS = (
    "model",
    "aug",
    "params",
    "epochs",
    "clean acc",
    "card acc",
    "p(B) corr",
    "p(B) MAE",
    "both top-2",
    "CAM-B in box",
    "CAM-A outside",
    IOU_COLUMN,
    IOU_HIT_COLUMN,
    f"occl. {TABLE_HOLE}px centre",
    f"occl. {TABLE_HOLE}px random",
)


class ReportError(ValueError):
    """An evaluation report that cannot be read; the message is meant for the user."""


@dataclass(frozen=True)
class SplitCurve:
    """Mean p(A) and p(B) on the mixed images in equal bins of t = 1 - lam_adjusted (NaN: empty)."""

    centres: tuple[float, ...]
    counts: tuple[int, ...]
    mean_p_a: tuple[float, ...]
    mean_p_b: tuple[float, ...]


@dataclass(frozen=True)
class PairStats:
    """One model on the CutMix pairs (see the module docstring); rates and shares in [0, 1]."""

    n: int
    mean_p_a: float
    mean_p_b: float
    corr_p_b: float  # Pearson r(p(B), t); NaN if either is constant
    mae_p_b: float  # mean |p(B) - t|
    both_top2: float  # share of pairs whose two most likely classes are A and B
    cam_b_in_box: float  # mean share of class B's Grad-CAM mass inside the box
    cam_a_outside: float  # mean share of class A's Grad-CAM mass outside the box
    cam_pairs: int  # pairs with a non-empty box (the CAM means are over these)
    cam_skipped_a: int  # of those, all-zero class-A maps (no mass to share out)
    cam_skipped_b: int
    curve: SplitCurve
    # The localizer (version 2; NaN when read from version 1), over the same pairs as
    # cam_b_in_box (non-empty box, non-zero map): the box around the largest region of B's map
    # at >= cam_fraction of its max (cutmix_core.models.localize) against the pasted box.
    cam_b_iou: float = math.nan  # mean IoU
    cam_b_iou_hits: float = math.nan  # share of pairs at IoU >= 0.5


@dataclass(frozen=True)
class OcclusionCurve:
    """Accuracy with a square hole of each side in ``holes`` at ``placement`` (centre, random)."""

    placement: str
    holes: tuple[int, ...]
    accuracy: tuple[float, ...]

    def at(self, side: int) -> float | None:
        """The accuracy for a hole of ``side`` pixels, None if it was not measured."""
        return self.accuracy[self.holes.index(side)] if side in self.holes else None


@dataclass(frozen=True)
class ModelEvaluation:
    """Everything measured for one checkpoint."""

    name: str  # file stem, e.g. "airnet_cutmix"
    arch: str
    aug: str  # from the card; "" if the card does not say
    num_parameters: int
    epochs: int | None
    test_images: int
    clean_accuracy: float
    card_accuracy: float | None  # the card's test_accuracy
    card_test_images: int | None  # how many test images the card's accuracy was measured on
    pairs: PairStats
    occlusion: tuple[OcclusionCurve, ...]  # one per placement, in PLACEMENTS order
    wall_time_s: float

    @property
    def card_agrees(self) -> bool | None:
        """The two differ by at most one image; None when the card has no accuracy or used
        other images. Counted in images: ``abs(0.8010 - 0.8009) > 1e-4`` in floating point."""
        if self.card_accuracy is None or self.card_test_images not in (None, self.test_images):
            return None
        differ = round(abs(self.clean_accuracy - self.card_accuracy) * self.test_images)
        return differ <= CARD_TOLERANCE_IMAGES

    def occlusion_at(self, placement: str, side: int) -> float | None:
        return next((c.at(side) for c in self.occlusion if c.placement == placement), None)


@dataclass(frozen=True)
class EvaluationReport:
    """All models plus what is needed to reproduce the numbers (the JSON file's content)."""

    models: tuple[ModelEvaluation, ...]
    command: str  # the command line that wrote it
    seed: int
    pairs: int
    alpha: float
    holes: tuple[int, ...]
    data: str  # the test set's source, e.g. a path and "(first 20 balanced)"
    test_images: int
    box_share: float  # mean t over the pairs: what a uniform Grad-CAM map scores in the box
    device: str
    torch: str
    date: str  # ISO 8601, UTC
    cam_fraction: float = math.nan  # the localizer's threshold (share of the max); NaN: none
    version: int = REPORT_VERSION


def save_report(report: EvaluationReport, path: str | Path) -> Path:
    """Write ``report`` as JSON (strict: no NaN), atomically; returns the path."""
    text = json.dumps(to_json(report), indent=1, allow_nan=False) + "\n"
    return write_atomic(path, text.encode())  # never a half-written report for the app to read


def load_report(path: str | Path = REPORT_PATH) -> EvaluationReport:
    """Read a report written by :func:`save_report`.

    Raises:
        ReportError (a ValueError): the file is missing, not JSON, of another version, or lacks
            a field; the message names the file and says how to rebuild it.
    """
    path = Path(path)
    rebuild = "run `python -m cutmix_core.evaluation` to rebuild it"
    if not path.is_file():
        raise ReportError(f"evaluation report {path} does not exist; {rebuild}")
    try:
        d = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ReportError(
            f"evaluation report {path} is not readable JSON ({err}); {rebuild}"
        ) from err
    version = d.get("version") if isinstance(d, dict) else None
    if isinstance(version, bool) or version not in READABLE_VERSIONS:
        readable = " and ".join(map(str, READABLE_VERSIONS))
        raise ReportError(
            f"evaluation report {path} has version {version!r}, this code reads "
            f"versions {readable}; {rebuild}"
        )
    try:
        _check_added(d, version)
        return from_json(EvaluationReport, d)
    except (TypeError, ValueError) as err:
        raise ReportError(f"evaluation report {path} is malformed ({err}); {rebuild}") from err


def _check_added(d: dict[str, Any], version: int) -> None:
    """Raise ValueError naming a field that ``version`` must have but ``d`` lacks (from_json
    would quietly fill it with its default, which is there for older files only)."""
    if version < 2:
        return
    in_report, in_pairs = _ADDED_IN_2
    places: list[tuple[str, Any, tuple[str, ...]]] = [("EvaluationReport", d, in_report)]
    models = d.get("models")
    for i, m in enumerate(models if isinstance(models, list) else []):
        pairs = m.get("pairs") if isinstance(m, dict) else None
        places.append((f"EvaluationReport.models[{i}].pairs", pairs, in_pairs))
    for where, obj, names in places:
        missing = [n for n in names if isinstance(obj, dict) and n not in obj]
        if missing:
            raise ValueError(f"{where}.{missing[0]} is missing (version {version})")


def _pct(x: float | None) -> str:
    return "–" if x is None or math.isnan(x) else f"{100 * x:.2f}%"


def _num(x: float | None, digits: int = 3) -> str:
    return "–" if x is None or math.isnan(x) else f"{x:.{digits}f}"


def summary_rows(report: EvaluationReport) -> list[dict[str, Any]]:
    """One dict per model, keys :data:`COLUMNS` (numbers as numbers, None where missing)."""
    rows = []
    for m in report.models:
        p = m.pairs
        values = (
            m.name,
            m.aug,
            m.num_parameters,
            m.epochs,
            m.clean_accuracy,
            m.card_accuracy,
            _opt(p.corr_p_b),
            _opt(p.mae_p_b),
            p.both_top2,
            _opt(p.cam_b_in_box),
            _opt(p.cam_a_outside),
            _opt(p.cam_b_iou),
            _opt(p.cam_b_iou_hits),
            m.occlusion_at("centre", TABLE_HOLE),
            m.occlusion_at("random", TABLE_HOLE),
        )
        rows.append(dict(zip(COLUMNS, values)))
    return rows


def markdown_table(report: EvaluationReport) -> str:
    """A GitHub markdown table, one row per model (percentages for accuracies and rates)."""
    fmt: dict[str, Callable[[Any], str]] = {
        "model": str,
        "aug": str,
        "params": lambda v: f"{v / 1e6:.2f}M",
        "epochs": lambda v: "–" if v is None else str(v),
        "p(B) corr": _num,
        "p(B) MAE": _num,
        IOU_COLUMN: _num,
    }
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for row in summary_rows(report):
        lines.append("| " + " | ".join(fmt.get(k, _pct)(v) for k, v in row.items()) + " |")
    return "\n".join(lines)


def _opt(x: float) -> float | None:  # NaN as None, for tables
    return None if x is None or math.isnan(x) else float(x)

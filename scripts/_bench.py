"""The one row shape of ``scripts/benchmark.py`` and its section modules (``bench_app``,
``bench_lib``): a figure with its unit and statistic, the target the issue sets for it (None
where it sets none) and whether it was met (a figure meets its target when it is at most the
target: times, and ratios against another library). Imported as ``_bench``, the folder of the
running script being first on ``sys.path``."""

from __future__ import annotations

from typing import Literal, TypedDict

Stat = Literal["median", "p95", "mean", "once"]


class Row(TypedDict):
    """One figure of the benchmark, as scripts/benchmark.py prints and stores it."""

    section: str
    case: str
    value: float
    unit: str  # "ms", "s", "x", "img/s", "reruns/s"
    stat: Stat
    target: float | None
    met: bool | None
    n: int
    note: str


def row(
    section: str,
    case: str,
    value: float,
    unit: str,
    stat: Stat = "median",
    *,
    n: int,
    note: str = "",
    target: float | None = None,
) -> Row:
    """A figure; ``met`` is whether ``value`` is at most ``target`` (None without one)."""
    return Row(
        section=section,
        case=case,
        value=round(value, 4),
        unit=unit,
        stat=stat,
        target=target,
        met=None if target is None else bool(value <= target),
        n=n,
        note=note,
    )

"""Argument checks with messages that name the value: the one place for int, number and choice
checks (a ``bool`` is never accepted as a number, though Python counts it as an int).
"""

from __future__ import annotations

import math
from collections.abc import Collection
from numbers import Integral, Real
from typing import Any


def check_int(value: Any, name: str, lo: int | None = None, hi: int | None = None) -> int:
    """``value`` as an ``int`` in ``[lo, hi]`` (either bound may be None).

    Raises:
        ValueError: naming ``name`` and the value, for a non-integer, a bool or one out of range.
    """
    # An exact int skips the abstract-class checks, which cost more than the rest of the check.
    if type(value) is not int:
        if isinstance(value, bool) or not isinstance(value, Integral):
            raise ValueError(f"{name} must be an int, got {value!r}")
        value = int(value)
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise ValueError(
            f"{name} must be an int in [{_bound(lo, '-inf')}, {_bound(hi, 'inf')}], got {value!r}"
        )
    return value


def check_number(
    value: Any,
    name: str,
    lo: float = -math.inf,
    hi: float = math.inf,
    *,
    lo_open: bool = False,
    hi_open: bool = False,
) -> float:
    """``value`` as a finite ``float`` in the interval from ``lo`` to ``hi`` (closed unless
    ``lo_open`` / ``hi_open``).

    Raises:
        ValueError: naming ``name`` and the value, for a non-number, a bool, NaN, an infinity
            or a value outside the interval.
    """
    exact = type(value) is float or type(value) is int  # no abstract-class checks for these
    if not exact and (isinstance(value, bool) or not isinstance(value, Real)):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    value = float(value)
    below = value <= lo if lo_open else value < lo
    above = value >= hi if hi_open else value > hi
    if below or above:
        interval = f"{'(' if lo_open else '['}{lo:g}, {hi:g}{')' if hi_open else ']'}"
        raise ValueError(f"{name} must be in {interval}, got {value!r}")
    return value


def check_choice(value: Any, name: str, choices: Collection[Any]) -> Any:
    """``value`` if it is one of ``choices``.

    Raises:
        ValueError: naming ``name``, the value and the choices.
    """
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(str, choices))}; got {value!r}")
    return value


def _bound(b: int | None, none: str) -> str:
    return none if b is None else str(b)

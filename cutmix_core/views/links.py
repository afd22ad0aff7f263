"""Shareable links: a page's settings to URL query parameters and back, validated.

A lecturer prepares a view and sends its URL; opening it must show exactly that view. Each page
declares its settings as a tuple of ``Param``; ``encode_params`` turns current values into query
strings and ``parse_params`` turns a (possibly hand-edited, truncated or stale) query back into
values, falling back to the default for anything missing, malformed or out of range, with one
notice per fallback so the page can say what it ignored.

Values round-trip exactly: floats are written with ``repr`` (shortest exact form), so
``parse(encode(v)) == v`` for every valid value (a property test checks it).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal["int", "float", "choice", "str", "range"]


@dataclass(frozen=True)
class Param:
    """One linkable setting.

    Attributes:
        key: the session-state key of its widget, and its name in the URL.
        kind: "int", "float", "choice" (one of ``choices``), "str" (free text, at most
            ``hi`` characters) or "range" (a pair of ints ``lo <= a <= b <= hi``).
        default: the value used when the URL lacks it or it is invalid.
        lo, hi: inclusive bounds for numbers and ranges; max length for "str".
        choices: allowed values for "choice" (compared as strings in the URL).
    """

    key: str
    kind: Kind
    default: Any
    lo: float | None = None
    hi: float | None = None
    choices: tuple[Any, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in ("int", "float", "choice", "str", "range"):
            raise ValueError(f"unknown kind {self.kind!r} for parameter {self.key!r}")
        if self.kind == "choice" and not self.choices:
            raise ValueError(f"choice parameter {self.key!r} needs choices")
        problem = self.check(self.default)
        if problem:
            raise ValueError(f"default of {self.key!r} is invalid: {problem}")

    def check(self, value: Any) -> str | None:
        """None if ``value`` is valid for this parameter, else the reason."""
        if self.kind == "choice":
            return None if value in self.choices else f"{value!r} is not one of {self.choices}"
        if self.kind == "str":
            ok = isinstance(value, str) and (self.hi is None or len(value) <= self.hi)
            return None if ok else f"{value!r} is not text of at most {self.hi} characters"
        if self.kind == "range":
            ok = (
                isinstance(value, tuple)
                and len(value) == 2
                and all(isinstance(v, int) for v in value)
                and value[0] <= value[1]
            )
            if not ok:
                return f"{value!r} is not a pair of ints a <= b"
            value_lo, value_hi = value
            return self._bounds(value_lo) or self._bounds(value_hi)
        if self.kind == "int" and (isinstance(value, bool) or not isinstance(value, int)):
            return f"{value!r} is not an integer"
        if self.kind == "float" and (
            not isinstance(value, (int, float)) or not math.isfinite(value)
        ):
            return f"{value!r} is not a finite number"
        return self._bounds(value)

    def _bounds(self, value: float) -> str | None:
        if self.lo is not None and value < self.lo:
            return f"{value!r} is below {self.lo}"
        if self.hi is not None and value > self.hi:
            return f"{value!r} is above {self.hi}"
        return None

    def encode(self, value: Any) -> str:
        """The URL text of ``value``."""
        if self.kind == "range":
            return f"{value[0]}-{value[1]}"
        if self.kind == "float":
            return repr(float(value))
        return str(value)

    def decode(self, text: str) -> Any:
        """Parse URL text; raises ValueError when it is malformed or invalid."""
        if self.kind == "int":
            value: Any = int(text)
        elif self.kind == "float":
            value = float(text)
        elif self.kind == "range":
            first, _, second = text.partition("-")
            value = (int(first), int(second))
        elif self.kind == "choice":
            by_text = {str(c): c for c in self.choices}
            value = by_text.get(text, _numeric_choice(text, self.choices))
            if value is None:
                raise ValueError(f"{text!r} is not one of {[str(c) for c in self.choices]}")
        else:
            value = text
        problem = self.check(value)
        if problem:
            raise ValueError(problem)
        return value


def _numeric_choice(text: str, choices: tuple[Any, ...]) -> Any:
    # "1" or "1.00" in a hand-edited link still means the choice 1.0.
    try:
        number = float(text)
    except ValueError:
        return None
    for choice in choices:
        if isinstance(choice, (int, float)) and not isinstance(choice, bool) and choice == number:
            return choice
    return None


def parse_params(
    query: Mapping[str, str | Sequence[str]], schema: Sequence[Param]
) -> tuple[dict[str, Any], list[str]]:
    """Values for every parameter of ``schema`` from a URL query, and notices for fallbacks.

    Keys in the query that the schema does not know are ignored.

    Returns:
        (values, notices): a value for each param (the default where the URL had none or a bad
        one), and one human-readable notice per value that fell back or was ignored.
    """
    values: dict[str, Any] = {}
    notices: list[str] = []
    for param in schema:
        raw = query.get(param.key)
        if raw is None:
            values[param.key] = param.default
            continue
        text = raw if isinstance(raw, str) else (raw[-1] if raw else "")
        try:
            values[param.key] = param.decode(text)
        except (ValueError, TypeError) as err:
            values[param.key] = param.default
            notices.append(
                f"Link setting {param.key}={text!r} ignored ({err}); "
                f"using the default {param.encode(param.default)}."
            )
    # Keys the page does not know are ignored silently: Streamlit may carry another page's
    # settings across a page switch, and a notice for each would be noise.
    return values, notices


def encode_params(values: Mapping[str, Any], schema: Sequence[Param]) -> dict[str, str]:
    """Query strings for the values of ``schema`` (every parameter, so links are exact).

    Raises:
        ValueError: if a value is missing or invalid (a page bug, not a user error).
    """
    out: dict[str, str] = {}
    for param in schema:
        if param.key not in values:
            raise ValueError(f"no value for link parameter {param.key!r}")
        problem = param.check(values[param.key])
        if problem:
            raise ValueError(f"link parameter {param.key!r}: {problem}")
        out[param.key] = param.encode(values[param.key])
    return out

"""Frozen result dataclasses to and from JSON: the one serialiser, driven by the type hints.

A result written by the library (an evaluation report, say) is a tree of frozen dataclasses
whose fields are ``int``, ``float``, ``str``, ``bool``, ``X | None``, ``tuple[X, ...]`` or another
such dataclass. :func:`to_json` turns it into plain JSON values (tuples become lists; a float
NaN becomes ``null``, since JSON has none) and :func:`from_json` builds it back, checking every
value against the field's type, so a damaged file gives a ``ValueError`` naming the field
instead of a half-built result. A ``float`` field read as ``null`` is NaN again; a
``float | None`` field keeps None.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from typing import Any, TypeVar

T = TypeVar("T")


def to_json(obj: Any) -> Any:
    """Plain JSON values for a dataclass tree (see the module docstring)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_json(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, (tuple, list)):
        return [to_json(v) for v in obj]
    if isinstance(obj, float):
        return None if math.isnan(obj) else obj
    if obj is None or isinstance(obj, (bool, int, str)):
        return obj
    raise TypeError(f"cannot write {type(obj).__name__} {obj!r} as JSON")


def from_json(cls: type[T], data: Any, where: str = "") -> T:
    """Build a ``cls`` (a dataclass) from what :func:`to_json` wrote.

    Raises:
        ValueError: a field is missing or has a value of the wrong type; the message names it.
    """
    return _read(cls, data, where or cls.__name__)


def _read(kind: Any, value: Any, where: str) -> Any:
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(kind)
        if value is None and type(None) in options:
            return None
        rest = [k for k in options if k is not type(None)]
        return _read(rest[0] if len(rest) == 1 else rest, value, where)
    if origin is tuple:
        if not isinstance(value, list):
            raise ValueError(f"{where} must be a list, got {value!r}")
        item = typing.get_args(kind)[0]
        return tuple(_read(item, v, f"{where}[{i}]") for i, v in enumerate(value))
    if dataclasses.is_dataclass(kind):
        if not isinstance(value, dict):
            raise ValueError(f"{where} must be an object, got {value!r}")
        hints = typing.get_type_hints(kind)
        fields = {}
        for f in dataclasses.fields(kind):
            if f.name not in value:
                if f.default is not dataclasses.MISSING:
                    continue
                raise ValueError(f"{where}.{f.name} is missing")
            fields[f.name] = _read(hints[f.name], value[f.name], f"{where}.{f.name}")
        return kind(**fields)  # type: ignore[operator]  # a dataclass type, checked above
    if kind is float:
        if value is None:
            return math.nan
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"{where} must be a number, got {value!r}")
        return float(value)
    if kind in (int, str, bool):
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise ValueError(f"{where} must be {kind.__name__}, got {value!r}")
        return value
    raise TypeError(f"{where}: cannot read a field of type {kind!r}")

"""The cached functions of app_ui take keyword-only arguments, and are called so: Streamlit
looks a positional argument's name up with ``inspect.signature`` on every call of a cached
function (to leave ``_``-named arguments out of the key), keywords skip that."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import numpy as np
import pytest
from streamlit.runtime.caching.cache_utils import CachedFunc

import app_ui


def _cached() -> dict[str, CachedFunc]:
    found = {}
    for info in pkgutil.iter_modules(app_ui.__path__):
        module = importlib.import_module(f"app_ui.{info.name}")
        for name, value in vars(module).items():
            if isinstance(value, CachedFunc) and value.__module__ == module.__name__:
                found[f"{module.__name__}.{name}"] = value
    return found


def test_every_cached_function_takes_keywords_only() -> None:
    found = _cached()
    assert len(found) >= 15  # every one, not none by accident
    positional = {
        name: [
            p.name
            for p in inspect.signature(func.__wrapped__).parameters.values()  # type: ignore[attr-defined]
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)
        ]
        for name, func in found.items()
    }
    assert {name: args for name, args in positional.items() if args} == {}


def test_a_cached_call_looks_up_no_signature(monkeypatch: pytest.MonkeyPatch) -> None:
    from streamlit import type_util

    from app_ui.render import png
    from cutmix_core.data.images import to_png_bytes

    def refuse(func: object) -> None:
        raise AssertionError(f"looked up the signature of {func}")

    monkeypatch.setattr(type_util, "get_func_parameters", refuse)
    img = np.random.default_rng(0).integers(0, 256, (5, 7, 3), dtype=np.uint8)
    assert png(img) == to_png_bytes(img)  # computed, then from the cache
    assert png(img) == to_png_bytes(img)

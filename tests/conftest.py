"""Shared test helpers: the repo root, and reading plotly charts back from AppTest."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def _decode(value: Any) -> Any:
    # Plotly 6 writes numeric arrays as {"dtype": ..., "bdata": base64}; turn them back.
    if isinstance(value, dict) and "bdata" in value and "dtype" in value:
        arr = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
        shape = value.get("shape")
        if isinstance(shape, str):  # plotly writes 2-D shapes as "5, 10"
            shape = [int(s) for s in shape.split(",")]
        return arr.reshape(shape) if shape else arr
    if isinstance(value, dict):
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def chart_traces(chart: Any) -> list[dict[str, Any]]:
    """The traces of an AppTest plotly_chart element, numeric arrays decoded to numpy."""
    return _decode(json.loads(chart.proto.spec)["data"])

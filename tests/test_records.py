"""Tests for cutmix_core.records: dataclass trees to JSON and back, with NaN and None kept
apart and damaged input named by field."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import pytest

from cutmix_core.records import from_json, to_json


@dataclass(frozen=True)
class Leaf:
    side: int
    share: float
    note: float | None


@dataclass(frozen=True)
class Tree:
    name: str
    ok: bool
    leaves: tuple[Leaf, ...]
    sizes: tuple[int, ...]
    version: int = 1


TREE = Tree("t", True, (Leaf(4, math.nan, None), Leaf(8, 0.5, 0.25)), (1, 2))


def test_a_tree_round_trips_through_strict_json() -> None:
    text = json.dumps(to_json(TREE), allow_nan=False)
    back = from_json(Tree, json.loads(text))
    assert back.leaves[1] == TREE.leaves[1] and back.sizes == (1, 2) and back.ok is True
    assert math.isnan(back.leaves[0].share) and back.leaves[0].note is None  # NaN vs None


def test_missing_fields_with_defaults_and_extra_keys_are_fine() -> None:
    data = to_json(TREE)
    del data["version"]
    data["card_agrees"] = True  # written by an older version: ignored
    assert from_json(Tree, data).version == 1


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda d: d.pop("name"), r"Tree\.name is missing"),
        (lambda d: d.update(sizes=[1, "2"]), r"Tree\.sizes\[1\] must be int"),
        (lambda d: d.update(ok=1), r"Tree\.ok must be bool"),
        (lambda d: d["leaves"][0].update(side=True), r"Tree\.leaves\[0\]\.side must be int"),
        (lambda d: d.update(leaves={}), r"Tree\.leaves must be a list"),
        (lambda d: d["leaves"][1].update(share="x"), r"Tree\.leaves\[1\]\.share must be a number"),
    ],
)
def test_damaged_input_names_the_field(change, match) -> None:
    data = to_json(TREE)
    change(data)
    with pytest.raises(ValueError, match=match):
        from_json(Tree, data)


def test_values_json_cannot_hold_are_refused() -> None:
    with pytest.raises(TypeError, match="cannot write"):
        to_json(Leaf(1, 0.5, object()))  # type: ignore[arg-type]

"""cutmix_core.views.links: a page's settings to URL query parameters and back, validated."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cutmix_core.views.links import Param, encode_params, parse_params

SCHEMA = (
    Param("alpha", "choice", 1.0, choices=(0.5, 1.0, 2.0)),
    Param("seed", "int", 0, 0, 1000),
    Param("lam", "float", 0.7, 0.0, 1.0),
    Param("rows", "range", (8, 24), 0, 32),
    Param("name", "str", "A", hi=10),
)


@settings(max_examples=150, deadline=None)
@given(
    alpha=st.sampled_from((0.5, 1.0, 2.0)),
    seed=st.integers(0, 1000),
    lam=st.floats(0.0, 1.0),
    rows=st.tuples(st.integers(0, 32), st.integers(0, 32)).map(lambda t: tuple(sorted(t))),
    name=st.text(max_size=10),
)
def test_links_round_trip_exactly(alpha, seed, lam, rows, name) -> None:
    values = {"alpha": alpha, "seed": seed, "lam": lam, "rows": rows, "name": name}
    parsed, notices = parse_params(encode_params(values, SCHEMA), SCHEMA)
    assert notices == []
    assert parsed == values


def test_links_fall_back_with_notices() -> None:
    query = {"alpha": "7", "seed": "x", "lam": "nan", "rows": "20-10", "junk": "1"}
    values, notices = parse_params(query, SCHEMA)
    assert values == {p.key: p.default for p in SCHEMA}
    assert len(notices) == 4  # one per bad value; the unknown "junk" is ignored silently
    assert not any("junk" in n for n in notices) and any("seed='x'" in n for n in notices)


def test_links_accept_equivalent_numbers_and_lists() -> None:
    values, notices = parse_params({"alpha": "2", "seed": ["1", "5"]}, SCHEMA)
    assert values["alpha"] == 2.0 and values["seed"] == 5 and notices == []


def test_link_schema_rejects_bad_defaults_and_values() -> None:
    with pytest.raises(ValueError, match="default of 'seed'"):
        Param("seed", "int", -1, 0, 10)
    with pytest.raises(ValueError, match="'lam'"):
        encode_params({"alpha": 1.0, "seed": 0, "lam": 2.0, "rows": (0, 1), "name": ""}, SCHEMA)

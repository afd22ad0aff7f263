"""Tests for cutmix_core.checks: values in, the value or a message naming it out."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cutmix_core.checks import check_choice, check_int, check_number


def test_check_int_accepts_integers_in_range_and_returns_python_ints() -> None:
    assert check_int(np.int64(3), "n", lo=0, hi=3) == 3
    assert type(check_int(np.int64(3), "n")) is int


@pytest.mark.parametrize(
    ("value", "match"),
    [
        (True, "n must be an int, got True"),
        (2.0, "n must be an int, got 2.0"),
        ("2", "n must be an int, got '2'"),
        (0, r"n must be an int in \[1, inf\], got 0"),
        (9, r"n must be an int in \[1, 5\], got 9"),
    ],
)
def test_check_int_names_what_is_wrong(value, match) -> None:
    with pytest.raises(ValueError, match=match):
        check_int(value, "n", lo=1, hi=5 if value == 9 else None)


def test_check_number_closed_and_open_bounds() -> None:
    assert check_number(0, "x", 0, 1) == 0.0 and check_number(1, "x", 0, 1) == 1.0
    with pytest.raises(ValueError, match=r"x must be in \(0, 1\], got 0.0"):
        check_number(0.0, "x", 0, 1, lo_open=True)
    with pytest.raises(ValueError, match=r"x must be in \[0, 1\), got 1.0"):
        check_number(1.0, "x", 0, 1, hi_open=True)
    for bad in (math.nan, math.inf, False, "0.5", None):
        with pytest.raises(ValueError, match="x must be a finite number"):
            check_number(bad, "x")


def test_check_choice_lists_the_choices() -> None:
    assert check_choice("b", "mode", ("a", "b")) == "b"
    with pytest.raises(ValueError, match="mode must be one of a, b; got 'c'"):
        check_choice("c", "mode", ("a", "b"))

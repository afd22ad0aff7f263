"""The half-open rectangle every part of CutMix Lab speaks in: the pasted box, a Cutout hole,
an occlusion hole, a box drawn on screen.

It lives alone, below the mixing ops, so that images, Grad-CAM and the views can use it without
importing the mixing maths.
"""

from __future__ import annotations

from dataclasses import dataclass

from cutmix_core.checks import check_int


@dataclass(frozen=True)
class Box:
    """A half-open rectangle: rows ``[y0, y1)`` and columns ``[x0, x1)``, in pixels."""

    y0: int
    y1: int
    x0: int
    x1: int

    def __post_init__(self) -> None:
        for name in ("y0", "y1", "x0", "x1"):
            object.__setattr__(self, name, check_int(getattr(self, name), f"Box.{name}"))
        if not (0 <= self.y0 <= self.y1 and 0 <= self.x0 <= self.x1):
            raise ValueError(f"Box needs 0 <= y0 <= y1 and 0 <= x0 <= x1, got {self}")

    @property
    def height(self) -> int:
        return self.y1 - self.y0

    @property
    def width(self) -> int:
        return self.x1 - self.x0

    @property
    def area(self) -> int:
        return self.height * self.width

    def fits(self, h: int, w: int) -> bool:
        """True if the box lies inside an ``h`` x ``w`` image."""
        return self.y1 <= h and self.x1 <= w

    def as_dict(self) -> dict[str, int]:
        return {"y0": self.y0, "y1": self.y1, "x0": self.x0, "x1": self.x1}


EMPTY_BOX = Box(0, 0, 0, 0)

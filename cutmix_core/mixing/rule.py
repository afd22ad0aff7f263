"""The CutMix box rule, written once for one box or many (numpy), and the draws that feed it.

CutMix (Yun et al., "CutMix: Regularization Strategy to Train Strong Classifiers with Localizable
Features", ICCV 2019, https://arxiv.org/abs/1905.04899) cuts, for each pair,

    lam ~ Beta(alpha, alpha)
    cut_h = int(H * sqrt(1 - lam)),  cut_w = int(W * sqrt(1 - lam))
    centre (cy, cx) uniform over the whole image
    box = [cy - cut_h // 2, cy + cut_h // 2) x [cx - cut_w // 2, cx + cut_w // 2), clipped to it
    lam_adjusted = 1 - box_area / (H * W)

``clip_boxes`` is that clipped box, vectorised over many boxes as timm's ``rand_bbox(...,
count=)`` is; ``cut_sizes`` is the cut side (both written once, in ``_clip_corners`` and
``_cuts``). Everything else calls these: the single-pair ops (``box_from_center``,
``box_from_cut``, ``sample_box`` in ``mixing.pair``), the batch ops'
per-sample boxes and Cutout holes (``mixing.batch``) and the alpha explorer (``mixing.explorer``).
One exception, kept on purpose: :func:`draw_one_box` and :func:`area_lambda` write the same rule
again on Python ints, for the one box batch mode shares, where numpy's per-call cost on
one-element arrays would be most of the op; property tests hold them to the arrays' numbers and
generator state.

The one draw order, for ``n`` boxes from one ``np.random.Generator``:

1. the ``n`` lambdas, ``rng.beta(alpha, alpha, size=n)`` (unless lambda is given);
2. the ``n`` centres, box by box: row of box 0, column of box 0, row of box 1, ...
   (``rng.integers((h, w), size=(n, 2))``).

Both give exactly the numbers of ``n`` scalar ``rng.beta`` calls, then ``2 n`` scalar
``rng.integers`` calls in that order (tests/mixing/test_rule.py checks it), so for ``n = 1`` this
is the single pair's order (lambda, then centre row, then centre column) and the per-sample draws
of the batch op are the ones its former per-sample loop made.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from cutmix_core.box import Box
from cutmix_core.checks import check_int, check_number


def check_alpha(alpha: float) -> float:
    """``alpha`` as a float, or ``ValueError`` if it is not a finite number > 0."""
    return check_number(alpha, "alpha", 0.0, math.inf, lo_open=True, hi_open=True)


def check_lambda(lam: float) -> float:
    """``lam`` as a float, or ``ValueError`` if it is not a number in [0, 1]."""
    return check_number(lam, "lambda", 0.0, 1.0)


def check_size(h: int, w: int) -> tuple[int, int]:
    """``(h, w)`` as ints, or ``ValueError`` unless both are integers >= 1."""
    return check_int(h, "image height h", lo=1), check_int(w, "image width w", lo=1)


def _ints(name: str, values: object) -> np.ndarray:
    arr = np.asarray(values)
    if arr.ndim != 1 or not (arr.size == 0 or np.issubdtype(arr.dtype, np.integer)):
        raise ValueError(f"{name} must be a 1-D array of integers, got {arr.dtype} {arr.shape}")
    return arr.astype(np.int64, copy=False)


def check_lambdas(lams: object) -> np.ndarray:
    """``lams`` as a 1-D float64 array, or ``ValueError`` naming the first value outside [0, 1]."""
    arr = np.asarray(lams, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"lambdas must be a 1-D array, got shape {arr.shape}")
    bad = ~((arr >= 0.0) & (arr <= 1.0))  # also catches NaN
    if bad.any():
        raise ValueError(f"lambda must be in [0, 1], got {float(arr[bad][0])!r}")
    return arr


@dataclass(frozen=True)
class BoxArrays:
    """``n`` half-open boxes ``[y0, y1) x [x0, x1)`` as int64 arrays of shape (n,).

    ``cy, cx`` are the centres and ``cut_h, cut_w`` the unclipped cut sizes they came from.
    """

    y0: np.ndarray
    y1: np.ndarray
    x0: np.ndarray
    x1: np.ndarray
    cy: np.ndarray
    cx: np.ndarray
    cut_h: np.ndarray
    cut_w: np.ndarray

    def __len__(self) -> int:
        return len(self.y0)

    def box(self, i: int) -> Box:
        """Box ``i`` as a :class:`Box`."""
        return Box(int(self.y0[i]), int(self.y1[i]), int(self.x0[i]), int(self.x1[i]))

    @property
    def corners(self) -> np.ndarray:
        """(n, 4) int64 rows ``(y0, y1, x0, x1)``: what ``mixing.batch.paste_boxes`` takes."""
        return np.stack([self.y0, self.y1, self.x0, self.x1], axis=1)

    @property
    def height(self) -> np.ndarray:
        return self.y1 - self.y0

    @property
    def width(self) -> np.ndarray:
        return self.x1 - self.x0

    @property
    def area(self) -> np.ndarray:
        return self.height * self.width

    @property
    def unclipped_area(self) -> np.ndarray:
        """Area before clipping: ``(2 (cut_h // 2)) (2 (cut_w // 2))``."""
        return (2 * (self.cut_h // 2)) * (2 * (self.cut_w // 2))

    @property
    def clipped(self) -> np.ndarray:
        """True where a border cut the box: it is shorter or narrower than before clipping."""
        return (self.height < 2 * (self.cut_h // 2)) | (self.width < 2 * (self.cut_w // 2))

    @property
    def aspect(self) -> np.ndarray:
        """Width / height as float64; NaN for empty boxes (cut side below 2 pixels)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = self.width / self.height
        return np.where(self.area > 0, ratio, np.nan)

    def lam_adjusted(self, h: int, w: int) -> np.ndarray:
        """``1 - area / (h w)`` for every box: the weight of A's label actually used."""
        h, w = check_size(h, w)
        if len(self) and (self.y1.max() > h or self.x1.max() > w):
            raise ValueError(
                f"boxes reach row {self.y1.max()}, column {self.x1.max()}: "
                f"they do not fit in a {h}x{w} image"
            )
        return area_lambdas(h, w, self.corners)


def area_lambdas(h: int, w: int, corners: object) -> np.ndarray:
    """``lam_adjusted = 1 - area / (h w)`` for each row ``(y0, y1, x0, x1)`` of ``corners``,
    float64 (n,): the exact share of pixels that stay A's. The caller checks that boxes fit."""
    rows = np.asarray(corners, dtype=np.int64).reshape(-1, 4)
    area = (rows[:, 1] - rows[:, 0]) * (rows[:, 3] - rows[:, 2])
    return 1.0 - area / (h * w)


def area_lambda(h: int, w: int, box: Sequence[int]) -> float:
    """:func:`area_lambdas` of one box ``(y0, y1, x0, x1)`` given as Python ints, to the bit:
    both divide two integers below 2 ** 53, exact as float64, with one correct rounding."""
    y0, y1, x0, x1 = box
    return 1.0 - (y1 - y0) * (x1 - x0) / (h * w)


def cut_sizes(h: int, w: int, lams: object) -> tuple[np.ndarray, np.ndarray]:
    """Unclipped cut sides ``int(h sqrt(1 - lam))``, ``int(w sqrt(1 - lam))``, int64 (n,) each.

    Raises:
        ValueError: for a side < 1 or a lambda outside [0, 1].
    """
    h, w = check_size(h, w)
    cuts = _cuts(h, w, check_lambdas(lams))
    return cuts[:, 0], cuts[:, 1]


def _cuts(h: int, w: int, lams: np.ndarray) -> np.ndarray:
    # (n, 2) int64 rows (cut_h, cut_w). sqrt is correctly rounded, as math.sqrt is, and astype
    # truncates towards zero as int() does, so this is int(h * math.sqrt(1 - lam)) to the bit.
    ratio = np.sqrt(1.0 - lams)
    return (ratio[:, None] * np.array((h, w))).astype(np.int64)


def clip_boxes(h: int, w: int, cut_h: object, cut_w: object, cy: object, cx: object) -> BoxArrays:
    """The rule itself: centre each ``cut_h x cut_w`` cut at (cy, cx) and clip it to the image.

    A box spans ``cy - cut_h // 2`` to ``cy + cut_h // 2``, so an odd cut loses one row or column
    before clipping: that is the paper's code and torchvision's, kept for exact parity. Cutout
    calls this with a fixed cut side.

    Args:
        h, w: image height and width.
        cut_h, cut_w: cut sides >= 0, integer arrays of shape (n,).
        cy, cx: centres, ``0 <= cy < h`` and ``0 <= cx < w``, integer arrays of shape (n,).

    Raises:
        ValueError: for mismatched shapes, a negative cut or a centre outside the image.
    """
    h, w = check_size(h, w)
    arrays = [
        _ints(name, v) for name, v in (("cut_h", cut_h), ("cut_w", cut_w), ("cy", cy), ("cx", cx))
    ]
    cut_h, cut_w, cy, cx = arrays
    if len({a.shape for a in arrays}) != 1:
        raise ValueError(
            f"cuts (or lambdas) and centres must be 1-D of one length, got shapes "
            f"{[a.shape for a in arrays]}"
        )
    bad = (cut_h < 0) | (cut_w < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"cut size must be >= 0, got {cut_h[i]}x{cut_w[i]}")
    bad = (cy < 0) | (cy >= h) | (cx < 0) | (cx >= w)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"centre (cy={cy[i]}, cx={cx[i]}) lies outside the {h}x{w} image")
    return _clip(h, w, np.stack((cut_h, cut_w), 1), np.stack((cy, cx), 1))


def _clip(h: int, w: int, cuts: np.ndarray, centres: np.ndarray) -> BoxArrays:
    # clip_boxes without its checks, for draws that hold by construction (the samplers). With
    # cuts >= 0 and centres inside the image, a box's start can only fall below 0 and its end
    # only pass the border, so one bound each is the clip to [0, h] and [0, w].
    # Cuts and centres come as (n, 2) rows (cut_h, cut_w) and (cy, cx).
    y0, y1, x0, x1 = _clip_corners(h, w, cuts, centres).T
    cy, cx, cut_h, cut_w = centres[:, 0], centres[:, 1], cuts[:, 0], cuts[:, 1]
    return BoxArrays(y0=y0, y1=y1, x0=x0, x1=x1, cy=cy, cx=cx, cut_h=cut_h, cut_w=cut_w)


def _clip_corners(h: int, w: int, cuts: np.ndarray, centres: np.ndarray) -> np.ndarray:
    # The clip on (n, 2) rows (cut_h, cut_w) and (cy, cx), as (n, 4) int64 rows (y0, y1, x0, x1):
    # the starts (y0, x0) are columns 0 and 2, the ends (y1, x1) columns 1 and 3.
    half = cuts // 2
    corners = np.empty((len(cuts), 4), dtype=np.int64)
    np.maximum(centres - half, 0, out=corners[:, 0::2])
    np.minimum(centres + half, np.array((h, w)), out=corners[:, 1::2])
    return corners


def boxes_from_centers(h: int, w: int, lams: object, cy: object, cx: object) -> BoxArrays:
    """The CutMix boxes for given lambdas and centres: ``clip_boxes`` of ``cut_sizes(lams)``.

    Raises:
        ValueError: for mismatched shapes, a lambda outside [0, 1] or a centre outside the image.
    """
    cut_h, cut_w = cut_sizes(h, w, lams)
    return clip_boxes(h, w, cut_h, cut_w, cy, cx)


def sample_lambdas(alpha: float, n: int, *, rng: np.random.Generator) -> np.ndarray:
    """``n`` draws of ``lam ~ Beta(alpha, alpha)``, float64 of shape (n,), step 1 of the order.

    numpy's Beta sampler works in log space for small parameters, so alpha from 0.01 to 1000
    never yields NaN.

    Raises:
        ValueError: if alpha is not a finite number > 0, or n is not an integer >= 0.
    """
    a = check_alpha(alpha)
    return rng.beta(a, a, size=check_int(n, "n", lo=0))


def sample_centres(
    h: int, w: int, n: int, *, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """``n`` centres uniform over the image, ``(cy, cx)`` int64 (n,) each, step 2 of the order:
    row of box 0, column of box 0, row of box 1, ..."""
    h, w = check_size(h, w)
    centres = _centre_rows(h, w, check_int(n, "n", lo=0), rng)
    return centres[:, 0], centres[:, 1]


def _centre_rows(h: int, w: int, n: int, rng: np.random.Generator) -> np.ndarray:
    # (n, 2) rows (cy, cx), in C order. A square image's bounds are one scalar: the same numbers
    # as the pair of bounds (numpy draws each element alone either way; tests/mixing/test_rule.py
    # checks it), without the broadcasting of array bounds.
    return rng.integers(h if h == w else (h, w), size=(n, 2))


def sample_boxes(h: int, w: int, lams: object, *, rng: np.random.Generator) -> BoxArrays:
    """One box per lambda, centre uniform over the image (:func:`sample_centres`).

    Raises:
        ValueError: for a side < 1 or a lambda outside [0, 1].
    """
    h, w = check_size(h, w)
    return _sample_boxes(h, w, check_lambdas(lams), rng)


def _sample_boxes(h: int, w: int, lams: np.ndarray, rng: np.random.Generator) -> BoxArrays:
    # sample_boxes for checked sizes and lambdas: the centres, then the clipped boxes.
    return _clip(h, w, _cuts(h, w, lams), _centre_rows(h, w, len(lams), rng))


def _draw_corners(
    h: int, w: int, a: float, n: int, rng: np.random.Generator, lam: float | None
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`sample_cutmix_boxes` for checked arguments, as ``(lams, corners)``: the same draws
    and numbers, the boxes as (n, 4) int64 rows ``(y0, y1, x0, x1)`` built in one array (the
    batch op's elem mode, which needs only these)."""
    lams = rng.beta(a, a, size=n) if lam is None else np.full(n, lam)
    return lams, _clip_corners(h, w, _cuts(h, w, lams), _centre_rows(h, w, n, rng))


def sample_cutmix_boxes(
    h: int,
    w: int,
    alpha: float,
    n: int,
    *,
    rng: np.random.Generator,
    lam: float | None = None,
) -> tuple[np.ndarray, BoxArrays]:
    """``n`` CutMix draws in the one order: lambdas (unless ``lam`` is given), then centres.

    Returns:
        ``(lams, boxes)``: float64 (n,) lambdas (sampled, or ``lam`` repeated) and their boxes.
    """
    n = check_int(n, "n", lo=0)
    h, w = check_size(h, w)
    lams = sample_lambdas(alpha, n, rng=rng) if lam is None else np.full(n, check_lambda(lam))
    return lams, _sample_boxes(h, w, lams, rng)  # checked or drawn here: no second check


def draw_one_box(
    h: int, w: int, alpha: float, *, rng: np.random.Generator, lam: float | None = None
) -> tuple[float, tuple[int, int, int, int]]:
    """One CutMix draw as Python scalars: ``(lam, (y0, y1, x0, x1))``, the numbers and the
    generator state of ``sample_cutmix_boxes(h, w, alpha, 1, rng=rng, lam=lam)``.

    The batch op's shared box in batch mode, the rule run on Python ints rather than on
    one-element arrays (see the module docstring). It is the same rule (``math.sqrt`` and
    ``int`` are what ``_cuts`` matches to the bit), drawn in the one order;
    tests/mixing/test_rule.py checks both against the arrays over random sizes and draws.

    Raises:
        ValueError: for a side < 1, alpha not > 0, or a lambda outside [0, 1].
    """
    h, w = check_size(h, w)
    return _draw_one_box(h, w, check_alpha(alpha), rng, None if lam is None else check_lambda(lam))


def _draw_one_box(
    h: int, w: int, a: float, rng: np.random.Generator, lam: float | None
) -> tuple[float, tuple[int, int, int, int]]:
    # draw_one_box for checked arguments (the batch op checks them once, on entry).
    lam = float(rng.beta(a, a)) if lam is None else lam
    # One call for both centres: the same numbers as size=(1, 2) (see _centre_rows).
    cy, cx = rng.integers(h if h == w else (h, w), size=2).tolist()
    ratio = math.sqrt(1.0 - lam)
    half_h, half_w = int(h * ratio) // 2, int(w * ratio) // 2
    return lam, (max(cy - half_h, 0), min(cy + half_h, h), max(cx - half_w, 0), min(cx + half_w, w))

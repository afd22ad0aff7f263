"""Tests for cutmix_core.mixing.batch: CutMix, Mixup and Cutout on torch NCHW batches (CPU).

Expected values come from hand calculation, from the numpy single-pair functions, from a
slicing-based re-implementation in the test, or from torchvision.transforms.v2.CutMix.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torchvision.transforms.v2 import CutMix

from cutmix_core.mixing.batch import (
    BatchMixResult,
    cutmix_batch,
    cutout_batch,
    mixup_batch,
    pair_indices,
    soft_targets,
)
from cutmix_core.mixing.pair import (
    EMPTY_BOX,
    Box,
    box_from_center,
    box_from_cut,
    box_lambda,
    paste,
    soft_label,
)

PROPERTY = settings(max_examples=100, deadline=None)
C = 10  # classes


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _batch(n=6, c=3, h=12, w=20, dtype=torch.uint8, seed=0):
    g = _gen(10_000 + seed)
    x = torch.rand(n, c, h, w, generator=g)
    if dtype == torch.uint8:
        x = (x * 256).floor().clamp(max=255).to(torch.uint8)
    else:
        x = x.to(dtype)
    y = torch.randint(0, C, (n,), generator=g)
    return x, y


def _expected_images(x, partners, boxes):
    # Independent re-implementation by slicing: partner's pixels inside the box, own outside.
    out = x.clone()
    for i, (p, b) in enumerate(zip(partners.tolist(), boxes)):
        out[i, :, b.y0 : b.y1, b.x0 : b.x1] = x[p, :, b.y0 : b.y1, b.x0 : b.x1]
    return out


def _rng_states():
    return torch.get_rng_state(), np.random.get_state()[1].copy()


def _assert_rng_untouched(before):
    t0, n0 = before
    assert torch.equal(torch.get_rng_state(), t0), "global torch RNG was used"
    assert np.array_equal(np.random.get_state()[1], n0), "global numpy RNG was used"


def _check_invariants(res: BatchMixResult, x, y, num_classes=C, smoothing=0.0):
    n, _, h, w = x.shape
    assert isinstance(res, BatchMixResult)
    assert res.images.shape == x.shape and res.images.dtype == x.dtype
    assert res.targets.shape == (n, num_classes) and res.targets.dtype == torch.float32
    assert len(res.boxes) == n
    assert res.lams.shape == (n,) and res.lams_adjusted.shape == (n,)
    assert res.lams_adjusted.dtype == torch.float64
    assert res.partners.dtype == torch.int64 and res.applied.dtype == torch.bool
    assert sorted(res.partners.tolist()) == sorted(set(res.partners.tolist()))  # no repeats
    # rows sum to 1 with at most two non-zero entries (without smoothing)
    torch.testing.assert_close(res.targets.sum(1), torch.ones(n), rtol=0, atol=1e-6)
    if smoothing == 0:
        assert ((res.targets != 0).sum(1) <= 2).all()
    # pixels: partner inside box, own outside
    assert torch.equal(res.images, _expected_images(x, res.partners, res.boxes))
    for i, b in enumerate(res.boxes):
        assert b.fits(h, w)
        # lam_adjusted = 1 - area / (H W), from the box itself
        assert res.lams_adjusted[i].item() == pytest.approx(1 - b.area / (h * w), abs=1e-15)
        if not res.applied[i]:
            assert b == EMPTY_BOX and res.lams_adjusted[i].item() == 1.0
        # same as numpy soft_label row by row, and numpy paste per sample
        p = int(res.partners[i])
        ref = soft_label(
            int(y[i]), int(y[p]), res.lams_adjusted[i].item(), num_classes, smoothing=smoothing
        )
        np.testing.assert_allclose(res.targets[i].numpy(), ref, rtol=0, atol=1e-6)
        pasted = paste(x[i].permute(1, 2, 0).numpy(), x[p].permute(1, 2, 0).numpy(), b)
        np.testing.assert_array_equal(res.images[i].permute(1, 2, 0).numpy(), pasted)


# --------------------------------------------------------------------------- pairing


def test_pair_indices_roll_is_i_minus_1():
    assert pair_indices(5, "roll").tolist() == [4, 0, 1, 2, 3]
    assert pair_indices(1, "roll").tolist() == [0]
    assert pair_indices(0, "roll").tolist() == []
    with pytest.raises(ValueError, match="n"):
        pair_indices(-2, "roll")
    # torchvision's pairing: partner of i is roll(1)[i]
    assert torch.equal(pair_indices(7, "roll"), torch.arange(7).roll(1, 0))


def test_pair_indices_permutation_from_generator():
    p1 = pair_indices(16, "permutation", generator=_gen(3))
    p2 = pair_indices(16, "permutation", generator=_gen(3))
    assert sorted(p1.tolist()) == list(range(16))
    assert torch.equal(p1, p2)
    others = [pair_indices(16, "permutation", generator=_gen(s)) for s in range(4, 9)]
    assert any(not torch.equal(p1, o) for o in others)


def test_pair_indices_bad_pairing():
    with pytest.raises(ValueError, match="pairing must be one of roll, permutation; got 'shuffle'"):
        pair_indices(4, "shuffle")  # type: ignore[arg-type]


def test_cutmix_batch_roll_and_permutation_partners():
    x, y = _batch(n=8)
    r = cutmix_batch(x, y, C, generator=_gen(0), pairing="roll")
    assert r.partners.tolist() == [7, 0, 1, 2, 3, 4, 5, 6]
    p1 = cutmix_batch(x, y, C, generator=_gen(5), pairing="permutation")
    p2 = cutmix_batch(x, y, C, generator=_gen(5), pairing="permutation")
    assert sorted(p1.partners.tolist()) == list(range(8))
    assert torch.equal(p1.partners, p2.partners)
    assert torch.equal(p1.images, p2.images) and torch.equal(p1.targets, p2.targets)
    assert p1.boxes == p2.boxes and torch.equal(p1.lams, p2.lams)
    diff = [cutmix_batch(x, y, C, generator=_gen(s), pairing="permutation") for s in range(6, 12)]
    assert any(not torch.equal(p1.partners, d.partners) for d in diff)
    assert any(d.boxes != p1.boxes for d in diff)


# --------------------------------------------------------------------------- modes and prob


def test_batch_mode_one_box_for_all():
    x, y = _batch(n=8, h=32, w=48)
    for s in range(10):
        r = cutmix_batch(x, y, C, generator=_gen(s), mode="batch")
        assert len(set(r.boxes)) == 1
        assert len(set(r.lams.tolist())) == 1 and len(set(r.lams_adjusted.tolist())) == 1
        _check_invariants(r, x, y)


def test_elem_mode_boxes_per_sample():
    x, y = _batch(n=16, h=32, w=48)
    r = cutmix_batch(x, y, C, generator=_gen(1), mode="elem")
    assert len(set(r.boxes)) > 8
    assert len(set(r.lams.tolist())) == 16
    _check_invariants(r, x, y)


@pytest.mark.parametrize("mode", ["batch", "elem"])
@pytest.mark.parametrize("pairing", ["roll", "permutation"])
def test_prob_zero_leaves_everything(mode, pairing):
    x, y = _batch(n=5)
    r = cutmix_batch(x, y, C, generator=_gen(2), mode=mode, pairing=pairing, prob=0.0)
    assert torch.equal(r.images, x)
    onehot = torch.zeros(5, C)
    onehot[torch.arange(5), y] = 1.0
    assert torch.equal(r.targets, onehot)
    assert torch.equal(r.lams_adjusted, torch.ones(5, dtype=torch.float64))
    assert not r.applied.any() and r.boxes == (EMPTY_BOX,) * 5


@pytest.mark.parametrize("mode", ["batch", "elem"])
def test_prob_one_always_applies(mode):
    x, y = _batch(n=6)
    for s in range(20):
        assert cutmix_batch(x, y, C, generator=_gen(s), mode=mode, prob=1.0).applied.all()


def test_prob_per_batch_in_batch_mode():
    x, y = _batch(n=6, h=4, w=4)
    hits = 0
    for s in range(400):
        a = cutmix_batch(x, y, C, generator=_gen(s), mode="batch", prob=0.3).applied
        assert a.all() or not a.any()  # all-or-none
        hits += int(a.all())
    # Binomial(400, .3): sd ~ 9.2; mean 120
    assert 80 < hits < 160


def test_prob_per_sample_in_elem_mode():
    x, y = _batch(n=40, h=4, w=4)
    total, mixed_calls = 0, 0
    for s in range(50):
        a = cutmix_batch(x, y, C, generator=_gen(s), mode="elem", prob=0.3).applied
        total += int(a.sum())
        mixed_calls += int(0 < int(a.sum()) < 40)
    # 2000 coins, expected 600 (sd ~ 20.5)
    assert 520 < total < 680
    assert mixed_calls == 50


# --------------------------------------------------------------------------- reproducibility
# The per-sample loop the vectorised ops replaced, draw for draw: the numpy Generator is seeded
# from the torch generator, then draws the coins, the lambdas one by one, then row and column of
# each box in turn (Cutout: centres of the applied samples only). The same seed must give the
# same boxes, so a training run is reproduced exactly.


def _numpy_rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(int(torch.randint(0, 2**62, (1,), generator=_gen(seed))))


def _loop_cutmix_boxes(seed, n, h, w, alpha, mode, prob):
    g = _numpy_rng(seed)
    draws = 1 if mode == "batch" else n
    coins = np.broadcast_to(g.random(draws) < prob, (n,))
    lams = [float(g.beta(alpha, alpha)) for _ in range(draws)]
    centres = [(int(g.integers(h)), int(g.integers(w))) for _ in range(draws)]
    boxes = [box_from_center(h, w, lam, cy, cx) for lam, (cy, cx) in zip(lams, centres)]
    boxes, lams = (boxes * n, lams * n) if draws == 1 else (boxes, lams)
    return tuple(b if a else EMPTY_BOX for b, a in zip(boxes, coins)), lams


def _loop_cutout_boxes(seed, n, h, w, size, prob):
    g = _numpy_rng(seed)
    coins = g.random(n) < prob
    return tuple(
        box_from_cut(h, w, size, size, int(g.integers(h)), int(g.integers(w))) if a else EMPTY_BOX
        for a in coins
    )


@PROPERTY
@given(
    n=st.integers(1, 12),
    h=st.integers(1, 40),
    w=st.integers(1, 40),
    alpha=st.sampled_from([0.3, 1.0, 4.0]),
    mode=st.sampled_from(["batch", "elem"]),
    prob=st.sampled_from([0.5, 1.0]),
    seed=st.integers(0, 2**31 - 1),
)
def test_cutmix_batch_draws_the_boxes_of_the_per_sample_loop(n, h, w, alpha, mode, prob, seed):
    x, y = _batch(n, 1, h, w, seed=seed % 100)
    r = cutmix_batch(x, y, C, alpha, generator=_gen(seed), mode=mode, prob=prob)
    boxes, lams = _loop_cutmix_boxes(seed, n, h, w, alpha, mode, prob)
    assert r.boxes == boxes
    assert r.lams.tolist() == lams
    assert torch.equal(r.images, _expected_images(x, r.partners, boxes))


@PROPERTY
@given(
    n=st.integers(1, 12),
    h=st.integers(1, 40),
    w=st.integers(1, 40),
    size=st.integers(0, 20),
    prob=st.sampled_from([0.5, 1.0]),
    seed=st.integers(0, 2**31 - 1),
)
def test_cutout_batch_draws_the_holes_of_the_per_sample_loop(n, h, w, size, prob, seed):
    x, y = _batch(n, 2, h, w, seed=seed % 100)
    r = cutout_batch(x, y, C, size, generator=_gen(seed), prob=prob)
    boxes = _loop_cutout_boxes(seed, n, h, w, size, prob)
    assert r.boxes == boxes
    expected = x.clone()
    for i, b in enumerate(boxes):
        expected[i, :, b.y0 : b.y1, b.x0 : b.x1] = 0
    assert torch.equal(r.images, expected)
    assert r.lams.tolist() == [box_lambda(b, h, w) for b in boxes]


# --------------------------------------------------------------------------- invariants


@PROPERTY
@given(
    n=st.integers(1, 6),
    c=st.integers(1, 3),
    h=st.integers(1, 40),
    w=st.integers(1, 40),
    dtype=st.sampled_from([torch.uint8, torch.float32]),
    mode=st.sampled_from(["batch", "elem"]),
    pairing=st.sampled_from(["roll", "permutation"]),
    prob=st.sampled_from([0.0, 0.5, 1.0]),
    alpha=st.floats(0.05, 20.0),
    seed=st.integers(0, 2**31 - 1),
)
def test_cutmix_batch_properties(n, c, h, w, dtype, mode, pairing, prob, alpha, seed):
    x, y = _batch(n, c, h, w, dtype, seed=seed % 1000)
    x0, y0 = x.clone(), y.clone()
    before = _rng_states()
    r = cutmix_batch(x, y, C, alpha, generator=_gen(seed), mode=mode, pairing=pairing, prob=prob)
    _assert_rng_untouched(before)
    assert torch.equal(x, x0) and torch.equal(y, y0)
    assert r.images.data_ptr() != x.data_ptr()
    _check_invariants(r, x, y)
    if mode == "batch" and prob == 1.0:
        assert len(set(r.boxes)) == 1
    again = cutmix_batch(
        x, y, C, alpha, generator=_gen(seed), mode=mode, pairing=pairing, prob=prob
    )
    assert torch.equal(again.images, r.images) and again.boxes == r.boxes


def test_marker_pixels_counted_match_lams_adjusted():
    # image i is filled with the value i, so each output pixel says where it came from
    n, h, w = 6, 24, 40
    x = torch.arange(n, dtype=torch.uint8).view(n, 1, 1, 1).expand(n, 3, h, w).contiguous()
    y = torch.arange(n)
    r = cutmix_batch(x, y, C, generator=_gen(4), mode="elem")
    for i in range(n):
        own = int((r.images[i, 0] == i).sum())
        assert r.lams_adjusted[i].item() == pytest.approx(own / (h * w), abs=1e-12)
        b, p = r.boxes[i], int(r.partners[i])
        if p != i:
            assert (r.images[i, :, b.y0 : b.y1, b.x0 : b.x1] == p).all()


def test_smoothing_rows_match_soft_label():
    x, y = _batch(n=6)
    r = cutmix_batch(x, y, C, generator=_gen(8), mode="elem", smoothing=0.1, pairing="permutation")
    _check_invariants(r, x, y, smoothing=0.1)
    # C = 10, s = .1: off = .01; every entry at least off
    assert (r.targets >= 0.01 - 1e-7).all()


def test_soft_targets_by_hand():
    y = torch.tensor([1, 2, 2])
    partners = torch.tensor([2, 0, 1])
    lams = torch.tensor([0.75, 0.5, 0.25], dtype=torch.float64)
    t = soft_targets(y, partners, lams, 4)
    # row 0: .75 on class 1, .25 on class y[2] = 2 ; row 1: .5 on 2, .5 on 1 ;
    # row 2: partner is class 2 too -> 1.0 on class 2
    expected = torch.tensor([[0, 0.75, 0.25, 0], [0, 0.5, 0.5, 0], [0, 0, 1.0, 0]])
    assert torch.equal(t, expected)


def test_generator_none_works_and_leaves_global_rng():
    x, y = _batch(n=4)
    before = _rng_states()
    r = cutmix_batch(x, y, C)
    mixup_batch(x, y, C)
    cutout_batch(x, y, C, 4)
    _assert_rng_untouched(before)
    _check_invariants(r, x, y)


def test_generator_is_keyword_only():
    x, y = _batch(n=2)
    with pytest.raises(TypeError):
        cutmix_batch(x, y, C, 1.0, _gen(0))  # type: ignore[misc]


# --------------------------------------------------------------------------- manual lam / boxes


def test_manual_lambda_samples_boxes_of_that_size():
    x, y = _batch(n=6, h=16, w=16)
    r = cutmix_batch(x, y, C, generator=_gen(0), mode="elem", lam=0.4375)
    assert torch.equal(r.lams, torch.full((6,), 0.4375, dtype=torch.float64))
    # 16 * sqrt(.5625) = 12: every box is a clipped 12x12 cut around some centre
    candidates = {box_from_center(16, 16, 0.4375, cy, cx) for cy in range(16) for cx in range(16)}
    assert all(b in candidates for b in r.boxes)
    _check_invariants(r, x, y)


def test_manual_single_box_for_whole_batch():
    x, y = _batch(n=4, h=20, w=40)
    r = cutmix_batch(x, y, C, boxes=Box(5, 15, 10, 30))  # no generator needed for the box
    assert r.boxes == (Box(5, 15, 10, 30),) * 4
    assert r.lams_adjusted.tolist() == [0.75] * 4  # 1 - 200 / 800
    assert r.lams.tolist() == [0.75] * 4
    _check_invariants(r, x, y)


def test_manual_boxes_per_sample():
    x, y = _batch(n=3, h=10, w=10)
    boxes = (Box(0, 5, 0, 10), EMPTY_BOX, Box(0, 10, 0, 10))
    r = cutmix_batch(x, y, C, boxes=boxes, mode="elem")
    assert r.boxes == boxes
    assert r.lams_adjusted.tolist() == [0.5, 1.0, 0.0]  # 1 - 50/100, 1 - 0, 1 - 100/100
    assert torch.equal(r.images[2], x[1])  # whole image from partner i - 1 = 1
    assert torch.equal(r.images[1], x[1])
    _check_invariants(r, x, y)


def test_manual_box_with_lam_reports_both():
    x, y = _batch(n=2, h=10, w=10)
    r = cutmix_batch(x, y, C, boxes=Box(0, 5, 0, 10), lam=0.3)
    assert r.lams.tolist() == [0.3, 0.3] and r.lams_adjusted.tolist() == [0.5, 0.5]


# --------------------------------------------------------------------------- torchvision parity


def _torchvision(x, y, seed, alpha=1.0):
    cm = CutMix(alpha=alpha, num_classes=C)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        params = cm.make_params([x])
        torch.manual_seed(seed)
        xo, yo = cm(x, y)
    x1, y1, x2, y2 = params["box"]
    return xo, yo, Box(y1, y2, x1, x2), params["lam_adjusted"]


SIZES = [(32, 32), (24, 40), (40, 24), (17, 29)]


@pytest.mark.parametrize("h, w", SIZES)
@pytest.mark.parametrize("dtype", [torch.uint8, torch.float32])
def test_torchvision_parity_images(h, w, dtype):
    x, y = _batch(n=5, h=h, w=w, dtype=dtype, seed=h * w)
    x0 = x.clone()
    for seed in range(30):
        xo, _, box, lam_adj = _torchvision(x, y, seed)
        r = cutmix_batch(x, y, C, boxes=box, pairing="roll")
        same = torch.equal(r.images, xo)
        assert same, f"seed {seed}, {box}"
        assert r.lams_adjusted.tolist() == [lam_adj] * 5
    assert torch.equal(x, x0)


@pytest.mark.parametrize("h, w", SIZES)
@pytest.mark.parametrize("dtype", [torch.uint8, torch.float32])
def test_torchvision_parity_targets_bit_for_bit(h, w, dtype):
    """Regression: soft_targets once cast lam to float32 *before* computing
    1 - lam, whereas torchvision computes 1.0 - lam in float64 and rounds once; whenever H*W is
    not a power of two the partner weight then differed by 1 ulp (32x32 hid it)."""
    x, y = _batch(n=5, h=h, w=w, dtype=dtype, seed=h * w)
    for seed in range(30):
        _, yo, box, _ = _torchvision(x, y, seed)
        r = cutmix_batch(x, y, C, boxes=box, pairing="roll")
        torch.testing.assert_close(r.targets, yo, rtol=0, atol=1e-6)  # close: always
        same = torch.equal(r.targets, yo)
        assert same, f"seed {seed}: max diff {(r.targets - yo).abs().max().item():.3g}"


@pytest.mark.parametrize("h, w", SIZES + [(1, 1), (1, 7), (5, 1), (3, 64)])
@pytest.mark.parametrize("alpha", [1.0, 0.3])
def test_torchvision_box_maths_parity(h, w, alpha):
    # Draw in make_params' order: lam from cm._dist, then r_x = randint(W), then r_y = randint(H).
    cm = CutMix(alpha=alpha, num_classes=C)
    x = torch.zeros(1, 1, h, w)
    for seed in range(150):
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            lam = float(cm._dist.sample(()))
            r_x = int(torch.randint(w, (1,)))
            r_y = int(torch.randint(h, (1,)))
            torch.manual_seed(seed)
            params = cm.make_params([x])
        x1, y1, x2, y2 = params["box"]
        box = box_from_center(h, w, lam, r_y, r_x)
        assert box == Box(y1, y2, x1, x2), (seed, lam, r_y, r_x)
        assert box_lambda(box, h, w) == params["lam_adjusted"]


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "make, kwargs, match",
    [
        (
            lambda: (torch.zeros(3, 4, 4), torch.zeros(3, dtype=torch.long)),
            {},
            r"x must be an NCHW tensor, got torch.Size\(\[3, 4, 4\]\)",
        ),
        (
            lambda: (torch.zeros(3, 1, 4, 4), torch.zeros(2, dtype=torch.long)),
            {},
            r"y must be a 1-D tensor of 3 class indices, got torch.Size\(\[2\]\)",
        ),
        (
            lambda: (torch.zeros(3, 1, 4, 4), torch.zeros(3, 1, dtype=torch.long)),
            {},
            "1-D tensor of 3",
        ),
        (
            lambda: (torch.zeros(2, 1, 4, 4), torch.tensor([0.0, 1.0])),
            {},
            "integer class indices, got dtype torch.float32",
        ),
        (
            lambda: (torch.zeros(2, 1, 4, 4), torch.tensor([True, False])),
            {},
            "integer class indices, got dtype torch.bool",
        ),
        (
            lambda: (torch.zeros(2, 1, 4, 4), torch.tensor([0, C])),
            {},
            r"labels must be in \[0, 10\), got \[0, 10\]",
        ),
        (lambda: (torch.zeros(2, 1, 4, 4), torch.tensor([-1, 0])), {}, r"got \[-1, 0\]"),
        (
            lambda: (torch.zeros(0, 1, 4, 4), torch.zeros(0, dtype=torch.long)),
            {},
            "at least one 1x1 image",
        ),
        (
            lambda: (np.zeros((2, 1, 4, 4)), torch.zeros(2, dtype=torch.long)),
            {},
            "NCHW tensor, got",
        ),
        (None, {"mode": "pixel"}, "mode must be one of batch, elem; got 'pixel'"),
        (None, {"pairing": "flip"}, "pairing must be one of roll, permutation; got 'flip'"),
        (None, {"prob": 1.5}, r"prob must be in \[0, 1\], got 1\.5"),
        (None, {"prob": -0.1}, r"got -0\.1"),
        (None, {"prob": float("nan")}, "got nan"),
        (None, {"smoothing": 1.0}, r"smoothing must be in \[0, 1\), got 1\.0"),
        (None, {"smoothing": -0.2}, r"got -0\.2"),
        (None, {"alpha": 0.0}, r"alpha must be in \(0, inf\), got 0\.0"),
        (None, {"alpha": float("inf")}, "got inf"),
        (None, {"lam": 1.2}, r"got 1\.2"),
        (None, {"boxes": Box(0, 9, 0, 1)}, "does not fit"),
        (None, {"boxes": Box(0, 1, 0, 9)}, "does not fit"),
        (None, {"boxes": (Box(0, 1, 0, 1),) * 2}, "boxes must hold 1 or 3 boxes, got 2"),
    ],
)
def test_cutmix_batch_errors(make, kwargs, match):
    x, y = make() if make else (torch.zeros(3, 1, 8, 8), torch.tensor([0, 1, 2]))
    with pytest.raises(ValueError, match=match):
        cutmix_batch(x, y, C, generator=_gen(0), **kwargs)


def test_num_classes_error():
    with pytest.raises(ValueError, match=r"num_classes must be an int in \[1, .*\], got 0"):
        cutmix_batch(torch.zeros(1, 1, 2, 2), torch.tensor([0]), 0)


def test_mixup_and_cutout_validate_too():
    x, y = torch.zeros(2, 1, 4, 4), torch.tensor([0, 1])
    with pytest.raises(ValueError, match="integer class indices"):
        mixup_batch(x, y.float(), C)
    with pytest.raises(ValueError, match=r"prob must be in \[0, 1\], got 2"):
        mixup_batch(x, y, C, prob=2)
    with pytest.raises(ValueError, match=r"got -1\.0"):
        mixup_batch(x, y, C, alpha=-1.0)
    with pytest.raises(ValueError, match=r"size must be an int in \[0, .*\], got -3"):
        cutout_batch(x, y, C, -3)
    with pytest.raises(ValueError, match=r"labels must be in \[0, 10\)"):
        cutout_batch(x, torch.tensor([0, 10]), C)


# --------------------------------------------------------------------------- mixup_batch


@pytest.mark.parametrize("mode", ["batch", "elem"])
def test_mixup_batch_uint8_blend(mode):
    x, y = _batch(n=6, h=10, w=14)
    x0 = x.clone()
    before = _rng_states()
    r = mixup_batch(x, y, C, 0.7, generator=_gen(3), mode=mode, pairing="permutation")
    _assert_rng_untouched(before)
    assert torch.equal(x, x0)
    assert r.images.dtype == torch.uint8 and r.boxes == (EMPTY_BOX,) * 6
    assert torch.equal(r.lams_adjusted, r.lams)  # prob 1: the label weight is lam
    if mode == "batch":
        assert len(set(r.lams.tolist())) == 1
    else:
        assert len(set(r.lams.tolist())) == 6
    xd = x.double()
    for i in range(6):
        lam, p = r.lams[i].item(), int(r.partners[i])
        exact = lam * xd[i] + (1 - lam) * xd[p]  # float64 reference
        got = r.images[i].double()
        assert (got - exact).abs().max() <= 0.5 + 1e-4  # rounded to nearest
        far_from_tie = ((exact - exact.floor()) - 0.5).abs() > 1e-3
        assert torch.equal(got[far_from_tie], exact.round()[far_from_tie])
        ref = soft_label(int(y[i]), int(y[p]), lam, C)
        np.testing.assert_allclose(r.targets[i].numpy(), ref, rtol=0, atol=1e-6)


def test_mixup_batch_float_and_prob_zero():
    x, y = _batch(n=4, dtype=torch.float32)
    r = mixup_batch(x, y, C, generator=_gen(1))
    lam = r.lams[0].item()
    torch.testing.assert_close(r.images, lam * x + (1 - lam) * x.roll(1, 0), rtol=0, atol=1e-6)
    torch.testing.assert_close(r.targets.sum(1), torch.ones(4), rtol=0, atol=1e-6)
    assert ((r.targets != 0).sum(1) <= 2).all()
    r0 = mixup_batch(x, y, C, generator=_gen(1), prob=0.0)
    assert torch.equal(r0.images, x)
    assert torch.equal(r0.lams_adjusted, torch.ones(4, dtype=torch.float64))
    assert torch.equal(r0.targets, torch.nn.functional.one_hot(y, C).float())


def test_mixup_batch_float64_keeps_precision():
    """Regression: every dtype used to be blended in float32, so a float64
    batch came back only float32-accurate (error ~1e-8)."""
    x, y = _batch(n=4, dtype=torch.float64)
    r = mixup_batch(x, y, C, generator=_gen(1))
    lam = r.lams[0].item()
    torch.testing.assert_close(r.images, lam * x + (1 - lam) * x.roll(1, 0), rtol=0, atol=1e-12)


# --------------------------------------------------------------------------- cutout_batch


@pytest.mark.parametrize("dtype, fill", [(torch.uint8, 0), (torch.float32, 0.5)])
def test_cutout_batch_invariants(dtype, fill):
    x, y = _batch(n=8, h=16, w=20, dtype=dtype)
    x0 = x.clone()
    before = _rng_states()
    r = cutout_batch(x, y, C, 6, generator=_gen(2), fill=fill)
    _assert_rng_untouched(before)
    assert torch.equal(x, x0)
    assert torch.equal(r.targets, torch.nn.functional.one_hot(y, C).float())
    assert torch.equal(r.lams_adjusted, torch.ones(8, dtype=torch.float64))
    assert r.partners.tolist() == list(range(8)) and r.applied.all()
    for i, b in enumerate(r.boxes):
        # size 6, half 3: at most 6x6, clipped at borders
        assert b.fits(16, 20) and b.height <= 6 and b.width <= 6
        assert (r.images[i, :, b.y0 : b.y1, b.x0 : b.x1] == fill).all()
        expected = x[i].clone()
        expected[:, b.y0 : b.y1, b.x0 : b.x1] = fill
        assert torch.equal(r.images[i], expected)
        assert r.lams[i].item() == pytest.approx(1 - b.area / 320)
    assert len(set(r.boxes)) > 1  # per-sample holes
    again = cutout_batch(x, y, C, 6, generator=_gen(2), fill=fill)
    assert again.boxes == r.boxes


def test_cutout_batch_prob_zero():
    x, y = _batch(n=3)
    r = cutout_batch(x, y, C, 4, generator=_gen(0), prob=0.0)
    assert torch.equal(r.images, x) and r.boxes == (EMPTY_BOX,) * 3 and not r.applied.any()


# --------------------------------------------------------------------------- regressions


def test_pair_indices_permutation_leaves_global_rng():
    """Regression: without a generator, pair_indices(..., "permutation") used
    torch's global RNG, against CONVENTIONS point 2."""
    before = _rng_states()
    pair_indices(8, "permutation")
    _assert_rng_untouched(before)


def test_bad_box_rejected_whatever_the_coin():
    """Regression: with lam given, a box that did not fit was only checked
    for samples whose coin came up, so prob=0 silently accepted it."""
    x, y = torch.zeros(2, 1, 8, 8), torch.tensor([0, 1])
    with pytest.raises(ValueError, match="does not fit"):
        cutmix_batch(x, y, C, generator=_gen(0), boxes=Box(0, 9, 0, 1), prob=0.0)  # lam None
    with pytest.raises(ValueError, match="does not fit"):
        cutmix_batch(x, y, C, generator=_gen(0), boxes=Box(0, 9, 0, 1), lam=0.5, prob=0.0)


# --------------------------------------------------------------------------- CUDA


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("dtype", [torch.uint8, torch.float32])
def test_cuda_matches_cpu(dtype):
    x, y = _batch(n=6, h=24, w=40, dtype=dtype)
    for mode in ("batch", "elem"):
        cpu = cutmix_batch(x, y, C, generator=_gen(9), mode=mode, pairing="permutation")
        gpu = cutmix_batch(
            x.cuda(), y.cuda(), C, generator=_gen(9), mode=mode, pairing="permutation"
        )
        assert gpu.images.is_cuda and gpu.targets.is_cuda
        assert torch.equal(gpu.images.cpu(), cpu.images)
        assert torch.equal(gpu.targets.cpu(), cpu.targets)
        assert gpu.boxes == cpu.boxes
    m_cpu = mixup_batch(x, y, C, generator=_gen(9))
    m_gpu = mixup_batch(x.cuda(), y.cuda(), C, generator=_gen(9))
    torch.testing.assert_close(m_gpu.images.cpu(), m_cpu.images, rtol=0, atol=1)
    c_gpu = cutout_batch(x.cuda(), y.cuda(), C, 8, generator=_gen(9))
    assert torch.equal(c_gpu.images.cpu(), cutout_batch(x, y, C, 8, generator=_gen(9)).images)
    assert math.isfinite(float(m_gpu.targets.sum()))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_ops_never_make_the_host_wait():
    # Every draw happens on the CPU and reaches the device by non-blocking copies, and labels
    # are not read back: a training loop on CUDA keeps its queue full (issue 15).
    x, y = _batch(n=32, h=32, w=32, dtype=torch.uint8)
    x, y = x.cuda(), y.cuda()
    calls = [
        lambda m=m, p=p: cutmix_batch(x, y, C, generator=_gen(1), mode=m, pairing=p, prob=1.0)
        for m in ("batch", "elem")
        for p in ("roll", "permutation")
    ]
    calls += [
        lambda: mixup_batch(x, y, C, generator=_gen(1), prob=1.0),
        lambda: cutout_batch(x, y, C, 8, generator=_gen(1), prob=1.0),
    ]
    for call in calls:
        call()  # warm up: first calls may initialise CUDA state
    torch.cuda.synchronize()
    torch.cuda.set_sync_debug_mode("error")
    try:
        for call in calls:
            call()
    finally:
        torch.cuda.set_sync_debug_mode("default")


def test_soft_targets_take_labels_of_any_integer_or_float_dtype() -> None:
    # The host path indexes with integer labels; float and bool ones go through y.long().
    y = torch.tensor([2, 0, 1])
    partners = torch.tensor([1, 2, 0])
    lams = torch.tensor([0.25, 0.5, 1.0], dtype=torch.float64)
    want = soft_targets(y, partners, lams, 3)
    for labels in (y.int(), y.to(torch.uint8), y.float()):
        assert torch.equal(soft_targets(labels, partners, lams, 3), want)
    with pytest.raises(ValueError, match="labels must be in"):
        soft_targets(torch.tensor([0, -1, 2]), partners, lams, 3)

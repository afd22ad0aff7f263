"""Tests for cutmix_core.training.optim: learning-rate shapes, parameter groups, lookahead."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from cutmix_core.models.checkpoints import build_model
from cutmix_core.training.optim import Lookahead, lr_factor, param_groups


@pytest.mark.parametrize("schedule", ["onecycle", "cosine"])
def test_lr_factor_warms_up_peaks_and_ends_at_zero(schedule) -> None:
    f = [lr_factor(s, 100, 10, schedule) for s in range(101)]
    assert f[0] == pytest.approx(0.1) and f[9] == 1.0 and f[10] == 1.0 and f[100] == 0.0
    assert all(a >= b for a, b in zip(f[10:], f[11:]))
    assert f[55] == pytest.approx(0.5)  # halfway through the decay, for both shapes


def test_triangle_rises_from_a_fifth_and_ends_at_seven_hundredths() -> None:
    f = [lr_factor(s, 100, 20, "triangle") for s in range(101)]
    assert f[0] == pytest.approx(0.2) and f[10] == pytest.approx(0.6) and f[20] == 1.0
    assert f[60] == pytest.approx(1 - 0.93 / 2) and f[100] == pytest.approx(0.07)
    with pytest.raises(ValueError, match="schedule must be one of"):
        lr_factor(0, 10, 1, "step")


def test_param_groups_scale_batchnorm_shifts_and_skip_frozen_weights() -> None:
    model = build_model("airnet", generator=torch.Generator().manual_seed(0))
    shifts, others = param_groups(model, lr=0.5, weight_decay=0.01, bias_lr_scale=64)
    bn = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    assert {id(p) for p in shifts["params"]} == {id(m.bias) for m in bn}
    assert shifts["lr"] == 32.0 and shifts["weight_decay"] == pytest.approx(0.01 / 64)
    assert shifts["lr"] * shifts["weight_decay"] == pytest.approx(0.5 * 0.01)  # same decay a step
    ids = {id(p) for p in others["params"]}
    assert id(model.whiten.weight) not in ids and not any(id(m.weight) in ids for m in bn)
    assert id(model.whiten.bias) in ids  # trains early in a run
    trainable = {id(p) for p in model.parameters() if p.requires_grad}
    assert trainable == ids | {id(p) for p in shifts["params"]}


def test_lookahead_pulls_back_every_five_steps_and_ends_on_the_slow_weights() -> None:
    model = nn.Linear(2, 1, bias=False)
    with torch.no_grad():
        model.weight.fill_(0.0)
    la = Lookahead(model)  # slow = 0
    total = 10
    for step in range(1, total + 1):
        with torch.no_grad():
            model.weight += 1.0  # a "fast" step
        before = model.weight.clone()
        la.step(model, step, total)
        if step % 5 and step != total:
            assert torch.equal(model.weight, before)  # no pull between updates
    d5 = la.decay(5, total)
    assert d5 == pytest.approx(0.95**5 * 0.5**3)
    slow5 = (1 - d5) * 5.0  # slow after the first pull: lerp from 0 towards 5
    d10 = la.decay(10, total)
    expected = slow5 + (1 - d10) * ((slow5 + 5.0) - slow5)
    assert torch.allclose(model.weight, torch.full((1, 2), expected))
    assert torch.equal(model.weight, la.state_dict()["weight"])


def test_lookahead_state_round_trips_and_rejects_another_model() -> None:
    a, b = nn.Linear(2, 2), nn.Linear(2, 2)
    la = Lookahead(a)
    lb = Lookahead(b)
    lb.load_state_dict(la.state_dict())
    assert all(torch.equal(lb.slow[k], la.slow[k]) for k in la.slow)
    with pytest.raises(ValueError, match="does not match"):
        Lookahead(nn.Linear(2, 2, bias=False)).load_state_dict(la.state_dict())

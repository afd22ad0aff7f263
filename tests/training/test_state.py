"""Tests for cutmix_core.training.state: what ``last.pt`` carries and how a run is rebuilt.

The end-to-end resume (an interrupted run continues exactly as an unbroken one) is in
test_loop.py; here are the pieces it rests on: the paths, the config check, the atomic save,
one seed giving one set of initial weights and flips, and the state round trip.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import torch

from cutmix_core.training.state import (
    RunState,
    check_resumable,
    final_checkpoint_path,
    save_atomic,
    state_path,
)


def test_paths_name_the_run_folder_and_the_architecture(make_config, tmp_path: Path) -> None:
    config = make_config(tmp_path / "run", aug="cutmix")
    assert state_path(config) == tmp_path / "run" / "last.pt"
    assert final_checkpoint_path(config) == tmp_path / "run" / "resnet8w4_cutmix.pt"


def test_resuming_needs_the_same_recipe_but_not_the_same_machine(make_config, tmp_path) -> None:
    config = make_config(tmp_path / "run")
    saved = dataclasses.asdict(config)
    check_resumable(saved, dataclasses.replace(config, device="cpu", eval_every=0, cache=None))
    with pytest.raises(ValueError, match=r"different config \(lr: saved 0\.05 vs 0\.1, "):
        check_resumable(saved, dataclasses.replace(config, lr=0.1, seed=3))
    with pytest.raises(ValueError, match=r"seed: saved 0 vs 3"):
        check_resumable(saved, dataclasses.replace(config, seed=3))


def test_an_interrupted_save_keeps_the_previous_file(tmp_path: Path) -> None:
    path = tmp_path / "last.pt"
    save_atomic({"epoch": 1}, path)

    class Unsaveable:
        def __reduce__(self):
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        save_atomic({"epoch": 2, "bad": Unsaveable()}, path)
    assert torch.load(path, weights_only=True) == {"epoch": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["last.pt"]  # no temporary file left


def _x(n: int = 100) -> torch.Tensor:
    return torch.randint(0, 256, (n, 3, 32, 32), generator=torch.Generator().manual_seed(1)).to(
        torch.uint8
    )


def test_one_seed_builds_one_run_and_another_seed_another(make_config, tmp_path) -> None:
    config = make_config(tmp_path / "run", alternating_flip=True)
    first, again = (RunState.build(config, torch.device("cpu"), _x()) for _ in range(2))
    other = RunState.build(dataclasses.replace(config, seed=1), torch.device("cpu"), _x())
    weights = [dict(s.model.state_dict()) for s in (first, again, other)]
    assert all(torch.equal(weights[0][k], weights[1][k]) for k in weights[0])
    assert not all(torch.equal(weights[0][k], weights[2][k]) for k in weights[0])
    assert first.flips.shape == (100,) and first.flips.dtype == torch.bool
    assert torch.equal(first.flips, again.flips) and not torch.equal(first.flips, other.flips)
    assert 20 < int(first.flips.sum()) < 80
    plain = RunState.build(
        dataclasses.replace(config, alternating_flip=False), torch.device("cpu"), _x()
    )
    assert plain.flips.numel() == 0


def test_the_state_round_trip_restores_every_part(make_config, tmp_path) -> None:
    config = make_config(tmp_path / "run", lookahead=True)
    run = RunState.build(config, torch.device("cpu"), _x())
    x = torch.randn(4, 3, 32, 32)
    run.model(x).sum().backward()
    run.optimizer.step()
    run.scheduler.step()
    torch.rand(3, generator=run.generator)
    path = tmp_path / "last.pt"
    save_atomic(run.state_dict(), path)
    fresh = RunState.build(dataclasses.replace(config, seed=9), torch.device("cpu"), _x())
    fresh.load_state_dict(torch.load(path, weights_only=True))
    assert all(
        torch.equal(v, fresh.model.state_dict()[k]) for k, v in run.model.state_dict().items()
    )
    assert fresh.scheduler.last_epoch == run.scheduler.last_epoch == 1
    assert torch.equal(
        torch.rand(5, generator=fresh.generator), torch.rand(5, generator=run.generator)
    )
    assert torch.equal(fresh.flips, run.flips)
    momentum = [s["momentum_buffer"] for s in fresh.optimizer.state.values()]
    assert momentum and all(m is not None for m in momentum)

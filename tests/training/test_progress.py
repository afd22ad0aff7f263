"""Tests for cutmix_core.training.progress: plain lines when tqdm is missing."""

from __future__ import annotations

import builtins

from cutmix_core.training.progress import Progress


def test_progress_falls_back_to_plain_lines_without_tqdm(monkeypatch, capsys) -> None:
    real_import = builtins.__import__

    def no_tqdm(name, *args, **kwargs):
        if name.startswith("tqdm"):
            raise ImportError("no tqdm here")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_tqdm)
    bar = Progress(4, "epoch 1/1", enabled=True, every=2)
    for i in range(4):
        bar.update({"loss": f"{i}"})
    bar.close("done")
    assert capsys.readouterr().err.splitlines() == [
        "epoch 1/1 step 2/4 loss=1",
        "epoch 1/1 step 4/4 loss=3",
        "epoch 1/1 done",
    ]

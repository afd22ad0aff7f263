"""app_ui/server.py: one torch thread for a server, and the collector freezing imported
modules once per new set of them (never per run)."""

from __future__ import annotations

import sys

import pytest

import app_ui.server as server


def test_one_torch_thread_only_before_torch_and_never_over_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    import torch  # noqa: F401  (imported: nothing changes)

    server.one_torch_thread()
    assert "OMP_NUM_THREADS" not in server.os.environ
    monkeypatch.delitem(sys.modules, "torch")  # as in a server before its first page
    server.one_torch_thread()
    assert server.os.environ["OMP_NUM_THREADS"] == "1"
    monkeypatch.setenv("OMP_NUM_THREADS", "2")  # an operator's choice wins
    server.one_torch_thread()
    assert server.os.environ["OMP_NUM_THREADS"] == "2"


def test_freeze_imported_freezes_once_per_new_modules_without_collecting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[str] = []
    monkeypatch.setattr(server.gc, "collect", lambda *a: calls.append("collect") or 0)
    monkeypatch.setattr(server.gc, "freeze", lambda: calls.append("freeze"))
    monkeypatch.setattr(server, "_modules_frozen", 0)
    assert server.freeze_imported()
    assert calls == ["freeze"]  # no full collection inside the run: it would delay its end
    assert not server.freeze_imported()  # nothing new imported: a rerun costs nothing
    assert calls == ["freeze"]
    monkeypatch.setitem(sys.modules, "a_module_a_page_imported", sys)
    assert server.freeze_imported()
    assert calls == ["freeze"] * 2

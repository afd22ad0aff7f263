"""Tests for cutmix_core.evaluation.cli: end to end, and errors that name the problem."""

from __future__ import annotations

import re

import pytest
from evaluation.fakes import _write_test_split

from cutmix_core.evaluation import cli as ecli
from cutmix_core.evaluation import report as rep


def test_cli_end_to_end_writes_json_and_prints_the_table(
    models_dir, tmp_path, capsys, monkeypatch
) -> None:
    _write_test_split(tmp_path / "cifar")
    monkeypatch.setenv("CUTMIX_CIFAR10", str(tmp_path / "cifar"))  # no --data: the variable
    out = tmp_path / "evaluation.json"
    args = [
        "--models",
        str(models_dir),
        "--cache",
        str(tmp_path / "cache"),
        "--pairs",
        "8",
        "--seed",
        "1",
        "--holes",
        "0,16",
        "--limit",
        "20",
        "--out",
        str(out),
        "--markdown",
    ]
    assert ecli.main(args) == 0
    stdout = capsys.readouterr().out
    assert f"wrote {out} (2 models, 20 test images)" in stdout
    table = stdout[stdout.index("| model") :].splitlines()
    assert [line.split("|")[1].strip() for line in table[2:]] == ["r8_none", "r8_cutmix"]
    report = rep.load_report(out)
    assert report.test_images == 20 and report.pairs == 8 and report.holes == (0, 16)
    assert "first 20 balanced" in report.data
    assert report.command.startswith("python -m cutmix_core.evaluation --models ")
    assert report.command.endswith("--markdown")
    assert all(m.card_agrees is None for m in report.models)  # the cards used 60 images
    assert rep.markdown_table(report) in stdout


@pytest.mark.parametrize(
    ("args", "match"),
    [
        ([], r"pass --data PATH or set \$CUTMIX_CIFAR10"),
        (["--data", "/nonexistent/cifar"], "/nonexistent/cifar does not exist"),
        (["--data", ".", "--holes", "4,x"], "holes must be comma-separated ints"),
        (["--data", ".", "--holes", "40"], r"sides in \[0, 32\]"),
        (["--data", ".", "--pairs", "0"], "--pairs must be >= 1"),
    ],
)
def test_cli_errors_name_the_problem(args, match, capsys, monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("CUTMIX_CIFAR10", raising=False)
    with pytest.raises(SystemExit):
        ecli.main([*args, "--models", str(tmp_path), "--out", str(tmp_path / "e.json")])
    assert re.search(match, capsys.readouterr().err)
    assert not (tmp_path / "e.json").exists()

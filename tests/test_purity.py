"""The library stays pure (CONVENTIONS.md points 1 and 2), checked on its source."""

from __future__ import annotations

import ast
import re

from conftest import ROOT

CORE = sorted((ROOT / "cutmix_core").glob("*.py"))


def _imports(path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_the_library_has_modules_to_check() -> None:
    assert {p.name for p in CORE} >= {"mixing.py", "batch.py", "images.py", "cifar.py"}


def test_no_core_module_imports_streamlit() -> None:
    offenders = [p.name for p in CORE if "streamlit" in _imports(p)]
    assert offenders == []


GLOBAL_RNG = re.compile(
    r"np\.random\.(seed|rand|randn|randint|random|beta|uniform|choice|permutation|shuffle)\("
    r"|torch\.manual_seed\(|torch\.seed\(|random\.(seed|random|randint)\("
)


def test_no_core_module_touches_global_random_state() -> None:
    offenders = [(p.name, m.group(0)) for p in CORE for m in GLOBAL_RNG.finditer(p.read_text())]
    assert offenders == []


def test_pages_do_not_depend_on_the_workplace_data_path() -> None:
    runtime = [ROOT / "app.py", ROOT / "ui.py", *sorted((ROOT / "app_pages").glob("*.py")), *CORE]
    assert [p.name for p in runtime if "../shared" in p.read_text()] == []

"""The library stays pure (CONVENTIONS.md points 1 and 2), checked on its source."""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap

import pytest
from conftest import ROOT

CORE = sorted((ROOT / "cutmix_core").rglob("*.py"))
#: The library's layers, lowest first: a module may import from its own layer and lower ones.
LAYERS = {
    **dict.fromkeys(("box", "defaults", "checks", "files", "paths", "records"), 0),
    "mixing": 1,
    "data": 2,
    "models": 3,
    "training": 4,
    "evaluation": 5,
    "views": 6,
}


def _module(path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def _layer(module: str) -> int | None:
    parts = module.split(".")
    return LAYERS.get(parts[1]) if len(parts) > 1 else None


def _core_imports(path) -> set[str]:
    """The cutmix_core modules ``path`` imports (``from cutmix_core.x import y`` counts y when
    it is a module), at any depth: lazy imports inside functions count too."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("cutmix_core"))
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("cutmix_core"):
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                is_module = any(_module(p) == sub for p in CORE)
                found.add(sub if is_module else node.module)
    return found


def _imports(path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_the_library_has_modules_to_check() -> None:
    assert {_module(p) for p in CORE} >= {
        "cutmix_core.mixing.pair",
        "cutmix_core.mixing.batch",
        "cutmix_core.data.images",
        "cutmix_core.data.cifar",
    }


def test_every_module_belongs_to_a_layer() -> None:
    assert [m for m in map(_module, CORE) if m != "cutmix_core" and _layer(m) is None] == []


def test_the_library_never_imports_the_app() -> None:
    app = ("app", "app_ui", "app_pages", "streamlit")
    offenders = [_module(p) for p in CORE if _imports(p) & set(app)]
    assert offenders == []


def test_no_module_imports_from_a_higher_layer() -> None:
    upward = [
        f"{_module(p)} -> {imp}"
        for p in CORE
        for imp in sorted(_core_imports(p))
        if imp != "cutmix_core"
        and _module(p) != "cutmix_core"
        and (_layer(imp) or 0) > (_layer(_module(p)) or 0)
    ]
    assert upward == []


def test_the_library_has_no_import_cycles() -> None:
    graph = {_module(p): {i for i in _core_imports(p) if i != "cutmix_core"} for p in CORE}
    done: set[str] = set()

    def visit(node: str, stack: tuple[str, ...]) -> None:
        assert node not in stack, f"import cycle: {' -> '.join((*stack, node))}"
        if node in done:
            return
        for nxt in graph.get(node, ()):
            visit(nxt, (*stack, node))
        done.add(node)

    for module in graph:
        visit(module, ())


def test_the_layer_checks_catch_an_upward_import(tmp_path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from cutmix_core.views import describe\nfrom cutmix_core.mixing import pair\n")
    assert _core_imports(bad) == {"cutmix_core.views.describe", "cutmix_core.mixing.pair"}
    assert _layer("cutmix_core.views.describe") > _layer("cutmix_core.data.images")


def root_imports(source: str) -> set[str]:
    """Names a module takes from the package root (``from cutmix_core import name``)."""
    return {
        alias.name
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.ImportFrom) and node.module == "cutmix_core" and not node.level
        for alias in node.names
    }


def test_library_modules_import_submodules_never_the_packages_names() -> None:
    """Inside the library, ``from cutmix_core import x`` must name a submodule: the package's
    re-exported names (cutmix, Box, ...) would make every module depend on __init__ and on
    everything it imports, and invite cycles."""
    root = ROOT / "cutmix_core"
    submodules = {p.stem for p in root.glob("*.py")} | {
        p.parent.name for p in root.glob("*/__init__.py")
    }
    found = {
        str(p.relative_to(ROOT)): sorted(root_imports(p.read_text(encoding="utf-8")) - submodules)
        for p in CORE
        if p.name != "__init__.py" or p.parent != root
    }
    assert {k: v for k, v in found.items() if v} == {}
    assert root_imports(
        "from cutmix_core import Box, defaults\nfrom cutmix_core.box import Box"
    ) == {
        "Box",
        "defaults",
    }


def test_no_core_module_imports_streamlit() -> None:
    offenders = [p.name for p in CORE if "streamlit" in _imports(p)]
    assert offenders == []


def test_the_cifar_pages_modules_never_import_torchvision() -> None:
    # torchvision is most of a cold start's import time after torch; only the ImageNet models
    # need it, and they import it when one is loaded (README, Speed).
    code = (
        "import sys\n"
        "import app_ui.controls, app_ui.models, app_ui.model_panel, app_ui.occlusion_panel\n"
        "import cutmix_core.models.gradcam, cutmix_core.models.imagenet\n"
        "print('torchvision' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "False"


# ---------------------------------------------------------------------------- global RNG
# numpy.random names that build explicit state rather than draw from the global one.
NUMPY_EXPLICIT = {
    "default_rng",
    "Generator",
    "SeedSequence",
    "BitGenerator",
    "PCG64",
    "PCG64DXSM",
    "Philox",
    "SFC64",
    "MT19937",
}
# The stdlib random module's explicit generators.
STDLIB_EXPLICIT = {"Random", "SystemRandom"}
TORCH_SEEDING = {
    f"torch.{name}"
    for name in (
        "manual_seed",
        "seed",
        "set_rng_state",
        "random.manual_seed",
        "random.seed",
        "random.set_rng_state",
        "cuda.manual_seed",
        "cuda.manual_seed_all",
        "cuda.seed",
        "cuda.seed_all",
        "cuda.set_rng_state",
        "cuda.set_rng_state_all",
    )
}
# torch functions that draw from the global generator unless given generator=.
TORCH_SAMPLERS = {
    f"torch.{name}"
    for name in (
        "rand",
        "randn",
        "randint",
        "randperm",
        "rand_like",
        "randn_like",
        "randint_like",
        "bernoulli",
        "multinomial",
        "normal",
        "poisson",
        "utils.data.DataLoader",
        "utils.data.RandomSampler",
        "utils.data.SubsetRandomSampler",
        "utils.data.WeightedRandomSampler",
        "utils.data.random_split",
    )
}
# In-place samplers, as tensor methods (x.normal_()) or in torch.nn.init: matched by name on
# any object, since the trailing underscore is torch's alone. Tensor methods without it
# (x.bernoulli(), x.multinomial()) cannot be told from numpy's rng.multinomial() by name and
# are not checked.
INPLACE_SAMPLERS = {
    "normal_",
    "uniform_",
    "bernoulli_",
    "random_",
    "exponential_",
    "geometric_",
    "cauchy_",
    "log_normal_",
    "trunc_normal_",
    "kaiming_normal_",
    "kaiming_uniform_",
    "xavier_normal_",
    "xavier_uniform_",
    "orthogonal_",
    "sparse_",
}


class _GlobalRng(ast.NodeVisitor):
    """Collects uses of global random state in one module, with import aliases resolved."""

    def __init__(self) -> None:
        self.aliases: dict[str, str] = {}  # local name -> dotted name it was imported as
        self.found: list[tuple[int, str]] = []

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.asname:
                self.aliases[alias.asname] = alias.name
            else:  # `import numpy.random` binds `numpy`
                top = alias.name.split(".")[0]
                self.aliases[top] = top

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.module and not node.level:
            for alias in node.names:
                self.aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"

    def _name(self, node: ast.AST) -> str | None:
        """The dotted name ``node`` refers to, through the imports; None if not imported."""
        if isinstance(node, ast.Name):
            return self.aliases.get(node.id)
        if isinstance(node, ast.Attribute):
            base = self._name(node.value)
            return None if base is None else f"{base}.{node.attr}"
        return None

    def _reference(self, node: ast.Name | ast.Attribute) -> None:
        name = self._name(node)
        if name is None:
            return
        parts = name.split(".")
        global_numpy = (
            parts[:2] == ["numpy", "random"] and len(parts) == 3 and parts[2] not in NUMPY_EXPLICIT
        )
        global_stdlib = parts[0] == "random" and len(parts) == 2 and parts[1] not in STDLIB_EXPLICIT
        distributions = parts[:2] == ["torch", "distributions"] and len(parts) == 3
        if global_numpy or global_stdlib or name in TORCH_SEEDING:
            self.found.append((node.lineno, name))
        elif distributions:  # Distribution.sample() takes no generator
            self.found.append((node.lineno, f"{name} (torch.distributions)"))

    def visit_Name(self, node: ast.Name) -> None:
        self._reference(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        self._reference(node)
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        name = self._name(node.func)
        sampler = name in TORCH_SAMPLERS or (
            isinstance(node.func, ast.Attribute) and node.func.attr in INPLACE_SAMPLERS
        )
        if sampler and not any(k.arg == "generator" for k in node.keywords):
            shown = name or f".{node.func.attr}"
            self.found.append((node.lineno, f"{shown}() without generator="))
        self.generic_visit(node)


def global_rng_uses(source: str) -> list[str]:
    """Each use of global random state in ``source``, as ``"line: what"``.

    Flags numpy.random's module-level functions (all but the explicit generators and bit
    generators), the stdlib random module's functions, torch's seeding functions,
    torch.distributions, and torch's samplers called without ``generator=``.
    """
    visitor = _GlobalRng()
    visitor.visit(ast.parse(source))
    return [f"{line}: {what}" for line, what in sorted(set(visitor.found))]


@pytest.mark.parametrize("path", CORE, ids=_module)
def test_no_core_module_touches_global_random_state(path) -> None:
    assert global_rng_uses(path.read_text(encoding="utf-8")) == []


VIOLATIONS = {
    "np.random.rand(3)": "numpy.random.rand",
    "np.random.shuffle(x)": "numpy.random.shuffle",
    "np.random.seed(0)": "numpy.random.seed",
    "np.random.RandomState(0)": "numpy.random.RandomState",
    "draw = np.random.normal": "numpy.random.normal",
    "npr.beta(1.0, 1.0)": "numpy.random.beta",
    "choice([1, 2])": "numpy.random.choice",
    "stdlib.random()": "random.random",
    "torch.manual_seed(0)": "torch.manual_seed",
    "torch.cuda.manual_seed_all(0)": "torch.cuda.manual_seed_all",
    "torch.rand(3)": "torch.rand() without generator=",
    "torch.randn(2, 3, device='cpu')": "torch.randn() without generator=",
    "torch.randint(0, 5, (3,))": "torch.randint() without generator=",
    "torch.randperm(8)": "torch.randperm() without generator=",
    "torch.rand_like(x)": "torch.rand_like() without generator=",
    "torch.bernoulli(p)": "torch.bernoulli() without generator=",
    "torch.multinomial(p, 2)": "torch.multinomial() without generator=",
    "x.normal_(0, 1)": ".normal_() without generator=",
    "torch.empty(3).uniform_()": ".uniform_() without generator=",
    "nn.init.kaiming_normal_(w)": "torch.nn.init.kaiming_normal_() without generator=",
    "DataLoader(ds, shuffle=True)": "torch.utils.data.DataLoader() without generator=",
    "torch.distributions.Beta(a, a).sample()": "torch.distributions.Beta (torch.distributions)",
}
IMPORTS = """\
import random as stdlib
import numpy as np
import numpy.random as npr
import torch
from numpy.random import choice
from torch import nn
from torch.utils.data import DataLoader
"""


@pytest.mark.parametrize("snippet", VIOLATIONS)
def test_the_check_flags_global_random_state(snippet: str) -> None:
    found = global_rng_uses(IMPORTS + snippet)
    line = IMPORTS.count("\n") + 1
    assert found == [f"{line}: {VIOLATIONS[snippet]}"]


def test_the_check_passes_explicit_randomness() -> None:
    clean = IMPORTS + textwrap.dedent("""\
        def f(rng: np.random.Generator, generator: torch.Generator) -> None:
            rng = np.random.default_rng(np.random.SeedSequence(0))
            bits = np.random.Generator(np.random.PCG64(1))
            rng.normal(size=3), rng.multinomial(3, [0.5, 0.5]), rng.random(), rng.permutation(4)
            torch.rand(3, generator=generator)
            torch.randperm(8, generator=generator).normal_(generator=generator)
            nn.init.uniform_(w, -1, 1, generator=generator)
            generator.seed()  # fresh entropy for a local generator, not torch.seed()
            local = stdlib.Random(0)
            local.random()
            DataLoader(ds, shuffle=True, generator=generator)

        def random(x):  # a local name that is no module
            return x.random
    """)
    assert global_rng_uses(clean) == []


def test_pages_do_not_depend_on_the_workplace_data_path() -> None:
    app = [ROOT / "app.py", *sorted((ROOT / "app_ui").glob("*.py"))]
    runtime = [*app, *sorted((ROOT / "app_pages").glob("*.py")), *CORE]
    assert [p.name for p in runtime if "../shared" in p.read_text()] == []


# --------------------------------------------------------------------------- safe loading


def unsafe_loads(source: str) -> list[int]:
    """Lines of ``source`` that call ``torch.load`` without ``weights_only=True`` (a pickle in
    the file would then run code)."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "load"
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "torch"
        ):
            safe = any(
                k.arg == "weights_only" and isinstance(k.value, ast.Constant) and k.value.value
                for k in node.keywords
            )
            if not safe:
                lines.append(node.lineno)
    return lines


SHIPPED_CODE = sorted(
    p
    for folder in ("cutmix_core", "app_ui", "app_pages", "scripts")
    for p in (ROOT / folder).rglob("*.py")
) + [ROOT / "app.py"]


def test_every_checkpoint_load_is_weights_only() -> None:
    found = {
        str(p.relative_to(ROOT)): unsafe_loads(p.read_text(encoding="utf-8")) for p in SHIPPED_CODE
    }
    assert {k: v for k, v in found.items() if v} == {}
    # The check itself sees a bare load, and one with weights_only=False.
    assert unsafe_loads("import torch\ntorch.load(f)\ntorch.load(f, weights_only=False)") == [2, 3]
    assert unsafe_loads("torch.load(f, map_location='cpu', weights_only=True)") == []

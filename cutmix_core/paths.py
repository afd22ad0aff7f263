"""Where the app's offline assets live: the one place for these paths.

The assets sit beside the package in the repository (``pip install -e .`` keeps them there), so
the app, the evaluation command and the tests read the same files.
"""

from __future__ import annotations

from pathlib import Path

ROOT: Path = Path(__file__).resolve().parent.parent
ASSETS: Path = ROOT / "assets"
#: The shipped checkpoints and their model cards.
MODELS_DIR: Path = ASSETS / "models"
#: The evaluation report the model page shows (``python -m cutmix_core.evaluation``).
REPORT_PATH: Path = ASSETS / "evaluation.json"
#: The bundled 100-image CIFAR-10 test sample.
SAMPLE_PATH: Path = ASSETS / "cifar10_sample.npz"
#: The benchmark report (``scripts/benchmark.py``).
BENCHMARK_PATH: Path = ASSETS / "benchmark.json"

"""Where the app's offline assets live: the one place for these paths.

The assets sit beside the package in the repository (``pip install -e .`` keeps them there), so
the app, the evaluation command and the tests read the same files.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from cutmix_core import defaults

ROOT: Path = Path(__file__).resolve().parent.parent
ASSETS: Path = ROOT / "assets"
#: The shipped checkpoints and their model cards.
MODELS_DIR: Path = ASSETS / "models"
#: The evaluation report the model page shows (``python -m cutmix_core.evaluation``).
REPORT_PATH: Path = ASSETS / "evaluation.json"
#: The bundled 100-image CIFAR-10 test sample.
SAMPLE_PATH: Path = ASSETS / "cifar10_sample.npz"
#: The decoded-uint8 CIFAR-10 cache of training and evaluation, relative to where they run.
CACHE_DIR: str = "runs/cache"
#: The benchmark report (``scripts/benchmark.py``).
BENCHMARK_PATH: Path = ASSETS / "benchmark.json"


def models_dir(environ: Mapping[str, str] = os.environ) -> Path:
    """The checkpoint folder the app uses: the one ``$CUTMIX_MODELS`` names, else
    :data:`MODELS_DIR`."""
    return Path(environ.get(defaults.MODELS_ENV) or MODELS_DIR)


def report_path(environ: Mapping[str, str] = os.environ) -> Path:
    """The evaluation report the app shows: the one ``$CUTMIX_EVALUATION`` names, else
    :data:`REPORT_PATH`."""
    return Path(environ.get(defaults.EVALUATION_ENV) or REPORT_PATH)

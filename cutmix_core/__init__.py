"""CutMix Lab's pure library: the mixing maths, data, models, training, evaluation and views.

It never imports streamlit, and randomness is always passed in. ``import cutmix_core`` and the
numpy pair API need no torch; the torch batch ops are imported on first use. Five lines of use::

    import numpy as np
    from cutmix_core import cutmix, soft_label
    rng = np.random.default_rng(0)
    res = cutmix(a, b, alpha=1.0, rng=rng)         # a, b: HWC uint8 of one shape
    target = soft_label(3, 5, res.lam_adjusted, 10)  # the label CutMix trains on

The layers, each importing only those above it in this list: ``box``, ``defaults`` ->
``mixing`` (box rule, pair and batch ops, explorer statistics) -> ``data`` (images, CIFAR-10,
downloads, the training cache) -> ``models`` (architectures, checkpoints, Grad-CAM) ->
``training``, ``evaluation`` -> ``views`` (what the pages show).
"""

from __future__ import annotations

from typing import Any

from cutmix_core.box import EMPTY_BOX, Box
from cutmix_core.mixing.pair import (
    MixResult,
    box_from_center,
    box_lambda,
    cutmix,
    cutout,
    mixup,
    paste,
    sample_box,
    sample_lambda,
    soft_label,
)

_TORCH_NAMES = ("BatchMixResult", "cutmix_batch", "cutout_batch", "mixup_batch")

__all__ = [
    "EMPTY_BOX",
    "BatchMixResult",
    "Box",
    "MixResult",
    "box_from_center",
    "box_lambda",
    "cutmix",
    "cutmix_batch",
    "cutout",
    "cutout_batch",
    "mixup",
    "mixup_batch",
    "paste",
    "sample_box",
    "sample_lambda",
    "soft_label",
]


def __getattr__(name: str) -> Any:
    """The torch batch ops, imported (with torch) only when first asked for."""
    if name in _TORCH_NAMES:
        from cutmix_core.mixing import batch

        return getattr(batch, name)
    raise AttributeError(f"module 'cutmix_core' has no attribute {name!r}")

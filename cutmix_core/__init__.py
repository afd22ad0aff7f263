"""CutMix Lab's pure library: mixing maths, labels, images, CIFAR-10 data and figures.

It never imports streamlit; randomness is always passed in. Five lines of use::

    import numpy as np
    from cutmix_core import cutmix, soft_label
    rng = np.random.default_rng(0)
    res = cutmix(a, b, alpha=1.0, rng=rng)         # a, b: HWC uint8 of one shape
    target = soft_label(3, 5, res.lam_adjusted, 10)  # the label CutMix trains on
"""

from cutmix_core.batch import BatchMixResult, cutmix_batch, cutout_batch, mixup_batch
from cutmix_core.mixing import (
    EMPTY_BOX,
    Box,
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

"""Defaults shared by the library, the pages and the tests (one place, CONVENTIONS.md point 9).

Pages pass these as keyword arguments and use them as widget defaults, so a value changed here
changes everywhere at once.
"""

from __future__ import annotations

#: Beta(alpha, alpha) concentration used by the paper for CIFAR and ImageNet.
ALPHA: float = 1.0
#: Smallest and largest alpha offered by the UI (log-scaled slider).
ALPHA_MIN: float = 0.05
ALPHA_MAX: float = 20.0
#: The alphas every page's log-scale slider offers (about three steps per factor of two).
ALPHAS: tuple[float, ...] = (
    0.05,
    0.07,
    0.1,
    0.15,
    0.2,
    0.3,
    0.4,
    0.5,
    0.7,
    1.0,
    1.5,
    2.0,
    3.0,
    4.0,
    5.0,
    7.0,
    10.0,
    15.0,
    20.0,
)
#: Seed of the playground's numpy Generator.
SEED: int = 0
#: Probability of applying CutMix to a batch (the official code's ``cutmix_prob``).
PROB: float = 1.0
#: The augmentations a CIFAR-10 model is trained with, in the order reports list them.
AUGS: tuple[str, ...] = ("none", "cutmix", "mixup", "cutout")
#: The CutMix probability of the paper's CIFAR training command (``--cutmix_prob 0.5``), used
#: when training the shipped models (ImageNet used 1.0).
CIFAR_CUTMIX_PROB: float = 0.5
#: Side of the Cutout hole for CIFAR-10 (DeVries & Taylor 2017), in pixels: training's Cutout
#: and the evaluation's occlusion column.
CUTOUT_SIZE: int = 16
#: Label smoothing applied before mixing (timm's convention); 0 disables it.
SMOOTHING: float = 0.0
#: The λ the pages start from when it is set by hand (playground, compare page).
LAM_BY_HAND: float = 0.7
#: Background that transparent pixels are composited onto (RGB, white).
BACKGROUND: tuple[int, int, int] = (255, 255, 255)
#: Upload limit in megabytes, 1 MB = 1,000,000 bytes; equal to ``server.maxUploadSize`` in
#: .streamlit/config.toml. Streamlit reads that number as MB in the browser (10**6 bytes, 2**20
#: on Windows) and as MiB on the server (2**20 bytes, plus 1 MiB of slack), so the decimal
#: reading is the one every path enforces: a file under it passes all three.
MAX_UPLOAD_MB: int = 16
#: :data:`MAX_UPLOAD_MB` in bytes: the largest upload the decoder accepts.
MAX_UPLOAD_BYTES: int = MAX_UPLOAD_MB * 1_000_000
#: Largest image we decode, width x height in pixels, read from the header before decoding.
MAX_PIXELS: int = 50_000_000
#: Longest side an uploaded image is reduced to before mixing, so reruns stay fast.
MAX_SIDE: int = 512
#: Side of the square used by the "centre-crop both" and "resize both" size policies.
SQUARE_SIDE: int = 256
#: Largest square side N a visitor may choose (a link may carry): uploads are at most MAX_SIDE,
#: so a larger square would only upscale, and would grow the shared cache of fitted pairs.
SQUARE_SIDE_MAX: int = MAX_SIDE
#: An upload over this many pixels is a "large" decode: at most LARGE_DECODES of them run at
#: once per server, the others wait, so a class uploading phone photos cannot exhaust memory.
LARGE_DECODE_PIXELS: int = 4_000_000
LARGE_DECODES: int = 2
#: Environment variable naming the server's full CIFAR-10 copy (folder, zip or torchvision
#: folder); visitors cannot change it.
CIFAR_ENV: str = "CUTMIX_CIFAR10"
#: Environment variable naming a folder under which visitors may type a CIFAR-10 path in the
#: sidebar; unset, the sidebar has no path box at all.
CIFAR_ROOT_ENV: str = "CUTMIX_CIFAR10_ROOT"

#: Environment variable naming another folder of checkpoints for the app (default assets/models).
MODELS_ENV = "CUTMIX_MODELS"
#: Environment variable naming another evaluation report for the app (default
#: assets/evaluation.json), e.g. one made with ``python -m cutmix_core.evaluation --out``.
EVALUATION_ENV = "CUTMIX_EVALUATION"

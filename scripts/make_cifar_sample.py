"""Build ``assets/cifar10_sample.npz``: the small CIFAR-10 sample the app ships so it works offline.

The sample holds ``--per-class`` test images of each class (default 10, so 100 images). Within
each class the images are drawn without replacement by ``np.random.default_rng(--seed)``, sorted by
index, and stored class by class, so the same seed and source always give the same file. Random
picks rather than "the first 10" avoid whatever ordering the export happens to have.

Keys: ``images`` (N, 32, 32, 3) uint8, ``labels`` (N,) int64, ``indices`` (N,) int64 (index in the
test split's canonical order, see ``cutmix_core.data.cifar``), ``split`` ("test"),
``classes`` (10 names), ``seed``. The app reads it with ``cutmix_core.data.cifar.load_sample``.

Usage: ``python scripts/make_cifar_sample.py [--src DIR_OR_ZIP] [--out FILE] [--per-class 10]``
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from cutmix_core.data.cifar import CLASSES, SAMPLE_PATH, load_cifar10, load_sample

DEFAULT_SRC = Path(__file__).resolve().parents[2] / "shared" / "data" / "cifar10"


def pick_indices(labels: np.ndarray, per_class: int, *, rng: np.random.Generator) -> np.ndarray:
    """Positions of ``per_class`` images of each class, class by class, sorted within a class."""
    picks = []
    for c in range(len(CLASSES)):
        pool = np.flatnonzero(labels == c)
        if pool.size < per_class:
            raise ValueError(f"class {CLASSES[c]!r} has {pool.size} images, need {per_class}")
        picks.append(np.sort(rng.choice(pool, size=per_class, replace=False)))
    return np.concatenate(picks)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", type=Path, default=DEFAULT_SRC, help="CIFAR-10 copy (any layout)")
    parser.add_argument("--out", type=Path, default=SAMPLE_PATH, help="npz file to write")
    parser.add_argument("--per-class", type=int, default=10, help="images per class")
    parser.add_argument("--seed", type=int, default=0, help="seed of the numpy Generator")
    args = parser.parse_args(argv)
    if args.per_class < 1:
        parser.error(f"--per-class must be at least 1, got {args.per_class}")

    full = load_cifar10(args.src, split="test")
    pos = pick_indices(full.labels, args.per_class, rng=np.random.default_rng(args.seed))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        args.out,
        images=full.images[pos],
        labels=full.labels[pos],
        indices=full.indices[pos],
        split=np.str_("test"),
        classes=np.array(CLASSES),
        seed=np.int64(args.seed),
    )
    sample = load_sample(args.out)  # fail here, not in the app, if the file is unreadable
    print(
        f"wrote {args.out} ({args.out.stat().st_size / 1024:.0f} KiB): {sample.source} "
        f"from {full.source}"
    )


if __name__ == "__main__":
    main()

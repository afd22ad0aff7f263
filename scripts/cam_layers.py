"""Which AirNet layer should Grad-CAM use? The box share of class B's map at each candidate.

The evaluation (``python -m cutmix_core.evaluation``) measures Grad-CAM at one layer, the output
of ``features`` (block3, 8x8). This script repeats its measure, the share of class B's map mass
inside the pasted box over the evaluation's own pairs (same seed, same draws), at every layer a
Grad-CAM could sensibly target, for each shipped AirNet model, and prints a markdown table:

    python scripts/cam_layers.py --data ../shared/data/cifar10

Candidates: block1 (16x16), block2 (8x8), block3 before and after its activation (8x8), and
block3b in the head (4x4).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F

from cutmix_core import defaults, paths
from cutmix_core.data.cifar import load_cifar10
from cutmix_core.evaluation.pairs import PAIRS, mix_pairs, sample_pairs
from cutmix_core.models.airnet import AirNet
from cutmix_core.models.checkpoints import load_checkpoint
from cutmix_core.models.gradcam import Split, gradcam, mass_inside

Parts = tuple[Callable[[torch.Tensor], torch.Tensor], Callable[[torch.Tensor], torch.Tensor]]


def _cut(model: AirNet, after: str) -> Parts:
    """``features`` up to and including the block named ``after``; the rest as the head."""
    names = list(model.features._modules)
    i = names.index(after) + 1
    body = [model.features.get_submodule(n) for n in names]
    return torch.nn.Sequential(*body[:i]), torch.nn.Sequential(*body[i:], model.head)


def _pre_activation(model: AirNet) -> Parts:
    block3 = model.features.get_submodule("block3")
    below = torch.nn.Sequential(*list(model.features.children())[:-1])
    return (
        lambda x: block3.norm(block3.conv(below(x))),
        lambda a: model.head(F.gelu(a)),
    )


def _head_conv(model: AirNet) -> Parts:
    head = model.head
    rest = torch.nn.Sequential(head.pool, head.flatten, head.fc, head.scale)
    return lambda x: head.block3b(head.pool3(model.features(x))), rest


LAYERS: dict[str, Callable[[AirNet], Parts]] = {
    "block1 (16x16)": lambda m: _cut(m, "block1"),
    "block2 (8x8)": lambda m: _cut(m, "block2"),
    "block3 before GELU (8x8)": _pre_activation,
    "block3 = features (8x8, the app's)": lambda m: _cut(m, "block3"),
    "block3b (4x4)": _head_conv,
}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", required=True, help="CIFAR-10 copy (folder or zip)")
    p.add_argument("--pairs", type=int, default=PAIRS)
    args = p.parse_args()
    test = load_cifar10(args.data, split="test")
    # The evaluation's pairs: the first of two streams spawned from its seed.
    pair_rng = np.random.default_rng(np.random.SeedSequence(defaults.SEED).spawn(2)[0])
    pairs = sample_pairs(test.labels, args.pairs, rng=pair_rng)
    mixed = mix_pairs(test.images, pairs)
    used = [i for i, box in enumerate(pairs.boxes) if box.area]
    models = [m for m in sorted(paths.MODELS_DIR.glob("airnet_*.pt"))]
    print("| layer | " + " | ".join(m.stem for m in models) + " |")
    print("|---" * (len(models) + 1) + "|")
    loaded = [load_checkpoint(m) for m in models]
    inputs = [lm.preprocess(mixed) for lm in loaded]
    for layer, parts in LAYERS.items():
        cells = []
        for lm, x in zip(loaded, inputs):
            model = lm.model
            assert isinstance(model, AirNet)
            pieces = parts(model)
            split: Split = lambda _m, pieces=pieces: pieces  # noqa: E731
            shares = [
                mass_inside(
                    gradcam(model, x[i], (int(pairs.label_b[i]),), split=split).upsampled[0],
                    pairs.boxes[i],
                )
                for i in used
            ]
            cells.append(f"{np.nanmean(shares):.2%}")
        print(f"| {layer} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()

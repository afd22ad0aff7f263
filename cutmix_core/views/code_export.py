"""The training-batch page's settings as training-loop code for three libraries.

For one :class:`BatchSettings` (alpha, prob, mode, pairing, smoothing, number of classes, seed)
each function returns a :class:`Snippet`: runnable code for ``cutmix_core.cutmix_batch``,
``torchvision.transforms.v2.CutMix`` or ``timm.data.Mixup`` (CutMix only), the sentences saying
which settings that library cannot express (``caveats``: the code then uses the nearest setting
and a comment says what differs) and what differs whatever the settings (``notes``). Every
snippet defines a stand-in batch ``x`` (B, 3, H, W) and ``y`` (B,) from its own seeded
generator and ends with ``images`` and ``targets`` ((B, num_classes) soft targets), so a test
can run it. Nothing here imports torchvision or timm: the code is only text.

What the snippets rely on, read in the sources in site-packages (torchvision 0.29.1, timm 1.0.31):

- ``torchvision/transforms/v2/_augment.py``: ``CutMix.make_params`` draws one λ
  (``torch.distributions.Beta``) and one box (``torch.randint``) per call, from torch's global
  generator, and has no ``prob``; ``CutMix.transform`` pastes ``inpt.roll(1, 0)`` and
  ``_BaseMixUpCutMix._mixup_label`` mixes ``label.roll(1, 0)``: sample i always takes i - 1.
  2-D (soft) labels are accepted and mixed as given (``forward``), so smoothing is done on the
  one-hot targets first. ``torchvision/transforms/v2/_container.py``: ``RandomApply.forward``
  flips one ``torch.rand(1)`` coin per call and returns its inputs untouched when it says no,
  which is the batch mode's ``prob`` exactly (with 2-D targets, so a skipped batch still has
  them). There is no per-sample mode and no pairing option.
- ``timm/data/mixup.py``: with ``mixup_alpha=0`` and ``cutmix_alpha > 0`` every mixed batch
  is CutMix (``_params_per_batch``, ``_params_per_elem``); ``prob`` is one coin per batch in
  ``mode="batch"`` and one per sample in ``"elem"`` (``mode="pair"`` mixes pairs i, B - 1 - i
  both ways, which cutmix_core has no mode for). Pairing is always the flip: ``x.flip(0)`` in
  ``_mix_batch``, ``j = batch_size - i - 1`` in ``_mix_elem`` and ``y1.flip(0)`` in
  ``mixup_target``. ``mixup_target`` smooths with ``off_value = smoothing / num_classes`` and
  ``on_value = 1 - smoothing + off_value`` before mixing, which is
  ``cutmix_core.mixing.targets.soft_targets``'s definition exactly (they differ only in the
  order of the float32 sums, in the last bit), so smoothing needs no caveat; but the default
  ``label_smoothing`` is 0.1, so the snippet always passes it. ``rand_bbox`` ends a box at
  ``c + (cut + 1) // 2``, one pixel past the paper's (and torchvision's, and our)
  ``c + cut // 2`` when the cut side is odd. ``Mixup.__call__`` asserts an even batch and
  pastes into its input in place; ``_mix_elem`` returns the λs in ``x``'s dtype, so a uint8
  batch truncates them to 0 or 1. Draws come from numpy's global generator.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from cutmix_core import defaults
from cutmix_core.checks import check_choice, check_int, check_number
from cutmix_core.mixing.batch import Mode, Pairing
from cutmix_core.mixing.rule import check_alpha

__all__ = [
    "BATCH",
    "LIBRARIES",
    "SIZE",
    "BatchSettings",
    "Snippet",
    "StandIn",
    "cutmix_core_snippet",
    "snippets",
    "timm_snippet",
    "torchvision_snippet",
]

#: The libraries, in the order the page shows them.
LIBRARIES: tuple[str, ...] = ("cutmix_core", "torchvision", "timm")
#: The stand-in batch: B images of SIZE x SIZE. B is even because timm asserts it.
BATCH: int = 16
SIZE: int = 32
#: dtype of the stand-in images: float in [0, 1) as after ToTensor, or uint8 as decoded.
StandIn = Literal["float32", "uint8"]


@dataclass(frozen=True)
class BatchSettings:
    """The CutMix settings of the training-batch page, checked on construction.

    Attributes:
        num_classes: number of classes of the targets.
        alpha: Beta(alpha, alpha) concentration, > 0.
        mode: "batch" (one λ, box and coin for all) or "elem" (one per sample).
        pairing: "roll" (i takes i - 1) or "permutation" (a seeded random permutation).
        prob: probability of applying CutMix, in [0, 1].
        smoothing: label smoothing applied before mixing, in [0, 1).
        seed: seed of the generator the draws come from.

    Raises:
        ValueError: naming the setting and the value, for any value out of its range.
    """

    num_classes: int
    alpha: float = defaults.ALPHA
    mode: Mode = "batch"
    pairing: Pairing = "roll"
    prob: float = defaults.PROB
    smoothing: float = defaults.SMOOTHING
    seed: int = defaults.SEED

    def __post_init__(self) -> None:
        # Normalised in place (frozen, hence object.__setattr__): ints become floats, so the
        # code shows alpha=1.0 rather than alpha=1.
        checked = {
            "num_classes": check_int(self.num_classes, "num_classes", lo=1),
            "alpha": check_alpha(self.alpha),
            "mode": check_choice(self.mode, "mode", get_args(Mode)),
            "pairing": check_choice(self.pairing, "pairing", get_args(Pairing)),
            "prob": check_number(self.prob, "prob", 0.0, 1.0),
            "smoothing": check_number(self.smoothing, "smoothing", 0.0, 1.0, hi_open=True),
            "seed": check_int(self.seed, "seed", lo=0),
        }
        for name, value in checked.items():
            object.__setattr__(self, name, value)


@dataclass(frozen=True)
class Snippet:
    """One library's code for the settings.

    Attributes:
        library: "cutmix_core", "torchvision" or "timm".
        code: runnable Python: a stand-in batch ``x``, ``y``, then the library's call, ending
            with ``images`` (B, 3, H, W) and ``targets`` (B, num_classes) float32.
        caveats: one sentence per setting the library cannot express, each opening with the
            setting and its value ("Pairing permutation: ..."); empty when it expresses all.
        notes: what differs from the page whatever the settings (seeding, box rule, dtype).
    """

    library: str
    code: str
    caveats: tuple[str, ...]
    notes: tuple[str, ...]


def snippets(settings: BatchSettings, *, images: StandIn = "float32") -> tuple[Snippet, ...]:
    """The three snippets, in :data:`LIBRARIES` order, on a stand-in batch of ``images``."""
    return (
        cutmix_core_snippet(settings, images=images),
        torchvision_snippet(settings, images=images),
        timm_snippet(settings, images=images),
    )


def _num(value: float) -> str:
    # Slider steps arrive as 0.15000000000000002; twelve significant digits read as typed.
    text = f"{value:.12g}"
    return text if any(c in text for c in ".e") else f"{text}.0"


def _stand_in(num_classes: int, images: StandIn) -> str:
    """Lines that define ``x`` and ``y`` from their own generator, not the global one."""
    check_choice(images, "images", get_args(StandIn))
    shape = f"({BATCH}, 3, {SIZE}, {SIZE})"
    if images == "uint8":
        x = f"torch.randint(0, 256, {shape}, dtype=torch.uint8, generator=data)"
    else:
        x = f"torch.rand({shape}, generator=data)"
    return (
        "# A stand-in for one batch of your DataLoader: x (B, 3, H, W), y (B,) class indices.\n"
        "data = torch.Generator().manual_seed(0)\n"
        f"x = {x}\n"
        f"y = torch.randint(0, {num_classes}, ({BATCH},), generator=data)\n"
    )


LOSS = "# loss = torch.nn.functional.cross_entropy(model(images), targets)  # takes soft targets\n"


def cutmix_core_snippet(settings: BatchSettings, *, images: StandIn = "float32") -> Snippet:
    """``cutmix_batch`` with every setting spelled out; it expresses all of them.

    With the page's batch as ``x`` and ``y`` the call returns the page's batch, since its draws
    depend only on the seed and the batch's shape.
    """
    s = settings
    code = (
        "import torch\n"
        "from cutmix_core import cutmix_batch\n"
        "\n"
        f"{_stand_in(s.num_classes, images)}"
        "\n"
        f"generator = torch.Generator().manual_seed({s.seed})  # once, before the loop\n"
        "res = cutmix_batch(\n"
        "    x,\n"
        "    y,\n"
        f"    num_classes={s.num_classes},\n"
        f"    alpha={_num(s.alpha)},\n"
        f'    mode="{s.mode}",\n'
        f'    pairing="{s.pairing}",\n'
        f"    prob={_num(s.prob)},\n"
        f"    smoothing={_num(s.smoothing)},\n"
        "    generator=generator,\n"
        ")\n"
        "images, targets = res.images, res.targets  # res also holds the boxes, λs and partners\n"
        f"{LOSS}"
    )
    note = (
        "With the page's batch as `x` and `y`, this call returns exactly the batch above: its "
        "draws depend only on the seed and the batch's shape."
    )
    return Snippet("cutmix_core", code, (), (note,))


def torchvision_snippet(settings: BatchSettings, *, images: StandIn = "float32") -> Snippet:
    """``v2.CutMix``, inside ``v2.RandomApply`` when ``prob < 1``, on smoothed one-hot targets
    when ``smoothing > 0`` or ``prob < 1`` (a skipped batch then still has 2-D targets).

    Mode "elem" and pairing "permutation" cannot be expressed: the code keeps batch mode and
    the roll, and says so.
    """
    s, c = settings, settings.num_classes
    caveats, comments = [], []
    if s.mode == "elem":
        coin = ", and `RandomApply` one coin," if s.prob < 1.0 else ""
        caveats.append(
            f"Mode elem: `v2.CutMix` draws one λ and one box per call (`CutMix.make_params`)"
            f"{coin} for the whole batch; the snippet uses batch mode."
        )
        comments.append("# Mode elem: v2.CutMix has one lambda and box per batch, used here.\n")
    if s.pairing == "permutation":
        caveats.append(
            "Pairing permutation: `v2.CutMix` always pairs sample i with i − 1 "
            "(`inpt.roll(1, 0)` in `CutMix.transform`); the snippet keeps that roll, which a "
            "shuffled DataLoader makes a random pairing, but never of a sample with itself."
        )
        comments.append("# Pairing permutation: v2.CutMix always pairs i with i - 1, kept here.\n")
    cutmix = f"v2.CutMix(alpha={_num(s.alpha)}, num_classes={c})"
    if s.prob == 1.0 and s.smoothing == 0.0:
        labels, setup = "y", ""
    else:
        labels = "soft"
        one_hot = f"torch.nn.functional.one_hot(y, {c}).float()"
        if s.smoothing:
            setup = (
                "# No label smoothing in v2.CutMix: smooth the one-hot targets, it mixes them.\n"
                f"soft = {one_hot} * (1 - {_num(s.smoothing)}) + {_num(s.smoothing)} / {c}\n"
            )
        else:
            setup = f"soft = {one_hot}  # 2-D, so a batch left alone has them too\n"
        if s.prob < 1.0:
            setup += "# No prob in v2.CutMix: RandomApply flips one coin per batch.\n"
            cutmix = f"v2.RandomApply([{cutmix}], p={_num(s.prob)})"
    code = (
        "import torch\n"
        "from torchvision.transforms import v2\n"
        "\n"
        f"{_stand_in(c, images)}"
        "\n"
        f"torch.manual_seed({s.seed})  # once: torchvision draws from torch's global generator\n"
        f"{setup}"
        f"{''.join(comments)}"
        f"cutmix = {cutmix}\n"
        f"images, targets = cutmix(x, {labels})\n"
        f"{LOSS}"
    )
    note = (
        "torchvision draws λ, the box and the coin from torch's global generator "
        "(`torch.distributions.Beta`, `torch.randint`, `torch.rand`), so `torch.manual_seed` "
        "is the only way to seed it, and the same seed does not give the batch above."
    )
    return Snippet("torchvision", code, tuple(caveats), (note,))


def timm_snippet(settings: BatchSettings, *, images: StandIn = "float32") -> Snippet:
    """``timm.data.Mixup`` with Mixup off (``mixup_alpha=0``, ``switch_prob=0``).

    Neither pairing can be expressed (timm always flips the batch), so the pairing caveat is
    always there; mode, prob, smoothing and the number of classes are timm's own parameters.
    """
    s = settings
    caveat = (
        f"Pairing {s.pairing}: timm has no pairing option and always pairs sample i with "
        "B − 1 − i (`x.flip(0)` in `Mixup._mix_batch`, `j = batch_size - i - 1` in "
        "`_mix_elem`, `y1.flip(0)` in `mixup_target`); the snippet keeps the flip."
    )
    notes = [
        "timm's box ends at `c + (cut + 1) // 2` (`rand_bbox`), one pixel past the paper's, "
        "torchvision's and cutmix_core's `c + cut // 2` when the cut side is odd.",
        "timm draws from numpy's global generator, so `np.random.seed` is the only way to seed "
        "it, and the same seed does not give the batch above.",
        "timm asserts an even batch size (`Mixup.__call__`; use `drop_last=True`) and pastes "
        "into the batch it is given, in place (the snippet passes a copy).",
    ]
    batch = "x.clone()"
    if s.mode == "elem":
        notes.append(
            "In elem mode timm returns the λs in the images' dtype (`_mix_elem`): a uint8 "
            "batch truncates them to 0 or 1, giving each mixed sample its partner's label, so "
            "pass float images."
        )
        if images == "uint8":
            batch = "x.float()"
    code = (
        "import numpy as np\n"
        "import torch\n"
        "from timm.data import Mixup\n"
        "\n"
        f"{_stand_in(s.num_classes, images)}"
        "\n"
        f"np.random.seed({s.seed})  # once: timm draws from numpy's global generator\n"
        "mixup = Mixup(\n"
        "    mixup_alpha=0.0,  # Mixup off: every mixed batch is CutMix\n"
        f"    cutmix_alpha={_num(s.alpha)},\n"
        f"    prob={_num(s.prob)},\n"
        "    switch_prob=0.0,\n"
        f'    mode="{s.mode}",\n'
        "    correct_lam=True,  # the area-corrected lambda, as the page\n"
        f"    label_smoothing={_num(s.smoothing)},  # timm's default is 0.1\n"
        f"    num_classes={s.num_classes},\n"
        ")\n"
        f"# Pairing {s.pairing}: timm always pairs i with B - 1 - i (x.flip(0)), kept here.\n"
        + (
            "# Float images in elem mode: timm keeps the lambdas in the images' dtype.\n"
            if batch == "x.float()"
            else ""
        )
        + f"images, targets = mixup({batch}, y)  # B must be even; timm pastes in place\n"
        f"{LOSS}"
    )
    return Snippet("timm", code, (caveat,), tuple(notes))

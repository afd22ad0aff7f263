"""The static teaching prose of the pages: the long explanations, kept apart from page logic.

Each explanation is a sequence of blocks, ``("md", text)`` for markdown and ``("latex", text)``
for a displayed formula, drawn in order by :func:`render`. Python constants rather than markdown
files: the pages draw formulas with ``st.latex`` as separate elements between paragraphs, which
a single markdown file would not keep, and the constants need no file lookup at run time. None
of this text depends on a number; sentences that do come from ``cutmix_core.views.describe``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

import streamlit as st

Block = tuple[Literal["md", "latex"], str]

PAPER = "[arXiv 1905.04899](https://arxiv.org/abs/1905.04899)"

PLAYGROUND_CAPTION = (
    "CutMix pastes a rectangle of image B into image A and mixes their labels by area "
    f"(Yun et al., ICCV 2019, {PAPER})."
)

HOW_CUTMIX_WORKS: tuple[Block, ...] = (
    (
        "md",
        "Draw λ from a Beta distribution, cut a box whose sides shrink with √(1 − λ), "
        "centre it anywhere, clip it at the borders, and paste B's pixels into it:",
    ),
    (
        "latex",
        r"\lambda \sim \mathrm{Beta}(\alpha, \alpha), \quad "
        r"r_h = \lfloor H\sqrt{1-\lambda} \rfloor,\; r_w = \lfloor W\sqrt{1-\lambda}\rfloor",
    ),
    (
        "latex",
        r"\tilde x = M \odot x_A + (1 - M) \odot x_B, \qquad "
        r"\lambda_{adj} = 1 - \frac{|\text{box}|}{HW}, \qquad "
        r"\tilde y = \lambda_{adj}\, y_A + (1 - \lambda_{adj})\, y_B",
    ),
    (
        "md",
        "M is 0 inside the box and 1 outside. The label uses λ_adj, the share of pixels "
        "that really come from A, as the paper's code does after clipping. Reference: "
        "S. Yun et al., *CutMix: Regularization Strategy to Train Strong Classifiers "
        "with Localizable Features*, ICCV 2019, arXiv 1905.04899.",
    ),
)

#: The compare page's explanation; ``{fill}`` is the Cutout fill in use.
COMPARE_CAPTION = (
    "The three methods the CutMix paper compares, on the same images A and B, the same λ "
    "and, for Cutout and CutMix, the same box."
)

COMPARE_MODELS_CAPTION = (
    "Under each method's image: the label that method trains on, then each model's "
    "probabilities for A's and B's classes on that image and its top classes. ★ marks the "
    "model trained with that method: the Mixup model has seen blends, the Cutout model grey "
    "boxes, the CutMix model pasted boxes, the baseline none of them."
)

BATCH_CAPTION = (
    "In training, CutMix runs on a whole batch at once: every image gets a box from a "
    "partner in the same batch, and the targets become a matrix of soft labels."
)

NO_MODELS_WARNING = (
    "No trained CIFAR-10 models in assets/models/. Train them with "
    "`scripts/train_shipped.sh`; the ImageNet models still work online."
)

SWEEP_CAPTION = (
    "The same pair with boxes of B from nothing to the whole image, about this box's "
    "centre. A model that learned CutMix's label would follow the dashed lines."
)

QUIZ_CAPTION = (
    "A CutMix of two CIFAR-10 images: which weight does A's label get? Choose, and the app "
    "says why. The same seed gives everyone the same ten questions, so a quiz can be handed "
    "out by link."
)

DRAG_CAPTION = "Drag a rectangle on image A to draw the box; the sliders follow."

OCCLUSION_CAPTION = (
    "Hide part of image A and see whether each model still recognises it. CutMix trains on "
    "images whose pasted box hides part of the object, so its models are claimed to resist "
    "occlusion (Yun et al., ICCV 2019, Sec. 4.2); filling the region from image B is CutMix."
)

SENSITIVITY_CAPTION = (
    "Occlusion sensitivity (Zeiler & Fergus, 2014) slides the patch over A, hides what is "
    "under it with the chosen fill, and records how much the probability of A's class "
    "drops: red where hiding hurts. Grad-CAM reads the same question off the gradients. "
    "Both are computed at the model's input size (32 px)."
)

THREE_METHODS: tuple[Block, ...] = (
    (
        "md",
        "All three start from an image A with one-hot label $y_A$; Mixup and CutMix also "
        "use a second image B. $\\lambda \\sim \\mathrm{Beta}(\\alpha, \\alpha)$ sets how "
        "much of A is kept.",
    ),
    (
        "md",
        "**Mixup** ([Zhang et al., 2018, arXiv 1710.09412](https://arxiv.org/abs/1710.09412))"
        " blends every pixel, and the label by the same λ:",
    ),
    (
        "latex",
        r"\tilde x = \lambda x_A + (1-\lambda) x_B, \qquad "
        r"\tilde y = \lambda y_A + (1-\lambda) y_B",
    ),
    (
        "md",
        "**Cutout** ([DeVries & Taylor, 2017, arXiv 1708.04552]"
        "(https://arxiv.org/abs/1708.04552)) blanks a box of A with one colour (here "
        "{fill}) and keeps the label:",
    ),
    ("latex", r"\tilde x = M \odot x_A + (1-M)\,c, \qquad \tilde y = y_A"),
    (
        "md",
        "**CutMix** ([Yun et al., ICCV 2019, arXiv 1905.04899]"
        "(https://arxiv.org/abs/1905.04899)) fills the box with the same region of B and "
        "mixes the labels by area:",
    ),
    (
        "latex",
        r"\tilde x = M \odot x_A + (1-M) \odot x_B, \qquad "
        r"\tilde y = \lambda_{adj}\, y_A + (1-\lambda_{adj})\, y_B, \qquad "
        r"\lambda_{adj} = 1 - \frac{|\text{box}|}{HW}",
    ),
    (
        "md",
        "$M$ is 0 inside the box and 1 outside; the box has sides $\\sqrt{1-\\lambda}$ times "
        "the image's and a uniform centre, and is clipped at the borders, so "
        "$\\lambda_{adj} \\ge \\lambda$. Mixup's images look unnatural (two ghosts), Cutout "
        "wastes the blanked pixels, CutMix keeps every pixel informative: that is the "
        "paper's argument.",
    ),
)

EXPLORER_CAPTION = (
    "How the Beta(α, α) concentration shapes λ, the box and the label weight, over many "
    f"draws (Yun et al., ICCV 2019, {PAPER})."
)

EXPLORER_MATHS: tuple[Block, ...] = (
    (
        "md",
        "For each pair of images, CutMix draws a mixing weight λ from a Beta "
        "distribution; α = 1 (the paper's choice) makes it uniform on [0, 1], small α "
        "pushes it to 0 or 1, large α to 1/2:",
    ),
    (
        "latex",
        r"\lambda \sim \mathrm{Beta}(\alpha, \alpha), \qquad \mathbb{E}[\lambda] = "
        r"\tfrac12, \qquad \mathrm{Var}[\lambda] = \frac{1}{4(2\alpha + 1)}",
    ),
    (
        "md",
        "It cuts a box of about 1 − λ of the image, centred on a uniformly random pixel "
        "(cy, cx), and clips it at the borders:",
    ),
    (
        "latex",
        r"c_h = \lfloor H\sqrt{1-\lambda}\rfloor, \qquad c_w = \lfloor W\sqrt{1-\lambda}\rfloor",
    ),
    (
        "latex",
        r"B = \big[c_y - \lfloor c_h/2 \rfloor,\ c_y + \lfloor c_h/2 \rfloor\big) \times "
        r"\big[c_x - \lfloor c_w/2 \rfloor,\ c_x + \lfloor c_w/2 \rfloor\big)"
        r"\ \cap\ \text{image}",
    ),
    (
        "md",
        "B's pixels are pasted into A, and the label weight is the share of pixels "
        "that really come from A:",
    ),
    (
        "latex",
        r"\lambda_{\text{adj}} = 1 - \frac{|B|}{HW}, \qquad "
        r"y = \lambda_{\text{adj}}\, y_A + (1 - \lambda_{\text{adj}})\, y_B",
    ),
    (
        "md",
        "Reference: S. Yun, D. Han, S. J. Oh, S. Chun, J. Choe, Y. Yoo, *CutMix: "
        "Regularization Strategy to Train Strong Classifiers with Localizable "
        f"Features*, ICCV 2019, {PAPER}.",
    ),
)

MODELS_CAPTION = (
    "Two models side by side (by default the AirNets this project trained on CIFAR-10, a fast "
    "network after airbench94, one without and one with CutMix): does the prediction on a "
    "mixed image split between the two classes by area, and does each class's Grad-CAM look "
    "where that class's pixels are?"
)

BATCH: tuple[Block, ...] = (
    (
        "md",
        "Each sample $i$ gets a partner $p(i)$ and a box $B_i$ with its area-corrected "
        "weight ([Yun et al., ICCV 2019, arXiv 1905.04899](https://arxiv.org/abs/1905.04899)):",
    ),
    (
        "latex",
        r"\tilde x_i = M_i \odot x_i + (1 - M_i) \odot x_{p(i)}, \qquad "
        r"\tilde y_i = \lambda_i\, \mathrm{onehot}_s(y_i) + (1-\lambda_i)\, "
        r"\mathrm{onehot}_s(y_{p(i)}), \qquad \lambda_i = 1 - \frac{|B_i|}{HW}",
    ),
    ("latex", r"\mathrm{onehot}_s(y) = (1 - s)\,\mathrm{onehot}(y) + \frac{s}{C}"),
    (
        "md",
        "- **Pairing.** *roll* pairs sample $i$ with $i-1$ (sample 0's partner is the last "
        "one): what `torchvision.transforms.v2.CutMix` does. *permutation* draws "
        "`torch.randperm(N)`, as the paper's code (clovaai/CutMix-PyTorch) does, so a sample "
        "may even be its own partner (no visible change). timm pairs $i$ with $N-1-i$ "
        "(`x.flip(0)`), another fixed pairing.\n"
        "- **Mode.** *batch*: one λ and one box for the whole batch, and one coin with "
        "probability *p* decides whether the batch is mixed at all (the paper's "
        "`cutmix_prob`, torchvision). *elem*: each sample draws its own λ, box and coin "
        "(timm's `mode='elem'`).\n"
        "- **Label smoothing** $s$ (timm's `label_smoothing`) is applied to each one-hot "
        "before mixing, so with $s > 0$ no target is exactly 0. A sample left alone keeps its "
        "image and its own label.",
    ),
)


def render(blocks: Sequence[Block], fields: Mapping[str, str] | None = None) -> None:
    """Draw ``blocks`` in order; ``{name}`` in a markdown block becomes ``fields[name]``.

    Only the named fields are replaced (no ``str.format``), so braces of LaTeX inside
    markdown stay as they are.
    """
    for kind, text in blocks:
        if kind == "latex":
            st.latex(text)
            continue
        for name, value in (fields or {}).items():
            text = text.replace("{" + name + "}", value)
        st.markdown(text)

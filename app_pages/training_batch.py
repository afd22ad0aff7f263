"""A training batch: a seeded CIFAR-10 batch through cutmix_batch, its boxes and its targets."""

import numpy as np
import streamlit as st
import torch

import ui
from cutmix_core import cutmix_batch, defaults
from cutmix_core.data.cifar import CLASSES
from cutmix_core.views.batch_view import (
    batch_grid,
    cell_caption,
    seeded_subset,
    summarize,
    target_heatmap_figure,
    to_nchw,
)
from cutmix_core.views.links import Param

ALPHAS = defaults.ALPHAS
PAIRINGS = {"roll": "roll: i ← i − 1 (torchvision)", "permutation": "random permutation (paper)"}
MODES = {"batch": "batch: one λ and box for all", "elem": "elem: one λ and box per sample"}
COLS = 8
SEED_MAX = 2**31 - 1
LINK = (
    Param("tb_n", "int", 16, lo=8, hi=64),
    Param("tb_data_seed", "int", 0, lo=0, hi=SEED_MAX),
    Param("tb_seed", "int", defaults.SEED, lo=0, hi=SEED_MAX),
    Param("tb_alpha", "choice", defaults.ALPHA, choices=ALPHAS),
    Param("tb_pairing", "choice", "roll", choices=tuple(PAIRINGS)),
    Param("tb_mode", "choice", "batch", choices=tuple(MODES)),
    Param("tb_prob", "float", defaults.PROB, lo=0.0, hi=1.0),
    Param("tb_smoothing", "float", defaults.SMOOTHING, lo=0.0, hi=0.5),
)

ui.link_state("training_batch", LINK)
st.title("A training batch")
st.caption(
    "In training, CutMix runs on a whole batch at once: every image gets a box from a "
    "partner in the same batch, and the targets become a matrix of soft labels."
)

ds = ui.cifar()
c1, c2, c3, c4 = st.columns(4)
n = c1.slider("Batch size N", 8, 64, key="tb_n")
data_seed = c1.number_input(
    "Seed of the batch (which images)", 0, SEED_MAX, step=1, key="tb_data_seed"
)
seed = c2.number_input("Seed of CutMix (torch.Generator)", 0, SEED_MAX, step=1, key="tb_seed")
alpha = c2.select_slider("α (log scale)", ALPHAS, key="tb_alpha", help="λ ~ Beta(α, α)")
pairing = c3.radio("Pairing", list(PAIRINGS), format_func=PAIRINGS.get, key="tb_pairing")
mode = c3.radio("Mode", list(MODES), format_func=MODES.get, key="tb_mode")
prob = c4.slider("Probability of applying CutMix", 0.0, 1.0, step=0.05, key="tb_prob")
smoothing = c4.slider("Label smoothing", 0.0, 0.5, step=0.05, key="tb_smoothing")
ui.share_link(LINK)

if n > len(ds):
    st.warning(f"The CIFAR-10 set in use has only {len(ds)} images; the batch has {len(ds)}.")
    n = len(ds)
pos = seeded_subset(len(ds), int(n), rng=np.random.default_rng(int(data_seed)))
labels = ds.labels[pos]  # (N,) a new array: fancy indexing copies
res = cutmix_batch(
    to_nchw(ds.images[pos]),
    torch.from_numpy(labels),
    len(CLASSES),
    alpha,
    generator=torch.Generator().manual_seed(int(seed)),
    mode=mode,
    pairing=pairing,
    prob=prob,
    smoothing=smoothing,
)
summary = summarize(res)

m1, m2, m3 = st.columns(3)
m1.metric("Samples mixed", f"{summary.n_applied} of {summary.n}")
m2.metric("λ sampled", f"{float(res.lams[0]):.4f}" if mode == "batch" else "one per sample")
m3.metric("Mean λ adjusted", f"{summary.mean_lam_adjusted:.4f}")
st.caption(f"Images from {ds.source}, positions {pos.tolist()}.")

cells = batch_grid(res, scale=3)
for start in range(0, len(cells), COLS):
    for i, col in enumerate(st.columns(COLS), start=start):
        if i < len(cells):
            col.image(cells[i], width="stretch", output_format="PNG")
            col.caption(cell_caption(i, res, labels, CLASSES, sep="  \n"))

rows = [f"#{i} {CLASSES[int(y)]}" for i, y in enumerate(labels)]
st.plotly_chart(target_heatmap_figure(res.targets, CLASSES, row_labels=rows), key="targets")

st.subheader("What happens to a batch")
st.markdown(
    "Each sample $i$ gets a partner $p(i)$ and a box $B_i$ with its area-corrected "
    "weight ([Yun et al., ICCV 2019, arXiv 1905.04899](https://arxiv.org/abs/1905.04899)):"
)
st.latex(
    r"\tilde x_i = M_i \odot x_i + (1 - M_i) \odot x_{p(i)}, \qquad "
    r"\tilde y_i = \lambda_i\, \mathrm{onehot}_s(y_i) + (1-\lambda_i)\, "
    r"\mathrm{onehot}_s(y_{p(i)}), \qquad \lambda_i = 1 - \frac{|B_i|}{HW}"
)
st.latex(r"\mathrm{onehot}_s(y) = (1 - s)\,\mathrm{onehot}(y) + \frac{s}{C}")
st.markdown(
    "- **Pairing.** *roll* pairs sample $i$ with $i-1$ (sample 0's partner is the last one): "
    "what `torchvision.transforms.v2.CutMix` does. *permutation* draws `torch.randperm(N)`, as "
    "the paper's code (clovaai/CutMix-PyTorch) does, so a sample may even be its own partner "
    "(no visible change). timm pairs $i$ with $N-1-i$ (`x.flip(0)`), another fixed pairing.\n"
    "- **Mode.** *batch*: one λ and one box for the whole batch, and one coin with probability "
    "*p* decides whether the batch is mixed at all (the paper's `cutmix_prob`, torchvision). "
    "*elem*: each sample draws its own λ, box and coin (timm's `mode='elem'`).\n"
    "- **Label smoothing** $s$ (timm's `label_smoothing`) is applied to each one-hot before "
    "mixing, so with $s > 0$ no target is exactly 0. A sample left alone keeps its image and "
    "its own label."
)

"""A training batch: a seeded CIFAR-10 batch through cutmix_batch, its boxes and its targets,
and the same settings as code for cutmix_core, torchvision and timm."""

import numpy as np
import streamlit as st
import torch

from app_ui import prose
from app_ui.code_panel import code_panel
from app_ui.controls import alpha_slider, seed_input
from app_ui.sources import cifar
from app_ui.state import SEED_MAX, alpha_param, link_state, seed_param, share_link
from cutmix_core import cutmix_batch, defaults
from cutmix_core.data.cifar import CLASSES
from cutmix_core.data.tensors import to_nchw
from cutmix_core.views.batch_view import (
    batch_grid,
    cell_caption,
    seeded_subset,
    summarize,
    target_heatmap_figure,
)
from cutmix_core.views.code_export import BatchSettings
from cutmix_core.views.describe import batch_source_caption, short_set_notice
from cutmix_core.views.links import Param

PAIRINGS = {"roll": "roll: i ← i − 1 (torchvision)", "permutation": "random permutation (paper)"}
MODES = {"batch": "batch: one λ and box for all", "elem": "elem: one λ and box per sample"}
COLS = 8
LINK = (
    Param("tb_n", "int", 16, lo=8, hi=64),
    Param("tb_data_seed", "int", 0, lo=0, hi=SEED_MAX),
    seed_param("tb_seed"),
    alpha_param("tb_alpha"),
    Param("tb_pairing", "choice", "roll", choices=tuple(PAIRINGS)),
    Param("tb_mode", "choice", "batch", choices=tuple(MODES)),
    Param("tb_prob", "float", defaults.PROB, lo=0.0, hi=1.0),
    Param("tb_smoothing", "float", defaults.SMOOTHING, lo=0.0, hi=0.5),
)

link_state("training_batch", LINK)
st.title("A training batch")
st.caption(prose.BATCH_CAPTION)

ds = cifar()
c1, c2, c3, c4 = st.columns(4)
n = c1.slider("Batch size N", 8, 64, key="tb_n")
data_seed = seed_input("tb_data_seed", where=c1, label="Seed of the batch (which images)")
seed = seed_input("tb_seed", where=c2, label="Seed of CutMix (torch.Generator)")
alpha = alpha_slider("tb_alpha", where=c2)
pairing = c3.radio("Pairing", list(PAIRINGS), format_func=PAIRINGS.get, key="tb_pairing")
mode = c3.radio("Mode", list(MODES), format_func=MODES.get, key="tb_mode")
prob = c4.slider("Probability of applying CutMix", 0.0, 1.0, step=0.05, key="tb_prob")
smoothing = c4.slider("Label smoothing", 0.0, 0.5, step=0.05, key="tb_smoothing")
share_link(LINK)

if n > len(ds):
    st.warning(short_set_notice(len(ds)))
    n = len(ds)
pos = seeded_subset(len(ds), int(n), rng=np.random.default_rng(data_seed))
labels = ds.labels[pos]  # (N,) a new array: fancy indexing copies
res = cutmix_batch(
    to_nchw(ds.images[pos]),
    torch.from_numpy(labels),
    len(CLASSES),
    alpha,
    generator=torch.Generator().manual_seed(seed),
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
st.caption(batch_source_caption(ds.source, pos.tolist()))

cells = batch_grid(res, scale=3)
for start in range(0, len(cells), COLS):
    for i, col in enumerate(st.columns(COLS), start=start):
        if i < len(cells):
            col.image(cells[i], width="stretch", output_format="PNG")
            col.caption(cell_caption(i, res, labels, CLASSES, sep="  \n"))

rows = [f"#{i} {CLASSES[int(y)]}" for i, y in enumerate(labels)]
st.plotly_chart(target_heatmap_figure(res.targets, CLASSES, row_labels=rows), key="targets")

st.subheader("What happens to a batch")
prose.render(prose.BATCH)

code_panel(
    BatchSettings(
        len(CLASSES),
        alpha=alpha,
        mode=mode,
        pairing=pairing,
        prob=prob,
        smoothing=smoothing,
        seed=seed,
    )
)

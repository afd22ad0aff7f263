"""Alpha explorer: thousands of CutMix draws for one alpha (or two), summarised and plotted."""

import streamlit as st

from app_ui import prose
from app_ui.compute import explorer_stats
from app_ui.controls import alpha_slider, seed_input
from app_ui.state import alpha_param, link_state, seed_param, share_link
from cutmix_core.mixing.explorer import MAX_SIDE, N_CHOICES, N_DEFAULT
from cutmix_core.views.describe import (
    aspect_caption,
    draws_heading,
    explorer_metrics,
    why_lam_adjusted,
)
from cutmix_core.views.explorer_figures import (
    area_figure,
    aspect_figure,
    coverage_figure,
    lam_adjusted_histogram_figure,
    lambda_histogram_figure,
    lambda_scatter_figure,
)
from cutmix_core.views.links import Param

SIZES = {"32": "32 × 32 (CIFAR)", "224": "224 × 224 (ImageNet)", "custom": "Custom H × W"}
LINK = (
    alpha_param("ae_alpha"),
    Param("ae_compare", "choice", False, choices=(False, True)),
    alpha_param("ae_alpha2", default=0.2),
    Param("ae_n", "choice", N_DEFAULT, choices=N_CHOICES),
    seed_param("ae_seed"),
    Param("ae_size", "choice", "32", choices=tuple(SIZES)),
    Param("ae_h", "int", 32, 1, MAX_SIDE),
    Param("ae_w", "int", 32, 1, MAX_SIDE),
)


link_state("alpha_explorer", LINK)
if st.session_state["ae_size"] != "custom":  # the disabled H and W show the preset in use
    st.session_state["ae_h"] = st.session_state["ae_w"] = int(st.session_state["ae_size"])
st.title("Alpha explorer")
st.caption(prose.EXPLORER_CAPTION)

c1, c2, c3 = st.columns([3, 2, 2])
alpha = alpha_slider("ae_alpha", where=c1)
compare = c1.toggle("Compare with a second α", key="ae_compare")
alpha2 = alpha_slider("ae_alpha2", where=c1, label="Second α", help=None, disabled=not compare)
n = c2.select_slider("Number of draws N", N_CHOICES, key="ae_n", format_func="{:,}".format)
seed = seed_input("ae_seed", where=c2)
size = c3.radio("Image size", tuple(SIZES), key="ae_size", format_func=SIZES.get, horizontal=True)
h_col, w_col = c3.columns(2)
h = int(h_col.number_input("H", 1, MAX_SIDE, key="ae_h", disabled=size != "custom"))
w = int(w_col.number_input("W", 1, MAX_SIDE, key="ae_w", disabled=size != "custom"))

series = [explorer_stats(alpha=alpha, h=h, w=w, n=int(n), seed=seed)]
if compare:
    series.append(explorer_stats(alpha=alpha2, h=h, w=w, n=int(n), seed=seed))

for stats in series:
    st.markdown(draws_heading(stats))
    for column, m in zip(st.columns(5), explorer_metrics(stats)):
        column.metric(m.label, m.value, help=m.help)
st.info(why_lam_adjusted(series[0]))

left, right = st.columns(2)
left.plotly_chart(lambda_histogram_figure(series), key="ae_fig_lambda")
right.plotly_chart(lam_adjusted_histogram_figure(series), key="ae_fig_lam_adj")
left.plotly_chart(lambda_scatter_figure(series), key="ae_fig_scatter")
right.plotly_chart(area_figure(series), key="ae_fig_area")
for i, stats in enumerate(series):
    left, right = st.columns(2)
    left.plotly_chart(aspect_figure(stats), key=f"ae_fig_aspect_{i}")
    right.plotly_chart(coverage_figure(stats), key=f"ae_fig_cover_{i}")
st.caption(aspect_caption(h, w))

with st.expander("The maths, for a first-time reader", expanded=True):
    prose.render(prose.EXPLORER_MATHS)

share_link(LINK)

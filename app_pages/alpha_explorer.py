"""Alpha explorer: thousands of CutMix draws for one alpha (or two), summarised and plotted."""

import numpy as np
import streamlit as st

import ui
from cutmix_core import defaults
from cutmix_core.mixing.explorer import (
    ALPHAS,
    MAX_SIDE,
    N_CHOICES,
    N_DEFAULT,
    AlphaStats,
    alpha_stats,
    beta_mean_var,
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
    Param("ae_alpha", "choice", defaults.ALPHA, choices=ALPHAS),
    Param("ae_compare", "choice", False, choices=(False, True)),
    Param("ae_alpha2", "choice", 0.2, choices=ALPHAS),
    Param("ae_n", "choice", N_DEFAULT, choices=N_CHOICES),
    Param("ae_seed", "int", defaults.SEED, 0, 2**31 - 1),
    Param("ae_size", "choice", "32", choices=tuple(SIZES)),
    Param("ae_h", "int", 32, 1, MAX_SIDE),
    Param("ae_w", "int", 32, 1, MAX_SIDE),
)


@st.cache_data(max_entries=8, show_spinner="Sampling…")
def _stats(alpha: float, h: int, w: int, n: int, seed: int) -> AlphaStats:
    return alpha_stats(alpha, h, w, n, rng=np.random.default_rng(seed))


ui.link_state("alpha_explorer", LINK)
if st.session_state["ae_size"] != "custom":  # the disabled H and W show the preset in use
    st.session_state["ae_h"] = st.session_state["ae_w"] = int(st.session_state["ae_size"])
st.title("Alpha explorer")
st.caption(
    "How the Beta(α, α) concentration shapes λ, the box and the label weight, over many "
    "draws (Yun et al., ICCV 2019, [arXiv 1905.04899](https://arxiv.org/abs/1905.04899))."
)

c1, c2, c3 = st.columns([3, 2, 2])
alpha = c1.select_slider("α (log scale)", ALPHAS, key="ae_alpha", help="λ ~ Beta(α, α)")
compare = c1.toggle("Compare with a second α", key="ae_compare")
alpha2 = c1.select_slider("Second α", ALPHAS, key="ae_alpha2", disabled=not compare)
n = c2.select_slider("Number of draws N", N_CHOICES, key="ae_n", format_func="{:,}".format)
seed = c2.number_input("Seed", min_value=0, max_value=2**31 - 1, step=1, key="ae_seed")
size = c3.radio("Image size", tuple(SIZES), key="ae_size", format_func=SIZES.get, horizontal=True)
h_col, w_col = c3.columns(2)
h_in = h_col.number_input("H", 1, MAX_SIDE, key="ae_h", disabled=size != "custom")
w_in = w_col.number_input("W", 1, MAX_SIDE, key="ae_w", disabled=size != "custom")
h, w = int(h_in), int(w_in)

series = [_stats(alpha, h, w, int(n), int(seed))]
if compare:
    series.append(_stats(alpha2, h, w, int(n), int(seed)))

for stats in series:
    mean, var = beta_mean_var(stats.alpha)
    st.markdown(f"**α = {stats.alpha:g}** · {stats.n:,} draws on {h} × {w}")
    m = st.columns(5)
    m[0].metric("Mean λ", f"{stats.mean_lam:.4f}", help=f"Closed form E[λ] = {mean}")
    m[1].metric("Var λ", f"{stats.var_lam:.4f}", help=f"Closed form 1/(4(2α+1)) = {var:.4f}")
    m[2].metric(
        "Mean λ adjusted",
        f"{stats.mean_lam_adjusted:.4f}",
        help="The average weight of A's label, 1 − box area / (HW)",
    )
    m[3].metric(
        "Boxes clipped",
        f"{stats.clipped_share:.1%}",
        help="The share of boxes that an image border cut",
    )
    m[4].metric(
        "Mean box area",
        f"{stats.mean_area:.4f}",
        help=f"As a fraction of H × W; {stats.mean_unclipped_area:.4f} before clipping",
    )

first = series[0]
st.info(
    f"**Why is the mean λ adjusted {first.mean_lam_adjusted:.3f} and not "
    f"{1 - first.mean_lam:.3f}?** On average 1 − λ = {1 - first.mean_lam:.3f} of the image "
    f"should come from B. Rounding the cut sides down (and halving them with `// 2`) leaves "
    f"boxes of {first.mean_unclipped_area:.3f} of the image before clipping. The centre is "
    f"uniform over the *whole* image, so boxes near a border hang over it and are clipped "
    f"({first.clipped_share:.0%} of them here): B ends up covering {first.mean_area:.3f}, and "
    f"A's label weight is {first.mean_lam_adjusted:.3f}. That is why CutMix uses λ adjusted."
)

left, right = st.columns(2)
left.plotly_chart(lambda_histogram_figure(series), key="ae_fig_lambda")
right.plotly_chart(lam_adjusted_histogram_figure(series), key="ae_fig_lam_adj")
left.plotly_chart(lambda_scatter_figure(series), key="ae_fig_scatter")
right.plotly_chart(area_figure(series), key="ae_fig_area")
for i, stats in enumerate(series):
    left, right = st.columns(2)
    left.plotly_chart(aspect_figure(stats), key=f"ae_fig_aspect_{i}")
    right.plotly_chart(coverage_figure(stats), key=f"ae_fig_cover_{i}")
if h == w:
    st.caption(
        "Aspect: on a square image every unclipped box is square (width / height = 1); "
        "only clipping makes it vary."
    )
else:
    st.caption(
        f"Aspect: unclipped boxes have the image's shape, width / height ≈ W / H = "
        f"{w / h:.3g}; clipping spreads it out."
    )

with st.expander("The maths, for a first-time reader", expanded=True):
    st.markdown(
        "For each pair of images, CutMix draws a mixing weight λ from a Beta "
        "distribution; α = 1 (the paper's choice) makes it uniform on [0, 1], small α "
        "pushes it to 0 or 1, large α to 1/2:"
    )
    st.latex(
        r"\lambda \sim \mathrm{Beta}(\alpha, \alpha), \qquad \mathbb{E}[\lambda] = "
        r"\tfrac12, \qquad \mathrm{Var}[\lambda] = \frac{1}{4(2\alpha + 1)}"
    )
    st.markdown(
        "It cuts a box of about 1 − λ of the image, centred on a uniformly random pixel "
        "(cy, cx), and clips it at the borders:"
    )
    st.latex(
        r"c_h = \lfloor H\sqrt{1-\lambda}\rfloor, \qquad "
        r"c_w = \lfloor W\sqrt{1-\lambda}\rfloor"
    )
    st.latex(
        r"B = \big[c_y - \lfloor c_h/2 \rfloor,\ c_y + \lfloor c_h/2 \rfloor\big) \times "
        r"\big[c_x - \lfloor c_w/2 \rfloor,\ c_x + \lfloor c_w/2 \rfloor\big)"
        r"\ \cap\ \text{image}"
    )
    st.markdown(
        "B's pixels are pasted into A, and the label weight is the share of pixels "
        "that really come from A:"
    )
    st.latex(
        r"\lambda_{\text{adj}} = 1 - \frac{|B|}{HW}, \qquad "
        r"y = \lambda_{\text{adj}}\, y_A + (1 - \lambda_{\text{adj}})\, y_B"
    )
    st.markdown(
        "Reference: S. Yun, D. Han, S. J. Oh, S. Chun, J. Choe, Y. Yoo, *CutMix: "
        "Regularization Strategy to Train Strong Classifiers with Localizable "
        "Features*, ICCV 2019, [arXiv 1905.04899](https://arxiv.org/abs/1905.04899)."
    )

ui.share_link(LINK)

"""Check yourself: a seeded quiz on the label of a CutMix image."""

import streamlit as st

from app_ui import prose
from app_ui.controls import seed_input
from app_ui.sources import cifar
from app_ui.state import init_state, link_state, seed_param, share_link
from cutmix_core import cutmix
from cutmix_core.data.cifar import CLASSES
from cutmix_core.data.images import display_scale, draw_box, upscale_nearest
from cutmix_core.views.figures import BOX_RGB
from cutmix_core.views.links import Param
from cutmix_core.views.quiz import QUESTIONS, question, score_line, verdict

LINK = (seed_param("quiz_seed"), Param("quiz_q", "int", 1, 1, QUESTIONS))

link_state("quiz", LINK)
init_state({"quiz_answers": {}})
st.title("Check yourself")
st.caption(prose.QUIZ_CAPTION)

c1, c2, c3 = st.columns([1, 1, 2], vertical_alignment="bottom")
seed = seed_input("quiz_seed", where=c1, label="Quiz (seed)")
number = int(c2.number_input("Question", 1, QUESTIONS, step=1, key="quiz_q"))
with c3:
    share_link(LINK)

ds = cifar()
q = question(ds.labels, seed, number)
a, b = ds.image(q.position_a), ds.image(q.position_b)
res = cutmix(a, b, lam=q.lam, box=q.box)
h, w = a.shape[:2]
scale = display_scale(h, w, 160)
cols = st.columns(3)
name_a, name_b = CLASSES[int(ds.labels[q.position_a])], CLASSES[int(ds.labels[q.position_b])]
cols[0].image(upscale_nearest(a, scale), caption=f"A: {name_a}", output_format="PNG")
cols[1].image(upscale_nearest(b, scale), caption=f"B: {name_b}", output_format="PNG")
cols[2].image(
    draw_box(res.image, res.box, color=BOX_RGB, scale=scale),
    caption=f"Mixed with λ = {q.lam:.2f} sampled",
    output_format="PNG",
)

key = f"quiz_pick_{seed}_{number}"
picked = st.radio(
    f"Question {number} of {QUESTIONS}: what weight does A's label ({name_a}) get?",
    range(len(q.choices)),
    format_func=lambda i: f"{q.choices[i]:.2f}",
    index=None,
    key=key,
    horizontal=True,
)
answers = st.session_state["quiz_answers"]
if picked is not None:
    answers.setdefault((seed, number), picked == q.answer)
    (st.success if picked == q.answer else st.warning)(verdict(q, picked, h, w))
    if number < QUESTIONS:
        st.button("Next question", on_click=lambda: st.session_state.update(quiz_q=number + 1))
mine = {k[1]: v for k, v in answers.items() if k[0] == seed}
if mine:
    st.caption(score_line(mine))

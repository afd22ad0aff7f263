"""AppTest tests of the quiz page: the question shown is the library's for the link's seed and
number, an answer gets the library's verdict, and the score counts answers per quiz."""

from __future__ import annotations

from conftest import assert_ok, open_app

from cutmix_core.data.cifar import CLASSES, load_sample
from cutmix_core.views.quiz import question, verdict

PAGE = "app_pages/quiz.py"
DS = load_sample()


def test_a_link_opens_its_question_and_an_answer_is_graded() -> None:
    at = open_app(PAGE, query={"quiz_seed": "7", "quiz_q": "3"})
    assert_ok(at)
    q = question(DS.labels, 7, 3)
    radio = at.radio(key="quiz_pick_7_3")
    assert radio.options == [f"{c:.2f}" for c in q.choices]
    assert CLASSES[int(DS.labels[q.position_a])] in radio.label
    assert f"Mixed with λ = {q.lam:.2f} sampled" in " ".join(str(i.proto) for i in at.image)
    assert not at.success and not at.warning
    wrong = next(i for i in range(len(q.choices)) if i != q.answer)
    radio.set_value(wrong).run()
    assert_ok(at)
    assert [w.value for w in at.warning] == [verdict(q, wrong)]
    assert at.main.caption[-1].value == "0 of 1 right so far"
    at.button[0].click().run()  # next question
    assert_ok(at)
    nxt = question(DS.labels, 7, 4)
    at.radio(key="quiz_pick_7_4").set_value(nxt.answer).run()
    assert [s.value for s in at.success] == [verdict(nxt, nxt.answer)]
    assert at.main.caption[-1].value == "1 of 2 right so far"
    assert at.query_params["quiz_q"] == "4" and at.query_params["quiz_seed"] == "7"

"""What a learner gets from the quiz, prediction, recap and reset pages, with and without htmx."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client
from django.utils.html import escape

from lessons.answers import MIN_ANSWERS_FOR_SHARE, attempt_choices, prediction_choices
from lessons.content import get_step
from lessons.models import Answer, Learner, QuizAttempt
from lessons.quizzes import get_assessment, get_predictions, get_quizzes, get_takeaways

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
MYTHS = get_quizzes()["myths"]
PITFALLS = get_quizzes()["pitfalls"]
ASSESSMENT = get_assessment()
PREDICTIONS = get_predictions()
STEP4 = PREDICTIONS[4]


def _wrong(question):
    return next(c for c in question.choices if not c.correct)


def _body(response) -> str:
    return response.content.decode()


def _reveal_absent(body: str, question) -> None:
    """Nothing in the page gives the answer away before the learner commits."""
    assert escape(question.explanation) not in body
    assert escape(question.why_it_matters) not in body
    if question.reality:
        assert escape(question.reality) not in body
    if question.belief:  # for a fact-or-myth statement the belief would give the verdict away
        assert escape(question.belief) not in body
    for choice in question.choices:
        if choice.misconception:
            assert escape(choice.misconception) not in body
    if question.root_cause:
        assert escape(question.root_cause) not in body
    assert 'id="reveal"' not in body
    assert "is-right" not in body and "is-wrong" not in body
    assert "The answer:" not in body
    block = re.search(r'id="(?:prediction|question-card)".*?</section>', body, re.S).group(0)
    assert "correct" not in block.lower(), "no choice is marked correct in the question"
    assert "data-" not in block, "no data attribute carries a hint"
    for choice in question.choices:  # each radio looks exactly the same, right or wrong
        assert f'<input type="radio" name="choice" value="{choice.id}" >' in block
    assert "<script" not in block
    assert "This statement is a" not in body


def _reveal_present(body: str, question) -> None:
    assert 'id="reveal"' in body
    assert escape(question.explanation) in body
    assert escape(question.why_it_matters) in body
    assert f'href="{question.see_it_url}"' in body  # its experiment, or else its scenario


def _start(client, slug="myths") -> QuizAttempt:
    response = client.post(f"/quizzes/{slug}/start/")
    assert response.status_code == 302
    attempt = QuizAttempt.objects.filter(quiz=slug).order_by("-pk").first()
    assert response["Location"] == f"/quizzes/{slug}/{attempt.number}/1/"
    return attempt


def _question_at(attempt: QuizAttempt, position: int):
    slug, _, qid = attempt.question_keys[position - 1].partition("/")
    quiz = ASSESSMENT if slug == "assessment" else get_quizzes()[slug]
    return quiz.question(qid)


# ----- quiz pages -----------------------------------------------------------------------------


def test_the_quiz_index_lists_both_quizzes_and_the_assessment_not_taken_yet(client):
    body = _body(client.get("/quizzes/"))
    assert 'href="/quizzes/myths/"' in body and 'href="/quizzes/pitfalls/"' in body
    assert 'href="/quizzes/assessment/"' in body and escape(ASSESSMENT.title) in body
    assert body.count("Not taken yet.") == 3


def test_the_quiz_index_points_teachers_to_the_exercise_sheet_and_its_key(client):
    body = _body(client.get("/quizzes/"))
    assert "For teachers" in body
    assert 'href="/quizzes/exercises/"' in body and 'href="/quizzes/exercises/key/"' in body


def test_a_quiz_page_introduces_it_and_offers_to_start(client):
    body = _body(client.get("/quizzes/myths/"))
    assert escape(MYTHS.intro) in body
    assert f"{len(MYTHS.questions)} questions" in body
    assert "Start the quiz" in body


def test_an_unknown_quiz_is_a_404(client):
    assert client.get("/quizzes/no-such-quiz/").status_code == 404
    assert client.post("/quizzes/no-such-quiz/start/").status_code == 404


def test_a_quiz_question_page_holds_no_answer_before_the_learner_commits(client):
    attempt = _start(client)
    response = client.get("/quizzes/myths/1/1/")
    body = _body(response)
    question = _question_at(attempt, 1)
    assert "<html" in body and "Question 1 of" in body
    assert escape(question.prompt) in body
    assert "How sure are you?" in body
    _reveal_absent(body, question)


def test_pitfalls_hold_no_answer_or_root_cause_before_the_commit(client):
    attempt = _start(client, "pitfalls")
    body = _body(client.get("/quizzes/pitfalls/1/1/"))
    _reveal_absent(body, _question_at(attempt, 1))
    assert "How sure are you?" not in body


def test_htmx_gets_only_the_question_card(client):
    _start(client)
    body = _body(client.get("/quizzes/myths/1/1/", headers=HTMX))
    assert 'id="question-card"' in body
    assert "<html" not in body and "<header" not in body
    _reveal_absent(body, MYTHS.questions[0])


def test_committing_without_javascript_redirects_to_the_reveal_on_the_full_page(client):
    attempt = _start(client)
    question = _question_at(attempt, 1)
    response = client.post(
        "/quizzes/myths/1/1/", {"choice": _wrong(question).id, "confidence": "sure"}
    )
    assert response.status_code == 302 and response["Location"] == "/quizzes/myths/1/1/#reveal"
    body = _body(client.get("/quizzes/myths/1/1/"))
    assert "<html" in body
    _reveal_present(body, question)
    assert escape(question.reality) in body and escape(question.belief) in body
    assert "Not quite" in body and "You were sure about this one" in body
    assert f"This statement is a {question.verdict}." in body
    assert 'href="/quizzes/myths/1/2/"' in body and "Next question" in body
    answer = Answer.objects.get()
    assert (answer.choice_id, answer.correct, answer.confidence) == (
        _wrong(question).id,
        False,
        "sure",
    )


def test_committing_with_htmx_swaps_in_the_reveal_card(client):
    attempt = _start(client)
    question = _question_at(attempt, 1)
    response = client.post(
        "/quizzes/myths/1/1/", {"choice": question.correct_choice.id}, headers=HTMX
    )
    assert response.status_code == 200
    body = _body(response)
    assert body.lstrip().startswith('<section class="question-card" id="question-card"')
    assert "<html" not in body
    _reveal_present(body, question)
    assert "Right" in body and "is-right" in body and "The answer:" not in body
    assert body.index("The belief") < body.index("The reality") < body.index("How it works")
    assert body.index("How it works") < body.index("Why it matters") < body.index("see-it")


def test_an_answer_without_a_choice_asks_again_and_stores_nothing(client):
    _start(client)
    body = _body(client.post("/quizzes/myths/1/1/", {"choice": "", "confidence": "sure"}))
    assert "Choose an answer first, then commit to it." in body
    assert 'value="sure" checked' in body, "the confidence already picked is kept"
    assert not Answer.objects.exists()


def test_answering_twice_says_already_answered_and_counts_the_first(client):
    attempt = _start(client)
    question = _question_at(attempt, 1)
    wrong, right = _wrong(question).id, question.correct_choice.id
    client.post("/quizzes/myths/1/1/", {"choice": wrong})
    response = client.post("/quizzes/myths/1/1/", {"choice": right})
    assert response["Location"] == "/quizzes/myths/1/1/?again=1#reveal"
    body = _body(client.get(response["Location"]))
    assert "You had already answered this question, so your first answer counts." in body
    assert "Not quite" in body
    htmx_body = _body(client.post("/quizzes/myths/1/1/", {"choice": right}, headers=HTMX))
    assert "already answered" in htmx_body and "Not quite" in htmx_body
    assert list(Answer.objects.values_list("choice_id", "correct")) == [(wrong, False)]


def test_an_attempt_replaced_by_a_retake_takes_no_more_answers(client):
    first = _start(client)
    _start(client)  # "Retake": attempt 2
    question = _question_at(first, 1)
    response = client.post("/quizzes/myths/1/1/", {"choice": question.correct_choice.id})
    assert response.status_code == 400
    assert "answer in your latest attempt" in _body(response)
    assert not Answer.objects.exists()


@pytest.mark.parametrize(
    "data",
    [{"choice": "maybe"}, {"choice": "fact", "confidence": "certain"}, {"choice": "x" * 500}],
    ids=["unknown-choice", "unknown-confidence", "overlong-choice"],
)
def test_a_tampered_quiz_answer_gets_a_clear_400_and_stores_nothing(client, data):
    _start(client)
    response = client.post("/quizzes/myths/1/1/", data)
    assert response.status_code == 400
    assert "Nothing was changed" in _body(response)
    assert not Answer.objects.exists()


@pytest.mark.parametrize(
    "path", ["/quizzes/myths/1/99/", "/quizzes/myths/1/0/", "/quizzes/myths/7/1/"]
)
def test_a_question_or_attempt_that_does_not_exist_is_a_404_and_stores_nothing(client, path):
    _start(client)
    assert client.get(path).status_code == 404
    assert client.post(path, {"choice": "fact"}).status_code == 404
    assert not Answer.objects.exists()


def test_a_quiz_answer_without_csrf_token_is_refused_and_stores_nothing():
    csrf_client = Client(enforce_csrf_checks=True)
    body = _body(csrf_client.get("/quizzes/myths/"))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1)
    assert (
        csrf_client.post("/quizzes/myths/start/", {"csrfmiddlewaretoken": token}).status_code == 302
    )
    response = csrf_client.post("/quizzes/myths/1/1/", {"choice": "myth"})
    assert response.status_code == 403
    assert "nothing was changed" in _body(response)
    assert not Answer.objects.exists()
    assert csrf_client.post("/quizzes/myths/start/").status_code == 403
    assert QuizAttempt.objects.count() == 1


def test_a_learner_cannot_open_or_answer_another_learners_attempt(client):
    _start(client)
    stranger = Client()
    assert stranger.get("/quizzes/myths/1/1/").status_code == 404  # no learner yet
    stranger.get("/steps/1/")  # now a learner, with no attempt of their own
    assert stranger.get("/quizzes/myths/1/1/").status_code == 404
    assert stranger.post("/quizzes/myths/1/1/", {"choice": "myth"}).status_code == 404
    assert stranger.get("/quizzes/myths/1/results/").status_code == 404
    assert not Answer.objects.exists()
    assert client.get("/quizzes/myths/1/1/").status_code == 200


def test_the_quiz_pages_use_get_and_post_only(client):
    _start(client)
    assert client.get("/quizzes/myths/start/").status_code == 405
    assert client.put("/quizzes/myths/1/1/").status_code == 405
    assert client.post("/quizzes/myths/1/results/").status_code == 405


def _take(client, attempt, wrong_positions=(), sure=()):
    for position in range(1, len(attempt.question_keys) + 1):
        question = _question_at(attempt, position)
        choice = _wrong(question) if position in wrong_positions else question.correct_choice
        data = {"choice": choice.id, "confidence": "sure" if position in sure else "think"}
        assert (
            client.post(f"/quizzes/{attempt.quiz}/{attempt.number}/{position}/", data).status_code
            == 302
        )


def test_the_last_question_leads_to_the_results(client):
    attempt = _start(client)
    _take(client, attempt)
    total = len(MYTHS.questions)
    body = _body(client.get(f"/quizzes/myths/1/{total}/"))
    assert "See your results" in body and 'href="/quizzes/myths/1/results/"' in body


def test_results_show_score_every_answer_and_confident_misses_first(client):
    attempt = _start(client)
    _take(client, attempt, wrong_positions=(2, 5), sure=(5,))
    body = _body(client.get("/quizzes/myths/1/results/"))
    total = len(MYTHS.questions)
    score = re.search(r"<p class=\"score\".*?</p>", body, re.S).group(0)
    assert f"<strong>{total - 2} of {total}</strong> right" in score, score
    assert "1 confident miss listed first" in body
    assert body.count('<li class="result-row') == total
    rows = body.split('<li class="result-row')[1:]
    assert "Confident miss" in rows[0] and escape(_question_at(attempt, 5).prompt) in rows[0]
    assert "Missed" in rows[1] and escape(_question_at(attempt, 2).prompt) in rows[1]
    assert all("Right</span>" in row for row in rows[2:])
    for question in MYTHS.questions:
        assert escape(question.explanation) in body
    assert "Retake (new question order)" in body
    assert 'href="/quizzes/review/"' in body, "missed questions are offered for review"


def test_a_retake_starts_attempt_two_in_a_new_order_and_keeps_attempt_one(client):
    first = _start(client)
    _take(client, first)
    assert "Retake (new question order)" in _body(client.get("/quizzes/myths/"))
    second = _start(client)
    assert second.number == 2 and second.question_keys != first.question_keys
    assert client.get("/quizzes/myths/1/results/").status_code == 200
    body = _body(client.get("/quizzes/myths/"))
    assert "Continue attempt 2 at question 1" in body


def test_a_half_finished_quiz_can_be_continued(client):
    attempt = _start(client)
    client.post("/quizzes/myths/1/1/", {"choice": _question_at(attempt, 1).correct_choice.id})
    body = _body(client.get("/quizzes/myths/"))
    assert 'href="/quizzes/myths/1/2/"' in body and "Continue attempt 1 at question 2" in body


def test_missed_questions_come_back_in_a_review_round(client):
    attempt = _start(client)
    _take(client, attempt, wrong_positions=(1, 3))
    assert "2 questions from earlier are waiting for review" in _body(client.get("/quizzes/"))
    assert "2 questions waiting" in _body(client.get("/quizzes/review/"))
    response = client.post("/quizzes/review/start/")
    assert response["Location"] == "/quizzes/review/1/1/"
    review = QuizAttempt.objects.get(quiz="review")
    for position in (1, 2):
        question = _question_at(review, position)
        client.post(f"/quizzes/review/1/{position}/", {"choice": question.correct_choice.id})
    body = _body(client.get("/quizzes/review/1/results/"))
    assert "<strong>2 of 2</strong> right" in body
    assert "Nothing is waiting for review" in _body(client.get("/quizzes/review/"))
    response = client.post("/quizzes/review/start/")
    assert response.status_code == 302 and response["Location"] == "/quizzes/review/"
    assert not QuizAttempt.objects.filter(quiz="review", number=2).exists()


def test_what_others_answered_shows_every_choice_once_enough_learners_answered(client):
    question = MYTHS.questions[0]
    for _ in range(MIN_ANSWERS_FOR_SHARE - 1):
        other = Client()
        other.post("/quizzes/myths/start/")
        other.post("/quizzes/myths/1/1/", {"choice": question.correct_choice.id})
    _start(client)
    body = _body(client.post("/quizzes/myths/1/1/", {"choice": _wrong(question).id}, headers=HTMX))
    total = MIN_ANSWERS_FOR_SHARE
    spread = re.search(r'<section class="spread".*?</section>', body, re.S).group(0)
    assert f"first tries of {total} learners" in spread
    rows = re.findall(r'<li class="spread-row.*?</li>', spread, re.S)
    assert len(rows) == len(question.choices)
    right = next(r for r in rows if question.correct_choice.text in r)
    wrong = next(r for r in rows if _wrong(question).text in r)
    assert f"{round(100 * (total - 1) / total)}%" in right and "right answer" in right
    assert f"{round(100 / total)}%" in wrong and "your answer" in wrong
    assert 'value="80"' in right, "the meter shows the share too"


def test_what_others_answered_is_hidden_below_the_minimum(client):
    _start(client)
    body = _body(client.post("/quizzes/myths/1/1/", {"choice": "myth"}, headers=HTMX))
    assert "What others answered" not in body


def test_a_pitfall_reveal_names_the_belief_behind_the_wrong_choice(client):
    attempt = _start(client, "pitfalls")
    question = _question_at(attempt, 1)
    wrong = _wrong(question)
    body = _body(client.post("/quizzes/pitfalls/1/1/", {"choice": wrong.id}, headers=HTMX))
    assert "The belief behind your answer:" in body and escape(wrong.misconception) in body
    assert f"<strong>The answer:</strong> {escape(question.correct_choice.text)}" in body
    assert escape(question.root_cause) in body


def test_a_question_shows_its_choices_in_the_attempts_shuffled_order_on_every_load(client):
    attempt = _start(client, "pitfalls")
    question = _question_at(attempt, 1)
    expected = [c.id for c in attempt_choices(attempt, question)]
    for _ in range(2):
        body = _body(client.get("/quizzes/pitfalls/1/1/"))
        assert re.findall(r'name="choice" value="([^"]+)"', body) == expected


# ----- predictions inside the steps -----------------------------------------------------------


@pytest.mark.parametrize("step", sorted(PREDICTIONS))
def test_a_step_asks_for_its_prediction_without_giving_the_answer_away(client, step):
    body = _body(client.get(f"/steps/{step}/"))
    question = PREDICTIONS[step]
    assert 'id="prediction"' in body and "Commit my prediction" in body
    assert f'action="/predictions/{question.id}/"' in body
    assert escape(question.prompt) in body
    _reveal_absent(body, question)


def test_steps_without_a_prediction_have_no_prediction_block(client):
    for step in set(range(1, 10)) - set(PREDICTIONS):
        assert 'id="prediction"' not in _body(client.get(f"/steps/{step}/"))


def test_a_prediction_without_javascript_posts_and_returns_to_the_reveal(client):
    client.get("/steps/4/")
    response = client.post(f"/predictions/{STEP4.id}/", {"choice": _wrong(STEP4).id})
    assert response.status_code == 302 and response["Location"] == "/steps/4/#prediction"
    body = _body(client.get("/steps/4/"))
    _reveal_present(body, STEP4)
    assert "Not quite" in body and escape(_wrong(STEP4).text) in body
    assert "Commit my prediction" not in body


def test_a_prediction_reveal_stays_on_every_later_visit(client):
    client.post(f"/predictions/{STEP4.id}/", {"choice": STEP4.correct_choice.id})
    client.get("/steps/5/")
    for _ in range(2):
        body = _body(client.get("/steps/4/"))
        _reveal_present(body, STEP4)
        assert "Right" in body and "Commit my prediction" not in body
    assert "Commit my prediction" in _body(client.get("/steps/5/")), "other steps still ask"


def test_a_prediction_with_htmx_returns_only_the_revealed_block(client):
    client.get("/steps/4/")
    response = client.post(
        f"/predictions/{STEP4.id}/", {"choice": STEP4.correct_choice.id}, headers=HTMX
    )
    assert response.status_code == 200
    body = _body(response)
    assert body.lstrip().startswith('<section class="callout prediction" id="prediction"')
    assert "<html" not in body
    _reveal_present(body, STEP4)
    assert Answer.objects.get().correct is True


def test_an_empty_prediction_asks_again_and_stores_nothing(client):
    response = client.post(f"/predictions/{STEP4.id}/", {})
    assert response["Location"] == "/steps/4/?prediction=empty#prediction"
    assert "Choose an answer first" in _body(client.get(response["Location"]))
    htmx_body = _body(client.post(f"/predictions/{STEP4.id}/", {}, headers=HTMX))
    assert "Choose an answer first" in htmx_body and "<html" not in htmx_body
    _reveal_absent(htmx_body, STEP4)
    assert not Answer.objects.exists()


def test_predicting_twice_says_so_and_keeps_the_first(client):
    wrong, right = _wrong(STEP4).id, STEP4.correct_choice.id
    client.post(f"/predictions/{STEP4.id}/", {"choice": wrong})
    response = client.post(f"/predictions/{STEP4.id}/", {"choice": right})
    assert response["Location"] == "/steps/4/?prediction=again#prediction"
    assert "already answered" in _body(client.get(response["Location"]))
    htmx_body = _body(client.post(f"/predictions/{STEP4.id}/", {"choice": right}, headers=HTMX))
    assert "already answered" in htmx_body and "Not quite" in htmx_body
    assert list(Answer.objects.values_list("choice_id", flat=True)) == [wrong]


@pytest.mark.parametrize(
    ("question_id", "data"),
    [
        ("no-such-prediction", {"choice": "stores-until-ready"}),
        (STEP4.id, {"choice": "stores-everything"}),
        (STEP4.id, {"choice": PREDICTIONS[5].correct_choice.id}),  # a choice of another question
    ],
    ids=["unknown-question", "unknown-choice", "choice-of-another-question"],
)
def test_a_tampered_prediction_gets_a_clear_400_and_stores_nothing(client, question_id, data):
    client.get("/steps/4/")
    response = client.post(f"/predictions/{question_id}/", data)
    assert response.status_code == 400
    assert "Nothing was changed" in _body(response)
    assert not Answer.objects.exists()


def test_a_prediction_without_csrf_token_is_refused_and_stores_nothing():
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.get("/steps/4/")
    response = csrf_client.post(f"/predictions/{STEP4.id}/", {"choice": STEP4.correct_choice.id})
    assert response.status_code == 403
    assert not Answer.objects.exists()


def test_a_prediction_is_a_post_only_address(client):
    assert client.get(f"/predictions/{STEP4.id}/").status_code == 405


# ----- progress, recap, reset, persistence ----------------------------------------------------


def test_the_progress_page_shows_predictions_and_quiz_scores(client):
    client.post(f"/predictions/{PREDICTIONS[2].id}/", {"choice": PREDICTIONS[2].correct_choice.id})
    client.post(f"/predictions/{STEP4.id}/", {"choice": _wrong(STEP4).id})
    attempt = _start(client)
    _take(client, attempt, wrong_positions=(1,))
    _start(client, "pitfalls")
    body = _body(client.get("/progress/"))
    assert body.count("predicted right") == 1
    assert body.count("predicted wrong") == 1
    assert body.count("not made yet") == len(PREDICTIONS) - 2
    total = len(MYTHS.questions)
    assert f"latest {total - 1} of {total}, best {total - 1} of {total}, 1 attempt" in body
    assert f"latest 0 of {len(PITFALLS.questions)} (in progress)" in body
    assert "Reset my progress" in body and 'href="/progress/reset/"' in body


def test_the_takeaways_page_recaps_beside_the_learners_results(client):
    client.post(f"/predictions/{STEP4.id}/", {"choice": _wrong(STEP4).id})
    body = _body(client.get("/takeaways/"))
    for takeaway in get_takeaways():
        assert escape(takeaway.title) in body
    assert "Step 4 prediction:" in body and 'href="/steps/4/#prediction">see why' in body
    assert "not taken yet" in body


def test_reset_asks_first_then_forgets_everything_and_says_so(client):
    client.get("/steps/3/")
    client.post(f"/predictions/{STEP4.id}/", {"choice": STEP4.correct_choice.id})
    _take(client, _start(client), wrong_positions=(1,))
    confirm = client.get("/progress/reset/")
    assert confirm.status_code == 200
    body = _body(confirm)
    assert "Reset your progress?" in body and "Yes, reset everything" in body
    assert 'method="post" action="/progress/reset/"' in body
    assert Learner.objects.count() == 1 and Answer.objects.count() == len(MYTHS.questions) + 1

    response = client.post("/progress/reset/")
    assert response.status_code == 302 and response["Location"] == "/progress/?reset=1"
    assert not Learner.objects.exists() and not Answer.objects.exists()
    assert not QuizAttempt.objects.exists()
    body = _body(client.get(response["Location"]))
    assert "Your progress was reset" in body
    assert "predicted" not in body and body.count("not taken yet") == 3
    assert "Commit my prediction" in _body(client.get("/steps/4/"))
    assert client.get("/quizzes/myths/1/1/").status_code == 404


def test_reset_without_csrf_token_changes_nothing():
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.get("/steps/3/")
    assert csrf_client.post("/progress/reset/").status_code == 403
    assert Learner.objects.count() == 1


def test_answers_survive_a_new_client_with_the_same_session_cookie(client):
    client.post(f"/predictions/{STEP4.id}/", {"choice": STEP4.correct_choice.id})
    attempt = _start(client)
    _take(client, attempt, wrong_positions=(2,), sure=(2,))
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value

    returning = Client()  # a browser restart: same cookie, nothing else
    returning.cookies[settings.SESSION_COOKIE_NAME] = cookie
    _reveal_present(_body(returning.get("/steps/4/")), STEP4)
    body = _body(returning.get("/quizzes/myths/1/results/"))
    total = len(MYTHS.questions)
    assert f"<strong>{total - 1} of {total}</strong> right" in body
    assert "(none yet)" not in body
    assert "Confident miss" in body
    assert Learner.objects.count() == 1


def test_a_steps_prediction_lists_its_choices_in_this_learners_order(client):
    client.get("/steps/4/")
    learner = Learner.objects.get()
    expected = [c.id for c in prediction_choices(learner=learner, question=STEP4)]
    for _ in range(2):
        body = _body(client.get("/steps/4/"))
        block = re.search(r'id="prediction".*?</section>', body, re.S).group(0)
        assert re.findall(r'name="choice" value="([^"]+)"', block) == expected


# ----- the final assessment -------------------------------------------------------------------

NUMBER_POSITION = next(
    i for i, q in enumerate(ASSESSMENT.questions, start=1) if q.format == "number"
)
CHOICE_POSITION = next(
    i for i, q in enumerate(ASSESSMENT.questions, start=1) if q.format == "choice"
)


def _assessment_data(question, right=True):
    if question.format == "number":
        value = question.answer if right else question.answer + question.tolerance + 7
        return {"number": str(value)}
    return {"choice": (question.correct_choice if right else _wrong(question)).id}


def _take_assessment(client, attempt, wrong_positions=()):
    total = len(attempt.question_keys)
    for position in range(1, total + 1):
        question = _question_at(attempt, position)
        data = _assessment_data(question, right=position not in wrong_positions)
        response = client.post(f"/quizzes/assessment/{attempt.number}/{position}/", data)
        after = f"/quizzes/assessment/{attempt.number}/" + (
            "results/" if position == total else f"{position + 1}/"
        )
        assert response.status_code == 302 and response["Location"] == after


def test_the_assessment_page_introduces_it_and_offers_to_start(client):
    body = _body(client.get("/quizzes/assessment/"))
    assert escape(ASSESSMENT.intro) in body and "Start the assessment" in body
    assert f"{len(ASSESSMENT.questions)} questions" in body


def test_an_assessment_question_holds_no_answer_and_asks_no_confidence(client):
    attempt = _start(client, "assessment")
    for position in (1, NUMBER_POSITION):
        body = _body(client.get(f"/quizzes/assessment/1/{position}/"))
        question = _question_at(attempt, position)
        assert escape(question.prompt) in body and "How sure are you?" not in body
        assert escape(question.explanation) not in body and 'id="reveal"' not in body
        assert "hx-post" not in re.search(r'id="question-card".*?</section>', body, re.S).group(0)


def test_committing_an_assessment_answer_moves_on_and_reveals_nothing(client):
    attempt = _start(client, "assessment")
    question = _question_at(attempt, 1)
    response = client.post("/quizzes/assessment/1/1/", _assessment_data(question, right=False))
    assert response.status_code == 302 and response["Location"] == "/quizzes/assessment/1/2/"
    body = _body(client.get("/quizzes/assessment/1/1/"))
    assert "Answer saved" in body and "Not quite" not in body and "✓</span> Right" not in body
    assert escape(question.explanation) not in body
    assert 'href="/quizzes/assessment/1/2/"' in body
    again = client.post("/quizzes/assessment/1/1/", _assessment_data(question, right=True))
    assert again["Location"] == "/quizzes/assessment/1/1/?again=1"
    assert "your first answer counts" in _body(client.get(again["Location"]))
    assert list(Answer.objects.values_list("correct", flat=True)) == [False]


def test_a_typed_number_is_stored_and_a_mistyped_one_asks_again_keeping_the_text(client):
    attempt = _start(client, "assessment")
    question = _question_at(attempt, NUMBER_POSITION)
    url = f"/quizzes/assessment/1/{NUMBER_POSITION}/"
    body = _body(client.post(url, {"number": "about twelve"}))
    assert "That is not a number this question can take" in body
    assert 'value="about twelve"' in body and 'aria-invalid="true"' in body
    assert "Type a number first" in _body(client.post(url, {"number": ""}))
    assert not Answer.objects.exists()
    client.post(url, {"number": f"{question.answer}"})
    answer = Answer.objects.get()
    assert answer.correct and answer.number == question.answer and answer.choice_id == ""


@pytest.mark.parametrize("data", [{"choice": "not-a-choice"}, {"number": "x" * 500}])
def test_a_tampered_assessment_answer_gets_a_400_and_stores_nothing(client, data):
    _start(client, "assessment")
    position = 1 if "choice" in data else NUMBER_POSITION
    response = client.post(f"/quizzes/assessment/1/{position}/", data)
    assert response.status_code == 400 and "Nothing was changed" in _body(response)
    assert not Answer.objects.exists()


def test_assessment_results_wait_until_every_question_is_answered(client):
    attempt = _start(client, "assessment")
    client.post("/quizzes/assessment/1/1/", _assessment_data(_question_at(attempt, 1)))
    body = _body(client.get("/quizzes/assessment/1/results/"))
    assert f"<strong>1 of {len(ASSESSMENT.questions)}</strong> answered so far" in body
    assert 'href="/quizzes/assessment/1/2/"' in body
    for question in ASSESSMENT.questions:
        assert escape(question.explanation) not in body


def test_assessment_results_show_each_item_with_its_explanation_and_step(client):
    attempt = _start(client, "assessment")
    missed = (CHOICE_POSITION, NUMBER_POSITION)
    _take_assessment(client, attempt, wrong_positions=missed)
    body = _body(client.get("/quizzes/assessment/1/results/"))
    total = len(ASSESSMENT.questions)
    score = re.search(r"<p class=\"score\".*?</p>", body, re.S).group(0)
    assert f"<strong>{total - 2} of {total}</strong> right" in score
    rows = body.split('<li class="result-row')[1:]
    assert len(rows) == total
    for position, (row, question) in enumerate(zip(rows, ASSESSMENT.questions, strict=True), 1):
        assert escape(question.prompt) in row and escape(question.explanation) in row
        assert f'href="/steps/{question.step}/"' in row
        assert ("Missed" if position in missed else "Right</span>") in row
    number = ASSESSMENT.questions[NUMBER_POSITION - 1]
    assert escape(number.correct_text) in rows[NUMBER_POSITION - 1]
    tally = re.search(r'class="step-tally".*?</section>', body, re.S).group(0)
    missed_step = ASSESSMENT.questions[CHOICE_POSITION - 1].step
    assert "worth rereading" in tally and f'href="/steps/{missed_step}/"' in tally
    assert escape(get_step(missed_step).title) in tally, "the tally names the step"
    assert "Take it again" in body


def test_the_assessment_score_shows_on_the_progress_page_and_the_home_page(client):
    _take_assessment(client, _start(client, "assessment"), wrong_positions=(1,))
    total = len(ASSESSMENT.questions)
    for path in ("/progress/", "/", "/takeaways/"):
        body = _body(client.get(path))
        assert escape(ASSESSMENT.title) in body
        assert f"latest {total - 1} of {total}, best {total - 1} of {total}, 1 attempt" in body


def test_a_second_assessment_attempt_shuffles_choices_again_and_keeps_the_first(client):
    first = _start(client, "assessment")
    _take_assessment(client, first)
    second = _start(client, "assessment")
    assert second.number == 2 and second.question_keys == first.question_keys
    orders = [
        [[c.id for c in attempt_choices(a, _question_at(a, p))] for p in range(1, 5)]
        for a in (first, second)
    ]
    assert orders[0] != orders[1]
    assert "<strong>" in _body(client.get("/quizzes/assessment/1/results/"))


# ----- the teachers' exercise sheet -----------------------------------------------------------


def test_the_exercise_sheet_has_every_exercise_and_no_answers(client):
    from lessons.quizzes import get_exercises

    sheet = get_exercises()
    body = _body(client.get("/quizzes/exercises/"))
    assert "For teachers" in body and 'href="/quizzes/exercises/key/"' in body
    for exercise in sheet.exercises:
        assert escape(exercise.title) in body and escape(exercise.setting) in body
        for part in exercise.parts:
            assert escape(part.ask) in body and escape(part.answer) not in body
        assert escape(exercise.marking) not in body
    assert body.count('class="answer-space"') == sum(len(e.parts) for e in sheet.exercises)


def test_the_answer_key_adds_model_answers_marking_and_the_guessing_figures(client):
    from lessons.quizzes import get_exercises

    body = _body(client.get("/quizzes/exercises/key/"))
    for exercise in get_exercises().exercises:
        assert escape(exercise.marking) in body
        assert all(escape(part.answer) in body for part in exercise.parts)
    table = re.search(r'<table class="guess-table">.*?</table>', body, re.S).group(0)
    assert "Always the longest option" in table and "Fact or myth?" in table
    assert all(int(p) <= 50 for p in re.findall(r"<td>(\d+)%</td>", table))


def test_exercise_pages_are_get_only_and_not_quizzes(client):
    assert client.post("/quizzes/exercises/").status_code == 405
    assert client.post("/quizzes/exercises/start/").status_code == 404


def test_the_home_page_reaches_the_quizzes_the_assessment_and_the_exercise_sheet(client):
    body = _body(client.get("/"))
    for href in ("/quizzes/", "/quizzes/assessment/", "/quizzes/exercises/"):
        assert f'href="{href}"' in body, href


def test_a_prediction_does_not_send_the_learner_to_the_step_they_are_on(client):
    for step, question in PREDICTIONS.items():
        client.post(f"/predictions/{question.id}/", {"choice": question.correct_choice.id})
        block = re.search(
            r'id="prediction".*?</section>', _body(client.get(f"/steps/{step}/")), re.S
        )
        if question.see_it_kind == "step":
            assert 'class="see-it"' not in block.group(0)
        else:
            assert f'href="{question.see_it_url}"' in block.group(0)

"""Quiz data files are validated, and grading is decided by the server, never the page."""

from __future__ import annotations

import copy
import re

import pytest
import yaml

from lessons.answers import (
    MIN_ANSWERS_FOR_SHARE,
    REVIEW,
    AnswerRejected,
    answer_commit,
    answer_share,
    attempt_result,
    attempt_start,
    prediction_commit,
    progress_reset,
    quiz_scores,
    review_due,
)
from lessons.content import ContentError
from lessons.models import Answer, Learner, QuizAttempt
from lessons.quizzes import (
    CONFIDENCE_CHOICES,
    QUIZ_DIR,
    get_predictions,
    get_quizzes,
    get_takeaways,
    load_predictions,
    load_quiz,
    load_takeaways,
)
from playground.catalog import scenario_names

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
QUIZZES = get_quizzes()
PREDICTIONS = get_predictions()
ALL_QUESTIONS = [q for quiz in QUIZZES.values() for q in quiz.questions] + list(
    PREDICTIONS.values()
)


# ----- the data files -------------------------------------------------------------------------


@pytest.mark.parametrize("question", ALL_QUESTIONS, ids=lambda q: f"{q.kind}-{q.id}")
def test_every_question_has_exactly_one_right_answer_and_a_full_reveal(question):
    assert sum(c.correct for c in question.choices) == 1
    assert 2 <= len(question.choices) <= 5
    assert len({c.id for c in question.choices}) == len(question.choices)
    assert all(c.text.strip() for c in question.choices)
    assert question.prompt.strip()
    assert len(question.explanation) > 80, "the explanation should really explain"
    assert question.why_it_matters.strip()


@pytest.mark.parametrize("question", ALL_QUESTIONS, ids=lambda q: f"{q.kind}-{q.id}")
def test_every_see_it_happen_link_names_a_well_formed_playground_scenario(question):
    assert SLUG.fullmatch(question.scenario)
    names = scenario_names()
    if names:  # the engine's scenario files may not have landed yet: then only the format
        assert question.scenario in names


def test_question_ids_are_unique_across_every_quiz_and_prediction():
    keys = [f"{q.kind}/{q.id}" for q in ALL_QUESTIONS]
    assert len(set(keys)) == len(keys)
    assert all(SLUG.fullmatch(q.id) for q in ALL_QUESTIONS)


def test_myth_busters_hold_the_four_source_myths_and_at_least_four_more():
    myths = QUIZZES["myths"]
    assert myths.kind == "myth"
    assert len(myths.questions) >= 8
    prompts = " ".join(q.prompt.lower() + " " + q.belief.lower() for q in myths.questions)
    for source_myth in ("instant", "complexity", "order", "coordination"):
        assert source_myth in prompts, f"the source myth about {source_myth!r} is missing"


@pytest.mark.parametrize("question", QUIZZES["myths"].questions, ids=lambda q: q.id)
def test_every_myth_is_a_yes_no_question_with_a_belief_and_a_reality(question):
    assert [c.text for c in question.choices] == ["Yes", "No"]
    assert question.belief and question.reality


def test_pitfalls_check_holds_the_three_source_pitfalls_with_root_causes():
    pitfalls = QUIZZES["pitfalls"]
    assert len(pitfalls.questions) >= 3
    ids = {q.id for q in pitfalls.questions}
    assert {"no-retries-or-dlq", "ignoring-order", "async-everywhere"} <= ids
    for q in pitfalls.questions:
        assert q.prompt.startswith("Which approach is right?")
        assert q.root_cause


def test_steps_two_to_seven_each_ask_for_a_prediction():
    assert set(range(2, 8)) <= set(PREDICTIONS)
    for step, question in PREDICTIONS.items():
        assert question.step == step and question.kind == "prediction"


def test_the_recap_has_at_least_five_takeaways():
    takeaways = get_takeaways()
    assert len(takeaways) >= 5
    assert all(t.title and len(t.text) > 40 for t in takeaways)


def test_confidence_offers_sure_think_and_guess():
    assert [value for value, _ in CONFIDENCE_CHOICES] == ["sure", "think", "guess"]


# ----- the loader rejects malformed files -----------------------------------------------------

VALID_QUIZ = {
    "title": "A quiz",
    "intro": "An intro.",
    "questions": [
        {
            "id": "first-question",
            "prompt": "Is this right?",
            "choices": [{"id": "yes", "text": "Yes", "correct": True}, {"id": "no", "text": "No"}],
            "explanation": "Because it is.",
            "why_it_matters": "It matters.",
            "scenario": "ordering",
            "belief": "People think so.",
            "reality": "It is so.",
        },
        {
            "id": "second-question",
            "prompt": "And this?",
            "choices": [{"id": "yes", "text": "Yes"}, {"id": "no", "text": "No", "correct": True}],
            "explanation": "Because it is not.",
            "why_it_matters": "It matters too.",
            "scenario": "fan-out",
            "belief": "People think so.",
            "reality": "It is not so.",
        },
    ],
}


def _write(tmp_path, data, name="quiz.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data))
    return path


def _load(tmp_path, data, scenarios=None):
    return load_quiz("myths", _write(tmp_path, data), "myth", False, scenarios)


def _broken(change):
    data = copy.deepcopy(VALID_QUIZ)
    change(data)
    return data


def test_a_well_formed_quiz_file_loads(tmp_path):
    quiz = _load(tmp_path, VALID_QUIZ, frozenset({"ordering", "fan-out"}))
    assert [q.id for q in quiz.questions] == ["first-question", "second-question"]
    assert quiz.questions[0].correct_choice.id == "yes"


def _two_correct(d):
    d["questions"][0]["choices"][1]["correct"] = True


def _no_correct(d):
    d["questions"][0]["choices"][0]["correct"] = False


def _duplicate_question_ids(d):
    d["questions"][1]["id"] = "first-question"


def _duplicate_choice_ids(d):
    d["questions"][0]["choices"][1]["id"] = "yes"


def _missing_explanation(d):
    del d["questions"][0]["explanation"]


def _blank_why_it_matters(d):
    d["questions"][0]["why_it_matters"] = "   "


def _malformed_scenario(d):
    d["questions"][0]["scenario"] = "Not A Scenario!"


def _missing_reality_on_a_myth(d):
    del d["questions"][0]["reality"]


def _one_choice_only(d):
    d["questions"][0]["choices"] = d["questions"][0]["choices"][:1]


def _correct_is_not_a_boolean(d):
    d["questions"][0]["choices"][0]["correct"] = "yes please"


def _no_questions_list(d):
    d["questions"] = "none"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_two_correct, "exactly one choice must be marked correct"),
        (_no_correct, "exactly one choice must be marked correct"),
        (_duplicate_question_ids, "question ids must be unique"),
        (_duplicate_choice_ids, "choice ids must be unique"),
        (_missing_explanation, "'explanation' must be non-empty"),
        (_blank_why_it_matters, "'why_it_matters' must be non-empty"),
        (_malformed_scenario, "is not a playground scenario"),
        (_missing_reality_on_a_myth, "'reality' must be non-empty"),
        (_one_choice_only, "needs 2 to 5 choices"),
        (_correct_is_not_a_boolean, "'correct' must be true or false"),
        (_no_questions_list, "needs a 'questions' list"),
    ],
    ids=lambda v: v.__name__.strip("_") if callable(v) else "",
)
def test_the_loader_rejects_a_malformed_quiz_file_with_a_clear_error(tmp_path, change, message):
    with pytest.raises(ContentError, match=re.escape(message)) as error:
        _load(tmp_path, _broken(change))
    assert "quiz.yaml" in str(error.value), "the error names the file"


def test_the_loader_names_the_question_that_is_wrong(tmp_path):
    with pytest.raises(ContentError, match=r"\[first-question\]"):
        _load(tmp_path, _broken(_no_correct))


def test_the_loader_rejects_a_scenario_the_playground_does_not_have(tmp_path):
    with pytest.raises(ContentError, match="'no-such-scenario' is not a playground scenario"):
        _load(
            tmp_path,
            _broken(lambda d: d["questions"][0].update(scenario="no-such-scenario")),
            frozenset({"ordering", "fan-out"}),
        )


def test_a_prediction_must_name_its_step_and_steps_ask_only_once(tmp_path):
    raw = yaml.safe_load((QUIZ_DIR / "predictions.yaml").read_text())
    no_step = copy.deepcopy(raw)
    del no_step["questions"][0]["step"]
    with pytest.raises(ContentError, match="predictions name their lesson step"):
        load_predictions(_write(tmp_path, no_step, "predictions.yaml"))
    twice = copy.deepcopy(raw)
    twice["questions"][1]["step"] = twice["questions"][0]["step"]
    with pytest.raises(ContentError, match="at most one prediction per step"):
        load_predictions(_write(tmp_path, twice, "predictions.yaml"))


def test_takeaways_without_text_are_rejected(tmp_path):
    with pytest.raises(ContentError, match="needs a 'takeaways' list"):
        load_takeaways(_write(tmp_path, {"takeaways": []}, "takeaways.yaml"))
    with pytest.raises(ContentError, match="'text' must be non-empty"):
        load_takeaways(_write(tmp_path, {"takeaways": [{"title": "T"}]}, "takeaways.yaml"))


# ----- attempts and grading -------------------------------------------------------------------

MYTH_KEYS = [f"myths/{q.id}" for q in QUIZZES["myths"].questions]
PITFALL_KEYS = [f"pitfalls/{q.id}" for q in QUIZZES["pitfalls"].questions]


def _right(key):
    slug, _, qid = key.partition("/")
    return QUIZZES[slug].question(qid).correct_choice.id


def _wrong(key):
    slug, _, qid = key.partition("/")
    return next(c.id for c in QUIZZES[slug].question(qid).choices if not c.correct)


@pytest.fixture
def learner(db):
    return Learner.objects.create()


def test_a_first_attempt_keeps_the_authored_order(learner):
    attempt = attempt_start(learner=learner, quiz="myths")
    assert attempt.number == 1
    assert attempt.question_keys == MYTH_KEYS
    assert attempt.choice_orders == {k: ["yes", "no"] for k in MYTH_KEYS}


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_a_retake_never_repeats_the_previous_question_order(learner, seed):
    first = attempt_start(learner=learner, quiz="pitfalls")
    second = attempt_start(learner=learner, quiz="pitfalls", seed=seed)
    third = attempt_start(learner=learner, quiz="pitfalls", seed=seed)
    assert (first.number, second.number, third.number) == (1, 2, 3)
    assert second.question_keys != first.question_keys
    assert third.question_keys != second.question_keys
    assert sorted(second.question_keys) == sorted(PITFALL_KEYS)


def test_every_attempt_is_kept(learner):
    for _ in range(3):
        attempt_start(learner=learner, quiz="myths")
    assert list(QuizAttempt.objects.filter(learner=learner).values_list("number", flat=True)) == [
        1,
        2,
        3,
    ]


def test_pitfalls_retakes_shuffle_choices_but_myths_keep_yes_before_no(learner):
    first = attempt_start(learner=learner, quiz="pitfalls")
    authored = {
        k: [c.id for c in QUIZZES["pitfalls"].question(k.split("/")[1]).choices]
        for k in PITFALL_KEYS
    }
    assert first.choice_orders == authored
    shuffled = False
    for seed in range(5):
        retake = attempt_start(learner=learner, quiz="pitfalls", seed=seed)
        assert {k: sorted(v) for k, v in retake.choice_orders.items()} == {
            k: sorted(v) for k, v in authored.items()
        }
        shuffled |= retake.choice_orders != authored
    assert shuffled, "five pitfall retakes never changed a choice order"
    attempt_start(learner=learner, quiz="myths")
    for seed in range(5):
        myth_retake = attempt_start(learner=learner, quiz="myths", seed=seed)
        assert set(map(tuple, myth_retake.choice_orders.values())) == {("yes", "no")}


def test_an_unknown_quiz_cannot_be_started(learner):
    with pytest.raises(KeyError):
        attempt_start(learner=learner, quiz="no-such-quiz")


def test_the_server_grades_right_and_wrong_answers(learner):
    attempt = attempt_start(learner=learner, quiz="myths")
    right = answer_commit(
        learner=learner, attempt=attempt, key=MYTH_KEYS[0], choice_id=_right(MYTH_KEYS[0])
    )
    wrong = answer_commit(
        learner=learner,
        attempt=attempt,
        key=MYTH_KEYS[1],
        choice_id=_wrong(MYTH_KEYS[1]),
        confidence="sure",
    )
    assert right.answer.correct is True and right.duplicate is False
    assert wrong.answer.correct is False and wrong.answer.confidence == "sure"
    assert Answer.objects.filter(attempt=attempt).count() == 2


def test_answering_the_same_question_twice_keeps_the_first_answer(learner):
    attempt = attempt_start(learner=learner, quiz="myths")
    key = MYTH_KEYS[0]
    first = answer_commit(
        learner=learner, attempt=attempt, key=key, choice_id=_wrong(key), confidence="sure"
    )
    second = answer_commit(
        learner=learner, attempt=attempt, key=key, choice_id=_right(key), confidence="guess"
    )
    assert second.duplicate is True
    assert second.answer.pk == first.answer.pk
    stored = Answer.objects.get(attempt=attempt)
    assert (stored.choice_id, stored.correct, stored.confidence) == (_wrong(key), False, "sure")


def test_the_same_question_counts_again_in_a_new_attempt(learner):
    key = MYTH_KEYS[0]
    for _ in range(2):
        attempt = attempt_start(learner=learner, quiz="myths")
        assert not answer_commit(
            learner=learner, attempt=attempt, key=key, choice_id=_right(key)
        ).duplicate
    assert Answer.objects.filter(learner=learner).count() == 2


@pytest.mark.parametrize(
    ("key", "choice_id"),
    [
        ("myths/no-such-question", "yes"),
        ("pitfalls/ignoring-order", "design-for-order"),
        (MYTH_KEYS[0], "maybe"),
    ],
    ids=["unknown-question", "question-of-another-quiz", "unknown-choice"],
)
def test_answers_to_questions_or_choices_not_on_offer_are_rejected(learner, key, choice_id):
    attempt = attempt_start(learner=learner, quiz="myths")
    with pytest.raises(AnswerRejected):
        answer_commit(learner=learner, attempt=attempt, key=key, choice_id=choice_id)
    assert not Answer.objects.exists()


def test_a_prediction_counts_only_the_first_commit(learner):
    question = PREDICTIONS[4]
    first = prediction_commit(
        learner=learner, question=question, choice_id=question.correct_choice.id
    )
    wrong = next(c.id for c in question.choices if not c.correct)
    again = prediction_commit(learner=learner, question=question, choice_id=wrong)
    assert first.answer.correct and not first.duplicate
    assert again.duplicate and again.answer.pk == first.answer.pk
    with pytest.raises(AnswerRejected):
        prediction_commit(learner=learner, question=question, choice_id="not-a-choice")
    assert Answer.objects.filter(learner=learner).count() == 1


# ----- what others answered -------------------------------------------------------------------


def _learners_answer(choices):
    """One new learner per choice id, each committing step 3's prediction."""
    question = PREDICTIONS[3]
    return [
        prediction_commit(learner=Learner.objects.create(), question=question, choice_id=c).answer
        for c in choices
    ]


def test_what_others_answered_stays_hidden_below_the_minimum(db):
    answers = _learners_answer(["publish-succeeds"] * (MIN_ANSWERS_FOR_SHARE - 1))
    assert answer_share(answers[-1]) is None


def test_what_others_answered_shows_the_share_of_learners_who_chose_the_same(db):
    choices = ["publish-succeeds"] * 3 + ["publish-fails"] * 1 + ["publish-lost"] * 1
    choices += ["publish-succeeds"] * max(0, MIN_ANSWERS_FOR_SHARE - len(choices))
    answers = _learners_answer(choices)
    total = len(choices)
    share = answer_share(answers[0])
    assert share is not None and share.total == total
    assert share.percent == round(100 * choices.count("publish-succeeds") / total)
    assert answer_share(answers[3]).percent == round(100 / total)


def test_what_others_answered_counts_first_attempts_only(db):
    key = MYTH_KEYS[0]
    learners = [Learner.objects.create() for _ in range(MIN_ANSWERS_FOR_SHARE)]
    firsts = []
    for learner in learners:
        attempt = attempt_start(learner=learner, quiz="myths")
        firsts.append(
            answer_commit(learner=learner, attempt=attempt, key=key, choice_id=_wrong(key)).answer
        )
    retake = attempt_start(learner=learners[0], quiz="myths")
    later = answer_commit(
        learner=learners[0], attempt=retake, key=key, choice_id=_right(key)
    ).answer
    assert answer_share(firsts[0]).percent == 100
    assert answer_share(later).percent == 0
    assert answer_share(later).total == MIN_ANSWERS_FOR_SHARE


# ----- results and review ---------------------------------------------------------------------


def test_results_list_confident_misses_first_then_misses_then_right_answers(learner):
    attempt = attempt_start(learner=learner, quiz="myths")
    plan = {
        MYTH_KEYS[0]: (_right(MYTH_KEYS[0]), "sure"),
        MYTH_KEYS[1]: (_wrong(MYTH_KEYS[1]), "guess"),
        MYTH_KEYS[2]: (_wrong(MYTH_KEYS[2]), "sure"),
    }
    for key in MYTH_KEYS:
        choice, confidence = plan.get(key, (_right(key), ""))
        answer_commit(
            learner=learner, attempt=attempt, key=key, choice_id=choice, confidence=confidence
        )
    result = attempt_result(attempt)
    assert [r.key for r in result.rows[:2]] == [MYTH_KEYS[2], MYTH_KEYS[1]]
    assert result.rows[0].confident_miss and not result.rows[1].confident_miss
    assert all(r.answer.correct for r in result.rows[2:])
    assert (result.score, result.total, result.confident_misses, result.complete) == (
        len(MYTH_KEYS) - 2,
        len(MYTH_KEYS),
        1,
        True,
    )
    assert result.rows[0].chosen_text == "Yes"


def test_an_unfinished_attempt_is_not_complete(learner):
    attempt = attempt_start(learner=learner, quiz="pitfalls")
    answer_commit(
        learner=learner, attempt=attempt, key=PITFALL_KEYS[0], choice_id=_right(PITFALL_KEYS[0])
    )
    result = attempt_result(attempt)
    assert (result.score, result.answered, result.complete) == (1, 1, False)


def test_missed_questions_come_back_for_review_until_answered_right_once(learner):
    attempt = attempt_start(learner=learner, quiz="myths")
    for key in MYTH_KEYS[:3]:
        answer_commit(learner=learner, attempt=attempt, key=key, choice_id=_wrong(key))
    answer_commit(
        learner=learner, attempt=attempt, key=MYTH_KEYS[3], choice_id=_right(MYTH_KEYS[3])
    )
    assert review_due(learner=learner) == MYTH_KEYS[:3]

    review = attempt_start(learner=learner, quiz=REVIEW)
    assert sorted(review.question_keys) == sorted(MYTH_KEYS[:3])
    answer_commit(learner=learner, attempt=review, key=MYTH_KEYS[0], choice_id=_right(MYTH_KEYS[0]))
    answer_commit(learner=learner, attempt=review, key=MYTH_KEYS[1], choice_id=_wrong(MYTH_KEYS[1]))
    assert review_due(learner=learner) == [MYTH_KEYS[1], MYTH_KEYS[2]]

    retake = attempt_start(learner=learner, quiz="myths")
    answer_commit(learner=learner, attempt=retake, key=MYTH_KEYS[2], choice_id=_right(MYTH_KEYS[2]))
    answer_commit(learner=learner, attempt=retake, key=MYTH_KEYS[0], choice_id=_wrong(MYTH_KEYS[0]))
    assert review_due(learner=learner) == [MYTH_KEYS[0], MYTH_KEYS[1]]


def test_a_review_round_needs_something_to_review(learner):
    with pytest.raises(AnswerRejected):
        attempt_start(learner=learner, quiz=REVIEW)


def test_wrong_predictions_do_not_enter_the_quiz_review(learner):
    question = PREDICTIONS[2]
    wrong = next(c.id for c in question.choices if not c.correct)
    prediction_commit(learner=learner, question=question, choice_id=wrong)
    assert review_due(learner=learner) == []
    assert review_due(learner=None) == []


def test_quiz_scores_report_latest_and_best_complete_attempts(learner):
    for wrong_count in (2, 0):
        attempt = attempt_start(learner=learner, quiz="pitfalls")
        for i, key in enumerate(attempt.question_keys):
            choice = _wrong(key) if i < wrong_count else _right(key)
            answer_commit(learner=learner, attempt=attempt, key=key, choice_id=choice)
    unfinished = attempt_start(learner=learner, quiz="pitfalls")
    key = unfinished.question_keys[0]
    answer_commit(learner=learner, attempt=unfinished, key=key, choice_id=_wrong(key))
    scores = {s.quiz.slug: s for s in quiz_scores(learner=learner)}
    total = len(PITFALL_KEYS)
    assert scores["pitfalls"].attempts == 3
    assert scores["pitfalls"].best == total
    assert scores["pitfalls"].latest.attempt.number == 3
    assert scores["pitfalls"].latest.complete is False
    assert (
        scores["myths"].attempts == 0
        and scores["myths"].latest is None
        and scores["myths"].best is None
    )


def test_resetting_progress_forgets_attempts_answers_and_predictions(learner):
    other = Learner.objects.create()
    for who in (learner, other):
        attempt = attempt_start(learner=who, quiz="myths")
        answer_commit(learner=who, attempt=attempt, key=MYTH_KEYS[0], choice_id="no")
        prediction_commit(
            learner=who, question=PREDICTIONS[5], choice_id=PREDICTIONS[5].correct_choice.id
        )
    progress_reset(learner=learner)
    assert not Learner.objects.filter(pk=learner.pk).exists()
    assert not QuizAttempt.objects.filter(learner_id=learner.pk).exists()
    assert not Answer.objects.filter(learner_id=learner.pk).exists()
    assert Answer.objects.filter(learner=other).count() == 2, "other learners keep their answers"

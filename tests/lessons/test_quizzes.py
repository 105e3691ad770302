"""Quiz data files are validated, and grading is decided by the server, never the page."""

from __future__ import annotations

import copy
import random
import re
from decimal import Decimal

import pytest
import yaml

from lessons.answers import (
    MIN_ANSWERS_FOR_SHARE,
    REVIEW,
    AnswerRejected,
    answer_commit,
    answer_spread,
    attempt_choices,
    attempt_result,
    attempt_start,
    prediction_choices,
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
    choice_order,
    format_number,
    get_assessment,
    get_exercises,
    get_predictions,
    get_quizzes,
    get_takeaways,
    load_exercises,
    load_predictions,
    load_quiz,
    load_takeaways,
    parse_number,
)
from playground.catalog import scenario_names

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
QUIZZES = get_quizzes()
ASSESSMENT = get_assessment()
PREDICTIONS = get_predictions()
ALL_QUESTIONS = (
    [q for quiz in QUIZZES.values() for q in quiz.questions]
    + list(PREDICTIONS.values())
    + list(ASSESSMENT.questions)
)


# ----- the data files -------------------------------------------------------------------------


@pytest.mark.parametrize("question", ALL_QUESTIONS, ids=lambda q: f"{q.kind}-{q.id}")
def test_every_question_has_exactly_one_right_answer_and_a_full_reveal(question):
    if question.format == "number":
        assert question.answer is not None and question.unit and not question.choices
    else:
        assert sum(c.correct for c in question.choices) == 1
        assert len({c.id for c in question.choices}) == len(question.choices)
        assert all(c.text.strip() for c in question.choices)
    assert question.prompt.strip()
    assert len(question.explanation) > 80, "the explanation should really explain"
    assert question.why_it_matters.strip()
    assert 1 <= question.step <= 9


@pytest.mark.parametrize("question", ALL_QUESTIONS, ids=lambda q: f"{q.kind}-{q.id}")
def test_every_see_it_happen_link_leads_to_an_experiment_a_scenario_or_the_step(question):
    names = scenario_names()
    if question.scenario:
        assert SLUG.fullmatch(question.scenario)
    kind, url = question.see_it_kind, question.see_it_url
    if kind == "scenario":
        assert url == f"/playground/{question.scenario}/" and question.scenario in names
    elif kind == "step":
        assert url == f"/steps/{question.step}/"
        assert question.scenario not in names, "a scenario that exists is linked directly"
    else:
        assert kind == "experiment" and url.startswith("/experiments/")


def test_question_ids_are_unique_across_every_quiz_prediction_and_the_assessment():
    keys = [f"{q.kind}/{q.id}" for q in ALL_QUESTIONS]
    assert len(set(keys)) == len(keys)
    assert all(SLUG.fullmatch(q.id) for q in ALL_QUESTIONS)


def test_myth_busters_hold_the_four_source_myths_and_more():
    myths = QUIZZES["myths"]
    assert myths.kind == "myth"
    assert len(myths.questions) >= 10
    text = " ".join(q.prompt.lower() + " " + q.belief.lower() for q in myths.questions)
    for source_myth in ("instant", "complexity", "order", "coordination"):
        assert source_myth in text, f"the source myth about {source_myth!r} is missing"


@pytest.mark.parametrize("question", QUIZZES["myths"].questions, ids=lambda q: q.id)
def test_every_myth_is_a_fact_or_myth_statement_with_a_belief_and_a_reality(question):
    assert question.format == "verdict"
    assert [(c.id, c.text) for c in question.choices] == [("fact", "Fact"), ("myth", "Myth")]
    assert question.verdict in {"fact", "myth"}
    assert question.belief and question.reality


def test_the_myth_ids_experiments_name_are_still_myths():
    # playground/engine/experiments/myth-*.toml name their myth by id (field `myth`).
    from playground.engine.experiments import load_experiments

    ids = {q.id for q in QUIZZES["myths"].questions}
    named = {e.myth for e in load_experiments().values() if e.myth}
    assert named and named <= ids


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


def test_the_assessment_has_twelve_mixed_items_on_all_nine_steps():
    questions = ASSESSMENT.questions
    assert len(questions) >= 12
    assert {q.step for q in questions} == set(range(1, 10))
    assert {q.format for q in questions} == {"choice", "verdict", "number"}
    assert not ASSESSMENT.reveal_each and not ASSESSMENT.reshuffle_retakes


def test_the_assessment_reuses_no_quiz_or_prediction_item():
    practice = [q for quiz in QUIZZES.values() for q in quiz.questions] + list(PREDICTIONS.values())
    assert not {q.id for q in ASSESSMENT.questions} & {q.id for q in practice}
    assert not {q.prompt for q in ASSESSMENT.questions} & {q.prompt for q in practice}


def test_the_exercise_sheet_covers_every_step_with_model_answers():
    sheet = get_exercises()
    assert len(sheet.exercises) >= 8
    assert {e.step for e in sheet.exercises} == set(range(1, 10))
    for exercise in sheet.exercises:
        assert exercise.parts and exercise.marking
        assert all(p.ask and len(p.answer) > 20 for p in exercise.parts)


def test_the_recap_has_at_least_five_takeaways():
    takeaways = get_takeaways()
    assert len(takeaways) >= 5
    assert all(t.title and len(t.text) > 40 for t in takeaways)


def test_confidence_offers_sure_think_and_guess():
    assert [value for value, _ in CONFIDENCE_CHOICES] == ["sure", "think", "guess"]


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("1200", Decimal(1200)),
        ("1,200", Decimal(1200)),
        ("1 200", Decimal(1200)),
        ("2.5", Decimal("2.5")),
        ("2,5", Decimal("2.5")),
        (" 15 ", Decimal(15)),
        ("-3", Decimal(-3)),
    ],
)
def test_a_typed_number_is_read_the_way_people_write_it(typed, value):
    assert parse_number(typed) == value


@pytest.mark.parametrize("typed", ["", "twelve", "1e5", "1.2.3", "12" * 10, "NaN", "0x10"])
def test_anything_else_is_not_a_number(typed):
    assert parse_number(typed) is None


def test_numbers_are_shown_with_thousands_and_without_trailing_zeros():
    assert format_number(Decimal("1200")) == "1,200"
    assert format_number(Decimal("2.50")) == "2.5"
    assert format_number(Decimal("15.000000")) == "15"


# ----- the loader rejects malformed files -----------------------------------------------------


def _choice(cid, text, correct=False):
    choice = {"id": cid, "text": text}
    if correct:
        choice["correct"] = True
    else:
        choice["misconception"] = f"People believe {text.lower()}"
    return choice


VALID_QUIZ = {
    "title": "A quiz",
    "intro": "An intro.",
    "questions": [
        {
            "id": "first-question",
            "step": 4,
            "prompt": "Which is right?",
            "choices": [
                _choice("this-one", "This one", correct=True),
                _choice("that-one", "That one"),
                _choice("other-one", "The other one"),
            ],
            "explanation": "Because it is.",
            "why_it_matters": "It matters.",
            "root_cause": "A root cause.",
            "scenario": "ordering",
        },
        {
            "id": "second-question",
            "step": 5,
            "prompt": "And this?",
            "choices": [
                _choice("yes-one", "Yes one"),
                _choice("no-one", "No one", correct=True),
                _choice("maybe-one", "Maybe one"),
                _choice("never-one", "Another one"),
            ],
            "explanation": "Because it is not.",
            "why_it_matters": "It matters too.",
            "root_cause": "Another root cause.",
            "scenario": "fan-out",
        },
    ],
}

VALID_MYTHS = {
    "title": "Fact or myth?",
    "intro": "An intro.",
    "questions": [
        {
            "id": "a-statement",
            "step": 3,
            "verdict": "fact",
            "statement": "A statement.",
            "belief": "A belief.",
            "reality": "A reality.",
            "explanation": "A mechanism.",
            "why_it_matters": "It matters.",
        }
    ],
}


def _write(tmp_path, data, name="quiz.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data))
    return path


def _load(tmp_path, data, scenarios=None, kind="pitfall"):
    return load_quiz("pitfalls", _write(tmp_path, data), kind, scenarios)


def _broken(change, valid=VALID_QUIZ):
    data = copy.deepcopy(valid)
    change(data)
    return data


def test_a_well_formed_quiz_file_loads(tmp_path):
    quiz = _load(tmp_path, VALID_QUIZ, frozenset({"ordering", "fan-out"}))
    assert [q.id for q in quiz.questions] == ["first-question", "second-question"]
    assert quiz.questions[0].correct_choice.id == "this-one"
    assert quiz.questions[1].choice("yes-one").misconception == "People believe yes one"


def test_a_well_formed_fact_or_myth_file_loads(tmp_path):
    quiz = _load(tmp_path, VALID_MYTHS, kind="myth")
    question = quiz.questions[0]
    assert question.format == "verdict" and question.verdict == "fact"
    assert question.choice("myth").misconception == "A belief."
    assert question.see_it_url == "/steps/3/", "no scenario: the step shows it"


def _two_correct(d):
    d["questions"][0]["choices"][1] = _choice("that-one", "That one", correct=True)


def _no_correct(d):
    d["questions"][0]["choices"][0] = _choice("this-one", "This one")


def _duplicate_question_ids(d):
    d["questions"][1]["id"] = "first-question"


def _duplicate_choice_ids(d):
    d["questions"][0]["choices"][1]["id"] = "this-one"


def _missing_explanation(d):
    del d["questions"][0]["explanation"]


def _blank_why_it_matters(d):
    d["questions"][0]["why_it_matters"] = "   "


def _malformed_scenario(d):
    d["questions"][0]["scenario"] = "Not A Scenario!"


def _two_choices_only(d):
    d["questions"][0]["choices"] = d["questions"][0]["choices"][:2]


def _five_choices(d):
    d["questions"][1]["choices"].append(_choice("fifth-one", "A fifth one"))


def _correct_is_not_a_boolean(d):
    d["questions"][0]["choices"][0]["correct"] = "yes please"


def _no_questions_list(d):
    d["questions"] = "none"


def _distractor_without_misconception(d):
    del d["questions"][0]["choices"][1]["misconception"]


def _misconception_on_two_lines(d):
    d["questions"][0]["choices"][1]["misconception"] = "One line\nand another"


def _no_step(d):
    del d["questions"][0]["step"]


def _step_ten(d):
    d["questions"][0]["step"] = 10


def _a_verdict_in_the_pitfalls(d):
    d["questions"][0]["verdict"] = "fact"


def _missing_root_cause(d):
    del d["questions"][0]["root_cause"]


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
        (_two_choices_only, "needs 3 or 4 choices"),
        (_five_choices, "needs 3 or 4 choices"),
        (_correct_is_not_a_boolean, "'correct' must be true or false"),
        (_no_questions_list, "needs a 'questions' list"),
        (_distractor_without_misconception, "'misconception' must be one line of text"),
        (_misconception_on_two_lines, "'misconception' must be one line of text"),
        (_no_step, "'step' must name the lesson step"),
        (_step_ten, "'step' must name the lesson step"),
        (_a_verdict_in_the_pitfalls, "cannot be of the verdict format"),
        (_missing_root_cause, "'root_cause' must be non-empty"),
    ],
    ids=lambda v: v.__name__.strip("_") if callable(v) else "",
)
def test_the_loader_rejects_a_malformed_quiz_file_with_a_clear_error(tmp_path, change, message):
    with pytest.raises(ContentError, match=re.escape(message)) as error:
        _load(tmp_path, _broken(change))
    assert "quiz.yaml" in str(error.value), "the error names the file"


def _no_verdict(d):
    d["questions"][0]["verdict"] = "maybe"


def _no_belief(d):
    del d["questions"][0]["belief"]


def _no_reality(d):
    del d["questions"][0]["reality"]


def _no_statement(d):
    del d["questions"][0]["statement"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_no_verdict, "'verdict' must be 'fact' or 'myth'"),
        (_no_belief, "'belief' must be non-empty"),
        (_no_reality, "'reality' must be non-empty"),
        (_no_statement, "'statement' must be non-empty"),
    ],
    ids=lambda v: v.__name__.strip("_") if callable(v) else "",
)
def test_the_loader_rejects_a_malformed_fact_or_myth_statement(tmp_path, change, message):
    with pytest.raises(ContentError, match=re.escape(message)):
        _load(tmp_path, _broken(change, VALID_MYTHS), kind="myth")


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


def test_a_scenario_the_engine_has_announced_is_accepted_before_it_lands(tmp_path):
    data = _broken(lambda d: d["questions"][0].update(scenario="outbox"))
    quiz = _load(tmp_path, data, frozenset({"ordering", "fan-out"}))
    assert quiz.questions[0].scenario == "outbox"


def test_a_number_question_needs_a_number_and_a_unit(tmp_path):
    number = {
        "id": "how-many",
        "step": 4,
        "prompt": "How many?",
        "answer": 1200,
        "tolerance": 0,
        "unit": "messages",
        "explanation": "Because.",
        "why_it_matters": "It does.",
    }
    data = {"title": "T", "intro": "I", "questions": [number]}
    quiz = load_quiz("assessment", _write(tmp_path, data), "assessment")
    assert quiz.questions[0].grade_number(Decimal(1200))
    assert not quiz.questions[0].grade_number(Decimal(1201))
    for change, message in [
        ({"answer": "lots"}, "'answer' must be a number"),
        ({"tolerance": -1}, "'tolerance' cannot be negative"),
        ({"unit": ""}, "'unit' must be non-empty"),
    ]:
        broken = {**data, "questions": [{**number, **change}]}
        with pytest.raises(ContentError, match=re.escape(message)):
            load_quiz("assessment", _write(tmp_path, broken), "assessment")
    with pytest.raises(ContentError, match="cannot be of the number format"):
        load_quiz("pitfalls", _write(tmp_path, data), "pitfall")


def test_a_prediction_must_name_its_step_and_steps_ask_only_once(tmp_path):
    raw = yaml.safe_load((QUIZ_DIR / "predictions.yaml").read_text())
    no_step = copy.deepcopy(raw)
    del no_step["questions"][0]["step"]
    with pytest.raises(ContentError, match="'step' must name the lesson step"):
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


def test_an_exercise_without_parts_or_a_step_is_rejected(tmp_path):
    exercise = {"id": "e", "step": 2, "title": "T", "setting": "S", "marking": "M"}
    with pytest.raises(ContentError, match="needs a 'parts' list"):
        load_exercises(_write(tmp_path, {"title": "T", "intro": "I", "exercises": [exercise]}))
    parts = {**exercise, "parts": [{"ask": "Q?", "answer": "A."}], "step": 0}
    with pytest.raises(ContentError, match="'step' must name the lesson step"):
        load_exercises(_write(tmp_path, {"title": "T", "intro": "I", "exercises": [parts]}))


# ----- attempts and grading -------------------------------------------------------------------

MYTH_KEYS = [f"myths/{q.id}" for q in QUIZZES["myths"].questions]
PITFALL_KEYS = [f"pitfalls/{q.id}" for q in QUIZZES["pitfalls"].questions]


def _question(key):
    slug, _, qid = key.partition("/")
    return (ASSESSMENT if slug == "assessment" else QUIZZES[slug]).question(qid)


def _right(key):
    return _question(key).correct_choice.id


def _wrong(key):
    return next(c.id for c in _question(key).choices if not c.correct)


@pytest.fixture
def learner(db):
    return Learner.objects.create()


def test_a_first_attempt_keeps_the_authored_question_order(learner):
    attempt = attempt_start(learner=learner, quiz="myths")
    assert attempt.number == 1
    assert attempt.question_keys == MYTH_KEYS


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_a_retake_never_repeats_the_previous_question_order(learner, seed):
    first = attempt_start(learner=learner, quiz="pitfalls")
    second = attempt_start(learner=learner, quiz="pitfalls", seed=seed)
    third = attempt_start(learner=learner, quiz="pitfalls", seed=seed)
    assert (first.number, second.number, third.number) == (1, 2, 3)
    assert second.question_keys != first.question_keys
    assert third.question_keys != second.question_keys
    assert sorted(second.question_keys) == sorted(PITFALL_KEYS)


def test_the_assessment_keeps_the_lessons_question_order_on_every_attempt(learner):
    keys = [f"assessment/{q.id}" for q in ASSESSMENT.questions]
    for _ in range(3):
        assert attempt_start(learner=learner, quiz="assessment").question_keys == keys


def test_every_attempt_is_kept(learner):
    for _ in range(3):
        attempt_start(learner=learner, quiz="myths")
    assert list(QuizAttempt.objects.filter(learner=learner).values_list("number", flat=True)) == [
        1,
        2,
        3,
    ]


def _shown(attempt, key):
    return [c.id for c in attempt_choices(attempt, _question(key))]


def test_choices_are_shuffled_on_every_attempt_the_first_included(db):
    authored = {k: [c.id for c in _question(k).choices] for k in PITFALL_KEYS}
    firsts = [attempt_start(learner=Learner.objects.create(), quiz="pitfalls") for _ in range(8)]
    orders = [{k: _shown(a, k) for k in PITFALL_KEYS} for a in firsts]
    assert any(order != authored for order in orders), "eight first attempts kept the file's order"
    assert len({str(order) for order in orders}) > 1, "every learner saw the same order"
    for order in orders:
        assert {k: sorted(v) for k, v in order.items()} == {
            k: sorted(v) for k, v in authored.items()
        }


def test_an_attempt_shows_its_choices_in_the_same_order_on_every_reload(learner):
    attempt = attempt_start(learner=learner, quiz="pitfalls")
    before = {k: _shown(attempt, k) for k in PITFALL_KEYS}
    reloaded = QuizAttempt.objects.get(pk=attempt.pk)  # another request, another process
    assert {k: _shown(reloaded, k) for k in PITFALL_KEYS} == before
    retake = attempt_start(learner=learner, quiz="pitfalls")
    assert {k: _shown(retake, k) for k in PITFALL_KEYS} != before


def test_the_shuffle_is_seeded_by_the_attempt_id_not_by_chance():
    question = _question(PITFALL_KEYS[0])
    random.seed(1)
    one = [c.id for c in choice_order(question, "attempt-41")]
    random.seed(2)
    assert [c.id for c in choice_order(question, "attempt-41")] == one
    assert [c.id for c in choice_order(question, None)] == [c.id for c in question.choices]


def test_fact_or_myth_buttons_keep_their_order(db):
    for _ in range(5):
        attempt = attempt_start(learner=Learner.objects.create(), quiz="myths")
        assert {tuple(_shown(attempt, k)) for k in MYTH_KEYS} == {("fact", "myth")}


def test_the_right_answer_lands_on_each_position_about_equally_often_over_attempts(db):
    """The shuffle is uniform: over many attempts no position gives the answer away."""
    question = _question(PITFALL_KEYS[0])
    n = len(question.choices)
    runs = 2000
    counts = [0] * n
    for attempt_id in range(runs):
        shown = choice_order(question, f"attempt-{attempt_id}")
        counts[next(i for i, c in enumerate(shown) if c.correct)] += 1
    assert all(abs(count / runs - 1 / n) < 0.04 for count in counts), counts


def test_a_learner_sees_a_predictions_choices_in_one_order_and_others_in_their_own(db):
    question = PREDICTIONS[4]
    learners = [Learner.objects.create() for _ in range(8)]
    orders = [
        tuple(c.id for c in prediction_choices(learner=lr, question=question)) for lr in learners
    ]
    assert len(set(orders)) > 1
    again = tuple(c.id for c in prediction_choices(learner=learners[0], question=question))
    assert again == orders[0]
    authored = [c.id for c in prediction_choices(learner=None, question=question)]
    assert authored == [c.id for c in question.choices]


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
    assert answer_spread(answers[-1], list(PREDICTIONS[3].choices)) is None


def test_what_others_answered_shows_every_choices_share_in_the_order_shown(db):
    choices = ["publish-succeeds"] * 3 + ["publish-fails"] * 1 + ["publish-lost"] * 1
    choices += ["publish-succeeds"] * max(0, MIN_ANSWERS_FOR_SHARE - len(choices))
    answers = _learners_answer(choices)
    total = len(choices)
    shown = list(reversed(PREDICTIONS[3].choices))
    spread = answer_spread(answers[3], shown)
    assert spread is not None and spread.total == total
    assert [r.choice.id for r in spread.rows] == [c.id for c in shown]
    by_id = {r.choice.id: r for r in spread.rows}
    assert by_id["publish-succeeds"].percent == round(
        100 * choices.count("publish-succeeds") / total
    )
    assert by_id["publish-fails"].percent == round(100 / total)
    assert by_id["publish-waits"].count == 0 and by_id["publish-waits"].percent == 0
    assert [r.choice.id for r in spread.rows if r.yours] == ["publish-fails"]


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
    choices = list(_question(key).choices)
    first = {r.choice.id: r.percent for r in answer_spread(firsts[0], choices).rows}
    assert first == {_wrong(key): 100, _right(key): 0}
    spread = answer_spread(later, choices)
    assert spread.total == MIN_ANSWERS_FOR_SHARE
    assert [r.choice.id for r in spread.rows if r.yours] == [_right(key)]


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
    assert result.rows[0].chosen_text == _question(MYTH_KEYS[2]).choice(_wrong(MYTH_KEYS[2])).text


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
        answer_commit(
            learner=who, attempt=attempt, key=MYTH_KEYS[0], choice_id=_right(MYTH_KEYS[0])
        )
        prediction_commit(
            learner=who, question=PREDICTIONS[5], choice_id=PREDICTIONS[5].correct_choice.id
        )
    progress_reset(learner=learner)
    assert not Learner.objects.filter(pk=learner.pk).exists()
    assert not QuizAttempt.objects.filter(learner_id=learner.pk).exists()
    assert not Answer.objects.filter(learner_id=learner.pk).exists()
    assert Answer.objects.filter(learner=other).count() == 2, "other learners keep their answers"


# ----- the final assessment -------------------------------------------------------------------

ASSESSMENT_KEYS = [f"assessment/{q.id}" for q in ASSESSMENT.questions]
NUMBER_KEY = next(k for k in ASSESSMENT_KEYS if _question(k).format == "number")


def _answer_assessment(learner, attempt, wrong=()):
    for key in attempt.question_keys:
        question = _question(key)
        if question.format == "number":
            value = question.answer + (question.tolerance + 1 if key in wrong else 0)
            answer_commit(learner=learner, attempt=attempt, key=key, number=value)
        else:
            choice = _wrong(key) if key in wrong else _right(key)
            answer_commit(learner=learner, attempt=attempt, key=key, choice_id=choice)


def test_a_typed_number_is_right_within_the_tolerance_and_wrong_outside_it(db):
    question = _question(NUMBER_KEY)
    for value, right in [
        (question.answer, True),
        (question.answer + question.tolerance, True),
        (question.answer - question.tolerance - Decimal("0.01"), False),
    ]:
        learner = Learner.objects.create()
        attempt = attempt_start(learner=learner, quiz="assessment")
        answer = answer_commit(
            learner=learner, attempt=attempt, key=NUMBER_KEY, number=value
        ).answer
        assert (answer.correct, answer.number, answer.choice_id) == (right, value, "")


def test_a_number_question_refuses_a_choice_and_a_choice_question_refuses_a_number(learner):
    attempt = attempt_start(learner=learner, quiz="assessment")
    choice_key = next(k for k in ASSESSMENT_KEYS if _question(k).format == "choice")
    with pytest.raises(AnswerRejected):
        answer_commit(learner=learner, attempt=attempt, key=NUMBER_KEY, choice_id="anything")
    with pytest.raises(AnswerRejected):
        answer_commit(learner=learner, attempt=attempt, key=choice_key, number=Decimal(3))
    assert not Answer.objects.exists()


def test_assessment_results_keep_the_lessons_order_and_tally_each_step(learner):
    attempt = attempt_start(learner=learner, quiz="assessment")
    wrong = {ASSESSMENT_KEYS[1], NUMBER_KEY}
    _answer_assessment(learner, attempt, wrong=wrong)
    result = attempt_result(attempt)
    assert [r.key for r in result.rows] == ASSESSMENT_KEYS
    assert result.complete and result.score == len(ASSESSMENT_KEYS) - len(wrong)
    missed_steps = {_question(k).step for k in wrong}
    assert set(result.steps_to_reread) == missed_steps
    assert sum(t.total for t in result.by_step) == len(ASSESSMENT_KEYS)
    row = next(r for r in result.rows if r.key == NUMBER_KEY)
    question = _question(NUMBER_KEY)
    assert (
        row.chosen_text
        == f"{format_number(question.answer + question.tolerance + 1)} {question.unit}"
    )


def test_assessment_answers_do_not_come_back_for_review(learner):
    attempt = attempt_start(learner=learner, quiz="assessment")
    _answer_assessment(learner, attempt, wrong=set(ASSESSMENT_KEYS))
    assert review_due(learner=learner) == []


def test_quiz_scores_include_the_assessment(learner):
    attempt = attempt_start(learner=learner, quiz="assessment")
    _answer_assessment(learner, attempt, wrong={ASSESSMENT_KEYS[0]})
    scores = {s.quiz.slug: s for s in quiz_scores(learner=learner)}
    assert list(scores) == ["myths", "pitfalls", "assessment"]
    assert scores["assessment"].best == len(ASSESSMENT_KEYS) - 1


def test_answers_naming_a_choice_the_question_no_longer_has_are_left_out_of_the_spread(db):
    # Before the myths became fact-or-myth statements they were answered "yes" or "no".
    key = MYTH_KEYS[0]
    question = _question(key)
    for choice in ["yes"] * 3 + [_right(key)] * MIN_ANSWERS_FOR_SHARE:
        learner = Learner.objects.create()
        attempt = attempt_start(learner=learner, quiz="myths")
        Answer.objects.create(
            learner=learner, attempt=attempt, quiz="myths", question_id=question.id,
            choice_id=choice, correct=False,
        )  # fmt: skip
    latest = Answer.objects.filter(choice_id=_right(key)).last()
    spread = answer_spread(latest, list(question.choices))
    assert spread.total == MIN_ANSWERS_FOR_SHARE
    assert sum(r.percent for r in spread.rows) == 100


def test_the_site_refuses_to_start_on_broken_quiz_content(monkeypatch):
    from lessons import checks, quizzes

    assert checks.quiz_content_check(None) == []

    def broken():
        raise ContentError("myths.yaml [x]: 'verdict' must be 'fact' or 'myth'")

    monkeypatch.setattr(quizzes, "get_assessment", broken)
    errors = checks.quiz_content_check(None)
    assert [e.id for e in errors] == ["lessons.E002"] and "'verdict'" in errors[0].msg

"""The class page's figures, read from the lessons app's models for the class's students only."""

from decimal import Decimal

import pytest

from classroom.selectors import answer_spread, roster
from classroom.services import class_create, class_join
from lessons.answers import answer_commit, attempt_start, prediction_commit
from lessons.models import Learner
from lessons.progress import step_set_done
from lessons.quizzes import get_assessment, get_predictions, quiz_get

pytestmark = pytest.mark.django_db


def test_a_roster_row_counts_steps_predictions_scores_and_confident_misses():
    classroom = class_create(name="11B").classroom
    learner = Learner.objects.create()
    step_set_done(learner=learner, step=1, done=True)
    step_set_done(learner=learner, step=2, done=True)
    prediction = next(iter(get_predictions().values()))
    prediction_commit(learner=learner, question=prediction, choice_id=prediction.choices[0].id)
    myths = quiz_get("myths")
    attempt = attempt_start(learner=learner, quiz="myths")
    first, second = (myths.question(k.split("/")[1]) for k in attempt.question_keys[:2])
    wrong = next(c for c in first.choices if not c.correct)
    answer_commit(
        learner=learner,
        attempt=attempt,
        key=f"myths/{first.id}",
        choice_id=wrong.id,
        confidence="sure",
    )
    answer_commit(
        learner=learner,
        attempt=attempt,
        key=f"myths/{second.id}",
        choice_id=second.correct_choice.id,
        confidence="guess",
    )
    class_join(learner=learner, code=classroom.join_code, nickname="Ana")
    Learner.objects.create()  # not in the class

    result = roster(classroom=classroom)
    (row,) = result.rows
    assert (row.nickname, row.steps_done, row.predictions, row.confident_misses) == ("Ana", 2, 1, 1)
    myths_cell = next(c for c in row.quizzes if c.slug == "myths")
    assert myths_cell.text == f"1/{len(myths.questions)} so far"
    assert next(c for c in row.quizzes if c.slug == "assessment").text == ""
    assert row.last_active is not None
    assert result.step_total == 9 and result.prediction_total == len(get_predictions())


def test_a_typed_number_question_spreads_as_right_or_another_number():
    classroom = class_create(name="11B").classroom
    question = next(q for q in get_assessment().questions if q.format == "number")
    for n, value in enumerate([question.answer, question.answer + 1000, question.answer]):
        learner = Learner.objects.create()
        class_join(learner=learner, code=classroom.join_code, nickname=f"S{n}")
        attempt = attempt_start(learner=learner, quiz="assessment")
        answer_commit(
            learner=learner,
            attempt=attempt,
            key=f"assessment/{question.id}",
            number=Decimal(value),
            confidence="sure",
        )
    (spread,) = answer_spread(classroom=classroom)
    assert (spread.answered, spread.wrong, spread.confident_misses) == (3, 1, 1)
    assert [(s.correct, s.count, s.percent) for s in spread.shares] == [
        (True, 2, 67),
        (False, 1, 33),
    ]
    assert spread.shares[0].text.startswith(question.correct_text)


def test_a_retake_replaces_the_earlier_answer_in_the_spread():
    classroom = class_create(name="11B").classroom
    learner = Learner.objects.create()
    class_join(learner=learner, code=classroom.join_code, nickname="Ana")
    question = quiz_get("myths").questions[0]
    wrong = next(c for c in question.choices if not c.correct)
    for choice in [wrong, question.correct_choice]:
        attempt = attempt_start(learner=learner, quiz="myths")
        answer_commit(
            learner=learner,
            attempt=attempt,
            key=f"myths/{question.id}",
            choice_id=choice.id,
            confidence="sure",
        )
    (spread,) = answer_spread(classroom=classroom)
    assert (spread.answered, spread.wrong) == (1, 0)
    assert roster(classroom=classroom).rows[0].confident_misses == 0

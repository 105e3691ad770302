"""Services for quizzes and predictions: start attempts, commit answers, summarise results.

Views translate HTTP into calls of these functions; all the rules live here.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Count

from lessons.content import get_step
from lessons.models import Answer, Learner, QuizAttempt
from lessons.quizzes import (
    ASSESSMENT,
    NUMBER,
    Choice,
    Question,
    Quiz,
    choice_order,
    format_number,
    get_assessment,
    get_predictions,
    get_quizzes,
    quiz_get,
)

MIN_ANSWERS_FOR_SHARE = 5  # below this many learners, "what others answered" stays hidden
REVIEW_SIZE = 5  # questions in one review round
REVIEW = "review"


class AnswerRejected(ValueError):
    """The submitted answer names a question or choice that is not on offer here."""


def question_for_key(key: str) -> tuple[Quiz, Question]:
    """``"myths/async-means-instant"`` -> (the myths quiz, that question)."""
    slug, _, qid = key.partition("/")
    quiz = quiz_get(slug)
    question = quiz.question(qid) if quiz else None
    if question is None:
        raise KeyError(key)
    return quiz, question


def _known(key: str) -> bool:
    try:
        question_for_key(key)
    except KeyError:
        return False
    return True


@dataclass(frozen=True)
class Committed:
    """The result of committing an answer."""

    answer: Answer
    duplicate: bool  # true when the question was already answered: the first answer counts


# ----- attempts -------------------------------------------------------------------------------


def attempt_start(*, learner: Learner, quiz: str, seed: int | None = None) -> QuizAttempt:
    """Start a new attempt. The first keeps the authored question order; retakes shuffle it.

    A retake never repeats the previous attempt's order (where more than one order exists),
    except for a quiz that keeps its order on purpose (the assessment follows the lesson).
    Choices are shuffled on every attempt, the first included, from the attempt's id.
    """
    rng = random.Random(seed)
    if quiz == REVIEW:
        keys = review_due(learner=learner)[:REVIEW_SIZE]
        if not keys:
            raise AnswerRejected("Nothing is waiting for review.")
        reshuffle = True
    else:
        quiz_obj = quiz_get(quiz)
        if quiz_obj is None:
            raise KeyError(quiz)
        keys = [f"{quiz}/{q.id}" for q in quiz_obj.questions]
        reshuffle = quiz_obj.reshuffle_retakes
    previous = QuizAttempt.objects.filter(learner=learner, quiz=quiz).order_by("-number").first()
    if previous is not None and reshuffle and len(keys) > 1:
        while keys == previous.question_keys:
            rng.shuffle(keys)
    number = previous.number + 1 if previous else 1
    try:
        with transaction.atomic():
            return QuizAttempt.objects.create(
                learner=learner, quiz=quiz, number=number, question_keys=keys
            )
    except IntegrityError:  # a double submit started this attempt a moment ago: use it
        return QuizAttempt.objects.get(learner=learner, quiz=quiz, number=number)


def attempt_choices(attempt: QuizAttempt, question: Question) -> list[Choice]:
    """The question's choices in the order this attempt shows them (stable across reloads)."""
    return choice_order(question, f"attempt-{attempt.pk}")


def prediction_choices(*, learner: Learner | None, question: Question) -> list[Choice]:
    """A step's prediction choices in the order this learner sees them (stable for them)."""
    return choice_order(question, f"learner-{learner.pk}" if learner else None)


def attempt_latest(*, learner: Learner | None, quiz: str) -> QuizAttempt | None:
    if learner is None:
        return None
    return QuizAttempt.objects.filter(learner=learner, quiz=quiz).order_by("-number").first()


def attempt_answers(attempt: QuizAttempt) -> dict[str, Answer]:
    """The attempt's answers by question key."""
    return {f"{a.quiz}/{a.question_id}": a for a in attempt.answers.all()}


def attempt_next_position(attempt: QuizAttempt) -> int | None:
    """1-based position of the first unanswered question, or None when all are answered."""
    answered = attempt_answers(attempt)
    for position, key in enumerate(attempt.question_keys, start=1):
        if key not in answered:
            return position
    return None


# ----- committing answers ---------------------------------------------------------------------


def answer_commit(
    *,
    learner: Learner,
    attempt: QuizAttempt,
    key: str,
    choice_id: str = "",
    number: Decimal | None = None,
    confidence: str = "",
) -> Committed:
    """Commit an answer in an attempt. A second answer to the same question changes nothing.

    A choice question takes ``choice_id``; a typed-number question takes ``number``.
    """
    if key not in attempt.question_keys:
        raise AnswerRejected("That question is not part of this quiz attempt.")
    quiz, question = question_for_key(key)
    if question.format == NUMBER:
        if number is None:
            raise AnswerRejected("This question needs a number as its answer.")
        fields = {"choice_id": "", "number": number, "correct": question.grade_number(number)}
    else:
        choice = question.choice(choice_id)
        if choice is None:
            raise AnswerRejected("That choice is not one of this question's answers.")
        fields = {"choice_id": choice.id, "correct": choice.correct}
    existing = attempt.answers.filter(quiz=quiz.slug, question_id=question.id).first()
    if existing is not None:
        return Committed(answer=existing, duplicate=True)
    try:
        with transaction.atomic():
            answer = Answer.objects.create(
                learner=learner,
                attempt=attempt,
                quiz=quiz.slug,
                question_id=question.id,
                confidence=confidence,
                **fields,
            )
    except IntegrityError:  # a double submit raced us: the first one counts
        answer = attempt.answers.get(quiz=quiz.slug, question_id=question.id)
        return Committed(answer=answer, duplicate=True)
    return Committed(answer=answer, duplicate=False)


def prediction_commit(*, learner: Learner, question: Question, choice_id: str) -> Committed:
    """Commit a step's prediction. Only the first one counts."""
    choice = question.choice(choice_id)
    if choice is None:
        raise AnswerRejected("That choice is not one of this prediction's answers.")
    existing = prediction_get(learner=learner, question=question)
    if existing is not None:
        return Committed(answer=existing, duplicate=True)
    try:
        with transaction.atomic():
            answer = Answer.objects.create(
                learner=learner,
                quiz="predictions",
                question_id=question.id,
                choice_id=choice.id,
                correct=choice.correct,
            )
    except IntegrityError:
        return Committed(answer=prediction_get(learner=learner, question=question), duplicate=True)
    return Committed(answer=answer, duplicate=False)


def prediction_get(*, learner: Learner | None, question: Question) -> Answer | None:
    if learner is None:
        return None
    return Answer.objects.filter(
        learner=learner, quiz="predictions", question_id=question.id, attempt=None
    ).first()


# ----- what others answered -------------------------------------------------------------------


@dataclass(frozen=True)
class SpreadRow:
    choice: Choice
    count: int
    percent: int
    yours: bool


@dataclass(frozen=True)
class Spread:
    """How learners answered a question on their first go, choice by choice."""

    rows: tuple[SpreadRow, ...]
    total: int


def answer_spread(answer: Answer, choices: list[Choice]) -> Spread | None:
    """Every choice's share of learners' first answers, or None below the minimum.

    ``choices`` gives the order to list them in (the order the learner saw). First answers are
    those of first attempts (and the one answer each learner gives to a step's prediction), so
    retakes, after the reveal, do not pull the figures towards the right answer.
    """
    first_answers = Answer.objects.filter(quiz=answer.quiz, question_id=answer.question_id)
    if answer.quiz == "predictions":
        first_answers = first_answers.filter(attempt=None)
    else:
        first_answers = first_answers.filter(attempt__number=1, attempt__quiz=answer.quiz)
    counts = dict(
        first_answers.filter(choice_id__in=[c.id for c in choices])  # not choices since removed
        .values_list("choice_id")
        .annotate(n=Count("id"))
        .values_list("choice_id", "n")
    )
    total = sum(counts.values())
    if total < MIN_ANSWERS_FOR_SHARE:
        return None
    return Spread(
        rows=tuple(
            SpreadRow(
                choice=c,
                count=counts.get(c.id, 0),
                percent=round(100 * counts.get(c.id, 0) / total),
                yours=c.id == answer.choice_id,
            )
            for c in choices
        ),
        total=total,
    )


# ----- results and review ---------------------------------------------------------------------


@dataclass(frozen=True)
class ResultRow:
    key: str
    question: Question
    answer: Answer | None

    @property
    def confident_miss(self) -> bool:
        return bool(self.answer and not self.answer.correct and self.answer.confidence == "sure")

    @property
    def chosen_text(self) -> str:
        return answer_text(self.question, self.answer)


@dataclass(frozen=True)
class AttemptResult:
    attempt: QuizAttempt
    rows: tuple[ResultRow, ...]  # confident misses first, then other misses, then right answers

    @property
    def score(self) -> int:
        return sum(1 for r in self.rows if r.answer and r.answer.correct)

    @property
    def total(self) -> int:
        return len(self.rows)

    @property
    def answered(self) -> int:
        return sum(1 for r in self.rows if r.answer)

    @property
    def complete(self) -> bool:
        return self.answered == self.total

    @property
    def confident_misses(self) -> int:
        return sum(r.confident_miss for r in self.rows)

    @property
    def percent(self) -> int:
        return round(100 * self.score / self.total) if self.total else 0

    @property
    def by_step(self) -> tuple[StepTally, ...]:
        """Right answers per lesson step, in step order (for "steps to reread")."""
        tallies: dict[int, list[int]] = {}
        for row in self.rows:
            tally = tallies.setdefault(row.question.step, [0, 0])
            tally[0] += bool(row.answer and row.answer.correct)
            tally[1] += 1
        return tuple(StepTally(step, r, t) for step, (r, t) in sorted(tallies.items()))

    @property
    def steps_to_reread(self) -> tuple[int, ...]:
        return tuple(t.step for t in self.by_step if t.right < t.total)


def answer_text(question: Question, answer: Answer | None) -> str:
    """What the learner answered, as they would read it ("Myth", "1,200 messages", ...)."""
    if answer is None:
        return ""
    if question.format == NUMBER:
        return f"{format_number(answer.number)} {question.unit}".strip()
    choice = question.choice(answer.choice_id)
    return choice.text if choice else answer.choice_id


@dataclass(frozen=True)
class StepTally:
    step: int
    right: int
    total: int

    @property
    def title(self) -> str:
        step = get_step(self.step)
        return step.title if step else ""


def attempt_result(attempt: QuizAttempt) -> AttemptResult:
    """The attempt's rows: misses first for quizzes; the assessment keeps the lesson's order."""
    answers = attempt_answers(attempt)
    rows = [
        ResultRow(key=key, question=question_for_key(key)[1], answer=answers.get(key))
        for key in attempt.question_keys
        if _known(key)  # a question removed from the content since is skipped
    ]
    if attempt.quiz == ASSESSMENT:
        return AttemptResult(attempt=attempt, rows=tuple(rows))
    rank = {
        id(r): (0 if r.confident_miss else 1 if r.answer and not r.answer.correct else 2)
        for r in rows
    }
    rows.sort(key=lambda r: rank[id(r)])
    return AttemptResult(attempt=attempt, rows=tuple(rows))


def review_due(*, learner: Learner | None) -> list[str]:
    """Quiz questions whose latest answer was wrong: they come back until answered right."""
    if learner is None:
        return []
    latest: dict[str, bool] = {}
    for a in (
        Answer.objects.filter(learner=learner)
        .exclude(quiz__in=["predictions", ASSESSMENT])  # the assessment is not practice
        .order_by("answered_at", "id")
    ):
        latest[f"{a.quiz}/{a.question_id}"] = a.correct
    valid = {f"{slug}/{q.id}" for slug, quiz in get_quizzes().items() for q in quiz.questions}
    return [key for key, correct in latest.items() if not correct and key in valid]


@dataclass(frozen=True)
class QuizScore:
    quiz: Quiz
    attempts: int
    latest: AttemptResult | None
    best: int | None


def quiz_scores(*, learner: Learner | None) -> list[QuizScore]:
    """Each quiz's (and the assessment's) latest and best complete score, for the progress page,
    the recap, the home page and the quiz index."""
    scores = []
    for slug, quiz in [*get_quizzes().items(), (ASSESSMENT, get_assessment())]:
        attempts = (
            list(QuizAttempt.objects.filter(learner=learner, quiz=slug).prefetch_related("answers"))
            if learner
            else []
        )
        results = [attempt_result(a) for a in attempts]
        complete = [r.score for r in results if r.complete]
        scores.append(
            QuizScore(
                quiz=quiz,
                attempts=len(attempts),
                latest=results[-1] if results else None,
                best=max(complete) if complete else None,
            )
        )
    return scores


@dataclass(frozen=True)
class PredictionRecord:
    question: Question
    answer: Answer | None


def prediction_records(*, learner: Learner | None) -> list[PredictionRecord]:
    answers = (
        {a.question_id: a for a in Answer.objects.filter(learner=learner, quiz="predictions")}
        if learner
        else {}
    )
    return [
        PredictionRecord(question=q, answer=answers.get(q.id))
        for _, q in sorted(get_predictions().items())
    ]


def progress_reset(*, learner: Learner) -> None:
    """Forget everything this learner did: steps, predictions, quiz attempts."""
    learner.delete()  # cascades to their steps, attempts and answers

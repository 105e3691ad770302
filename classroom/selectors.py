"""What a class's pages read: the class behind a teacher key, a student's memberships, the
roster and the spread of answers. Read-only; every figure comes from the lessons app's models
(steps, attempts, answers) of the learners in the class, in a handful of queries per page.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Max, Q

from classroom.models import Classroom, Membership
from classroom.services import join_code_normalise, teacher_key_hash
from lessons.answers import attempt_result
from lessons.content import get_steps
from lessons.models import Answer, Learner, QuizAttempt, StepProgress
from lessons.quizzes import (
    ASSESSMENT,
    NUMBER,
    Question,
    format_number,
    get_assessment,
    get_prediction,
    get_predictions,
    get_quizzes,
    quiz_get,
)

PREDICTIONS = "predictions"
TEACHER_KEY_MAX = 64  # token_urlsafe(32) is 43 characters; anything much longer is not a key


def classroom_for_key(*, key: str) -> Classroom | None:
    """The class this teacher key manages, or None (a wrong, old or made-up key)."""
    if not key or len(key) > TEACHER_KEY_MAX:
        return None
    return Classroom.objects.filter(teacher_key_hash=teacher_key_hash(key)).first()


def classroom_for_code(*, code: str) -> Classroom | None:
    return Classroom.objects.filter(join_code=join_code_normalise(code)).first()


def membership_get(*, learner: Learner | None, classroom: Classroom) -> Membership | None:
    if learner is None:
        return None
    return Membership.objects.filter(classroom=classroom, learner=learner).first()


def memberships_for(*, learner: Learner | None) -> list[Membership]:
    """The classes this learner is in, newest first."""
    if learner is None:
        return []
    return list(
        Membership.objects.filter(learner=learner).select_related("classroom").order_by("-pk")
    )


# ----- roster ----------------------------------------------------------------------------------


def _scored_quizzes() -> list[tuple[str, str]]:
    """(slug, title) of every quiz with a score, the assessment last."""
    return [(slug, quiz.title) for slug, quiz in get_quizzes().items()] + [
        (ASSESSMENT, get_assessment().title)
    ]


@dataclass(frozen=True)
class QuizCell:
    slug: str
    title: str
    score: int | None  # the latest attempt's right answers; None when never started
    total: int
    complete: bool

    @property
    def text(self) -> str:
        if self.score is None:
            return ""
        return f"{self.score}/{self.total}" + ("" if self.complete else " so far")


@dataclass(frozen=True)
class RosterRow:
    nickname: str
    joined_at: datetime
    steps_done: int
    predictions: int
    quizzes: tuple[QuizCell, ...]
    confident_misses: int  # questions whose latest answer was wrong and marked "I'm sure"
    last_active: datetime | None


@dataclass(frozen=True)
class Roster:
    rows: tuple[RosterRow, ...]
    step_total: int
    prediction_total: int
    quiz_titles: tuple[str, ...]


def _latest_answers(learner_ids: list) -> dict[tuple, Answer]:
    """Each learner's latest answer to each question, keyed by (learner id, "quiz/question")."""
    latest: dict[tuple, Answer] = {}
    for answer in Answer.objects.filter(learner_id__in=learner_ids).order_by("answered_at", "id"):
        latest[(answer.learner_id, f"{answer.quiz}/{answer.question_id}")] = answer
    return latest


def roster(*, classroom: Classroom) -> Roster:
    """One row per student: steps done, predictions made, latest quiz scores, confident misses
    and when they were last active."""
    members = list(classroom.members.all())
    ids = [m.learner_id for m in members]
    steps = {
        row["learner_id"]: row
        for row in StepProgress.objects.filter(learner_id__in=ids)
        .values("learner_id")
        .annotate(
            done=Count("id", filter=Q(completed_at__isnull=False)), last=Max("last_visited_at")
        )
    }
    latest = _latest_answers(ids)
    attempts: dict[tuple, QuizAttempt] = {}
    for attempt in QuizAttempt.objects.filter(learner_id__in=ids).prefetch_related("answers"):
        slot = (attempt.learner_id, attempt.quiz)
        if slot not in attempts or attempt.number > attempts[slot].number:
            attempts[slot] = attempt
    per_learner: dict = defaultdict(list)
    for (learner_id, _key), answer in latest.items():
        per_learner[learner_id].append(answer)
    quizzes = _scored_quizzes()
    rows = []
    for member in members:
        answers = per_learner[member.learner_id]
        cells = []
        for slug, title in quizzes:
            attempt = attempts.get((member.learner_id, slug))
            result = attempt_result(attempt) if attempt else None
            cells.append(
                QuizCell(
                    slug=slug,
                    title=title,
                    score=result.score if result else None,
                    total=result.total if result else 0,
                    complete=result.complete if result else False,
                )
            )
        moments = [a.answered_at for a in answers]
        step_row = steps.get(member.learner_id)
        if step_row and step_row["last"]:
            moments.append(step_row["last"])
        moments += [a.started_at for (lid, _), a in attempts.items() if lid == member.learner_id]
        rows.append(
            RosterRow(
                nickname=member.nickname,
                joined_at=member.joined_at,
                steps_done=step_row["done"] if step_row else 0,
                predictions=sum(1 for a in answers if a.quiz == PREDICTIONS),
                quizzes=tuple(cells),
                confident_misses=sum(
                    1 for a in answers if not a.correct and a.confidence == "sure"
                ),
                last_active=max(moments) if moments else None,
            )
        )
    return Roster(
        rows=tuple(rows),
        step_total=len(get_steps()),
        prediction_total=len(get_predictions()),
        quiz_titles=tuple(title for _, title in quizzes),
    )


# ----- the spread of answers -------------------------------------------------------------------


@dataclass(frozen=True)
class Share:
    text: str
    correct: bool
    count: int
    percent: int


@dataclass(frozen=True)
class QuestionSpread:
    key: str  # "myths/async-means-instant", "predictions/step-3-..."
    question: Question
    source: str  # the quiz's title ("Fact or myth?"), or "Prediction" for a step's prediction
    answered: int  # students whose latest answer this is
    wrong: int
    confident_misses: int
    shares: tuple[Share, ...]

    @property
    def wrong_percent(self) -> int:
        return round(100 * self.wrong / self.answered) if self.answered else 0


def _question(key: str) -> tuple[Question, str] | None:
    slug, _, qid = key.partition("/")
    if slug == PREDICTIONS:
        question = get_prediction(qid)
        return (question, "Prediction") if question else None
    quiz = quiz_get(slug)
    question = quiz.question(qid) if quiz else None
    return (question, quiz.title) if question else None


def _shares(question: Question, answers: list[Answer]) -> tuple[Share, ...]:
    total = len(answers)

    def share(text: str, correct: bool, count: int) -> Share:
        return Share(text, correct, count, round(100 * count / total) if total else 0)

    if question.format == NUMBER:
        right = sum(a.correct for a in answers)
        tolerance = f" (±{format_number(question.tolerance)})" if question.tolerance else ""
        return (
            share(f"{question.correct_text}{tolerance}", True, right),
            share("Another number", False, total - right),
        )
    counts: dict[str, int] = defaultdict(int)
    for a in answers:
        counts[a.choice_id] += 1
    return tuple(share(c.text, c.correct, counts[c.id]) for c in question.choices)


def answer_spread(*, classroom: Classroom) -> tuple[QuestionSpread, ...]:
    """Every question someone in the class answered, with how the class answers it now (each
    student's latest answer). Confident misses first, then the most missed: the myths this
    class still believes lead the list."""
    ids = list(classroom.members.values_list("learner_id", flat=True))
    by_key: dict[str, list[Answer]] = defaultdict(list)
    for (_learner, key), answer in _latest_answers(ids).items():
        by_key[key].append(answer)
    spreads = []
    for key, answers in by_key.items():
        found = _question(key)
        if found is None:  # a question removed from the content since
            continue
        question, source = found
        spreads.append(
            QuestionSpread(
                key=key,
                question=question,
                source=source,
                answered=len(answers),
                wrong=sum(not a.correct for a in answers),
                confident_misses=sum(not a.correct and a.confidence == "sure" for a in answers),
                shares=_shares(question, answers),
            )
        )
    spreads.sort(key=lambda s: (-s.confident_misses, -s.wrong_percent, -s.wrong, s.key))
    return tuple(spreads)

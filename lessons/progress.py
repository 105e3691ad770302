"""Services for the anonymous learner's progress. Views call these; nothing else writes it."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from django.utils import timezone

from lessons.content import Step, get_steps
from lessons.models import Learner, StepProgress

SESSION_KEY = "learner_id"


def learner_get(request: HttpRequest, *, create: bool = False) -> Learner | None:
    """The learner behind this browser's session; made on first need when ``create``."""
    learner_id = request.session.get(SESSION_KEY)
    if learner_id:
        learner = Learner.objects.filter(pk=learner_id).first()
        if learner is not None:
            return learner
    if not create:
        return None
    learner = Learner.objects.create()
    request.session[SESSION_KEY] = str(learner.pk)
    return learner


def step_visit(*, learner: Learner, step: int) -> None:
    """Record that the learner opened a step (first and latest visit)."""
    now = timezone.now()
    updated = StepProgress.objects.filter(learner=learner, step=step).update(last_visited_at=now)
    if not updated:
        StepProgress.objects.get_or_create(
            learner=learner, step=step, defaults={"last_visited_at": now}
        )


def step_set_done(*, learner: Learner, step: int, done: bool) -> None:
    """Mark a step done (or not done again)."""
    now = timezone.now()
    row, _ = StepProgress.objects.get_or_create(
        learner=learner, step=step, defaults={"last_visited_at": now}
    )
    row.completed_at = now if done else None
    row.save(update_fields=["completed_at"])


@dataclass(frozen=True)
class StepState:
    step: Step
    visited: bool
    done: bool


@dataclass(frozen=True)
class LessonProgress:
    states: tuple[StepState, ...]
    resume: Step | None  # where "Continue" goes; None for a learner who has not started

    @property
    def done_count(self) -> int:
        return sum(s.done for s in self.states)

    @property
    def visited_count(self) -> int:
        return sum(s.visited for s in self.states)

    @property
    def total(self) -> int:
        return len(self.states)

    @property
    def started(self) -> bool:
        return self.visited_count > 0

    @property
    def finished(self) -> bool:
        return self.done_count == self.total

    @property
    def percent(self) -> int:
        return round(100 * self.done_count / self.total) if self.total else 0

    def state_for(self, number: int) -> StepState:
        return self.states[number - 1]


def lesson_progress(learner: Learner | None) -> LessonProgress:
    """Each step's visited/done state and the step to continue at.

    Continue goes to the step the learner last opened, unless they marked it done: then to
    the next step not yet done (wrapping to earlier gaps), or to the last step when all are.
    """
    steps = get_steps()
    rows = {r.step: r for r in StepProgress.objects.filter(learner=learner)} if learner else {}
    states = tuple(
        StepState(
            step=s,
            visited=s.number in rows,
            done=s.number in rows and rows[s.number].completed_at is not None,
        )
        for s in steps
    )
    resume = None
    if rows:
        last = max(rows.values(), key=lambda r: r.last_visited_at).step
        last = min(max(last, 1), len(steps))
        if not states[last - 1].done:
            resume = steps[last - 1]
        else:
            order = list(range(last, len(steps))) + list(range(0, last - 1))
            pending = [i for i in order if not states[i].done]
            resume = steps[pending[0]] if pending else steps[-1]
    return LessonProgress(states=states, resume=resume)

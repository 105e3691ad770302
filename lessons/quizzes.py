"""Quiz content: predictions, fact-or-myth statements, the pitfalls check, the final assessment and
the teachers' exercise sheet, loaded from YAML data files under ``lessons/content/quizzes/``.

Grading lives here too, as plain functions: the server decides what is right, the page never
holds an answer before the learner has committed to one.

Three formats of question exist:
- ``choice``: 3 or 4 options, one right; every wrong option names the misconception it stands for.
  Shown in an order shuffled per attempt (see :func:`choice_order`).
- ``verdict``: a statement to judge as fact or myth. The two buttons keep their order.
- ``number``: a typed number, right within a stated tolerance (final assessment only).
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path

import yaml

from lessons.content import CONTENT_DIR, ContentError
from lessons.models import CONFIDENCE_CHOICES  # re-exported for forms and views

__all__ = ["CONFIDENCE_CHOICES"]

QUIZ_DIR = CONTENT_DIR / "quizzes"
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
STEPS = range(1, 10)

# Scenarios the engine work has announced but may not have landed yet (see the lesson engineer's
# note). A question may name one; its "see it happen" link points at the lesson step until the
# playground has it.
PLANNED_SCENARIOS = frozenset({"outbox", "per-key-ordering", "ttl-and-retention", "backpressure"})

CHOICE, VERDICT, NUMBER = "choice", "verdict", "number"
FACT, MYTH = "fact", "myth"
VERDICT_LABELS = {FACT: "Fact", MYTH: "Myth"}

# Which formats each kind of question may use.
KIND_FORMATS = {
    "myth": {VERDICT},
    "pitfall": {CHOICE},
    "prediction": {CHOICE},
    "assessment": {CHOICE, VERDICT, NUMBER},
}


@dataclass(frozen=True, slots=True)
class Choice:
    id: str
    text: str
    correct: bool
    misconception: str = ""  # wrong options: the belief that makes someone pick it


@dataclass(frozen=True, slots=True)
class Question:
    """One question of any kind and format. Fields a kind does not use are empty."""

    id: str
    kind: str  # "prediction", "myth", "pitfall" or "assessment"
    format: str  # CHOICE, VERDICT or NUMBER
    prompt: str  # the question, or the statement to judge
    choices: tuple[Choice, ...]  # empty for NUMBER
    explanation: str  # the mechanism: why the right answer is right
    why_it_matters: str
    step: int  # the lesson step that teaches it
    scenario: str = ""  # a playground scenario that shows it, if there is one
    belief: str = ""  # verdicts: the misconception the statement states or contradicts
    reality: str = ""  # verdicts: what is actually true
    root_cause: str = ""  # pitfalls: why people fall into it
    answer: Decimal | None = None  # NUMBER: the right value
    tolerance: Decimal = Decimal(0)  # NUMBER: how far off still counts as right
    unit: str = ""  # NUMBER: "seconds", "messages", ...

    def _see_it(self) -> tuple[str, str]:
        from playground.catalog import scenario_names
        from playground.engine.experiments import experiment_for_myth

        exp = experiment_for_myth(self.id) if self.kind == "myth" else None
        if exp:
            return "experiment", f"/experiments/{exp.id}/"
        if self.scenario and self.scenario in scenario_names():
            return "scenario", f"/playground/{self.scenario}/"
        return "step", f"/steps/{self.step}/"

    @property
    def see_it_url(self) -> str:
        """Where "see it happen" leads: the myth's experiment, else its scenario, else its step."""
        return self._see_it()[1]

    @property
    def see_it_kind(self) -> str:
        """ "experiment", "scenario" or "step": how the "see it happen" link should read."""
        return self._see_it()[0]

    @property
    def see_it_elsewhere(self) -> bool:
        """False for a step's prediction whose only "see it" is that same step."""
        return not (self.kind == "prediction" and self.see_it_kind == "step")

    @property
    def correct_choice(self) -> Choice | None:
        return next((c for c in self.choices if c.correct), None)

    @property
    def correct_text(self) -> str:
        """The right answer as a learner reads it."""
        if self.format == NUMBER:
            return f"{format_number(self.answer)} {self.unit}".strip()
        return self.correct_choice.text

    @property
    def verdict(self) -> str:
        """FACT or MYTH for a verdict question, else ''."""
        return self.correct_choice.id if self.format == VERDICT else ""

    def choice(self, choice_id: str) -> Choice | None:
        return next((c for c in self.choices if c.id == choice_id), None)

    def grade_number(self, value: Decimal) -> bool:
        return abs(value - self.answer) <= self.tolerance


@dataclass(frozen=True, slots=True)
class Quiz:
    slug: str
    title: str
    intro: str
    kind: str
    questions: tuple[Question, ...]
    reveal_each: bool = True  # quizzes reveal after every answer; the assessment only at the end
    reshuffle_retakes: bool = True  # a retake asks the questions in a new order

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)


@dataclass(frozen=True, slots=True)
class Takeaway:
    title: str
    text: str


@dataclass(frozen=True, slots=True)
class ExercisePart:
    ask: str
    answer: str  # the model answer, for the key


@dataclass(frozen=True, slots=True)
class Exercise:
    id: str
    step: int
    title: str
    setting: str  # the situation the parts refer to
    parts: tuple[ExercisePart, ...]
    marking: str  # what a teacher should look for


@dataclass(frozen=True, slots=True)
class ExerciseSheet:
    title: str
    intro: str
    exercises: tuple[Exercise, ...]


# ----- small validators -----------------------------------------------------------------------


def _text(data: dict, key: str, where: str, required: bool = True) -> str:
    value = data.get(key, "")
    if not isinstance(value, str) or (required and not value.strip()):
        raise ContentError(f"{where}: '{key}' must be non-empty text")
    return " ".join(value.split())  # folded YAML keeps no stray line breaks


def _line(data: dict, key: str, where: str) -> str:
    """A one-line text (misconceptions: "say which, one line")."""
    raw = data.get(key, "")
    if not isinstance(raw, str) or not raw.strip() or "\n" in raw.strip():
        raise ContentError(f"{where}: '{key}' must be one line of text")
    return raw.strip()


def _step(data: dict, where: str) -> int:
    step = data.get("step")
    if not isinstance(step, int) or isinstance(step, bool) or step not in STEPS:
        raise ContentError(f"{where}: 'step' must name the lesson step (1-9) that teaches it")
    return step


def _decimal(value, where: str, key: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ContentError(f"{where}: '{key}' must be a number")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ContentError(f"{where}: '{key}' must be a number") from None
    if not number.is_finite():
        raise ContentError(f"{where}: '{key}' must be a number")
    return number


def format_number(value: Decimal | None) -> str:
    """1200 -> "1,200"; 2.50 -> "2.5"."""
    if value is None:
        return ""
    text = f"{value.normalize():,f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _choices(raw_choices, where: str) -> tuple[Choice, ...]:
    if not isinstance(raw_choices, list) or not 3 <= len(raw_choices) <= 4:
        raise ContentError(f"{where}: needs 3 or 4 choices")
    choices = []
    for raw in raw_choices:
        cid = str(raw.get("id", "")).strip() if isinstance(raw, dict) else ""
        if not SLUG_RE.match(cid):
            raise ContentError(f"{where}: every choice needs a lowercase-hyphenated id")
        correct = raw.get("correct", False)
        if not isinstance(correct, bool):
            raise ContentError(f"{where}: 'correct' must be true or false")
        if correct:
            if raw.get("misconception"):
                raise ContentError(f"{where} [{cid}]: the right choice names no misconception")
            misconception = ""
        else:
            misconception = _line(raw, "misconception", f"{where} [{cid}]")
        choices.append(Choice(cid, _text(raw, "text", where), correct, misconception))
    if len({c.id for c in choices}) != len(choices):
        raise ContentError(f"{where}: choice ids must be unique")
    if sum(c.correct for c in choices) != 1:
        raise ContentError(f"{where}: exactly one choice must be marked correct")
    return tuple(choices)


def _verdict_choices(data: dict, where: str) -> tuple[Choice, ...]:
    verdict = data.get("verdict")
    if verdict not in VERDICT_LABELS:
        raise ContentError(f"{where}: 'verdict' must be 'fact' or 'myth'")
    belief = _text(data, "belief", where)
    return tuple(
        Choice(v, label, v == verdict, "" if v == verdict else belief)
        for v, label in VERDICT_LABELS.items()
    )


def _format_of(data: dict) -> str:
    if "verdict" in data:
        return VERDICT
    if "answer" in data:
        return NUMBER
    return CHOICE


def _scenario(data: dict, where: str, scenarios: frozenset[str] | None) -> str:
    scenario = data.get("scenario", "")
    if scenario == "":
        return ""
    known = scenario in PLANNED_SCENARIOS or scenarios is None or scenario in scenarios
    if not isinstance(scenario, str) or not SLUG_RE.match(scenario) or not known:
        raise ContentError(f"{where}: scenario {scenario!r} is not a playground scenario")
    return scenario


def _question(data: dict, kind: str, where: str, scenarios: frozenset[str] | None) -> Question:
    if not isinstance(data, dict):
        raise ContentError(f"{where}: each question is a mapping")
    qid = _text(data, "id", where)
    where = f"{where} [{qid}]"
    if not SLUG_RE.match(qid):
        raise ContentError(f"{where}: id must be lowercase-hyphenated")
    fmt = _format_of(data)
    if fmt not in KIND_FORMATS[kind]:
        raise ContentError(f"{where}: a {kind} question cannot be of the {fmt} format")
    answer, tolerance, unit, choices = None, Decimal(0), "", ()
    if fmt == VERDICT:
        choices = _verdict_choices(data, where)
        prompt = _text(data, "statement", where)
    else:
        prompt = _text(data, "prompt", where)
    if fmt == CHOICE:
        choices = _choices(data.get("choices"), where)
    if fmt == NUMBER:
        answer = _decimal(data["answer"], where, "answer")
        tolerance = _decimal(data.get("tolerance", 0), where, "tolerance")
        if tolerance < 0:
            raise ContentError(f"{where}: 'tolerance' cannot be negative")
        unit = _text(data, "unit", where)
    return Question(
        id=qid,
        kind=kind,
        format=fmt,
        prompt=prompt,
        choices=choices,
        explanation=_text(data, "explanation", where),
        why_it_matters=_text(data, "why_it_matters", where),
        step=_step(data, where),
        scenario=_scenario(data, where, scenarios),
        belief=_text(data, "belief", where, required=fmt == VERDICT),
        reality=_text(data, "reality", where, required=fmt == VERDICT),
        root_cause=_text(data, "root_cause", where, required=kind == "pitfall"),
        answer=answer,
        tolerance=tolerance,
        unit=unit,
    )


# ----- loaders --------------------------------------------------------------------------------

QUIZ_FILES = {"myths": ("myths.yaml", "myth"), "pitfalls": ("pitfalls.yaml", "pitfall")}
ASSESSMENT = "assessment"
RESERVED_SLUGS = frozenset({"review", "exercises", ASSESSMENT})


def _questions(path: Path, kind: str, scenarios) -> tuple[dict, tuple[Question, ...]]:
    data = yaml.safe_load(path.read_text())
    if not isinstance(data, dict) or not isinstance(data.get("questions"), list):
        raise ContentError(f"{path.name}: needs a 'questions' list")
    questions = tuple(_question(q, kind, path.name, scenarios) for q in data["questions"])
    if len({q.id for q in questions}) != len(questions):
        raise ContentError(f"{path.name}: question ids must be unique")
    return data, questions


def load_quiz(slug: str, path: Path, kind: str, scenarios=None) -> Quiz:
    data, questions = _questions(path, kind, scenarios)
    is_assessment = kind == "assessment"
    return Quiz(
        slug=slug,
        title=_text(data, "title", path.name),
        intro=_text(data, "intro", path.name),
        kind=kind,
        questions=questions,
        reveal_each=not is_assessment,
        reshuffle_retakes=not is_assessment,  # the assessment follows the lesson's order
    )


def load_predictions(path: Path, scenarios=None) -> tuple[Question, ...]:
    _, questions = _questions(path, "prediction", scenarios)
    steps = [q.step for q in questions]
    if len(set(steps)) != len(steps):
        raise ContentError(f"{path.name}: at most one prediction per step")
    return questions


def load_takeaways(path: Path) -> tuple[Takeaway, ...]:
    data = yaml.safe_load(path.read_text())
    items = data.get("takeaways") if isinstance(data, dict) else None
    if not isinstance(items, list) or not items:
        raise ContentError(f"{path.name}: needs a 'takeaways' list")
    return tuple(
        Takeaway(title=_text(i, "title", path.name), text=_text(i, "text", path.name))
        for i in items
    )


def load_exercises(path: Path) -> ExerciseSheet:
    data = yaml.safe_load(path.read_text())
    where = path.name
    if not isinstance(data, dict) or not isinstance(data.get("exercises"), list):
        raise ContentError(f"{where}: needs an 'exercises' list")
    exercises = []
    for raw in data["exercises"]:
        if not isinstance(raw, dict):
            raise ContentError(f"{where}: each exercise is a mapping")
        eid = _text(raw, "id", where)
        here = f"{where} [{eid}]"
        parts = raw.get("parts")
        if not isinstance(parts, list) or not parts:
            raise ContentError(f"{here}: needs a 'parts' list")
        exercises.append(
            Exercise(
                id=eid,
                step=_step(raw, here),
                title=_text(raw, "title", here),
                setting=_text(raw, "setting", here),
                parts=tuple(
                    ExercisePart(ask=_text(p, "ask", here), answer=_text(p, "answer", here))
                    for p in parts
                    if isinstance(p, dict)
                ),
                marking=_text(raw, "marking", here),
            )
        )
    if len({e.id for e in exercises}) != len(exercises):
        raise ContentError(f"{where}: exercise ids must be unique")
    return ExerciseSheet(
        title=_text(data, "title", where),
        intro=_text(data, "intro", where),
        exercises=tuple(exercises),
    )


def _scenario_names():
    from playground.catalog import scenario_names

    return scenario_names() or None


@cache
def get_quizzes() -> dict[str, Quiz]:
    """The quizzes learners practise with (and review): myth-busters and the pitfalls check."""
    names = _scenario_names()
    return {
        slug: load_quiz(slug, QUIZ_DIR / file, kind, names)
        for slug, (file, kind) in QUIZ_FILES.items()
    }


@cache
def get_assessment() -> Quiz:
    """The final assessment: mixed items, none reused from the quizzes, scored at the end."""
    return load_quiz(ASSESSMENT, QUIZ_DIR / "assessment.yaml", "assessment", _scenario_names())


def quiz_get(slug: str) -> Quiz | None:
    """Any quiz a learner can take by its slug, the assessment included."""
    if slug == ASSESSMENT:
        return get_assessment()
    return get_quizzes().get(slug)


@cache
def get_predictions() -> dict[int, Question]:
    """The prediction prompt of each step that has one, by step number."""
    questions = load_predictions(QUIZ_DIR / "predictions.yaml", _scenario_names())
    return {q.step: q for q in questions}


@cache
def get_takeaways() -> tuple[Takeaway, ...]:
    return load_takeaways(CONTENT_DIR / "takeaways.yaml")


@cache
def get_exercises() -> ExerciseSheet:
    return load_exercises(QUIZ_DIR / "exercises.yaml")


def get_prediction(question_id: str) -> Question | None:
    return next((q for q in get_predictions().values() if q.id == question_id), None)


# ----- presentation order ---------------------------------------------------------------------


def choice_order(question: Question, seed: str | int | None) -> list[Choice]:
    """The choices in the order one attempt shows them.

    ``choice`` questions are shuffled, deterministically by ``seed`` (an attempt id, or a
    learner id for a step's prediction), so a reload shows the same order and a new attempt a
    new one. Fact/myth buttons keep their order; ``None`` keeps the authored order.
    """
    choices = list(question.choices)
    if question.format == CHOICE and seed is not None:
        random.Random(f"{seed}/{question.kind}/{question.id}").shuffle(choices)
    return choices


_NUMBER_JUNK = re.compile(r"[\s_\u00a0\u202f']")
_THOUSANDS = re.compile(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$")


def parse_number(text: str) -> Decimal | None:
    """A learner's typed number: "1200", "1,200", "1 200", "2.5" or "2,5". None if not a number."""
    text = _NUMBER_JUNK.sub("", text or "")
    if _THOUSANDS.match(text):
        text = text.replace(",", "")
    elif text.count(",") == 1 and "." not in text:
        text = text.replace(",", ".")
    if not re.fullmatch(r"-?\d{1,12}(\.\d{1,6})?", text):  # what Answer.number can store
        return None
    return Decimal(text)

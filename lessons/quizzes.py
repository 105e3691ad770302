"""Quiz content: predictions, myth-busters and the pitfalls check, loaded from YAML data files.

Grading lives here too, as plain functions: the server decides what is right, the page never
holds an answer before the learner has committed to one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from lessons.content import CONTENT_DIR, ContentError

QUIZ_DIR = CONTENT_DIR / "quizzes"
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

from lessons.models import CONFIDENCE_CHOICES  # noqa: E402,F401  (re-exported for forms)


@dataclass(frozen=True, slots=True)
class Choice:
    id: str
    text: str
    correct: bool


@dataclass(frozen=True, slots=True)
class Question:
    """One question of any kind. Fields a kind does not use are empty strings."""

    id: str
    kind: str  # "prediction", "myth" or "pitfall"
    prompt: str
    choices: tuple[Choice, ...]
    explanation: str
    why_it_matters: str
    scenario: str
    belief: str = ""  # myths: what people commonly believe
    reality: str = ""  # myths: what is actually true
    root_cause: str = ""  # pitfalls: why people fall into it
    step: int = 0  # predictions: the lesson step that asks it

    @property
    def see_it_url(self) -> str:
        """Where "see it happen" leads: the myth's experiment if it has one, else its scenario."""
        from playground.engine.experiments import experiment_for_myth

        exp = experiment_for_myth(self.id) if self.kind == "myth" else None
        return f"/experiments/{exp.id}/" if exp else f"/playground/{self.scenario}/"

    @property
    def correct_choice(self) -> Choice:
        return next(c for c in self.choices if c.correct)

    def choice(self, choice_id: str) -> Choice | None:
        return next((c for c in self.choices if c.id == choice_id), None)


@dataclass(frozen=True, slots=True)
class Quiz:
    slug: str
    title: str
    intro: str
    kind: str
    shuffle_choices: bool  # true where choice order carries no meaning
    questions: tuple[Question, ...]

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)


@dataclass(frozen=True, slots=True)
class Takeaway:
    title: str
    text: str


def _text(data: dict, key: str, where: str, required: bool = True) -> str:
    value = data.get(key, "")
    if not isinstance(value, str) or (required and not value.strip()):
        raise ContentError(f"{where}: '{key}' must be non-empty text")
    return value.strip()


def _question(data: dict, kind: str, where: str, scenarios: frozenset[str] | None) -> Question:
    if not isinstance(data, dict):
        raise ContentError(f"{where}: each question is a mapping")
    qid = _text(data, "id", where)
    where = f"{where} [{qid}]"
    if not SLUG_RE.match(qid):
        raise ContentError(f"{where}: id must be lowercase-hyphenated")
    raw_choices = data.get("choices")
    if not isinstance(raw_choices, list) or not 2 <= len(raw_choices) <= 5:
        raise ContentError(f"{where}: needs 2 to 5 choices")
    choices = []
    for raw in raw_choices:
        cid = str(raw.get("id", "")).strip() if isinstance(raw, dict) else ""
        if not SLUG_RE.match(cid):
            raise ContentError(f"{where}: every choice needs a lowercase-hyphenated id")
        correct = raw.get("correct", False)
        if not isinstance(correct, bool):
            raise ContentError(f"{where}: 'correct' must be true or false")
        choices.append(Choice(id=cid, text=_text(raw, "text", where), correct=correct))
    if len({c.id for c in choices}) != len(choices):
        raise ContentError(f"{where}: choice ids must be unique")
    if sum(c.correct for c in choices) != 1:
        raise ContentError(f"{where}: exactly one choice must be marked correct")
    scenario = _text(data, "scenario", where)
    if not SLUG_RE.match(scenario) or (scenarios is not None and scenario not in scenarios):
        raise ContentError(f"{where}: scenario {scenario!r} is not a playground scenario")
    step = data.get("step", 0)
    if kind == "prediction" and (not isinstance(step, int) or not 1 <= step <= 9):
        raise ContentError(f"{where}: predictions name their lesson step (1-9)")
    return Question(
        id=qid,
        kind=kind,
        prompt=_text(data, "prompt", where),
        choices=tuple(choices),
        explanation=_text(data, "explanation", where),
        why_it_matters=_text(data, "why_it_matters", where),
        scenario=scenario,
        belief=_text(data, "belief", where, required=kind == "myth"),
        reality=_text(data, "reality", where, required=kind == "myth"),
        root_cause=_text(data, "root_cause", where, required=kind == "pitfall"),
        step=step if kind == "prediction" else 0,
    )


QUIZ_FILES = {
    # slug: (file, kind, shuffle choices on retake)
    "myths": ("myths.yaml", "myth", False),  # Yes/No keep their order
    "pitfalls": ("pitfalls.yaml", "pitfall", True),
}


def load_quiz(slug: str, path: Path, kind: str, shuffle: bool, scenarios=None) -> Quiz:
    data = yaml.safe_load(path.read_text())
    where = path.name
    if not isinstance(data, dict) or not isinstance(data.get("questions"), list):
        raise ContentError(f"{where}: needs a 'questions' list")
    questions = tuple(_question(q, kind, where, scenarios) for q in data["questions"])
    if len({q.id for q in questions}) != len(questions):
        raise ContentError(f"{where}: question ids must be unique")
    return Quiz(
        slug=slug,
        title=_text(data, "title", where),
        intro=_text(data, "intro", where),
        kind=kind,
        shuffle_choices=shuffle,
        questions=questions,
    )


def load_predictions(path: Path, scenarios=None) -> tuple[Question, ...]:
    data = yaml.safe_load(path.read_text())
    if not isinstance(data, dict) or not isinstance(data.get("questions"), list):
        raise ContentError(f"{path.name}: needs a 'questions' list")
    questions = tuple(_question(q, "prediction", path.name, scenarios) for q in data["questions"])
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


@cache
def get_quizzes() -> dict[str, Quiz]:
    from playground.catalog import scenario_names

    names = scenario_names() or None
    return {
        slug: load_quiz(slug, QUIZ_DIR / file, kind, shuffle, names)
        for slug, (file, kind, shuffle) in QUIZ_FILES.items()
    }


@cache
def get_predictions() -> dict[int, Question]:
    """The prediction prompt of each step that has one, by step number."""
    from playground.catalog import scenario_names

    questions = load_predictions(QUIZ_DIR / "predictions.yaml", scenario_names() or None)
    return {q.step: q for q in questions}


@cache
def get_takeaways() -> tuple[Takeaway, ...]:
    return load_takeaways(CONTENT_DIR / "takeaways.yaml")


def get_prediction(question_id: str) -> Question | None:
    return next((q for q in get_predictions().values() if q.id == question_id), None)

"""How far a learner gets by guessing a pattern instead of understanding.

Each strategy answers every question without reading it for meaning: always the same answer,
always the longest (or shortest) option, always the first or last option, always the option with
a hedge word. A quiz a teacher can trust keeps every strategy at or below 50%; a data test holds
the content to that, and the teachers' page shows the figures.

Scores are expected values: where a strategy cannot decide between several options (two
options of the same length, no hedged option at all), it is counted as picking one of them at
random. Positions in a shuffled order are worked out exactly (1/n for each position of an n-option
question shuffled uniformly) and also checked by sampling the real shuffle (see the tests).
Typed-number questions cannot be guessed this way and are left out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

from lessons.quizzes import CHOICE, FACT, MYTH, NUMBER, VERDICT, Question

HEDGE_WORDS = (
    "usually", "often", "can", "could", "may", "might", "depends", "depending", "generally",
    "typically", "sometimes", "likely", "probably", "possibly", "perhaps", "tends", "tend",
    "normally", "mostly", "occasionally", "rarely", "some", "in most cases", "in general",
)  # fmt: skip

# Words that give a statement or an option away (absolutes are nearly always wrong in this
# field). Prompts, statements and options may not use them; explanations may.
GIVEAWAY_WORDS = (
    "always", "never", "at all", "by itself", "by themselves", "on its own", "on their own",
    "however large", "however many", "however long", "however much", "no matter", "forever",
    "every time", "guarantee", "guarantees", "guaranteed", "impossible", "completely",
    "entirely", "totally", "absolutely", "instantly", "automatically", "whatsoever",
    "under no circumstances", "100%",
)  # fmt: skip


def _pattern(words) -> re.Pattern:
    alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w-])", re.IGNORECASE)


_HEDGE = _pattern(HEDGE_WORDS)
_GIVEAWAY = _pattern(GIVEAWAY_WORDS)


def hedged(text: str) -> bool:
    return bool(_HEDGE.search(text))


def giveaways(text: str) -> list[str]:
    """The giveaway words in ``text``, as written."""
    return [m.group(0) for m in _GIVEAWAY.finditer(text)]


# ----- one question ---------------------------------------------------------------------------


def _pick(options: list, is_right) -> Fraction:
    """Chance of being right when picking uniformly among ``options``."""
    return Fraction(sum(1 for o in options if is_right(o)), len(options)) if options else 0


def _by_length(question: Question, best) -> Fraction:
    lengths = [len(c.text) for c in question.choices]
    target = best(lengths)
    return _pick([c for c in question.choices if len(c.text) == target], lambda c: c.correct)


def _hedge_option(question: Question) -> Fraction:
    if question.format == VERDICT:  # a hedged statement sounds true: call it a fact
        guess = FACT if hedged(question.prompt) else MYTH
        return Fraction(int(question.verdict == guess))
    marked = [c for c in question.choices if hedged(c.text)]
    return _pick(marked or list(question.choices), lambda c: c.correct)


def _position(question: Question, index: int, shuffled: bool) -> Fraction:
    if shuffled and question.format == CHOICE:
        return Fraction(1, len(question.choices))  # a uniform shuffle puts the answer anywhere
    return Fraction(int(question.choices[index].correct))


@dataclass(frozen=True)
class Figures:
    """Each strategy's expected score over a set of questions, as a fraction of 1."""

    name: str
    questions: int
    scores: dict[str, Fraction]

    @property
    def worst(self) -> tuple[str, Fraction]:
        return max(self.scores.items(), key=lambda item: item[1])

    def percent(self, strategy: str) -> int:
        return round(100 * self.scores[strategy])


STRATEGIES = {
    "same answer": "always the same answer (the same letter, or always fact / always myth)",
    "longest": "always the longest option",
    "shortest": "always the shortest option",
    "first (as written)": "always the first option, in the order the file lists them",
    "last (as written)": "always the last option, in the order the file lists them",
    "first (as shown)": "always the first option on screen, over the shuffled orders",
    "last (as shown)": "always the last option on screen, over the shuffled orders",
    "hedge word": (
        'always the option with a hedge word ("can", "usually"); a hedged statement is a fact'
    ),
}  # fmt: skip


def _same_answer(questions: list[Question]) -> Fraction:
    """The best fixed answer: the same position for choice questions, the same verdict."""
    width = max((len(q.choices) for q in questions if q.format == CHOICE), default=0)
    best = Fraction(0)
    for position in range(max(width, 1)):
        for verdict in (FACT, MYTH):
            total = Fraction(0)
            for q in questions:
                if q.format == VERDICT:
                    total += int(q.verdict == verdict)
                elif position < len(q.choices):
                    total += int(q.choices[position].correct)
            best = max(best, total)
    return best / len(questions)


def figures(name: str, questions) -> Figures:
    """Every strategy's expected score on ``questions`` (typed-number questions left out)."""
    qs = [q for q in questions if q.format != NUMBER]
    if not qs:
        return Figures(name, 0, {s: Fraction(0) for s in STRATEGIES})

    def mean(score) -> Fraction:
        return sum((score(q) for q in qs), Fraction(0)) / len(qs)

    return Figures(
        name=name,
        questions=len(qs),
        scores={
            "same answer": _same_answer(qs),
            "longest": mean(lambda q: _by_length(q, max)),
            "shortest": mean(lambda q: _by_length(q, min)),
            "first (as written)": mean(lambda q: _position(q, 0, shuffled=False)),
            "last (as written)": mean(lambda q: _position(q, -1, shuffled=False)),
            "first (as shown)": mean(lambda q: _position(q, 0, shuffled=True)),
            "last (as shown)": mean(lambda q: _position(q, -1, shuffled=True)),
            "hedge word": mean(_hedge_option),
        },
    )


def all_figures() -> list[Figures]:
    """The figures for each quiz, the predictions, the final assessment, and all of them."""
    from lessons.quizzes import get_assessment, get_predictions, get_quizzes

    sets = [(quiz.title, list(quiz.questions)) for quiz in get_quizzes().values()]
    sets.append(("Predictions in the steps", list(get_predictions().values())))
    assessment = get_assessment()
    sets.append((assessment.title, list(assessment.questions)))
    everything = [q for _, qs in sets for q in qs]
    return [figures(name, qs) for name, qs in sets] + [figures("All together", everything)]


def figures_table(sets: list[Figures]) -> list[tuple[str, list[int]]]:
    """One row per strategy (its description, then a percentage per set), for a table."""
    return [(text, [f.percent(name) for f in sets]) for name, text in STRATEGIES.items()]

"""No guessing pattern passes a quiz: every strategy scores at most 50%, and the figures print.

The strategies (lessons/quiz_guessing.py) answer without understanding: always the same answer,
always the longest or shortest option, always the first or last option as written and as shown
(over the shuffled orders), always the hedged option. The first test is the data check a teacher
can rely on; the others show that the measure itself finds the patterns it is meant to find.
"""

from __future__ import annotations

from fractions import Fraction

import pytest

from lessons.quiz_guessing import STRATEGIES, all_figures, figures, figures_table, hedged
from lessons.quizzes import Choice, Question, choice_order, get_quizzes

LIMIT = Fraction(1, 2)


def _table() -> str:
    sets = all_figures()
    width = max(len(name) for name in STRATEGIES)
    header = f"{'strategy':<{width}}  " + "  ".join(f"{f.name[:14]:>14}" for f in sets)
    counts = f"{'(questions)':<{width}}  " + "  ".join(f"{f.questions:>14}" for f in sets)
    rows = [
        f"{name:<{width}}  " + "  ".join(f"{f.percent(name):>13}%" for f in sets)
        for name in STRATEGIES
    ]
    return "\n".join(["", "Guessing strategies (expected score):", header, counts, *rows])


def test_no_guessing_strategy_scores_above_half_on_any_quiz(capsys):
    with capsys.disabled():  # the figures are the point: show them in every test run
        print(_table())  # noqa: T201
    for figure in all_figures():
        for strategy, score in figure.scores.items():
            assert score <= LIMIT, f"{figure.name}: '{strategy}' scores {float(score):.0%}"


def _q(qid, texts, correct, fmt="choice", prompt="Which?", verdict=None):
    if fmt == "verdict":
        choices = (
            Choice("fact", "Fact", verdict == "fact"),
            Choice("myth", "Myth", verdict == "myth"),
        )
    else:
        choices = tuple(
            Choice(f"c{i}", text, i == correct, "" if i == correct else "a belief")
            for i, text in enumerate(texts)
        )
    return Question(
        id=qid, kind="pitfall" if fmt == "choice" else "myth", format=fmt, prompt=prompt,
        choices=choices, explanation="", why_it_matters="", step=1,
    )  # fmt: skip


def test_the_measure_catches_a_quiz_where_the_answer_is_the_longest_option_in_second_place():
    # The old pitfalls check: the right answer always second and always longer.
    quiz = [
        _q(f"q{i}", ["Short wrong one.", "A longer and more careful right one."], 1)
        for i in range(5)
    ]
    scores = figures("old pitfalls", quiz).scores
    assert (
        scores["longest"] == 1 and scores["last (as written)"] == 1 and scores["same answer"] == 1
    )
    assert scores["first (as shown)"] == LIMIT, "shuffling on screen halves the position clue"


def test_the_measure_catches_myths_that_are_nearly_all_no():
    # The old myth-busters: 9 of 10 answered "no".
    quiz = [_q(f"m{i}", [], None, "verdict", "Is it always so?", "myth") for i in range(9)]
    quiz.append(_q("m9", [], None, "verdict", "Can it be so?", "fact"))
    scores = figures("old myths", quiz).scores
    assert scores["same answer"] == Fraction(9, 10)
    assert scores["hedge word"] == 1, "hedged statement -> fact, plain -> myth: all right"


def test_the_measure_catches_the_hedged_option_pattern():
    quiz = [
        _q(f"h{i}", ["It can fail now and then.", "It fails.", "It works."], 0) for i in range(4)
    ]
    assert figures("hedged", quiz).scores["hedge word"] == 1
    assert hedged("It usually works") and not hedged("It works; scandal aside")


def test_ties_count_as_a_random_pick_among_the_tied_options():
    quiz = [_q("t", ["Same", "Also", "Long one"], 0)]
    scores = figures("ties", quiz).scores
    assert scores["shortest"] == LIMIT and scores["longest"] == 0


def test_position_over_shuffled_orders_matches_sampling_the_real_shuffle():
    """The exact 1/n for "first as shown" agrees with the shuffle learners really get."""
    questions = list(get_quizzes()["pitfalls"].questions)
    exact = figures("pitfalls", questions).scores["first (as shown)"]
    runs = 1500
    hits = sum(choice_order(q, f"attempt-{n}")[0].correct for n in range(runs) for q in questions)
    assert abs(hits / (runs * len(questions)) - float(exact)) < 0.03


def test_the_teachers_table_has_a_row_per_strategy_and_a_column_per_quiz():
    rows = figures_table(all_figures())
    assert len(rows) == len(STRATEGIES)
    assert all(len(percents) == len(all_figures()) for _, percents in rows)
    assert all(0 <= p <= 50 for _, percents in rows for p in percents)


@pytest.mark.parametrize("figure", all_figures(), ids=lambda f: f.name)
def test_each_set_of_questions_is_measured(figure):
    assert figure.questions > 0

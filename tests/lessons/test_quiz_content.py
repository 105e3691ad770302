"""The quiz content is fair: no giveaway words, balanced facts and myths, plausible distractors.

These are rules about the data files under lessons/content/quizzes/, so that a teacher can trust a
score: a learner who spots a pattern in the wording does not pass by spotting it. How far each
guessing pattern gets is checked in test_quiz_guessing.py.
"""

from __future__ import annotations

import pytest

from lessons.quiz_guessing import GIVEAWAY_WORDS, giveaways, hedged
from lessons.quizzes import get_assessment, get_predictions, get_quizzes

QUIZZES = get_quizzes()
ASSESSMENT = get_assessment()
PREDICTIONS = list(get_predictions().values())
ALL_QUESTIONS = (
    [q for quiz in QUIZZES.values() for q in quiz.questions]
    + PREDICTIONS
    + list(ASSESSMENT.questions)
)
CHOICE_QUESTIONS = [q for q in ALL_QUESTIONS if q.format == "choice"]
VERDICTS = [q for q in ALL_QUESTIONS if q.format == "verdict"]
MAX_LENGTH_RATIO = 1.5  # the longest option of a question is at most 1.5 times the shortest


def _id(question):
    return f"{question.kind}-{question.id}"


@pytest.mark.parametrize("question", ALL_QUESTIONS, ids=_id)
def test_no_prompt_statement_or_option_carries_a_giveaway_word(question):
    visible = [question.prompt] + [c.text for c in question.choices]
    found = sorted({w.lower() for text in visible for w in giveaways(text)})
    assert found == [], f"giveaway words before the reveal: {found}"


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Queues always keep order.", ["always"]),
        ("It never fails at all.", ["never", "at all"]),
        ("A dead-letter queue fixes it by itself.", ["by itself"]),
        ("A queue holds a backlog however large.", ["however large"]),
        ("The broker retries automatically, every time.", ["automatically", "every time"]),
        ("Nevertheless the queue keeps them; it's alwaysish.", []),  # whole words only
    ],
)
def test_the_giveaway_check_finds_whole_words_and_phrases(text, found):
    assert [w.lower() for w in giveaways(text)] == found


def test_the_giveaway_list_holds_the_words_the_review_named():
    assert {"always", "at all", "by itself", "however large", "never"} <= set(GIVEAWAY_WORDS)


def test_at_least_forty_percent_of_the_fact_or_myth_statements_are_true_facts():
    for name, questions in [
        ("myth-busters", QUIZZES["myths"].questions),
        ("assessment", [q for q in ASSESSMENT.questions if q.format == "verdict"]),
    ]:
        facts = sum(q.verdict == "fact" for q in questions)
        assert facts / len(questions) >= 0.4, f"{name}: {facts} facts of {len(questions)}"


def test_hedge_words_are_no_clue_to_a_statements_truth():
    """As many hedged statements are myths as are facts (within one), in every quiz."""
    for questions in (QUIZZES["myths"].questions, VERDICTS):
        hedged_facts = sum(hedged(q.prompt) and q.verdict == "fact" for q in questions)
        hedged_myths = sum(hedged(q.prompt) and q.verdict == "myth" for q in questions)
        assert abs(hedged_facts - hedged_myths) <= 1, (hedged_facts, hedged_myths)


@pytest.mark.parametrize("question", CHOICE_QUESTIONS, ids=_id)
def test_every_choice_question_has_three_or_four_options(question):
    assert 3 <= len(question.choices) <= 4


@pytest.mark.parametrize("question", CHOICE_QUESTIONS, ids=_id)
def test_every_wrong_option_names_the_misconception_behind_it_in_one_line(question):
    for choice in question.choices:
        if choice.correct:
            assert choice.misconception == ""
        else:
            assert choice.misconception.strip() and "\n" not in choice.misconception
            assert len(choice.misconception) >= 20, f"{choice.id}: say which belief, in a line"
    misconceptions = [c.misconception for c in question.choices if not c.correct]
    assert len(set(misconceptions)) == len(misconceptions), "each distractor its own belief"


@pytest.mark.parametrize("question", CHOICE_QUESTIONS, ids=_id)
def test_options_are_of_similar_length(question):
    lengths = [len(c.text) for c in question.choices]
    ratio = max(lengths) / min(lengths)
    assert ratio <= MAX_LENGTH_RATIO, f"lengths {lengths}: ratio {ratio:.2f}"


@pytest.mark.parametrize("question", VERDICTS, ids=_id)
def test_every_fact_or_myth_reveal_is_a_full_refutation(question):
    # belief, reality, mechanism, why it matters, and somewhere to see it happen
    assert question.belief and question.reality and question.explanation
    assert question.why_it_matters and question.see_it_url
    assert question.belief != question.prompt, "the belief is the misconception, not the statement"


def test_statements_name_the_broker_version_where_its_behaviour_changed():
    """RabbitMQ 4.3 changed what raises a quorum queue's delivery count: say which version."""
    for question in ALL_QUESTIONS:
        texts = [question.prompt, question.explanation, question.reality] + [
            c.text for c in question.choices
        ]
        for text in texts:
            if "nack" in text and "delivery count" in text.replace(
                "delivery-count", "delivery count"
            ):
                assert "4.3" in " ".join(texts), f"{question.id}: name the RabbitMQ version"


def test_littles_law_is_only_applied_to_a_queue_that_keeps_up():
    """L = lambda x W holds for a stable system (Little, 1961); step 4 says so, and says that an
    overloaded queue has no steady state. A quiz must not call the overload sum Little's law."""
    named = 0
    for question in ALL_QUESTIONS:
        text = " ".join(
            [question.prompt, question.explanation, question.reality, question.why_it_matters]
        ).lower()
        if "little's law" in text:
            named += 1
            assert "keeps up" in text, f"{question.id}: say that Little's law needs a stable queue"
    assert named, "the assessment asks for Little's law at least once"

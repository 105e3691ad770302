"""A learner predicts, takes the quizzes and the final assessment, and reviews results in a real
browser, keyboard only; a teacher finds and prints the exercise sheet."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from lessons.quizzes import get_assessment, get_predictions, get_quizzes
from tests.browser.helpers import serious_axe_violations, tab_to

MYTHS = get_quizzes()["myths"]
PITFALLS = get_quizzes()["pitfalls"]
ASSESSMENT = get_assessment()
BY_PROMPT = {q.prompt: q for quiz in (MYTHS, PITFALLS, ASSESSMENT) for q in quiz.questions}
STEP4 = get_predictions()[4]


def _new_page(browser: Browser, base_url: str, **kwargs) -> tuple[BrowserContext, Page]:
    context = browser.new_context(base_url=base_url, **kwargs)
    page = context.new_page()
    page.set_default_timeout(10_000)
    return context, page


def _pick_radio(page: Page, group: str, value: str) -> None:
    """Tab into a radio group, then move to ``value`` with the arrow keys (Space checks it)."""
    radios = page.locator(group)
    values = [radios.nth(i).get_attribute("value") for i in range(radios.count())]
    tab_to(page, radios.first)  # with nothing checked, Tab lands on the group's first radio
    for _ in range(values.index(value)):
        page.keyboard.press("ArrowDown")
    page.keyboard.press("Space")
    expect(page.locator(f'{group}[value="{value}"]')).to_be_checked()


def _current_question(page: Page):
    prompt = page.locator("#question-card .question-prompt").inner_text().strip()
    return BY_PROMPT[" ".join(prompt.split())]


def _answer(page: Page, *, right: bool, confidence: str | None = None) -> None:
    """Answer the question on screen by keyboard and wait for the reveal to swap in."""
    question = _current_question(page)
    choice = (
        question.correct_choice if right else next(c for c in question.choices if not c.correct)
    )
    _pick_radio(page, '#question-card input[name="choice"]', choice.id)
    if confidence:
        _pick_radio(page, '#question-card input[name="confidence"]', confidence)
    tab_to(page, page.get_by_role("button", name="Commit my answer"))
    page.keyboard.press("Enter")
    expect(page.locator("#question-card #reveal")).to_be_visible()
    if page.evaluate("!!window.htmx"):  # with htmx, focus moves into the swapped-in reveal
        expect(page.locator("#question-card #reveal")).to_be_focused()


def _next(page: Page, position: int, total: int) -> None:
    name = "See your results" if position == total else "Next question"
    tab_to(page, page.get_by_role("link", name=name))
    page.keyboard.press("Enter")
    if position == total:
        expect(page.get_by_role("heading", level=1, name="Your results")).to_be_visible()
    else:
        expect(page.get_by_role("heading", level=1)).to_have_text(
            f"Question {position + 1} of {total}"
        )


def _start_by_keyboard(page: Page, button: str) -> None:
    tab_to(page, page.get_by_role("button", name=button))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Question 1 of \d+$"))


def _prompt_order(page: Page) -> list[str]:
    return [p.strip() for p in page.locator(".results-list .result-prompt").all_inner_texts()]


def test_keyboard_learner_commits_a_prediction_and_the_reveal_swaps_in(
    browser: Browser, base_url: str
):
    context, page = _new_page(browser, base_url)
    page.goto("/steps/4/")
    expect(page.locator("#prediction")).not_to_contain_text(STEP4.explanation[:60])
    page.evaluate("window.__samePage = true")
    wrong = next(c for c in STEP4.choices if not c.correct)
    _pick_radio(page, '#prediction input[name="choice"]', wrong.id)
    tab_to(page, page.get_by_role("button", name="Commit my prediction"))
    page.keyboard.press("Enter")
    reveal = page.locator("#prediction #reveal")
    expect(reveal).to_be_visible()
    expect(reveal).to_contain_text("Not quite")
    expect(reveal).to_contain_text(STEP4.explanation[:60])
    assert page.evaluate("window.__samePage === true"), "htmx should swap the block, not reload"
    # Focus moves into the reveal, so a screen reader reads it out and Tab continues from there.
    expect(reveal).to_be_focused()
    assert page.evaluate("!!document.activeElement.closest('#prediction')")
    assert reveal.get_attribute("aria-labelledby"), "the focused reveal has a name to announce"
    page.reload()
    expect(page.locator("#prediction #reveal")).to_contain_text("Not quite")
    context.close()


def test_keyboard_learner_takes_the_myth_busters_retakes_and_keeps_every_answer(
    browser: Browser, base_url: str, daphne_server
):
    context, page = _new_page(browser, base_url)
    page.goto("/quizzes/")
    tab_to(page, page.get_by_role("link", name=MYTHS.title))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1, name=MYTHS.title)).to_be_visible()
    _start_by_keyboard(page, "Start the quiz")

    total = len(MYTHS.questions)
    for position in range(1, total + 1):
        if position == 2:
            _answer(page, right=False, confidence="guess")
        elif position == 4:
            _answer(page, right=False, confidence="sure")
            expect(page.locator("#question-card")).to_contain_text("You were sure about this one")
        else:
            _answer(page, right=True, confidence="think" if position % 2 else None)
        _next(page, position, total)

    expect(page.locator(".score")).to_contain_text(f"{total - 2} of {total}")
    expect(page.locator(".score")).to_contain_text("1 confident miss listed first")
    rows = page.locator(".results-list > li")
    expect(rows).to_have_count(total)
    expect(rows.first).to_contain_text("Confident miss")
    expect(rows.first).to_contain_text("I'm sure")
    expect(rows.nth(1)).to_contain_text("Missed")
    expect(rows.nth(1)).not_to_contain_text("Confident miss")
    first_results_url = page.url
    assert first_results_url.endswith("/quizzes/myths/1/results/")

    # Retake: a new question order.
    tab_to(page, page.get_by_role("button", name="Retake (new question order)"))
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/quizzes/myths/2/1/$"))
    retake_order = []
    for position in range(1, total + 1):
        expect(page.get_by_role("heading", level=1)).to_have_text(f"Question {position} of {total}")
        retake_order.append(_current_question(page).id)
        _answer(page, right=True)
        _next(page, position, total)
    assert retake_order != [q.id for q in MYTHS.questions]
    expect(page.locator(".score")).to_contain_text(f"{total} of {total}")

    # Reload, browser restart and server restart: every answer of attempt 1 is still there.
    state = context.storage_state()
    context.close()
    daphne_server.restart()
    context, page = _new_page(browser, base_url, storage_state=state)
    page.goto(first_results_url)
    page.reload()
    rows = page.locator(".results-list > li")
    expect(rows).to_have_count(total)
    expect(page.locator(".results-list")).not_to_contain_text("(none yet)")
    expect(page.locator(".score")).to_contain_text(f"{total - 2} of {total}")
    expect(rows.first).to_contain_text("Confident miss")
    page.goto("/progress/")
    expect(
        page.get_by_text(
            re.compile(rf"latest {total} of {total}, best {total} of {total}, 2 attempts")
        )
    ).to_be_visible()
    context.close()


def test_a_quiz_question_can_be_answered_with_javascript_disabled(browser: Browser, base_url: str):
    context, page = _new_page(browser, base_url, java_script_enabled=False)
    page.goto("/quizzes/pitfalls/")
    tab_to(page, page.get_by_role("button", name="Start the quiz"))
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/quizzes/pitfalls/1/1/$"))
    first = page.locator('input[name="choice"]').first.get_attribute("value")
    _pick_radio(page, 'input[name="choice"]', first)
    tab_to(page, page.get_by_role("button", name="Commit my answer"))
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/quizzes/pitfalls/1/1/#reveal$"))
    expect(page.locator("#reveal")).to_be_visible()
    expect(page.locator("#reveal")).to_contain_text("Root cause:")
    tab_to(page, page.get_by_role("link", name="Next question"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Question 2 of"))
    context.close()


def test_a_prediction_can_be_committed_with_javascript_disabled(browser: Browser, base_url: str):
    context, page = _new_page(browser, base_url, java_script_enabled=False)
    page.goto("/steps/5/")
    step5 = get_predictions()[5]
    _pick_radio(page, '#prediction input[name="choice"]', step5.correct_choice.id)
    tab_to(page, page.get_by_role("button", name="Commit my prediction"))
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/steps/5/#prediction$"))
    expect(page.locator("#prediction #reveal")).to_contain_text("Right")
    context.close()


@pytest.fixture(scope="module")
def quiz_pages(browser: Browser, base_url: str):
    """One learner part way through: a question before and after its reveal, and results."""
    context, page = _new_page(browser, base_url)
    page.goto("/quizzes/myths/")
    _start_by_keyboard(page, "Start the quiz")
    before = page.url
    _answer(page, right=False, confidence="sure")
    for position in range(1, len(MYTHS.questions) + 1):
        page.goto(f"/quizzes/myths/1/{position}/")
        if not page.locator("#reveal").count():
            _answer(page, right=True)
    page.goto("/steps/4/")
    _pick_radio(page, '#prediction input[name="choice"]', STEP4.correct_choice.id)
    tab_to(page, page.get_by_role("button", name="Commit my prediction"))
    page.keyboard.press("Enter")
    expect(page.locator("#prediction #reveal")).to_be_visible()
    yield context, before
    context.close()


def test_quiz_pages_have_no_serious_accessibility_violations(quiz_pages):
    context, _ = quiz_pages
    page = context.new_page()
    checked = {}
    for path in [
        "/quizzes/",
        "/quizzes/myths/",
        "/quizzes/myths/1/results/",
        "/quizzes/assessment/",
        "/quizzes/exercises/",
        "/quizzes/exercises/key/",
        "/progress/",
        "/takeaways/",
        "/steps/4/",
        "/steps/8/",
        "/progress/reset/",
    ]:
        page.goto(path)
        checked[path] = serious_axe_violations(page)
    assert checked == {path: [] for path in checked}


def test_a_quiz_question_has_no_serious_accessibility_violations_before_and_after_the_reveal(
    browser: Browser, base_url: str
):
    context, page = _new_page(browser, base_url)
    page.goto("/quizzes/myths/")
    _start_by_keyboard(page, "Start the quiz")
    assert serious_axe_violations(page) == [], "before the reveal"
    _answer(page, right=False, confidence="sure")
    assert serious_axe_violations(page) == [], "after the htmx reveal"
    page.reload()
    assert serious_axe_violations(page) == [], "after the reveal, full page"
    page.goto("/steps/4/")
    assert serious_axe_violations(page) == [], "prediction before the reveal"
    page.goto("/quizzes/assessment/")
    _start_by_keyboard(page, "Start the assessment")
    assert serious_axe_violations(page) == [], "an assessment question"
    number = next(i for i, q in enumerate(ASSESSMENT.questions, 1) if q.format == "number")
    page.goto(re.sub(r"/1/$", f"/{number}/", page.url))
    assert serious_axe_violations(page) == [], "a typed-number question"
    page.get_by_role("button", name="Commit my answer").click()
    expect(page.locator(".field-error")).to_be_visible()
    assert serious_axe_violations(page) == [], "a typed-number question with its error"
    context.close()


def test_pitfall_choices_come_in_a_new_order_per_attempt_and_keep_it_on_reload(
    browser: Browser, base_url: str
):
    context, page = _new_page(browser, base_url)
    page.goto("/quizzes/pitfalls/")
    _start_by_keyboard(page, "Start the quiz")
    radios = page.locator('#question-card input[name="choice"]')
    first = [radios.nth(i).get_attribute("value") for i in range(radios.count())]
    page.reload()
    assert [radios.nth(i).get_attribute("value") for i in range(radios.count())] == first
    question = _current_question(page)
    # Over a few attempts the order changes (the first attempt is shuffled too).
    orders = {tuple(first)}
    for _ in range(4):
        page.goto("/quizzes/pitfalls/")
        tab_to(page, page.get_by_role("button", name=re.compile("Retake")))
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Question 1 of"))
        for position in range(1, len(PITFALLS.questions) + 1):
            page.goto(re.sub(r"/\d+/$", f"/{position}/", page.url))
            if _current_question(page).id == question.id:
                break
        orders.add(tuple(radios.nth(i).get_attribute("value") for i in range(radios.count())))
    assert len(orders) > 1, "five attempts showed the choices in one order"
    context.close()


def _other_learners_answer(browser: Browser, base_url: str, choice: str, count: int) -> None:
    """``count`` other learners answer the first myth with ``choice`` (no JavaScript needed)."""
    for _ in range(count):
        context, page = _new_page(browser, base_url, java_script_enabled=False)
        page.goto("/quizzes/myths/")
        page.get_by_role("button", name="Start the quiz").click()
        page.locator(f'input[name="choice"][value="{choice}"]').check()
        page.get_by_role("button", name="Commit my answer").click()
        expect(page.locator("#reveal")).to_be_visible()
        context.close()


def test_what_others_answered_shows_the_spread_of_every_choice_after_the_commit(
    browser: Browser, base_url: str
):
    first = MYTHS.questions[0]
    wrong = next(c for c in first.choices if not c.correct)
    _other_learners_answer(browser, base_url, first.correct_choice.id, 4)
    context, page = _new_page(browser, base_url)
    page.goto("/quizzes/myths/")
    _start_by_keyboard(page, "Start the quiz")
    expect(page.locator(".spread")).to_have_count(0)
    _pick_radio(page, '#question-card input[name="choice"]', wrong.id)
    tab_to(page, page.get_by_role("button", name="Commit my answer"))
    page.keyboard.press("Enter")
    spread = page.locator("#question-card .spread")
    expect(spread).to_be_visible()
    expect(spread.locator(".spread-row")).to_have_count(2)
    expect(spread).to_contain_text("first tries of")
    expect(spread.locator(".spread-row", has_text="your answer")).to_contain_text(wrong.text)
    expect(spread.locator(".spread-row", has_text="right answer")).to_contain_text(
        first.correct_choice.text
    )
    assert serious_axe_violations(page) == []
    context.close()


def _answer_assessment_item(page: Page, *, right: bool) -> None:
    question = _current_question(page)
    if question.format == "number":
        value = question.answer if right else question.answer + question.tolerance + 3
        field = page.get_by_label(re.compile(re.escape(question.prompt[:30])))
        tab_to(page, field)
        page.keyboard.type(str(value))
    else:
        choice = (
            question.correct_choice if right else next(c for c in question.choices if not c.correct)
        )
        _pick_radio(page, '#question-card input[name="choice"]', choice.id)
    tab_to(page, page.get_by_role("button", name="Commit my answer"))
    page.keyboard.press("Enter")


@pytest.mark.parametrize("javascript", [True, False], ids=["htmx", "no-javascript"])
def test_keyboard_learner_takes_the_final_assessment_and_reads_the_results(
    browser: Browser, base_url: str, javascript: bool
):
    context, page = _new_page(browser, base_url, java_script_enabled=javascript)
    page.goto("/quizzes/")
    tab_to(page, page.get_by_role("link", name=ASSESSMENT.title))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1, name=ASSESSMENT.title)).to_be_visible()
    _start_by_keyboard(page, "Start the assessment")
    total = len(ASSESSMENT.questions)
    missed = {1, total}
    for position in range(1, total + 1):
        expect(page.get_by_role("heading", level=1)).to_have_text(f"Question {position} of {total}")
        expect(page.locator("#reveal")).to_have_count(0)
        _answer_assessment_item(page, right=position not in missed)
        if position < total:
            # Straight on to the next question: nothing is revealed before the end.
            expect(page).to_have_url(re.compile(rf"/quizzes/assessment/\d+/{position + 1}/$"))
    expect(page).to_have_url(re.compile(r"/quizzes/assessment/\d+/results/$"))
    expect(page.get_by_role("heading", level=1, name="Your results")).to_be_visible()
    expect(page.locator(".score")).to_contain_text(f"{total - len(missed)} of {total}")
    rows = page.locator(".results-list > li")
    expect(rows).to_have_count(total)
    expect(rows.first).to_contain_text("Missed")
    expect(rows.first).to_contain_text(ASSESSMENT.questions[0].explanation[:50])
    expect(rows.nth(1)).to_contain_text("Right")
    step_link = rows.first.get_by_role("link", name=f"Reread step {ASSESSMENT.questions[0].step}")
    expect(step_link).to_have_attribute("href", f"/steps/{ASSESSMENT.questions[0].step}/")
    expect(page.locator(".step-tally")).to_contain_text("worth rereading")
    page.reload()
    expect(page.locator(".score")).to_contain_text(f"{total - len(missed)} of {total}")
    if javascript:
        assert serious_axe_violations(page) == []
    context.close()


def test_a_teacher_finds_the_exercise_sheet_from_the_home_page_and_it_prints(
    browser: Browser, base_url: str, tmp_path
):
    context, page = _new_page(browser, base_url)
    page.goto("/")
    tab_to(page, page.get_by_role("link", name="Take a quiz"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1, name="Quizzes")).to_be_visible()
    teachers = page.locator(".teacher-box")
    expect(teachers).to_contain_text("For teachers")
    tab_to(page, teachers.get_by_role("link", name="Exercise sheet"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1, name="Exercise sheet")).to_be_visible()
    assert serious_axe_violations(page) == []
    page.get_by_role("link", name="The answer key (for teachers)").click()
    expect(page.get_by_role("heading", level=1, name="Exercise sheet: answer key")).to_be_visible()
    expect(page.locator(".guess-table")).to_be_visible()
    assert serious_axe_violations(page) == []
    # In print, the site's navigation is left out and the sheet keeps writing space.
    page.goto("/quizzes/exercises/")
    page.emulate_media(media="print")
    expect(page.locator(".site-header nav")).to_be_hidden()
    expect(page.locator(".sheet-actions")).to_be_hidden()
    expect(page.locator(".answer-space").first).to_be_visible()
    expect(page.locator(".sheet-name-line")).to_be_visible()
    pdf = page.pdf(path=str(tmp_path / "sheet.pdf"), format="A4")
    assert pdf[:4] == b"%PDF" and pdf.count(b"/Type /Page") >= 2
    context.close()

"""Predict, run, explain: a learner tests a claim with their own hands, keyboard only."""

import re

from playwright.sync_api import Browser, Page, expect

from lessons.quizzes import get_quizzes
from tests.browser.helpers import serious_axe_violations, tab_to

STATUS = "#pg-experiment"


def _run_faster(page: Page) -> None:
    """Speed the embedded run up to 4x, by keyboard."""
    speed = page.locator("#speed")
    tab_to(page, speed)
    page.keyboard.press("End")  # the last option: 4x
    tab_to(page, page.locator("#btn-speed"))
    page.keyboard.press("Enter")


def test_step6_predict_the_dead_letter_count_run_it_and_compare(page: Page):
    page.goto("/steps/6/")
    field = page.locator("#xp-step6-dead-letters")
    tab_to(page, field)
    page.keyboard.type("2")
    page.keyboard.press("Enter")  # submits the prediction form
    expect(page.locator("#pg-conn")).to_have_attribute("data-state", "open", timeout=15_000)
    expect(page.locator(STATUS)).to_contain_text("Your prediction: 2")
    _run_faster(page)
    expect(page.locator(STATUS)).to_have_class(re.compile("is-wrong"), timeout=30_000)
    status = page.locator(STATUS)
    expect(status).to_contain_text("You predicted")
    expect(status.locator("dd").first).to_have_text("2")
    expect(status).to_contain_text("5 messages dead-lettered")
    expect(status).to_contain_text("delivery limit 3")
    expect(page.locator("#pg-dlq")).to_contain_text("Dead-letter queue 5")
    assert serious_axe_violations(page) == []

    # Change one knob and predict again: the engine recomputes the answer.
    tab_to(page, page.locator("#btn-variation-step6-dead-letters"))
    page.keyboard.press("Enter")
    field = page.locator("#xp-step6-dead-letters")
    expect(field).to_be_visible()
    expect(page.locator("#experiment-step6-dead-letters")).to_contain_text("delivery limit to 1")
    tab_to(page, field)
    page.keyboard.type("5")
    page.keyboard.press("Enter")
    expect(page.locator(STATUS)).to_contain_text("Running the variation", timeout=15_000)
    _run_faster(page)
    expect(page.locator(STATUS)).to_have_class(re.compile("is-right"), timeout=30_000)
    expect(page.locator(STATUS)).to_contain_text("delivered once")

    # The result is kept: after a reload the decided result is still there.
    page.reload()
    expect(page.locator("#experiment-result-step6-dead-letters")).to_contain_text("You predicted")


def test_the_ordering_myth_leads_to_an_experiment_that_shows_out_of_order_completions(
    page: Page,
):
    myths = get_quizzes()["myths"]
    position = [q.id for q in myths.questions].index("order-is-automatic") + 1
    page.goto("/quizzes/myths/")
    tab_to(page, page.get_by_role("button", name="Start the quiz"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("Question 1 of"))
    page.goto(f"/quizzes/myths/1/{position}/")
    tab_to(page, page.locator('input[name="choice"][value="fact"]'))  # "in order": a fact?
    page.keyboard.press("Space")
    tab_to(page, page.get_by_role("button", name="Commit my answer"))
    page.keyboard.press("Enter")
    link = page.get_by_role("link", name=re.compile("See it happen"))
    expect(link).to_have_attribute("href", "/experiments/myth-order-is-automatic/")
    tab_to(page, link)
    page.keyboard.press("Enter")
    # Wait for the experiment page to finish loading (htmx included): the quiz page also has
    # a heading, and a form submitted before htmx starts takes the no-JavaScript path.
    page.wait_for_url("**/experiments/myth-order-is-automatic/", wait_until="load")
    expect(page.get_by_role("heading", level=1)).to_have_text("Test a myth with your own hands")
    expect(page.get_by_role("heading", level=2, name="First in, first done?")).to_be_visible()
    tab_to(page, page.locator('input[name="prediction"][value="yes"]'))
    page.keyboard.press("Space")
    page.keyboard.press("Enter")
    expect(page.locator("#pg-conn")).to_have_attribute("data-state", "open", timeout=15_000)
    _run_faster(page)
    expect(page.locator(STATUS)).to_have_class(re.compile("is-wrong"), timeout=30_000)
    expect(page.locator(STATUS)).to_contain_text("finished out of order")
    out_of_order = page.locator("#pg-counters .counter-out_of_order dd")
    assert int(out_of_order.inner_text()) > 0
    assert serious_axe_violations(page) == []


def test_an_experiment_fits_a_phone_screen(browser: Browser, base_url: str):
    context = browser.new_context(base_url=base_url, viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto("/experiments/step4-queue-stores/")
    page.locator("#xp-step4-queue-stores").fill("5")
    page.get_by_role("button", name="Commit and run the experiment").click()
    expect(page.locator("#pg-conn")).to_have_attribute("data-state", "open", timeout=15_000)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the experiment scrolls sideways by {overflow}px"
    context.close()

"""A learner reads the lesson in a real browser: keyboard only, with and without JavaScript."""

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.helpers import serious_axe_violations, tab_to


def test_keyboard_learner_reads_all_nine_steps_and_is_offered_continue_after_restart(
    browser: Browser, base_url: str
):
    context = browser.new_context(base_url=base_url)
    page = context.new_page()
    page.goto("/")
    tab_to(page, page.get_by_role("link", name="Start the lesson"))
    page.keyboard.press("Enter")
    for number in range(1, 5):
        expect(page.get_by_text(f"Step {number} of 9", exact=True)).to_be_visible()
        tab_to(page, page.get_by_role("button", name=re.compile("^Mark as done")))
        page.keyboard.press("Enter")
    expect(page.get_by_text("Step 5 of 9", exact=True)).to_be_visible()
    state = context.storage_state()
    context.close()

    # The browser restarts: a new context with the same cookies.
    context = browser.new_context(base_url=base_url, storage_state=state)
    page = context.new_page()
    page.goto("/")
    expect(page.get_by_text("4 of 9 steps done")).to_be_visible()
    tab_to(page, page.get_by_role("link", name=re.compile("Continue where you left off: step 5")))
    page.keyboard.press("Enter")
    for number in range(5, 10):
        expect(page.get_by_text(f"Step {number} of 9", exact=True)).to_be_visible()
        tab_to(page, page.get_by_role("button", name=re.compile("^Mark as done")))
        page.keyboard.press("Enter")
    expect(page.get_by_text("You marked this step as done.")).to_be_visible()
    page.goto("/progress/")
    expect(page.get_by_text("9 of 9 steps done")).to_be_visible()
    context.close()


def test_skip_link_is_the_first_stop_and_focus_is_visible(page: Page):
    page.goto("/steps/2/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    outline = skip.evaluate("el => getComputedStyle(el).outlineStyle")
    assert outline != "none"


def test_boosted_navigation_keeps_url_history_and_runs_without_csp_errors(page: Page):
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.goto("/steps/1/")
    page.evaluate("window.__samePage = true")
    page.get_by_role("link", name=re.compile("^Next")).click()
    expect(page).to_have_url(re.compile(r"/steps/2/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("Synchronous"))
    assert page.evaluate("window.__samePage === true"), "htmx should swap, not reload"
    page.go_back()
    expect(page).to_have_url(re.compile(r"/steps/1/$"))
    assert not [p for p in problems if "Content Security Policy" in p], problems


@pytest.mark.parametrize(
    "path", ["/", "/progress/", "/steps/404/", *[f"/steps/{n}/" for n in range(1, 10)]]
)
def test_pages_have_no_serious_accessibility_violations(page: Page, path: str):
    page.goto(path)
    assert serious_axe_violations(page) == []


def test_lesson_works_with_javascript_disabled(browser: Browser, base_url: str):
    context = browser.new_context(base_url=base_url, java_script_enabled=False)
    page = context.new_page()
    page.goto("/steps/6/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.get_by_role("button", name=re.compile("^Mark as done")).click()
    expect(page).to_have_url(re.compile(r"/steps/7/$"))
    page.get_by_role("link", name=re.compile("^Previous")).click()
    expect(page.get_by_text("You marked this step as done.")).to_be_visible()
    page.goto("/")
    expect(
        page.get_by_role("link", name=re.compile("Continue where you left off: step 7"))
    ).to_be_visible()
    context.close()


@pytest.mark.parametrize("width", [390, 1280])
def test_step_pages_fit_the_screen_without_sideways_scrolling(
    browser: Browser, base_url: str, width: int
):
    context = browser.new_context(base_url=base_url, viewport={"width": width, "height": 900})
    page = context.new_page()
    for number in range(1, 10):
        page.goto(f"/steps/{number}/")
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"step {number} scrolls sideways by {overflow}px at {width}px"
    context.close()

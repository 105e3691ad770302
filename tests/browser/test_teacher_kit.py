"""The teacher kit in a real browser: glossary, objectives and print, with or without JS."""

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.helpers import serious_axe_violations

KIT_PAGES = ["/glossary/", "/objectives/"]


@pytest.mark.parametrize("path", KIT_PAGES)
def test_teacher_kit_pages_have_no_serious_accessibility_violations(page: Page, path: str):
    page.goto(path)
    assert serious_axe_violations(page) == []


def test_without_javascript_a_teacher_reaches_objectives_and_glossary_from_home(
    browser: Browser, base_url: str
):
    context = browser.new_context(base_url=base_url, java_script_enabled=False)
    page = context.new_page()
    page.goto("/")
    teachers = page.get_by_role("region", name="For teachers")
    teachers.get_by_role("link", name="Learning objectives").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Learning objectives")
    expect(page.get_by_role("heading", name=re.compile("Step 4: Message queues"))).to_be_visible()
    page.goto("/")
    page.get_by_role("region", name="For teachers").get_by_role("link", name="Glossary").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Glossary")
    context.close()


@pytest.mark.parametrize("javascript", [False, True], ids=["no-js", "js"])
def test_a_terms_first_use_leads_to_its_definition_and_back(
    browser: Browser, base_url: str, javascript: bool
):
    context = browser.new_context(base_url=base_url, java_script_enabled=javascript)
    page = context.new_page()
    page.goto("/steps/4/")
    page.locator("a.term", has_text="backpressure").first.click()
    expect(page).to_have_url(re.compile(r"/glossary/#term-backpressure$"))
    term = page.locator("#term-backpressure")
    expect(term).to_be_in_viewport()
    expect(term).to_have_text("Backpressure")
    page.locator("#term-backpressure + dd").get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"/steps/4/#first-term-backpressure$"))
    expect(page.locator("#first-term-backpressure")).to_be_in_viewport()
    context.close()


def test_every_step_opens_with_what_the_learner_will_be_able_to_do(page: Page):
    page.goto("/steps/7/")
    objectives = page.get_by_role("region", name="After this step you can")
    expect(objectives).to_be_visible()
    expect(objectives.get_by_role("listitem")).to_have_count(4)


@pytest.mark.parametrize("width", [390, 1280])
def test_teacher_kit_pages_fit_the_screen_without_sideways_scrolling(
    browser: Browser, base_url: str, width: int
):
    context = browser.new_context(base_url=base_url, viewport={"width": width, "height": 900})
    page = context.new_page()
    for path in KIT_PAGES:
        page.goto(path)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at {width}px"
    context.close()


# A4 is 210 mm wide; with the print margins about 182 mm (~688 CSS px) are left for text.
A4_TEXT_WIDTH = 688


@pytest.mark.parametrize("path", ["/steps/7/", "/steps/4/", "/glossary/", "/takeaways/"])
def test_printing_leaves_out_navigation_and_fits_diagrams_to_the_page(
    browser: Browser, base_url: str, path: str
):
    context = browser.new_context(
        base_url=base_url, viewport={"width": A4_TEXT_WIDTH, "height": 1000}
    )
    page = context.new_page()
    page.goto(path)
    page.emulate_media(media="print", color_scheme="dark")
    for hidden in (".site-header nav", ".step-progress", ".toc", ".pager", ".step-status"):
        for element in page.locator(hidden).all():
            expect(element).to_be_hidden()
    for button in page.locator("main button").all():
        expect(button).to_be_hidden()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{path} is wider than the printed page by {overflow}px"
    widths = page.locator("figure.diagram svg").evaluate_all(
        "els => els.map(e => e.getBoundingClientRect().right)"
    )
    assert all(right <= A4_TEXT_WIDTH for right in widths), widths
    # Dark mode on screen still prints dark text on white paper.
    colour = page.evaluate("getComputedStyle(document.body).color")
    assert colour == "rgb(0, 0, 0)"
    context.close()


def test_a_printed_step_says_where_it_lives_and_where_its_links_go(page: Page):
    page.goto("/steps/8/")
    source = page.locator(".print-source")
    expect(source).to_be_hidden()
    page.emulate_media(media="print")
    expect(source).to_be_visible()
    expect(source).to_contain_text("/steps/8/")
    after = page.locator(".try-it a").evaluate("a => getComputedStyle(a, '::after').content")
    assert "/playground/under-the-hood/" in after


@pytest.mark.parametrize("paper", ["A4", "Letter"])
def test_chromium_prints_a_long_step_on_a_sensible_number_of_pages(page: Page, paper: str):
    page.goto("/steps/7/")
    pdf = page.pdf(format=paper, print_background=False)
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert 4 <= pages <= 14, f"step 7 printed on {pages} {paper} pages"

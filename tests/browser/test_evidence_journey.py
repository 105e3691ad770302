"""The evidence page in a real browser: readable at desktop and phone width, accessible."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from conformance.evidence import evidence_load
from tests.browser.helpers import serious_axe_violations


@pytest.mark.parametrize(
    ("width", "scheme"), [(1280, "light"), (390, "light"), (390, "dark")], ids=str
)
def test_the_evidence_page_reads_well_and_has_no_serious_accessibility_violations(
    browser: Browser, base_url: str, width: int, scheme: str
):
    context = browser.new_context(
        base_url=base_url,
        viewport={"width": width, "height": 900},
        color_scheme=scheme,
        reduced_motion="reduce",
    )
    page = context.new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto("/evidence/")
    summary = evidence_load()["summary"]
    expect(page.locator("h1")).to_have_text("Checked against a real broker")
    expect(page.locator("#summary-title")).to_have_text(
        f"{summary['agree']} of {summary['compared']} behaviours agree"
    )
    expect(page.locator("article.behaviour")).to_have_count(summary["behaviours"])
    # Jumping to a disagreement from the summary lands on its card.
    first = page.locator(".evidence-jump a").first
    first.click()
    target = page.locator(first.get_attribute("href"))
    expect(target).to_be_in_viewport()
    wide = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    assert not wide, "the page scrolls sideways"
    assert serious_axe_violations(page) == []
    assert errors == []
    context.close()


def test_the_footer_and_the_playground_lead_to_the_evidence(browser: Browser, base_url: str):
    context = browser.new_context(base_url=base_url)
    page = context.new_page()
    page.goto("/playground/")
    line = page.locator("#pg-clock .checked-line")
    expect(line).to_contain_text("not checked against a real broker")
    page.locator(".site-footer").get_by_role("link", name="checked against a real RabbitMQ").click()
    expect(page).to_have_url(f"{base_url}/evidence/")
    context.close()

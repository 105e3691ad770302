"""Every "Try it" link of the lesson, and every quiz myth's scenario, opens a working playground."""

from __future__ import annotations

import re

import pytest
from django.utils.html import escape
from playwright.sync_api import Page, expect

from lessons.quizzes import get_quizzes
from playground.catalog import scenario_names
from playground.engine import load_scenario

LIVE_TIMEOUT = 15_000  # ms
# A myth may name a scenario the engine has announced but not shipped yet; its "see it happen"
# then points at the lesson step (tests/lessons/test_quizzes.py checks that), so only the
# scenarios that exist are opened here.
MYTH_SCENARIOS = sorted(
    {q.scenario for q in get_quizzes()["myths"].questions if q.scenario in scenario_names()}
)


def follow_try_it_link(page: Page, number: int) -> str:
    """Open step ``number``, follow its Try-it link as a learner does; return the scenario."""
    page.goto(f"/steps/{number}/")
    link = page.locator("#try-it").get_by_role(
        "link", name=re.compile(r"^Open “.+” in the playground$")
    )
    expect(link).to_have_count(1)
    scenario = link.get_attribute("href").strip("/").split("/")[-1]
    title = re.search(r"“(.+)”", link.inner_text()).group(1)
    assert title == load_scenario(scenario).summary()["title"]  # named as the playground names it
    link.click()  # a boosted (htmx) navigation, exactly what a learner's click does
    expect(page).to_have_url(re.compile(rf"/playground/{re.escape(scenario)}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        load_scenario(scenario).summary()["title"]
    )
    expect(page.locator("#pg-root")).to_have_attribute("data-scenario", scenario)
    return scenario


def expect_clock_moves(page: Page) -> None:
    """Live over the WebSocket: the run opens paused; once the learner presses Play the
    simulated clock moves on as updates arrive."""
    clock = page.locator("#pg-clock .clock-time strong")
    expect(clock).to_have_text(re.compile(r"^\d+\.\d s$"))
    first = clock.inner_text()
    expect(page.locator("#pg-conn")).to_have_attribute("data-state", "open", timeout=LIVE_TIMEOUT)
    expect(page.locator("#pg-clock")).to_contain_text("Paused")
    page.locator("#btn-play").click()
    expect(clock).not_to_have_text(first, timeout=LIVE_TIMEOUT)


@pytest.mark.parametrize("number", range(1, 10))
def test_try_it_link_of_each_step_opens_its_scenario_live(page: Page, number: int):
    follow_try_it_link(page, number)
    expect_clock_moves(page)
    # The socket is open by now, so the connection indicator must say so (the page script has
    # to run after a boosted navigation too, not only on a full page load).
    expect(page.locator("#pg-conn")).to_have_attribute("data-state", "open", timeout=2_000)
    expect(page.locator("#pg-conn")).to_contain_text("Live")


@pytest.mark.parametrize("scenario", MYTH_SCENARIOS)
def test_scenario_of_each_quiz_myth_serves_a_live_playground(page: Page, scenario: str):
    response = page.request.get(f"/playground/{scenario}/")
    assert response.status == 200
    html = response.text()
    assert f'ws-connect="/ws/playground/{scenario}/"' in html
    assert f"<h1>{escape(load_scenario(scenario).summary()['title'])}</h1>" in html

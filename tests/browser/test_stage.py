"""The stage: what a learner sees first and what moves, in a real browser.

A run opens paused with a one-line "watch this" caption and a clear Play; the picture shows
both lanes, and killing a receiver marks it down in both at once.
"""

from __future__ import annotations

import re
import time

from playwright.sync_api import Page, expect

LIVE_TIMEOUT = 15_000


def open_live(page: Page, path: str) -> None:
    page.goto(path)
    expect(page.locator("#pg-conn")).to_have_attribute("data-state", "open", timeout=LIVE_TIMEOUT)


def test_a_run_opens_paused_with_what_to_watch_and_plays_on_play(page: Page):
    open_live(page, "/playground/poison-message/")
    play = page.locator("#btn-play")
    expect(play).to_have_text(re.compile(r"Play"))
    expect(play).to_be_in_viewport()
    expect(page.locator("#pg-watch")).to_contain_text("Watch this")
    expect(page.locator("#pg-watch")).to_contain_text("poison message")
    time.sleep(1.5)  # a learner reading the caption: nothing happens meanwhile
    expect(page.locator("#pg-clock .clock-time strong")).to_have_text("0.0 s")
    play.click()
    expect(page.locator("#pg-clock")).to_contain_text("Running at 1×")
    expect(page.locator("#pg-clock .clock-time strong")).not_to_have_text("0.0 s")
    expect(play).to_have_text(re.compile(r"Pause"))
    play.click()
    expect(page.locator("#pg-clock")).to_contain_text("Paused")

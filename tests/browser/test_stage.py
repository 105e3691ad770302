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


def test_killing_a_receiver_marks_it_down_in_both_lanes_while_the_producer_carries_on(page: Page):
    """The core comparison on one picture: r1 dies; the sync caller, calling that same r1, is
    blocked and fails; the producer keeps publishing into a queue that grows; on revive the
    backlog drains."""
    page.set_viewport_size({"width": 1280, "height": 800})
    open_live(page, "/playground/async-moves-on/")
    stage = page.locator("#pg-stage")
    async_r1, sync_r1 = page.locator("#receiver-live-r1"), page.locator("#pg-sync #sync-recv")
    # Both lanes are side by side on a wide screen, and both show the same receiver.
    lane_a, lane_s = (
        page.locator(".lane-async").bounding_box(),
        page.locator("#pg-sync").bounding_box(),
    )
    assert lane_s["x"] >= lane_a["x"] + lane_a["width"] - 1 and abs(lane_s["y"] - lane_a["y"]) < 5
    expect(sync_r1).to_contain_text("r1")
    expect(sync_r1).to_contain_text("Up")
    page.locator("#speed").select_option("4")
    page.locator("#btn-speed").click()
    expect(page.locator("#pg-clock")).to_contain_text("Play runs at 4×")
    page.locator("#btn-play").click()
    page.locator("#btn-life-r1").click()  # Kill r1, on the stage

    for node in (async_r1, sync_r1):  # down in both lanes at once, in words and not colour alone
        expect(node).to_have_class(re.compile(r"\bis-dead\b"))
        expect(node).to_contain_text("Down")
    expect(page.locator("#sync-caller")).to_contain_text(re.compile(r"Blocked|timed out"))
    expect(page.locator("#pg-sync")).to_contain_text(
        re.compile(r"Timed out\s*[1-9]"), timeout=LIVE_TIMEOUT
    )
    expect(page.locator("#pg-producer")).to_contain_text("Publishing")
    depth = stage.locator("#pg-queues .depth").first
    expect(depth).to_have_text(re.compile(r"^([3-9]|\d\d+) ready$"), timeout=LIVE_TIMEOUT)

    page.locator("#btn-life-r1").click()  # Revive r1: the backlog drains
    for node in (async_r1, sync_r1):
        expect(node).not_to_have_class(re.compile(r"\bis-dead\b"))
        expect(node).to_contain_text("Up" if node is sync_r1 else "r1")
    expect(depth).to_have_text(re.compile(r"^[01] ready$"), timeout=LIVE_TIMEOUT)


def test_every_scenario_offers_the_sync_lane_and_the_queue_shows_its_head_and_a_count(page: Page):
    from playground.engine import list_scenarios

    for scenario in list_scenarios():
        page.goto(f"/playground/{scenario}/")
        expect(page.locator("#pg-sync #btn-call")).to_be_visible()
        expect(page.locator("#pg-sync #sync-caller")).to_be_visible()
    open_live(page, "/playground/sandbox/")
    page.locator("#burst-n").fill("30")
    page.locator("#btn-burst").click()
    queue = page.locator("#pg-queues .qbox").first
    expect(queue.locator(".depth").first).to_have_text(re.compile(r"^2[0-9] ready$"))
    assert queue.locator(".tok").count() <= 6
    expect(queue.locator(".more")).to_have_text(re.compile(r"^\+\d+ more$"))

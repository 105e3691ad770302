"""A learner breaks things in the live playground, in a real browser, keyboard only.

Every journey waits for the WebSocket to be live (``#pg-conn[data-state=open]``), then drives
the controls with Tab and Enter as a keyboard-only learner would, and reads what the page shows:
counters, the sync lane, the queues, the dead-letter queue, the life story and the notices.
A run opens paused, as a learner finds it: journeys that need the clock press Play, as the
learner would. Simulated time runs at 4x (or stays paused and is stepped) so the journeys are
quick and repeatable.
"""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Locator, Page, expect

from tests.browser.helpers import serious_axe_violations, tab_to

LIVE_TIMEOUT = 15_000  # ms: the socket opens, or a journey's outcome shows, well within this
MAX_TABS = 200  # the playground has ~70 focusable controls, plus message cards
POSITIVE = re.compile(r"^\s*[1-9]\d*\s*$")  # a whole number above zero
ZERO = re.compile(r"^\s*0\s*$")


# ----- helpers: what a keyboard-only learner does, and what they read ----------------------


def open_live(page: Page, path: str) -> None:
    """Open a playground page and wait until it is live over the WebSocket."""
    page.goto(path)
    expect(page.locator("#pg-conn")).to_have_attribute("data-state", "open", timeout=LIVE_TIMEOUT)


def press(page: Page, selector: str) -> None:
    """Tab to a control and press Enter on it."""
    tab_to(page, page.locator(selector), max_presses=MAX_TABS)
    page.keyboard.press("Enter")


def type_and_submit(page: Page, selector: str, text: str) -> None:
    """Tab into a field, replace its value by typing, and press Enter to submit its form."""
    tab_to(page, page.locator(selector), max_presses=MAX_TABS)
    page.keyboard.press("Control+A")
    page.keyboard.type(text)
    page.keyboard.press("Enter")


def play_at_4x(page: Page) -> None:
    """Set the speed to 4x while paused, then press Play."""
    tab_to(page, page.locator("#speed"), max_presses=MAX_TABS)
    page.keyboard.press("4")  # type-ahead picks the "4×" option of the closed select
    expect(page.locator("#speed")).to_have_value("4")
    press(page, "#btn-speed")
    expect(page.locator("#pg-clock")).to_contain_text("Play runs at 4×")
    press(page, "#btn-play")
    expect(page.locator("#pg-clock")).to_contain_text("Running at 4×")
    expect(page.locator("#btn-play")).to_have_text(re.compile(r"Pause"))
    expect(page.locator("#btn-play")).to_be_focused()  # focus survives the Play/Pause flip


def opens_paused(page: Page) -> None:
    """A run opens paused, saying what to watch and offering Play."""
    expect(page.locator("#pg-clock")).to_contain_text("Paused")
    expect(page.locator("#btn-play")).to_have_text(re.compile(r"Play"))
    expect(page.locator("#pg-watch")).to_contain_text("Watch this")


def step(page: Page) -> None:
    """Step to the next scheduled thing, and wait for the server's answer.

    The next thing may be invisible (or move the clock by less than the 0.1 s it shows), so
    wait for the reply itself: the one carrying the command's notice (a narration of earlier
    events may also arrive while paused).
    """
    page.evaluate(
        "() => { window.__replies = 0; if (!window.__countingReplies) {"
        " window.__countingReplies = true;"
        " document.addEventListener('htmx:wsAfterMessage', (e) => {"
        " if (String(e.detail.message).includes('id=\"pg-notice\"')) window.__replies += 1;"
        " }); } }"
    )
    press(page, "#btn-step")
    page.wait_for_function("() => window.__replies > 0")


def counter(page: Page, label: str) -> Locator:
    """The value of one counter in #pg-counters, by its visible label."""
    return (
        page.locator("#pg-counters .counter")
        .filter(has=page.locator("dt", has_text=re.compile(rf"^{re.escape(label)}$")))
        .locator("dd")
    )


def sync_fact(page: Page, label: str) -> Locator:
    """A fact of the sync lane ("Calls OK", "Timed out", "Failed"), by its visible label."""
    return (
        page.locator("#pg-sync .facts > div")
        .filter(has=page.locator("dt", has_text=re.compile(rf"^{re.escape(label)}$")))
        .locator("dd")
    )


def number(locator: Locator) -> int:
    return int(locator.inner_text().strip())


def at_least(n: int) -> re.Pattern:
    """A regex for a whole number >= n (for auto-waiting text assertions)."""
    return re.compile(r"^\s*(" + "|".join(str(v) for v in range(n, n + 200)) + r")\s*$")


def clock_text(page: Page) -> str:
    return page.locator("#pg-clock .clock-time strong").inner_text().strip()


def card_ids(page: Page, scope: str) -> list[str]:
    return [t.strip() for t in page.locator(f"{scope} .msg .msg-id").all_inner_texts()]


# ----- journeys -----------------------------------------------------------------------------


def test_receiver_down_sync_caller_fails_while_async_queue_grows_then_drains(page: Page):
    open_live(page, "/playground/phone-vs-letter/")
    opens_paused(page)
    play_at_4x(page)
    type_and_submit(page, "#rate", "0")  # no steady sender: the burst is the only traffic
    expect(page.locator("#pg-sender")).to_contain_text("now 0)")

    press(page, "#btn-life-r1")
    expect(page.locator("#receiver-live-r1")).to_contain_text("Down")
    expect(page.locator("#btn-life-r1")).to_have_text("Revive r1")
    expect(page.locator("#btn-life-r1")).to_be_focused()  # focus survives the Kill/Revive flip
    sent_before = number(counter(page, "Sent"))
    in_system_before = number(counter(page, "In the system now"))

    type_and_submit(page, "#burst-n", "10")

    # The async sender is done at once: every letter is accepted and waits in the mailbox.
    expect(counter(page, "Sent")).to_have_text(str(sent_before + 10))
    expect(counter(page, "In the system now")).to_have_text(str(in_system_before + 10))
    expect(page.locator("#pg-queues .depth").first).to_have_text(
        re.compile(rf"^({'|'.join(str(n) for n in range(10, 60))}) ready$")
    )
    for label in ("Refused", "Dropped", "Lost"):
        expect(counter(page, label)).to_have_text(ZERO)
    # The sync caller, phoning a dead receiver, times out (or fails).
    expect(page.locator("#pg-sync")).to_contain_text(
        re.compile(r"Timed out\s*[1-9]|Failed\s*[1-9]"), timeout=LIVE_TIMEOUT
    )
    timed_out, failed = number(sync_fact(page, "Timed out")), number(sync_fact(page, "Failed"))
    assert timed_out + failed > 0

    acked_before = number(counter(page, "Acknowledged"))
    press(page, "#btn-life-r1")
    expect(page.locator("#btn-life-r1")).to_have_text("Kill r1")
    expect(page.locator("#receiver-live-r1")).not_to_contain_text("Down")

    # The backlog drains: every letter is acknowledged, nothing is left in the system.
    expect(counter(page, "In the system now")).to_have_text(ZERO, timeout=LIVE_TIMEOUT)
    expect(counter(page, "Acknowledged")).to_have_text(at_least(acked_before + 10))
    expect(page.locator("#pg-queues .depth").first).to_have_text("0 ready")
    expect(counter(page, "Lost")).to_have_text(ZERO)


def test_poison_message_retries_lands_in_dead_letters_and_can_be_redriven(page: Page):
    open_live(page, "/playground/poison-message/")
    opens_paused(page)
    play_at_4x(page)
    type_and_submit(page, "#rate", "0")  # only the poison message: a calm queue to tab through
    expect(page.locator("#pg-sender")).to_contain_text("now 0)")

    expect(counter(page, "Retried")).to_have_text(POSITIVE, timeout=LIVE_TIMEOUT)
    dlq = page.locator("#pg-dlq")
    expect(dlq.locator(".dlq-item")).to_have_count(1, timeout=LIVE_TIMEOUT)
    expect(dlq.locator(".dlq-reason")).to_contain_text("after 3 deliveries")
    expect(counter(page, "Dead-lettered")).to_have_text("1")
    expect(page.locator("#pg-goal")).not_to_have_class(re.compile(r"\bis-met\b"))

    # Open its life story from its card, with the keyboard.
    card = dlq.locator("button.msg").first
    message_id = card.locator(".msg-id").inner_text().strip().lstrip("#")
    tab_to(page, card, max_presses=MAX_TABS)
    page.keyboard.press("Enter")
    story = page.locator("#pg-story")
    expect(story).to_contain_text(f"Message #{message_id}")
    expect(story).to_contain_text("in the dead-letter queue")
    expect(story).to_contain_text(re.compile(r"failed at r1 \(attempt 1\)"))
    expect(story).to_contain_text(re.compile(r"moved to the dead-letter queue after 3 deliveries"))

    press(page, f"#btn-redrive-{message_id}")
    expect(story).to_contain_text(
        f"Message {message_id} redriven from the dead-letter queue", timeout=LIVE_TIMEOUT
    )
    expect(page.locator("#pg-events")).to_contain_text("redriven")
    expect(page.locator("#pg-goal")).to_have_class(re.compile(r"\bis-met\b"), timeout=LIVE_TIMEOUT)
    expect(page.locator("#pg-goal")).to_contain_text("Goal met")


def test_reload_and_server_restart_resume_the_same_paused_run(page: Page, daphne_server):
    open_live(page, "/playground/sandbox/")
    opens_paused(page)
    type_and_submit(page, "#burst-n", "7")
    expect(counter(page, "Sent")).to_have_text("7")
    step(page)
    sent, time_shown = counter(page, "Sent").inner_text(), clock_text(page)
    queued = card_ids(page, "#pg-queues")
    assert queued, "a paused burst of 7 into two receivers leaves cards in the queue"

    page.reload()
    expect(page.locator("#pg-conn")).to_have_attribute("data-state", "open", timeout=LIVE_TIMEOUT)
    expect(page.locator("#pg-clock")).to_contain_text("Paused")
    expect(counter(page, "Sent")).to_have_text(sent)
    assert clock_text(page) == time_shown
    assert card_ids(page, "#pg-queues") == queued

    daphne_server.restart()
    page.reload()
    expect(page.locator("#pg-conn")).to_have_attribute("data-state", "open", timeout=LIVE_TIMEOUT)
    expect(page.locator("#pg-clock")).to_contain_text("Paused")
    expect(counter(page, "Sent")).to_have_text(sent)
    assert clock_text(page) == time_shown
    assert card_ids(page, "#pg-queues") == queued


def test_share_link_replays_the_same_run_for_another_learner(
    page: Page, browser: Browser, base_url: str
):
    open_live(page, "/playground/sandbox/")
    opens_paused(page)
    type_and_submit(page, "#burst-n", "6")
    expect(counter(page, "Sent")).to_have_text("6")
    step(page)
    press(page, "#btn-share")
    link = page.locator("#share-link")
    expect(link).to_have_value(re.compile(r"^https?://[^/]+/playground/share/[\w-]+/$"))
    url = link.input_value()
    mine = {
        "sent": counter(page, "Sent").inner_text(),
        "time": clock_text(page),
        "queue": card_ids(page, "#pg-queues"),
        "r1": page.locator("#receiver-live-r1 .receiver-facts").inner_text(),
        "r2": page.locator("#receiver-live-r2 .receiver-facts").inner_text(),
    }

    other = browser.new_context(base_url=base_url)  # a different learner
    try:
        theirs_page = other.new_page()
        theirs_page.set_default_timeout(10_000)
        theirs_page.goto(url)
        # Opening a link asks first: replaying replaces the opener's own run.
        theirs_page.get_by_role("button", name="Replay it in my playground").click()
        expect(theirs_page).to_have_url(re.compile(r"/playground/sandbox/$"))
        expect(theirs_page.locator("#pg-conn")).to_have_attribute(
            "data-state", "open", timeout=LIVE_TIMEOUT
        )
        expect(theirs_page.locator("#pg-clock")).to_contain_text("Paused")
        expect(counter(theirs_page, "Sent")).to_have_text(mine["sent"])
        theirs = {
            "sent": counter(theirs_page, "Sent").inner_text(),
            "time": clock_text(theirs_page),
            "queue": card_ids(theirs_page, "#pg-queues"),
            "r1": theirs_page.locator("#receiver-live-r1 .receiver-facts").inner_text(),
            "r2": theirs_page.locator("#receiver-live-r2 .receiver-facts").inner_text(),
        }
        assert theirs == mine
    finally:
        other.close()


def test_out_of_range_burst_shows_a_specific_error_and_changes_nothing(page: Page):
    open_live(page, "/playground/sandbox/")
    opens_paused(page)
    sent = counter(page, "Sent").inner_text()
    # The browser's own min/max check would stop the form; remove it to reach the server.
    page.evaluate(
        "() => { const el = document.getElementById('burst-n');"
        " el.removeAttribute('max'); el.removeAttribute('min'); }"
    )
    type_and_submit(page, "#burst-n", "999")
    notice = page.locator("#pg-notice")
    expect(notice).to_contain_text(re.compile(r"'n' must be between 1 and 50, got 999"))
    expect(notice.locator(".notice-error")).to_be_visible()
    expect(counter(page, "Sent")).to_have_text(sent)
    expect(page.locator("#pg-conn")).to_have_attribute("data-state", "open")

    # Still live: a good command right after works.
    type_and_submit(page, "#burst-n", "2")
    expect(counter(page, "Sent")).to_have_text(str(int(sent) + 2))
    expect(notice.locator(".notice-error")).to_have_count(0)


def test_message_text_is_shown_escaped_in_its_life_story(page: Page):
    payload = "<script>window.__pwned=1</script>"
    open_live(page, "/playground/sandbox/")
    opens_paused(page)
    type_and_submit(page, "#burst-n", "2")  # r1 and r2 each hold one: the next one waits
    expect(counter(page, "Sent")).to_have_text("2")
    type_and_submit(page, "#publish-text", payload)
    expect(counter(page, "Sent")).to_have_text("3")

    card = page.locator("#pg-queues button.msg").last
    expect(card).to_be_visible()
    message_id = card.locator(".msg-id").inner_text().strip().lstrip("#")
    tab_to(page, card, max_presses=MAX_TABS)
    page.keyboard.press("Enter")
    story = page.locator("#pg-story")
    expect(story).to_contain_text(f"Message #{message_id}")
    expect(story).to_contain_text(f"text “{payload}”")
    assert story.locator("script").count() == 0
    assert page.evaluate("typeof window.__pwned") == "undefined"
    # The story may be far below the card: focus (and the view) go to it, and come back
    # to the card when it is closed.
    expect(page.locator("#story-title")).to_be_focused()
    expect(page.locator("#story-title")).to_be_in_viewport()
    press(page, "#btn-close-story")
    expect(page.locator(f"#tok-{message_id}")).to_be_focused()


def test_playground_pages_have_no_serious_accessibility_violations(page: Page):
    for path in ("/playground/", "/playground/poison-message/", "/playground/fan-out/"):
        open_live(page, path)
        assert serious_axe_violations(page) == [], path
    # The goal's progress list and a tab that stepped aside for another one.
    open_live(page, "/playground/phone-vs-letter/")
    expect(page.locator("#pg-goal .goal-conditions")).to_be_visible()
    other = page.context.new_page()
    open_live(other, "/playground/phone-vs-letter/")
    expect(page.locator("#pg-conn")).to_have_attribute("data-state", "elsewhere", timeout=15_000)
    assert serious_axe_violations(page) == [], "stepped-aside tab"
    other.close()


def test_sandbox_fits_a_390px_screen_without_sideways_scrolling(browser: Browser, base_url: str):
    context = browser.new_context(base_url=base_url, viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        open_live(page, "/playground/sandbox/")
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"the sandbox scrolls sideways by {overflow}px at 390px"
        send = page.locator("#btn-publish")
        send.scroll_into_view_if_needed()
        expect(send).to_be_visible()
        expect(send).to_be_in_viewport()
        box = send.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    finally:
        context.close()


def test_the_event_log_can_be_filtered_by_kind(page: Page):
    page.goto("/playground/sandbox/")
    expect(page.locator("#pg-conn")).to_have_attribute("data-state", "open", timeout=15_000)
    page.locator("#event-filter").select_option("dead")
    expect(page.locator("#pg-events")).to_contain_text("No events of this kind yet", timeout=10_000)
    page.locator("#event-filter").select_option("all")
    expect(page.locator("#pg-events .ev").first).to_be_visible(timeout=10_000)


def test_a_half_typed_receiver_setting_survives_a_live_update(page: Page):
    """Typing into r1's settings, then killing r2 (which re-renders every receiver's
    controls), keeps what was typed; applying it then changes r1."""
    open_live(page, "/playground/")
    opens_paused(page)
    press(page, "#settings-r1 summary")  # opens r1's settings
    tab_to(page, page.locator("#fr-r1"), max_presses=MAX_TABS)
    page.keyboard.press("Control+A")
    page.keyboard.type("0.5")  # typed, not applied yet
    press(page, "#btn-life-r2")
    expect(page.locator("#btn-life-r2")).to_have_text("Revive r2")  # the controls re-rendered
    expect(page.locator("#settings-r1")).to_have_attribute("open", "")
    expect(page.locator("#fr-r1")).to_have_value("0.5")
    press(page, "#btn-set-r1")
    expect(page.locator("#receiver-live-r1")).to_contain_text("fails 50%")
    expect(page.locator("#fr-r1")).to_have_value("0.5")


def test_opening_the_run_in_a_second_tab_hands_it_over_without_losing_anything(page: Page):
    open_live(page, "/playground/")
    opens_paused(page)
    type_and_submit(page, "#burst-n", "4")
    expect(counter(page, "In the system now")).to_have_text("4")

    second = page.context.new_page()  # the same learner, another tab
    open_live(second, "/playground/")
    expect(counter(second, "In the system now")).to_have_text("4")  # the first tab's burst
    conn = page.locator("#pg-conn")
    expect(conn).to_have_attribute("data-state", "elsewhere", timeout=LIVE_TIMEOUT)
    expect(conn).to_contain_text("live in another tab")
    press(page, "#btn-step")  # a command in the stepped-aside tab is not sent, and it says why
    expect(page.locator("#pg-notice")).to_contain_text("live in another tab")

    press(page, '#pg-conn a:text("Continue here")')  # and the first tab takes it back
    expect(page.locator("#pg-conn")).to_have_attribute("data-state", "open", timeout=LIVE_TIMEOUT)
    expect(second.locator("#pg-conn")).to_have_attribute(
        "data-state", "elsewhere", timeout=LIVE_TIMEOUT
    )
    expect(counter(page, "In the system now")).to_have_text("4")
    second.close()


def test_fan_out_with_every_queue_unsubscribed_drops_the_event_as_unroutable(page: Page):
    open_live(page, "/playground/fan-out/")
    opens_paused(page)
    for name in ("email", "billing", "shipping"):
        press(page, f"#btn-bind-{name}")
        expect(page.locator(f"#btn-bind-{name}")).to_have_text(f"Subscribe “{name}” again")
    expect(page.locator("#pg-queues .tag")).to_have_count(3)  # "not subscribed", in words
    dropped = number(counter(page, "Dropped"))
    press(page, "#btn-publish")
    expect(counter(page, "Dropped")).to_have_text(str(dropped + 1))
    expect(page.locator("#pg-events")).to_contain_text("unroutable")
    press(page, "#btn-bind-billing")  # subscribed again: the next event reaches billing
    expect(page.locator("#btn-bind-billing")).to_have_text("Unsubscribe “billing”")

"""A run whose full view is bigger than one WebSocket frame loads in a real browser.

Daphne runs with the README's production flags (``--websocket-max-message-size 65536``, which
caps what the server sends too). The view of a fan-out run with 20 stopped receivers and full
queues is over 70 KB: it arrives in frames that each fit (playground/frames.py), the page's
script joins a fragment sent in parts, and every card and receiver shows.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_playground_journey import LIVE_TIMEOUT
from tests.reliability.harness import Stack, learner_cookie

STORE = (
    "from tests.reliability.big_runs import big_fanout, store_for_session; "
    "store_for_session({key!r}, 'fan-out', big_fanout())"
)


@pytest.fixture(params=["production", "parts"])
def production_server(request, tmp_path):
    """Daphne with the production flags; "parts" also sends frames of at most 8 KB, so the
    queues and receivers panels arrive cut in parts that the page must join."""
    stack = Stack(tmp_path, redis_url="", name="bigview")
    env = {"DJANGO_WS_FRAME_BYTES": "8000"} if request.param == "parts" else {}
    try:
        yield stack, stack.daphne("big", env=env)
    finally:
        stack.close()


def test_a_view_over_70_kb_loads_whole_under_the_production_frame_limit(
    page: Page, production_server
):
    stack, server = production_server
    cookie = learner_cookie(server, "/playground/fan-out/")  # a learner, no socket open yet
    key = cookie.split("=", 1)[1]
    stack.manage("shell", "-c", STORE.format(key=key))
    page.context.add_cookies([{"name": "sessionid", "value": key, "url": server.url}])

    page.goto(server.url + "/playground/fan-out/")
    expect(page.locator("#pg-conn")).to_have_attribute("data-state", "open", timeout=LIVE_TIMEOUT)
    expect(page.locator("#pg-narration")).to_contain_text("Resumed at", timeout=LIVE_TIMEOUT)
    expect(page.locator("#pg-receivers .receiver")).to_have_count(20)
    # Each full queue as the stage draws it: its 6 head tokens, then a count of the rest.
    expect(page.locator("#pg-queues .qbox")).to_have_count(3)
    for queue in page.locator("#pg-queues .qbox").all():
        expect(queue.locator(".tok")).to_have_count(6)
        ready = int(queue.locator(".depth").first.inner_text().split()[0])
        expect(queue.locator(".more")).to_have_text(f"+{ready - 6} more")
    expect(page.locator("#pg-conn")).to_have_attribute("data-state", "open")
    assert "Traceback" not in server.log_text()

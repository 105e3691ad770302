"""A Redis outage, in a real browser: the page says calmly what is paused, and nothing is lost.

Only messages between Daphne processes need Redis (one tab asking another to hand a run
over); the learner's socket is direct to its process, and its clock and saves need only the
database. A throwaway redis-server (never the shared one) is stopped under a live playground
and started again: the page says live updates between servers are paused, the learner keeps
working, the notice goes by itself when Redis is back, and a reload shows every command.
"""

from __future__ import annotations

import re
import shutil

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_playground_journey import LIVE_TIMEOUT, counter, type_and_submit
from tests.reliability.harness import RedisServer, Stack

pytestmark = pytest.mark.skipif(
    shutil.which("redis-server") is None, reason="needs redis-server (apt-get install redis)"
)
PAUSED = re.compile(r"Live updates between servers are paused")


@pytest.fixture
def outage_server(tmp_path):
    redis = RedisServer(tmp_path).start()
    stack = Stack(tmp_path, redis_url=redis.url, name="outage")
    try:
        yield stack.daphne("outage"), redis
    finally:
        stack.close()
        redis.stop()


def test_a_redis_outage_pauses_only_messages_between_servers_and_loses_nothing(
    page: Page, outage_server
):
    server, redis = outage_server
    page.goto(server.url + "/playground/sandbox/")
    conn = page.locator("#pg-conn")
    expect(conn).to_have_attribute("data-state", "open", timeout=LIVE_TIMEOUT)
    expect(page.locator("#pg-clock")).to_contain_text("Paused")  # a run opens paused: calm counts
    sent = counter(page, "Sent")
    type_and_submit(page, "#burst-n", "3")
    expect(sent).to_have_text("3")
    layer = page.locator("#pg-layer")
    expect(layer).to_be_empty()

    redis.stop()
    expect(layer).to_contain_text(PAUSED, timeout=LIVE_TIMEOUT)
    expect(layer).to_contain_text("your work is kept")
    expect(conn).to_have_attribute("data-state", "open")  # the learner's own socket is fine
    type_and_submit(page, "#burst-n", "5")  # work goes on during the outage
    expect(sent).to_have_text("8")

    redis.start()  # back on the same port: the notice goes by itself
    expect(layer).to_be_empty(timeout=LIVE_TIMEOUT)
    expect(conn).to_have_attribute("data-state", "open")
    type_and_submit(page, "#burst-n", "2")
    expect(sent).to_have_text("10")

    page.reload()  # every command made before, during and after the outage is there
    expect(conn).to_have_attribute("data-state", "open", timeout=LIVE_TIMEOUT)
    expect(sent).to_have_text("10")
    assert "Traceback" not in server.log_text()

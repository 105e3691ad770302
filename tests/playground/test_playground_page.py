"""The playground page as first served: its controls offer only what the engine accepts."""

import re

import pytest
from django.template.loader import render_to_string

from playground.engine import PROFILES, list_scenarios, load_scenario

pytestmark = pytest.mark.django_db


def _select(body: str, select_id: str) -> list[tuple[str, bool]]:
    block = re.search(rf'<select id="{select_id}"[^>]*>(.*?)</select>', body, re.S).group(1)
    return [
        (m.group(1), "selected" in m.group(2))
        for m in re.finditer(r'<option value="([^"]*)"([^>]*)>', block)
    ]


@pytest.mark.parametrize("scenario", list_scenarios())
def test_the_profile_select_offers_exactly_the_engines_profiles(client, scenario):
    body = client.get(f"/playground/{scenario}/").content.decode()
    options = _select(body, "profile")
    assert [value for value, _ in options] == list(PROFILES)
    assert [value for value, chosen in options if chosen] == [load_scenario(scenario).profile]


def test_the_visibility_timeout_form_says_whether_the_timeout_is_used(client):
    body = client.get("/playground/sandbox/").content.decode()
    assert _select(body, "visibility-enabled") == [("true", False), ("false", True)]
    assert "off: death detection after" in body


def test_a_scenario_where_no_message_can_reach_a_queue_offers_no_async_sender(client):
    body = client.get("/playground/sync-blocks/").content.decode()
    assert 'id="btn-burst"' not in body and 'id="btn-publish"' not in body
    assert "could only be dropped as unroutable" in body
    assert 'id="btn-call"' in body  # the sync lane is how work is sent here


@pytest.mark.parametrize("scenario", ["sandbox", "fan-out"])
def test_scenarios_with_queues_to_reach_offer_the_sender(client, scenario):
    body = client.get(f"/playground/{scenario}/").content.decode()
    assert 'id="btn-burst"' in body and 'id="btn-publish"' in body


def test_the_paused_clock_still_says_the_speed_it_will_run_at():
    # Set speed while paused used to change nothing on the page, so it seemed to need a
    # second click (after Play).
    context = {"time": "3.0", "paused": True, "speed": "2", "profile": PROFILES["teaching"]}
    text = re.sub(r"<[^>]+>|\s+", " ", render_to_string("playground/_clock.html", context))
    assert re.search(r"Paused\s+Play runs at 2×", text)


def test_the_backpressure_page_shows_each_queues_load_readouts_and_other_scenarios_do_not(client):
    body = client.get("/playground/backpressure/").content.decode()
    assert body.count('class="queue-load"') == 3  # unbounded, reject-publish, drop-head
    for words in ("Throughput", "Oldest message", "Little's law", "Wait for a new message"):
        assert words in body
    assert "max length 10, reject-publish" in body and "no limit" in body
    assert 'class="queue-load"' not in client.get("/playground/slow-receiver/").content.decode()


def test_the_load_readouts_say_when_a_backlog_drains_and_when_it_never_will():
    from playground.engine import Simulation
    from playground.engine.load import queue_load
    from playground.presenters import load_context

    sim = Simulation.from_scenario("backpressure", 1)
    sim.advance(30)
    growing = load_context(queue_load(sim, sim.queues["unbounded"]))
    assert growing["drain"].startswith("never drains at these rates")
    assert growing["little"]["steady"] is False  # overload: Little's law needs a steady state
    shed = load_context(queue_load(sim, sim.queues["drop-head"]))
    assert shed["drain"] == "keeping up" and shed["little"]["steady"] is True
    sim.apply({"action": "set_rate", "rate": 1.0})
    sim.advance(12)
    assert "drains in about" in load_context(queue_load(sim, sim.queues["unbounded"]))["drain"]

"""Share links: the same seed and commands, replayed into the opener's own run after asking."""

import pytest
from django.test import Client

from playground import runs
from playground.engine import Simulation
from playground.models import PlaygroundRun

pytestmark = pytest.mark.django_db


def _shared_slug() -> tuple[str, Simulation]:
    sim = Simulation.from_scenario("sandbox", seed=11)
    sim.apply({"action": "burst", "n": 4})
    sim.advance(2.5)
    return runs.share_create(scenario="sandbox", sim=sim), sim


def test_opening_a_share_link_asks_before_replacing_the_learners_run(client):
    slug, _ = _shared_slug()
    client.get("/playground/sandbox/")
    mine = PlaygroundRun.objects.get().state
    response = client.get(f"/playground/share/{slug}/")
    assert response.status_code == 200
    assert "Replay it in my playground" in response.content.decode()
    assert PlaygroundRun.objects.get().state == mine


def test_replaying_gives_the_same_run_to_another_learner():
    slug, original = _shared_slug()
    other = Client()
    response = other.post(f"/playground/share/{slug}/")
    assert response.status_code == 302 and response["Location"] == "/playground/sandbox/"
    replayed = Simulation.from_dict(PlaygroundRun.objects.get().state)
    assert replayed.now == original.now
    assert replayed.events_since(0) == original.events_since(0)


def test_an_unknown_share_link_is_a_404(client):
    assert client.get("/playground/share/nope/").status_code == 404
    assert client.post("/playground/share/nope/").status_code == 404

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


def test_the_stored_state_is_exactly_what_replaying_the_seed_and_commands_gives():
    sim = Simulation.from_scenario("flaky-receiver", seed=5)
    sim.apply({"action": "burst", "n": 6})
    sim.advance(3.0)
    sim.apply({"action": "kill_receiver", "receiver": sim.view()["receivers"][0]["id"]})
    sim.advance(4.25)
    slug = runs.share_create(scenario="flaky-receiver", sim=sim)
    shared = runs.share_get(slug=slug)
    replayed = Simulation.replay(shared.scenario, shared.seed, shared.commands, until=shared.until)
    assert Simulation.from_dict(shared.state).to_dict() == replayed.to_dict()


def test_a_share_without_a_stored_state_is_replayed():
    slug, original = _shared_slug()
    from playground.models import SharedRun

    SharedRun.objects.filter(slug=slug).update(state=None)  # as shares made before states were kept
    Client().post(f"/playground/share/{slug}/")
    replayed = Simulation.from_dict(PlaygroundRun.objects.get().state)
    assert replayed.events_since(0) == original.events_since(0)


def test_a_new_run_opens_paused_and_its_share_replays_the_pause():
    """A learner reads "Watch this" before anything happens; the pause is a logged command,
    so replaying a share of a run that was never played gives the same paused run."""
    sim = runs.fresh_run("poison-message", 3)
    assert sim.paused and sim.command_log == [[0.0, {"action": "pause"}]]
    sim.tick(5.0)
    assert sim.now == 0.0 and sim.counters["dead_lettered"] == 0
    replayed = Simulation.replay("poison-message", 3, sim.command_log)
    assert replayed.paused and replayed.to_dict() == sim.to_dict()

"""The view: one JSON-able dict with everything the playground draws."""

import json

from playground.engine import Simulation


def test_view_has_everything_the_ui_draws_and_is_json():
    sim = Simulation.from_scenario("async-moves-on", seed=4)
    sim.apply({"action": "set_retry_policy", "delivery_limit": 1})
    sim.apply({"action": "set_receiver", "receiver": "r1", "failure_rate": 0.5})
    sim.advance(12.3)
    view = sim.view()
    json.dumps(view)
    assert {
        "sender",
        "sync",
        "queues",
        "receivers",
        "counters",
        "metrics",
        "goal",
        "profile",
    } <= set(view)
    assert view["profile"]["label"] == "Teaching default"
    (queue,) = view["queues"]
    assert {"depth", "ready", "delayed", "dlq", "dlq_count"} <= set(queue)
    for card in queue["ready"]:
        assert {"id", "seq", "attempts", "redelivered"} <= set(card)
    for entry in queue["dlq"]:
        assert entry["reason"] and entry["attempts"] >= 1
    (r1,) = view["receivers"]
    assert r1["status"] in ("idle", "working", "dead")
    if r1["status"] == "working":
        assert 0.0 <= r1["progress"] <= 1.0 and r1["working_on"] in r1["held"]
    assert view["sync"]["enabled"] and view["sync"]["target"] == "r1"
    assert len(view["metrics"]["t"]) == 12
    assert view["last_event_seq"] == sim.event_seq


def test_view_shows_delayed_retries_with_their_countdown():
    sim = Simulation.from_scenario("poison-message", seed=1)
    sim.apply({"action": "set_rate", "rate": 0})
    while sim.messages[1].state != "delayed":
        sim.advance(0.05)
    (queue,) = sim.view()["queues"]
    (delayed,) = queue["delayed"]
    assert delayed["poison"] and delayed["attempts"] == 1 and delayed["countdown"] > 0


def test_dead_receiver_shows_as_dead_and_sync_caller_as_waiting():
    sim = Simulation.from_scenario("sync-blocks", seed=1)
    sim.apply({"action": "kill_receiver", "receiver": "r1"})
    sim.advance(1.5)
    view = sim.view()
    assert view["receivers"][0]["status"] == "dead"
    assert view["sync"]["state"] == "waiting"
    assert 0 < view["sync"]["call"]["progress"] < 1


def test_life_story_tells_every_step_of_a_message():
    sim = Simulation.from_scenario("poison-message", seed=1)
    sim.apply({"action": "set_rate", "rate": 0})
    sim.advance(30)
    story = sim.story(1)
    kinds = [e["kind"] for e in story["events"]]
    assert kinds[0] == "published" and kinds[-1] == "dead_lettered"
    assert kinds.count("delivered") == 3 and kinds.count("failed") == 3
    assert story["complete"] and story["message"]["state"] == "dead_lettered"
    assert sim.story(12345)["message"] is None


def test_events_since_n_returns_only_newer_events():
    sim = Simulation.from_scenario("sandbox", seed=1)
    sim.apply({"action": "burst", "n": 4})
    mark = sim.event_seq
    sim.advance(5)
    newer = sim.events_since(mark)
    assert newer and all(e["seq"] > mark for e in newer)
    assert [e["seq"] for e in newer] == list(range(mark + 1, sim.event_seq + 1))


def test_tick_honours_pause_and_speed():
    sim = Simulation.from_scenario("sandbox", seed=1)
    sim.apply({"action": "set_speed", "speed": 2.0})
    sim.tick(1.5)
    assert sim.now == 3.0
    sim.apply({"action": "pause"})
    sim.tick(1.0)
    assert sim.now == 3.0
    sim.apply({"action": "burst", "n": 2})
    sim.apply({"action": "step"})  # one event, even while paused
    assert sim.now > 3.0

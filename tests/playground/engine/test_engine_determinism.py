"""Same seed + same commands -> same events; snapshots continue exactly like the original."""

import json

from playground.engine import Simulation, check_invariants

SCRIPT = [
    (0.0, {"action": "burst", "n": 8}),
    (1.3, {"action": "kill_receiver", "receiver": "r1"}),
    (2.0, {"action": "set_receiver", "receiver": "r2", "failure_rate": 0.4}),
    (4.7, {"action": "publish", "text": "hello"}),
    (6.0, {"action": "revive_receiver", "receiver": "r1"}),
    (
        7.5,
        {"action": "set_retry_policy", "kind": "exponential", "jitter": 0.5, "delivery_limit": 3},
    ),
    (9.0, {"action": "set_rate", "rate": 3.0}),
    (15.0, {"action": "redrive", "all": True}),
    (16.0, {"action": "add_receiver", "failure_rate": 0.2, "prefetch": 3}),
    (20.0, {"action": "set_profile", "profile": "sqs-standard"}),
    (22.0, {"action": "step"}),
]


def run(seed, chunk=0.37, until=40.0, scenario="sandbox"):
    sim = Simulation.from_scenario(scenario, seed, event_log_limit=None)
    for t, command in SCRIPT:
        while sim.now + chunk < t:
            sim.advance(chunk)
        sim.advance_to(t)
        try:
            sim.apply(command)
        except Exception:
            if command["action"] != "redrive":  # nothing to redrive is fine
                raise
    while sim.now + chunk < until:
        sim.advance(chunk)
        assert check_invariants(sim) == []
    sim.advance_to(until)
    return sim


def test_same_seed_and_commands_give_the_identical_event_log():
    a, b = run(7), run(7)
    assert a.events_since(0) == b.events_since(0)
    assert len(a.events_since(0)) > 200


def test_a_different_seed_gives_a_different_story():
    assert run(7).events_since(0) != run(8).events_since(0)


def test_how_time_is_chopped_up_does_not_matter():
    a, b = run(7, chunk=0.37), run(7, chunk=2.9)
    assert a.events_since(0) == b.events_since(0)
    assert a.metrics.series() == b.metrics.series()


def test_replay_from_seed_and_command_log_reproduces_the_run():
    original = run(11)
    replayed = Simulation.replay(
        "sandbox", 11, original.command_log, until=original.now, event_log_limit=None
    )
    assert replayed.events_since(0) == original.events_since(0)
    assert replayed.to_dict() == original.to_dict()


def test_restored_snapshot_continues_exactly_like_the_original():
    original = run(5, until=12.0)
    saved = json.loads(json.dumps(original.to_dict()))
    restored = Simulation.from_dict(saved)
    assert restored.to_dict() == original.to_dict()
    for sim in (original, restored):
        sim.apply({"action": "burst", "n": 5})
        for _ in range(40):
            sim.advance(0.5)
        sim.apply({"action": "kill_receiver", "receiver": "r2"})
        sim.advance(20)
    assert restored.events_since(0) == original.events_since(0)
    assert restored.to_dict() == original.to_dict()
    assert restored.view() == original.view()


def test_json_round_trip_is_lossless_including_the_random_generator():
    sim = run(3, until=10.0)
    text = sim.to_json()
    again = Simulation.from_json(text)
    assert again.to_json() == text
    assert again.rng.random() == sim.rng.random()


def test_snapshot_of_an_unknown_schema_version_is_refused():
    data = Simulation.from_scenario("sandbox").to_dict()
    data["schema_version"] = 999
    try:
        Simulation.from_dict(data)
    except ValueError as e:
        assert "schema version" in str(e)
    else:
        raise AssertionError("expected ValueError")


def test_bounded_event_log_keeps_recent_events_and_answers_events_since():
    sim = Simulation.from_scenario("slow-receiver", 1)  # default bounded log
    sim.advance(2000)
    assert len(sim.events) <= sim.event_log_limit
    last = sim.event_seq
    assert sim.first_event_seq == last - len(sim.events) + 1
    tail = sim.events_since(last - 3)
    assert [e["seq"] for e in tail] == [last - 2, last - 1, last]
    assert sim.events_since(last) == []
    assert len(sim.messages) <= 10_000 + 2_000

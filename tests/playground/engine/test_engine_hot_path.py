"""The event loop's inlined hot path gives exactly what the plain per-event handlers give."""

from contextlib import suppress

import pytest

from playground.engine import CommandError, Simulation, check_invariants, list_scenarios

SCRIPT = [
    (0.0, {"action": "set_rate", "rate": 4.0}),
    (3.0, {"action": "add_receiver", "prefetch": 3, "failure_rate": 0.3}),
    (5.0, {"action": "burst", "n": 20}),
    (7.0, {"action": "kill_receiver", "receiver": "r1"}),
    (9.0, {"action": "add_receiver", "prefetch": 0, "ack_mode": "auto", "crash_rate": 0.2}),
    (12.0, {"action": "revive_receiver", "receiver": "r1"}),
    (14.0, {"action": "set_max_length", "max_length": 6, "overflow": "drop-head"}),
    (18.0, {"action": "set_retry_policy", "kind": "none", "delivery_limit": 2}),
    (22.0, {"action": "set_max_length", "max_length": 0}),
    (24.0, {"action": "set_profile", "profile": "sqs-standard"}),
    (30.0, {"action": "redrive", "all": True}),
    (32.0, {"action": "set_rate", "rate": 9.0}),
    (36.0, {"action": "set_receiver", "receiver": "r1", "timing": "fixed", "mean_time": 0.25}),
    (40.0, {"action": "set_profile", "profile": "rabbitmq-quorum"}),
    (44.0, {"action": "publish", "text": "poison", "poison": True}),
    (46.0, {"action": "remove_receiver", "receiver": "r1"}),
]


def run(scenario, seed, inline):
    sim = Simulation.from_scenario(scenario, seed, event_log_limit=None)
    sim.inline_hot_path = inline
    for t, command in SCRIPT:
        sim.advance_to(t)
        with suppress(CommandError):  # a command that does not fit this scenario is skipped
            sim.apply(command)
    for _ in range(30):
        sim.advance(1.7)
    return sim


@pytest.mark.parametrize("scenario", list_scenarios())
def test_inlined_hot_path_matches_the_handlers(scenario):
    fast, plain = run(scenario, 3, True), run(scenario, 3, False)
    assert fast.events_since(0) == plain.events_since(0)
    assert fast.to_dict() == plain.to_dict()
    assert fast.view() == plain.view()
    assert check_invariants(fast) == []


def test_inlined_hot_path_matches_on_the_benchmark_scenario():
    def bench(inline):
        sim = Simulation(9, event_log_limit=None)
        sim.inline_hot_path = inline
        sim.add_queue("q")
        for _ in range(3):
            sim.add_receiver("q", mean_time=2.5, failure_rate=0.1, prefetch=1)
        sim.apply({"action": "set_rate", "rate": 1.0})
        sim.advance_to(3000.0)
        sim.apply({"action": "set_rate", "rate": 0.0})
        sim.advance(1000.0)
        return sim

    fast, plain = bench(True), bench(False)
    assert fast.counters["acked"] > 2500
    assert fast.events_since(0) == plain.events_since(0)
    assert fast.to_dict() == plain.to_dict()

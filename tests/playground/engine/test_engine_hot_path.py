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


def _compare(build):
    fast, plain = build(True), build(False)
    assert fast.events_since(0) == plain.events_since(0)
    assert fast.to_dict() == plain.to_dict()
    assert fast.view() == plain.view()
    assert check_invariants(fast) == []
    return fast


def test_inlined_hot_path_matches_with_fixed_retry_jitter_and_prefetch():
    def build(inline):
        sim = Simulation(5, event_log_limit=None)
        sim.inline_hot_path = inline
        sim.set_knobs({"delivery_limit": 3, "retry": "fixed", "retry_base": 0.7,
                       "retry_jitter": 0.5})  # fmt: skip
        sim.add_queue("q")
        sim.add_receiver("q", mean_time=0.9, failure_rate=0.4, prefetch=3)
        sim.add_receiver("q", mean_time=1.3, failure_rate=0.2, prefetch=0, timing="fixed")
        sim.add_receiver("q", mean_time=0.5, failure_rate=0.3, prefetch=1, ack_mode="auto")
        sim.apply({"action": "set_rate", "rate": 5.0})
        sim.advance_to(40.0)
        # A lower limit: messages already ready beyond it are dead-lettered at delivery.
        sim.apply({"action": "set_retry_policy", "kind": "exponential", "delivery_limit": 1})
        sim.advance_to(60.0)
        sim.apply({"action": "set_rate", "rate": 0.0})
        sim.advance(200.0)
        return sim

    fast = _compare(build)
    assert fast.counters["dead_lettered"] > 0 and fast.counters["retried"] > 0


def test_inlined_hot_path_matches_when_the_simulation_is_full():
    def build(inline):
        sim = Simulation(11, event_log_limit=None)
        sim.inline_hot_path = inline
        sim.add_queue("q")
        sim.add_receiver("q", mean_time=5.0, prefetch=1)
        sim.apply({"action": "set_rate", "rate": 50.0})
        sim.advance_to(210.0)
        return sim

    fast = _compare(build)
    assert fast.counters["refused"] > 0

"""The event budget: one call never does unbounded work, and how work is split never matters.

A live server gives every learner a slice of its event loop; ``advance_to(t, max_events=n)``
and ``tick(..., max_events=n)`` process at most ``n`` events (all events of one instant stay
together) and say whether they reached their target. A long ``step`` keeps its target as state
and later ticks continue towards it, so a replay of the command log gives the same run.
"""

import json

import pytest

from playground.engine import CommandError, Simulation, check_invariants
from playground.engine import limits as L


def busy(seed=3):
    """A run with plenty of events: a steady sender and three quick receivers that fail often."""
    sim = Simulation.from_scenario("sandbox", seed, event_log_limit=None)
    sim.apply({"action": "set_rate", "rate": 20.0})
    for _ in range(3):
        sim.apply({"action": "add_receiver", "mean_time": 0.05, "failure_rate": 0.3})
    return sim


def heavy(seed=3):
    """Issue 9's stall: 20 always-failing receivers, retries without delay, 50 messages/s."""
    sim = Simulation.from_scenario("sandbox", seed, event_log_limit=None)
    sim.apply({"action": "set_retry_policy", "kind": "none", "delivery_limit": 0})
    sim.apply({"action": "set_rate", "rate": L.MAX_RATE})
    while len(sim.receivers) < L.MAX_RECEIVERS:
        sim.apply({"action": "add_receiver"})
    for rid in list(sim.receivers):
        sim.apply({"action": "set_receiver", "receiver": rid, "failure_rate": 1.0,
                   "mean_time": 0.01, "timing": "fixed"})  # fmt: skip
    return sim


def test_advance_with_an_event_budget_stops_early_and_says_it_did_not_reach_the_target():
    sim = busy()
    seq = sim.event_seq
    assert sim.advance_to(30.0, max_events=50) is False
    assert sim.now < 30.0
    assert sim.event_seq > seq
    assert check_invariants(sim) == []
    assert sim.advance_to(30.0) is True
    assert sim.now == 30.0


def test_a_budget_never_splits_one_instant():
    sim = busy()
    while not sim.advance_to(20.0, max_events=1):
        # everything scheduled at the instant it stopped at has been handled
        assert sim.next_event_time() is None or sim.next_event_time() > sim.now


def test_advancing_in_budgeted_slices_gives_the_same_run_as_one_advance():
    whole = busy()
    whole.advance_to(40.0)
    sliced = busy()
    calls = 0
    while not sliced.advance_to(40.0, max_events=7):
        calls += 1
    assert calls > 50
    assert sliced.events_since(0) == whole.events_since(0)
    assert sliced.to_dict() == whole.to_dict()


def test_tick_reports_whether_it_reached_its_target():
    sim = busy()
    assert sim.tick(0.1, max_events=1_000_000) is True
    assert sim.tick(20.0, max_events=3) is False
    sim.apply({"action": "pause"})
    assert sim.tick(1.0, max_events=3) is True  # paused: nothing to do, nothing left over


def test_a_long_step_is_split_over_ticks_and_its_target_is_saved_state():
    sim = heavy()
    sim.apply({"action": "pause"})
    result = sim.apply({"action": "step", "dt": L.MAX_STEP})
    target = L.MAX_STEP + 0.0
    assert sim.now < target, "a step of a busy minute does not fit one command's budget"
    assert "continu" in result["message"]
    state = sim.to_dict()
    assert state["step_target"] == target
    restored = Simulation.from_dict(json.loads(json.dumps(state, allow_nan=False)))
    ticks = 0
    while sim.now < target:
        sim.tick(0.1, max_events=L.MAX_EVENTS_PER_TICK)  # paused, yet the step goes on
        restored.tick(0.1, max_events=L.MAX_EVENTS_PER_TICK)
        ticks += 1
        assert ticks < 10_000
    assert sim.now == target and sim.step_target is None
    assert restored.to_dict() == sim.to_dict()
    sim.tick(0.1, max_events=L.MAX_EVENTS_PER_TICK)
    assert sim.now == target, "paused again once the step is done"


def test_a_run_with_a_split_step_replays_identically():
    live = busy(seed=5)
    live.advance_to(2.0)
    live.apply({"action": "step", "dt": 30.0})
    while live.step_target is not None and live.now < 10.0:
        live.tick(0.1, max_events=200)
    live.apply({"action": "burst", "n": 10})  # a command while the step is still going
    while not live.tick(0.1, max_events=200) or live.step_target is not None:
        pass
    for _ in range(20):
        live.tick(0.1, max_events=200)
    log = live.command_log
    again = Simulation.replay("sandbox", 5, log, until=live.now, event_log_limit=None)
    assert again.events_since(0) == live.events_since(0)
    assert again.to_dict() == live.to_dict()


def test_a_second_step_continues_from_the_first_and_is_capped():
    sim = heavy()
    sim.apply({"action": "pause"})
    sim.apply({"action": "step", "dt": 30.0})
    assert sim.step_target == 30.0 and sim.now < 30.0
    sim.apply({"action": "step", "dt": 20.0})
    assert sim.step_target == 50.0
    before = sim.to_dict()
    with pytest.raises(CommandError, match="still in progress"):
        sim.apply({"action": "step", "dt": L.MAX_STEP})
    assert sim.to_dict() == before


def test_a_saved_run_from_before_the_budget_loads_without_a_step_in_progress():
    sim = busy()
    sim.advance(1.0)
    state = sim.to_dict()
    del state["step_target"]
    assert Simulation.from_dict(state).step_target is None

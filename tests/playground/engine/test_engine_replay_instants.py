"""A command applied right after ``step`` (no dt) sees what a replay sees.

Found by the stateful property test: ``step`` used to apply just one of several events due at
the same instant; a command given then was replayed after all of them, so the replay differed.
"""

from playground.engine import Simulation


def test_a_command_after_a_step_to_the_next_instant_replays_identically():
    sim = Simulation.from_scenario("sandbox", 2, event_log_limit=None)
    sim.apply({"action": "set_rate", "rate": 0})
    for rid in ("r1", "r2"):
        sim.apply({"action": "set_receiver", "receiver": rid, "timing": "fixed", "mean_time": 1.0})
    sim.apply({"action": "burst", "n": 4})  # r1 and r2 both finish at 1.0: one instant
    assert sum(1 for e in sim.heap if e[0] == 1.0) >= 2
    sim.apply({"action": "step"})
    assert sim.now == 1.0 and all(e[0] > 1.0 for e in sim.heap)
    sim.apply({"action": "kill_receiver", "receiver": "r2"})
    sim.advance(10.0)
    again = Simulation.replay("sandbox", 2, sim.command_log, until=sim.now, event_log_limit=None)
    assert again.events_since(0) == sim.events_since(0)
    assert again.to_dict() == sim.to_dict()


def test_what_a_command_sets_off_for_the_same_instant_happens_with_it():
    """Found by the stateful test: a kill with a 0 s detection delay, then a settle at the same
    time. The replay used to handle the detection before the settle, the live run after."""
    sim = Simulation.from_scenario("sandbox", 2, event_log_limit=None)
    sim.apply({"action": "set_detection_delay", "seconds": 0.0})
    sim.apply({"action": "set_receiver", "receiver": "r1", "mean_time": 50.0})
    sim.apply({"action": "burst", "n": 1})
    sim.apply({"action": "kill_receiver", "receiver": "r1"})
    assert sim.messages[1].holder != "r1", "noticed at once, with the kill"
    sim.settle("r1", 1, ack=False)
    sim.advance(5.0)
    again = Simulation.replay("sandbox", 2, sim.command_log, until=sim.now, event_log_limit=None)
    assert again.events_since(0) == sim.events_since(0)
    assert again.to_dict() == sim.to_dict()

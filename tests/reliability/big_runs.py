"""Valid runs whose views are large: what the frame limit must never stop from loading."""

from __future__ import annotations

from playground.engine import Simulation

LONG_TEXT = ("é" * 60 + '<&>"' * 15)[:120]  # the longest text, escaped and multi-byte


def big_fanout() -> Simulation:
    """Fan-out with every receiver the caps allow, all stopped, and full queues (> 70 KB view)."""
    sim = Simulation.from_scenario("fan-out", seed=7)
    sim.apply({"action": "pause"})
    queues = list(sim.queues)
    for i in range(17):
        sim.apply({"action": "add_receiver", "queue": queues[i % len(queues)]})
    for receiver in sim.view(False, 0)["receivers"]:
        sim.apply({"action": "kill_receiver", "receiver": receiver["id"]})
    for i in range(60):
        if i % 40 == 39:  # at most 50 publishes per simulated second
            sim.apply({"action": "step", "dt": 1.01})
        sim.apply({"action": "publish", "text": LONG_TEXT})
    sim.apply({"action": "step", "dt": 2})
    return sim


def store_for_session(session_key: str, scenario: str, sim: Simulation) -> None:
    """Make ``sim`` the run of the learner behind ``session_key`` (run in the server's env)."""
    from django.contrib.sessions.backends.db import SessionStore

    from playground import runs

    learner_id = SessionStore(session_key=session_key)["learner_id"]
    runs.run_save(learner_id=learner_id, scenario=scenario, sim=sim)


def heavy_sandbox(warm: float = 0.0) -> Simulation:
    """The heaviest run the caps allow a learner: 20 receivers that always fail, retries
    straight back with no limit, 50 messages a second (paused, ready for "step 60 s");
    ``warm`` simulated seconds already run, so it is busy from the first tick."""
    sim = Simulation.from_scenario("sandbox", seed=11)
    sim.apply({"action": "pause"})
    sim.apply({"action": "set_retry_policy", "delivery_limit": 0, "kind": "none"})
    fail = {"failure_rate": 1.0, "mean_time": 0.01}
    for receiver in sim.view(False, 0)["receivers"]:
        sim.apply({"action": "set_receiver", "receiver": receiver["id"], **fail})
    while len(sim.view(False, 0)["receivers"]) < 20:
        sim.apply({"action": "add_receiver", **fail})
    sim.apply({"action": "set_rate", "rate": 50})
    if warm:
        sim.advance(warm)
    return sim

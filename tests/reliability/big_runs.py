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

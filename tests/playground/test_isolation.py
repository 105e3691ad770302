"""One learner's heavy run never stalls the others (cost isolation).

The heaviest run the caps allow (20 receivers that always fail, retries straight back with no
limit, 50 messages a second) with 8 "step 60 s" commands: one such step took ~2 s of the
server's event loop in one go, during which no other learner got an update. Now a tick runs at
most MAX_EVENTS_PER_TICK engine events and a step continues over later ticks, so another
learner's updates keep coming while the heavy steps are still under way. (Not timed: the test
checks the order of what the sockets receive; bench/isolation.py measures the intervals.)
"""

import json
import re

import pytest
from channels.db import database_sync_to_async

from playground import runs
from tests.playground.test_consumer import _connect, _learner_cookie
from tests.reliability.big_runs import heavy_sandbox

pytestmark = pytest.mark.django_db(transaction=True)
UPDATES = 3  # the other learner's updates that must arrive while the heavy steps go on


def _times(frames: list[str]) -> list[float]:
    return [
        float(t) for f in frames for t in re.findall(r"Simulated time</span> <strong>([\d.]+) s", f)
    ]


async def _pending(comm) -> list[str]:
    """What the server has sent on ``comm`` so far, without waiting for more."""
    frames = []
    while not await comm.receive_nothing(timeout=0.01, interval=0.005):
        frames.append(await comm.receive_from())
    return frames


async def test_another_learner_gets_updates_while_a_heavy_learners_steps_are_under_way():
    heavy_id, heavy_cookie = await _learner_cookie()
    sim = heavy_sandbox()
    start = sim.now
    await database_sync_to_async(runs.run_save)(learner_id=heavy_id, scenario="sandbox", sim=sim)

    other, connected, _ = await _connect("sandbox")
    assert connected
    await other.receive_from(timeout=5)
    await other.send_to(text_data=json.dumps({"action": "resume", "seq": 1}))  # an update a tick
    await other.receive_from(timeout=5)
    heavy, connected, _ = await _connect("sandbox", cookie=heavy_cookie)
    assert connected
    await heavy.receive_from(timeout=5)

    for seq in range(1, 9):  # within the command throttle's burst
        await heavy.send_to(text_data=json.dumps({"action": "step", "dt": "60", "seq": seq}))
    for _ in range(UPDATES):
        assert 'id="pg-clock"' in await other.receive_from(timeout=30)
    # Everything the heavy socket got so far: its first step of 60 s is still under way.
    heavy_times = _times(await _pending(heavy))
    assert heavy_times and max(heavy_times) < start + 60, heavy_times
    await other.disconnect()
    await heavy.disconnect()

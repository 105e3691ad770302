"""Two Daphne processes behind one Redis and one database: a run moves between them.

A tab on process A runs a learner's run; a tab on process B opens the same run. B asks A over
the Redis channel layer to save and step aside: A's tab closes with 4409 ("live in another
tab") and B carries on from what A did. If A dies (kill -9) instead, nobody answers: B waits
about HANDOVER_WAIT and opens the run from what was stored.
"""

from __future__ import annotations

import asyncio
import json
import re

from websockets.exceptions import ConnectionClosed

from tests.reliability.harness import learner_cookie, open_socket, recv_until

SENT = re.compile(r"<dt>Sent</dt>\s*<dd>(\d+)</dd>")


def _sent(frame: str) -> int | None:
    found = SENT.search(frame)
    return int(found.group(1)) if found else None


async def test_a_run_hands_over_from_a_tab_on_process_a_to_a_tab_on_process_b(servers):
    a, b = servers
    cookie = learner_cookie(a)
    async with open_socket(a, cookie) as on_a:
        await recv_until(on_a, lambda f: 'id="pg-clock"' in f)
        await on_a.send(json.dumps({"action": "burst", "n": "3", "seq": 1}))
        await recv_until(on_a, lambda f: _sent(f) == 3)

        async with open_socket(b, cookie) as on_b:  # the same learner, another process
            view = await recv_until(on_b, lambda f: _sent(f) is not None, timeout=15)
            assert _sent(view) == 3  # A saved and stepped aside before B loaded
            closed = await _closed_code(on_a)
            assert closed == 4409
            await on_b.send(json.dumps({"action": "burst", "n": "2", "seq": 1}))
            await recv_until(on_b, lambda f: _sent(f) == 5)


async def test_when_process_a_is_killed_a_tab_on_process_b_takes_the_run_on(servers):
    a, b = servers
    cookie = learner_cookie(a)
    async with open_socket(a, cookie) as on_a:
        await recv_until(on_a, lambda f: 'id="pg-clock"' in f)
        a.kill9()  # no disconnect(), no goodbye on the channel layer
        async with open_socket(b, cookie) as on_b:
            view = await recv_until(on_b, lambda f: 'id="pg-clock"' in f, timeout=15)
            assert "Simulated time" in view
            await on_b.send(json.dumps({"action": "burst", "n": "2", "seq": 1}))
            answer = await recv_until(on_b, lambda f: _sent(f) is not None, timeout=10)
            assert _sent(answer) >= 2  # live on B: it takes commands


async def _closed_code(ws) -> int | None:
    """Read until the server closes ``ws``; its close code."""
    try:
        async with asyncio.timeout(15):
            while True:
                await ws.recv()
    except ConnectionClosed:
        return ws.close_code

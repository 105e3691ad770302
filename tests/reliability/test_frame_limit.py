"""Views of any valid run always arrive under the production frame limit.

Daphne's ``--websocket-max-message-size 65536`` (the README's production command) caps what
the server sends as well as what it receives: a full view over 64 KB never arrived, and the
socket closed with 1011. Frames are now packed to fit (playground/frames.py).
"""

from __future__ import annotations

import json
import re

from playground.frames import FRAME_BYTES, unpack
from tests.reliability.harness import learner_cookie, open_socket, recv_until

STORE = (
    "from tests.reliability.big_runs import big_fanout, store_for_session; "
    "store_for_session({key!r}, 'fan-out', big_fanout())"
)


async def _full_view(ws) -> list[str]:
    """The frames of one full view: up to its last item, the "Resumed at" line."""
    frames = []
    await recv_until(ws, lambda f: frames.append(f) or "Resumed at" in f, timeout=20)
    return frames


async def test_a_fan_out_run_with_a_view_over_70_kb_loads_under_the_production_frame_limit(
    prod_server, stack
):
    cookie = learner_cookie(prod_server, "/playground/fan-out/")
    stack.manage("shell", "-c", STORE.format(key=cookie.split("=", 1)[1]))
    async with open_socket(prod_server, cookie, "fan-out", max_size=None) as ws:
        frames = await _full_view(ws)
        view = unpack(frames)
        assert len(view.encode()) > 70_000
        assert max(len(f.encode()) for f in frames) <= FRAME_BYTES
        for part in ('id="pg-receivers"', 'id="pg-queues"', 'id="pg-counters"', 'id="pg-clock"'):
            assert view.count(part) == 1, part
        # Every full queue as the stage draws it: its head tokens and a count of the rest.
        ready = [int(n) for n in re.findall(r"(\d+) ready", view)]
        more = [int(n) for n in re.findall(r"\+(\d+) more", view)]
        assert len(ready) == 3 and min(ready) > 50 and view.count('id="tok-') >= 18
        assert more == [n - 6 for n in ready]
        # A learner's "sync" asks for the whole view again: it arrives too, and the socket lives.
        await ws.send(json.dumps({"action": "sync", "seq": 1}))
        again = unpack(await _full_view(ws))
        assert 'id="pg-queues"' in again and ws.close_code is None
    assert "Traceback" not in prod_server.log_text()

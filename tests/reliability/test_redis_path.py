"""The Redis path works for hours: sockets on the Redis channel layer stay open and live.

redis-py 8 times a socket read out after 5 s by default, while channels-redis blocks up to
``brpop_timeout`` (5 s) in BZPOPMIN waiting for a message (django/channels_redis issue 422,
redis/redis-py issue 2807): an idle consumer's channel-layer receive then raised TimeoutError
after about 5.5 s, and the learner's socket closed with 1011 without saving.
"""

from __future__ import annotations

import json

from tests.reliability.harness import learner_cookie, open_socket, recv_for, recv_until

IDLE_SECONDS = 7.5  # longer than redis-py's 5 s read timeout plus channels-redis' 5 s block


async def test_a_socket_idle_on_the_channel_layer_stays_open_and_live(servers):
    a = servers[0]
    cookie = learner_cookie(a)
    async with open_socket(a, cookie) as ws:
        await recv_until(ws, lambda f: 'id="pg-clock"' in f)  # the full view (paused)
        await recv_for(ws, IDLE_SECONDS)  # raises ConnectionClosed if it dropped
        assert ws.close_code is None, f"closed with {ws.close_code}: {a.log_text()[-2000:]}"
        # Still live: it answers a command, and then its clock moves.
        await ws.send(json.dumps({"action": "resume", "seq": 1}))
        answer = await recv_until(ws, lambda f: 'id="pg-notice"' in f)
        assert "Running at" in answer and "notice-error" not in answer
        await recv_until(ws, lambda f: 'id="pg-clock"' in f)  # its next update

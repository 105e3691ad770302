"""The channel layer survives a Redis outage: receive() waits it out instead of raising.

Channels awaits the layer's receive() beside the socket's own (await_many_dispatch), so an
exception there would close the learner's socket with 1011. A throwaway redis-server (never
the shared one) is stopped and started again under a waiting receive().
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil

import pytest

from config.channel_layer import ResilientRedisChannelLayer
from tests.reliability.harness import RedisServer

pytestmark = pytest.mark.skipif(
    shutil.which("redis-server") is None, reason="needs redis-server (apt-get install redis)"
)


def _layer(url: str) -> ResilientRedisChannelLayer:
    from django.conf import settings

    if "hosts" in settings.CHANNEL_LAYERS["default"].get("CONFIG", {}):
        host = {**settings.CHANNEL_LAYERS["default"]["CONFIG"]["hosts"][0], "address": url}
    else:  # the embedded defaults: the same options the settings give a Redis layer
        host = {"address": url, "socket_timeout": 15, "socket_connect_timeout": 3}
    return ResilientRedisChannelLayer(hosts=[host])


async def test_receive_waits_out_a_redis_outage_and_delivers_after_it(tmp_path):
    redis = RedisServer(tmp_path).start()
    layer = _layer(redis.url)
    try:
        channel = await layer.new_channel()
        await layer.send(channel, {"type": "before"})
        assert (await layer.receive(channel))["type"] == "before"

        waiting = asyncio.create_task(layer.receive(channel))
        await asyncio.sleep(0.3)
        redis.stop()  # Redis goes away under a blocked receive
        await asyncio.sleep(1.5)
        assert not waiting.done(), waiting.exception() if waiting.done() else None
        assert layer.outage
        with pytest.raises(Exception):  # noqa: B017  a send says it failed (the caller decides)
            await layer.send(channel, {"type": "lost"})

        redis.start()  # same port: Redis is back (empty)
        await layer.send(channel, {"type": "after"})
        message = await asyncio.wait_for(waiting, 10)
        assert message["type"] == "after"
        assert not layer.outage
    finally:
        redis.stop()
        with contextlib.suppress(Exception):
            await layer.close_pools()

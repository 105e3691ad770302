"""The Redis channel layer, made so that a Redis hiccup never takes a learner's socket down.

Only messages *between* Daphne processes travel through Redis (today: one tab asking another
to hand a run over). A learner's own socket is direct to its Daphne process, and its clock
runs there, so nothing a learner sees needs Redis from one moment to the next.

Channels awaits the layer's ``receive()`` next to the socket's own receive
(``await_many_dispatch``): an exception there ends the consumer, closing the socket with 1011
without ``disconnect()``. So ``receive()`` here never raises a Redis or network error: it logs
once, waits (backing off to ``MAX_BACKOFF``), checks Redis answers again, and goes on
receiving. ``outage`` tells the consumers whether Redis is out, so the page can say that
hand-overs between processes are paused; ``send()`` still raises (the caller decides what a
message that could not be sent means) and marks the outage too.
"""

from __future__ import annotations

import asyncio
import logging
import time

from channels_redis.core import RedisChannelLayer
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)
LAYER_ERRORS = (RedisError, OSError)  # redis-py's ConnectionError/TimeoutError, refused sockets
FIRST_BACKOFF = 0.2  # seconds before the first retry after a failure
MAX_BACKOFF = 5.0  # seconds between retries during a long outage


class ResilientRedisChannelLayer(RedisChannelLayer):
    """``channels_redis``' layer whose ``receive()`` survives Redis failures and outages."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.outage_since: float | None = None  # monotonic time Redis last failed us; None: fine

    @property
    def outage(self) -> bool:
        return self.outage_since is not None

    def _failed(self, what: str, exc: BaseException) -> None:
        if self.outage_since is None:
            self.outage_since = time.monotonic()
            logger.warning(
                "channel layer: Redis failed (%s: %s: %s); retrying until it answers",
                what,
                type(exc).__name__,
                exc,
            )

    def _recovered(self) -> None:
        if self.outage_since is not None:
            logger.warning(
                "channel layer: Redis answers again after %.1f s",
                time.monotonic() - self.outage_since,
            )
            self.outage_since = None

    async def receive(self, channel: str) -> dict:
        backoff = FIRST_BACKOFF
        while True:
            try:
                message = await super().receive(channel)
            except LAYER_ERRORS as exc:
                self._failed("receive", exc)
            else:
                self._recovered()
                return message
            # Wait until Redis answers again, then receive again (a cancel ends the wait).
            while True:
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)
                if await self._answers(channel):
                    break

    async def _answers(self, channel: str) -> bool:
        index = self.consistent_hash(self.non_local_name(channel)) if "!" in channel else 0
        try:
            await self.connection(index).ping()
        except LAYER_ERRORS:
            return False
        self._recovered()
        return True

    async def send(self, channel: str, message: dict) -> None:
        try:
            await super().send(channel, message)
        except LAYER_ERRORS as exc:
            self._failed("send", exc)
            raise
        self._recovered()

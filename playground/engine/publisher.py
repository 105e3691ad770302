"""The sender's side of backpressure: a refused publish, the sender's backoff and retry.

A reject-publish queue at its limit refuses a new message; with publisher confirms RabbitMQ
tells the publisher with a ``basic.nack`` (rabbitmq.com/docs/maxlength), which at a web
front door is a "503 Service Unavailable, retry later". A sender that retries waits first,
with exponential backoff and full jitter ("Exponential Backoff And Jitter", AWS Architecture
Blog, 2015: sleep = random(0, min(cap, base * 2 ** attempt))), and gives up after its retries.

With fan-out the refusing queue is retried alone: the sender republishes the refused copy to
that queue (RabbitMQ's default exchange routes by queue name), so the other queues, which
took their copies, get no duplicate. Every try is a publish attempt of its own: the refused
copy stays ``refused`` and a retry is a new message copy (accepted or refused again).
"""

from __future__ import annotations

from . import limits as L
from .model import REFUSED

EV_PUBLISH_RETRY = 8  # a: refused message id, b: attempt, c: [queue, seq, text, poison]


class PublisherMixin:
    """Refusals and the sender's retries (part of :class:`Simulation`)."""

    def _refuse(self, q, seq, text, poison, attempt, reason, ttl=None, delay=None):
        """The broker refuses this copy; the sender is told, and may retry it later."""
        m = self._new_message(seq, q.name, REFUSED, text, poison, reason)
        self.counters["refused"] += 1
        q.refused += 1
        self._log("refused", m.id, None, attempt, reason)
        retries = self.knobs.publish_retries
        if attempt < retries and self.publish_waiting < L.MAX_PUBLISH_RETRIES_PENDING:
            delay = self._publish_backoff(attempt)
            self.publish_waiting += 1
            self._push(self.now + delay, EV_PUBLISH_RETRY, m.id, attempt + 1,
                       [q.name, seq, text, poison, ttl, delay])  # fmt: skip
            self._log(
                "publish_backoff", m.id, None, attempt,
                f"it tries again in {delay:.2f} s (retry {attempt + 1} of {retries})",
            )  # fmt: skip
        elif retries:
            self.counters["publish_gave_up"] += 1
            why = (
                f"gave up after {attempt + 1} tries"
                if attempt >= retries
                else "gave up: it already holds too many messages to retry"
            )
            self._log("publish_gave_up", m.id, None, attempt, why)
        return m

    def _publish_backoff(self, attempt):
        """Full jitter: a random wait up to the doubled base, capped."""
        k = self.knobs
        ceiling = min(L.PUBLISH_BACKOFF_CAP, k.publish_backoff * 2.0 ** min(attempt, 30))
        return ceiling * self.rng.random()

    def _on_publish_retry(self, ev):
        self.publish_waiting -= 1
        name, seq, text, poison, *more = ev[5]  # (ttl, delay: saved runs may lack them)
        ttl, delay = (more + [None, None])[:2]
        q = self.queues[name]
        self.counters["publish_retries"] += 1
        self._offer((q,), seq, text, poison, ev[4], ttl, delay)

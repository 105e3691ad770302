"""Time limits on waiting messages: TTL, retention, delayed delivery.

- **TTL** (RabbitMQ, rabbitmq.com/docs/ttl): per queue (``x-message-ttl``, the knob
  ``message_ttl``, which a queue may set for itself) or per message (the publisher's
  ``expiration``, the publish command's ``ttl``); when both are set the lower applies. An
  expired message is never delivered; it is dead-lettered with reason ``expired`` when the
  queue has a dead-letter exchange (rabbitmq.com/docs/dlx) and dropped otherwise. RabbitMQ
  removes expired messages when they reach the head of the queue: with one queue TTL that is
  when they expire (the queue is in expiry order); a message with a shorter expiration of its
  own behind a longer-lived one waits, never delivered, until it gets to the head. A delivered
  (unacknowledged) message does not expire; if it is requeued it keeps its original expiry.
- **Retention** (Amazon SQS, quotas: ``MessageRetentionPeriod``, 4 days by default, 60 s to
  14 days): a message nobody deleted is deleted once that long has passed since it was sent,
  with no dead-letter copy. The engine checks it, like the TTL, on waiting messages.
- **Delayed delivery** (SQS delay queues and message timers, up to 15 minutes): a new message
  stays ``delayed`` (invisible) for ``delivery_delay`` seconds (the queue's) or its own
  ``delay`` (which wins), then becomes ready.

Changing a TTL or the retention period applies to the messages already in the queue (a policy
change is retroactive): their expiry is recomputed from when they entered the queue.
"""

from __future__ import annotations

from .model import DROPPED, READY

EV_EXPIRE = 9  # a: message id (its expires_at is the event's time)


TIMED_SETTINGS = ("message_ttl", "retention_period", "delivery_delay")


class ExpiryMixin:
    """TTL, retention and delivery delay (part of :class:`Simulation`).

    ``sim.timed`` turns on (and stays on) once any of them is set, broker-wide or on a queue,
    or a message carries its own TTL or delay: until then publishing and delivery skip every
    expiry check, so runs that never use time limits do not pay for them.
    """

    def _note_timed(self):
        if self.timed:
            return
        k = self.knobs
        self.timed = any(getattr(k, n) for n in TIMED_SETTINGS) or any(
            q.own.get(n) for q in self.queues.values() for n in TIMED_SETTINGS
        )

    def _expiry_time(self, m, q):
        """When ``m`` expires in ``q`` (-1: never), from its TTLs and the retention period."""
        ttl = self._setting(q, "message_ttl")
        own = m.own_ttl
        if own >= 0 and (not ttl or own < ttl):
            ttl = own
        entered = m.entered_at if m.entered_at >= 0 else m.published_at
        t = entered + ttl if ttl else -1.0
        retention = self.knobs.retention_period
        if retention:
            r = m.published_at + retention
            t = r if t < 0 or r < t else t
        return t

    def _set_expiry(self, m, q):
        t = self._expiry_time(m, q)
        m.expires_at = t
        if t >= 0:
            self.timed = True
            self._push(t, EV_EXPIRE, m.id)

    def _on_expire(self, ev):
        m = self.messages.get(ev[3])
        if m is None or m.state != READY or m.expires_at < 0 or m.expires_at > ev[0]:
            return  # delivered, gone, or its expiry moved later (in flight: checked on return)
        self._reap(self.queues[m.queue])

    def _reap(self, q):
        """Expired messages at the head of ``q`` leave it (RabbitMQ: at the head)."""
        ready = q.ready
        messages = self.messages
        now = self.now
        while ready:
            m = messages[ready[0]]
            if m.expires_at < 0 or m.expires_at > now:
                return
            ready.popleft()
            self._expire(m, q)

    def _expire(self, m, q):
        """``m`` (taken out of its queue) expired: deleted (retention) or dead-lettered."""
        c = self.counters
        c["expired"] += 1
        retention = self.knobs.retention_period
        if retention and self.now >= m.published_at + retention - 1e-9:
            why = "deleted: its retention period ended (no dead-letter copy)"
            self._finish(m, DROPPED, why)
            c["dropped"] += 1
            self._log("dropped", m.id, None, m.deliveries, why)
            return
        self._dead_letter(m, q, "expired", "expired: its TTL passed")

    def _retime_expiry(self, q):
        """A TTL or the retention period changed: recompute the expiry of ``q``'s messages
        (delivered ones too: they keep it for when they come back), then reap the head."""
        for m in list(self.messages.values()):
            if m.queue == q.name and m.state in ("ready", "delayed", "in_flight"):
                t = self._expiry_time(m, q)
                if t != m.expires_at:
                    m.expires_at = t
                    if t >= 0:
                        self._push(max(t, self.now), EV_EXPIRE, m.id)
        self._reap(q)

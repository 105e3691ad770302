"""The simulation: a virtual clock, a heap of timed events, and the life of every message.

Time only moves when you call :meth:`Simulation.advance` (or ``advance_to``/``tick``/``step``).
All randomness comes from one seeded ``random.Random`` owned by the simulation, so the same
seed and the same commands always give the same story.
"""

from __future__ import annotations

import heapq
import random
from collections import deque
from heapq import heappop as _heappop
from heapq import heappush as _heappush
from itertools import islice
from math import inf as _INFINITY
from math import log as _ln

from . import limits as L
from .control import CommandsMixin
from .events import EVENT_FIELDS
from .expiry import EV_EXPIRE, ExpiryMixin
from .load import sample_load
from .metrics import Metrics
from .model import (
    ACKED,
    AUTO,
    COUNTER_NAMES,
    DEAD_LETTERED,
    DELAYED,
    DROPPED,
    IN_FLIGHT,
    LOST,
    READY,
    REFUSED,
    STATES,
    Knobs,
    Message,
    SyncLane,
)
from .profiles import PROFILES
from .publisher import EV_PUBLISH_RETRY, PublisherMixin

# Kinds of scheduled (heap) events. A heap entry is (time, seq, kind, a, b, c).
EV_PUBLISH_TICK = 0  # a: sender generation
EV_DELAY_DONE = 1  # a: message id, b: token
EV_WORK_DONE = 2  # a: receiver id, b: incarnation, c: delivery tag
EV_DETECT = 3  # a: receiver id, b: incarnation
EV_VISIBILITY = 4  # a: message id, b: delivery tag
EV_SYNC_TICK = 5  # a: sync generation
EV_SYNC_DONE = 6  # a: call token
EV_RESTART = 7  # a: receiver id, b: incarnation
assert EV_PUBLISH_RETRY == 8  # a: refused message id, b: attempt, c: the copy (publisher.py)
assert EV_EXPIRE == 9  # a: message id (expiry.py)


class Simulation(ExpiryMixin, PublisherMixin, CommandsMixin):
    """One playground run. Create it with :meth:`from_scenario` (or directly for a bare setup)."""

    def __init__(self, seed=0, *, profile="teaching", event_log_limit=L.EVENT_LOG_KEPT):
        self.seed = seed
        self.scenario = None
        self.rng = random.Random(seed)
        self.now = 0.0
        self.heap = []
        self.heap_seq = 0
        self.event_seq = 0
        self.event_log_limit = event_log_limit
        self.events = deque(maxlen=event_log_limit)
        self.messages = {}
        self.finished = deque()
        self.next_id = 1
        self.next_order = 1
        self.next_tag = 1
        self.pub_seq = 0
        self.queues = {}
        self.bound_queues = []
        self.receivers = {}
        self.next_receiver = 1
        self.knobs = Knobs()
        self.profile = profile
        self.rate = 0.0
        self.rate_gen = 0
        self.publish_waiting = 0  # refused copies the sender holds for a retry
        self.load_sampling = False  # record the queues' load each second (load.py)
        self.timed = False  # a TTL, retention or delay was ever in use (expiry.py)
        self.sync = SyncLane()
        self.counts = dict.fromkeys(STATES, 0)
        self.created = 0
        self.counters = dict.fromkeys(COUNTER_NAMES, 0)
        self.metrics = Metrics()
        self.window = [0, 0]  # [simulated second, publishes in it]
        self.paused = False
        self.speed = 1.0
        self.step_target = None  # a ``step`` in progress: the time it is moving the clock to
        self.command_log = []
        self.goal = None
        self.goal_met_at = None
        self.set_knobs(PROFILES[profile].knobs)

    # ------------------------------------------------------------ creation

    @classmethod
    def from_scenario(cls, name="sandbox", seed=0, *, event_log_limit=L.EVENT_LOG_KEPT):
        """A new simulation set up as the named scenario (see ``scenarios/*.toml``)."""
        from .scenarios import build_simulation, load_scenario

        return build_simulation(cls, load_scenario(name), seed, event_log_limit=event_log_limit)

    @classmethod
    def replay(cls, scenario, seed, command_log, *, until=None, event_log_limit=L.EVENT_LOG_KEPT):
        """Rebuild a run from its scenario, seed and command log ``[[time, command], ...]``."""
        sim = cls.from_scenario(scenario, seed, event_log_limit=event_log_limit)
        for t, command in command_log:
            sim.advance_to(t)
            sim.apply(command)
        if until is not None:
            sim.advance_to(until)
        return sim

    def set_knobs(self, values):
        for key, value in values.items():
            setattr(self.knobs, key, value)
        self._note_timed()

    def add_queue(self, name, bound=True):
        from .model import Queue

        self.queues[name] = Queue(name, bound)
        self._rebind()

    def _rebind(self):
        self.bound_queues = [q for q in self.queues.values() if q.bound]

    # ------------------------------------------------------------ time

    def advance(self, dt, *, max_events=None):
        """Let ``dt`` simulated seconds pass, applying every scheduled event in order."""
        return self.advance_to(self.now + dt, max_events=max_events)

    def tick(self, wall_seconds, *, max_events=None):
        """What a UI timer calls: advance by real seconds, honouring pause and speed.

        A ``step`` still in progress goes first (paused or not): the clock moves towards the
        step's target instead. Returns whether the target was reached within ``max_events``.
        """
        if self.step_target is not None:
            return self.advance_to(self.step_target, max_events=max_events)
        if self.paused or wall_seconds <= 0:
            return True
        return self.advance_to(self.now + wall_seconds * self.speed, max_events=max_events)

    def advance_to(self, t, *, max_events=None):
        """Advance the clock to absolute simulated time ``t`` (never backwards).

        The one event loop: pop the earliest event, move the clock to it, hand it to its
        handler (like SimPy's ``Environment.step``). With ``max_events`` it stops after about
        that many events, between two instants (every event of one instant is handled
        together), and returns False: the state is then exactly that of ``advance_to(now)``,
        so how the work is split never changes the run. True when ``t`` was reached.
        """
        heap = self.heap
        metrics = self.metrics
        handlers = self._handlers
        pop = _heappop
        limit = _INFINITY if max_events is None else max_events
        done = 0
        while heap:
            ev = heap[0]
            et = ev[0]
            if et > t:
                break
            if done >= limit and et > self.now:
                return False  # budget spent; the next instant is for a later call
            pop(heap)
            done += 1
            if et >= metrics.end:
                self._close_metrics(et)
            self.now = et
            handlers[ev[2]](self, ev)
        if t >= metrics.end:
            self._close_metrics(t)
        if t > self.now:
            self.now = t
        if self.step_target is not None and self.now >= self.step_target:
            self.step_target = None
        return True

    def next_event_time(self):
        """When the next scheduled thing happens (None if nothing is scheduled)."""
        return self.heap[0][0] if self.heap else None

    def step_once(self):
        """Jump to the next instant something is scheduled and apply all of it (the ``step``
        command without ``dt``). Returns False if nothing is scheduled.

        An instant is never split: a command applied right after sees the same state as a
        replay that advances to this time, so the command log replays exactly.
        """
        if not self.heap:
            return False
        self.advance_to(self.heap[0][0])
        return True

    def _push(self, t, kind, a=None, b=None, c=None):
        self.heap_seq += 1
        heapq.heappush(self.heap, (t, self.heap_seq, kind, a, b, c))

    def _close_metrics(self, until):
        """Close every metric bucket that ends by ``until``; the goal is judged at each
        bucket's end (a fixed time), so when it is met does not depend on how time is chopped.
        Called before the event at ``until`` is handled: the state is that of the boundary."""
        counts = self.counts
        m = self.metrics
        ready = counts[READY]
        in_flight = counts[IN_FLIGHT]
        delayed = counts[DELAYED]
        dlq = counts[DEAD_LETTERED]
        while m.end <= until:
            boundary = m.end
            if until - boundary > m.width * 2:
                m.skip_idle(until, ready, in_flight, delayed, dlq)  # nothing changes meanwhile
            else:
                m.close(ready, in_flight, delayed, dlq)
            if self.load_sampling:
                sample_load(self, boundary, m.start, m.width)
            if self.goal is not None and self.goal_met_at is None:
                if boundary > self.now:
                    self.now = boundary  # time has passed to the boundary
                self._check_goal()

    # ------------------------------------------------------------ log

    def _log(self, kind, message=None, receiver=None, attempt=0, reason=""):
        self.event_seq += 1
        self.events.append((self.event_seq, self.now, kind, message, receiver, attempt, reason))

    def events_since(self, seq, limit=None):
        """Logged events with a sequence number greater than ``seq``, oldest first, as dicts.

        The live log keeps only the most recent events (``limits.EVENT_LOG_KEPT``); if ``seq``
        is older than that, you get what is still kept (check ``first_event_seq``).
        """
        events = self.events
        if not events:
            return []
        first = events[0][0]
        start = max(0, seq - first + 1)
        stop = None if limit is None else start + limit
        return [dict(zip(EVENT_FIELDS, e, strict=True)) for e in islice(events, start, stop)]

    @property
    def first_event_seq(self):
        """Sequence number of the oldest event still kept (0 if none)."""
        return self.events[0][0] if self.events else 0

    # ------------------------------------------------------------ message bookkeeping

    def in_system(self):
        """Messages still in the system: delayed, ready, in flight, or in a dead-letter queue."""
        c = self.counts
        return c[DELAYED] + c[READY] + c[IN_FLIGHT] + c[DEAD_LETTERED]

    def _new_message(self, seq, queue, state, text, poison, reason=""):
        mid = self.next_id
        self.next_id += 1
        m = Message(mid, seq, queue, state, text, poison, self.now, self.next_order)
        self.next_order += 1
        m.reason = reason
        self.messages[mid] = m
        self.counts[state] += 1
        self.created += 1
        if state in (DROPPED, REFUSED):
            m.finished_at = self.now
            self._retire(mid)
        return m

    def _retire(self, mid):
        fin = self.finished
        fin.append(mid)
        if len(fin) > L.FINISHED_MESSAGES_KEPT:
            del self.messages[fin.popleft()]

    def _finish(self, m, state, reason=""):
        counts = self.counts
        counts[m.state] -= 1
        counts[state] += 1
        m.state = state
        m.reason = reason
        m.holder = None
        m.finished_at = self.now
        self._retire(m.id)

    # ------------------------------------------------------------ publishing

    def _count_window(self, n):
        second = int(self.now)
        w = self.window
        if w[0] != second:
            w[0] = second
            w[1] = 0
        w[1] += n

    def _publish(self, text="", poison=False, ttl=None, delay=None):
        """The sender publishes one message to the exchange (copies go to every bound queue)."""
        seq = self.pub_seq + 1
        self.pub_seq = seq
        c = self.counters
        c["published"] += 1
        self.metrics.published += 1
        now = self.now
        w = self.window
        second = int(now)
        if w[0] == second:
            w[1] += 1
        else:
            w[0] = second
            w[1] = 1
        sync = self.sync
        if sync.mirror and sync.enabled:
            self._sync_call()
        queues = self.bound_queues
        if not queues:
            reason = "unroutable: no queue is subscribed to the exchange"
            m = self._new_message(seq, None, DROPPED, text, poison, reason)
            c["unroutable"] += 1
            c["dropped"] += 1
            self._log("dropped", m.id, None, 0, reason)
            return [m]
        return self._offer(queues, seq, text, poison, 0, ttl, delay)

    def _offer(self, queues, seq, text, poison, attempt=0, ttl=None, delay=None):
        """A copy of publication ``seq`` offered to each of ``queues``: accepted (ready, and
        perhaps pushing the oldest out under drop-head) or refused (reject-publish, or the
        simulation is full). ``attempt``: how many times the sender tried this copy before;
        ``ttl``, ``delay``: the message's own expiration and delivery delay (expiry.py).
        Returns the copies, in the order of ``queues``."""
        c = self.counters
        counts = self.counts
        k = self.knobs
        now = self.now
        out = []
        for q in queues:
            q.offered += 1
            own = q.own
            if own:
                max_length, overflow = self._limit(q)
            else:
                max_length = k.max_length
                overflow = k.overflow
            if (
                counts[READY] + counts[IN_FLIGHT] + counts[DELAYED] + counts[DEAD_LETTERED]
                >= L.MAX_MESSAGES_IN_SYSTEM
            ):
                out.append(self._refuse(
                    q, seq, text, poison, attempt,
                    f"the simulation is full ({L.MAX_MESSAGES_IN_SYSTEM} messages)", ttl, delay,
                ))  # fmt: skip
                continue
            if max_length and overflow == "reject-publish" and len(q.ready) >= max_length:
                out.append(self._refuse(
                    q, seq, text, poison, attempt,
                    f"queue full: max length {max_length}, reject-publish", ttl, delay,
                ))  # fmt: skip
                continue
            # Inlined ``_new_message`` for an accepted copy (the hot path).
            mid = self.next_id
            self.next_id = mid + 1
            order = self.next_order
            self.next_order = order + 1
            m = Message(mid, seq, q.name, READY, text, poison, now, order)
            self.messages[mid] = m
            counts[READY] += 1
            self.created += 1
            c["accepted"] += 1
            q.accepted += 1
            eseq = self.event_seq + 1
            self.event_seq = eseq
            why = f"{q.name}, retry {attempt} of the sender" if attempt else q.name
            self.events.append((eseq, now, "published", mid, None, 0, why))
            out.append(m)
            if self.timed or ttl is not None or delay:
                if ttl is not None:
                    m.own_ttl = ttl
                self._set_expiry(m, q)
                wait = self._setting(q, "delivery_delay") if delay is None else delay
                if wait:
                    self._delay(m, q, now + wait, f"delivery delay: invisible for {wait:g} s")
                    continue
            ready = q.ready
            ready.append(mid)
            if max_length and len(ready) > max_length and overflow == "drop-head":
                self._overflow(q)
            self._dispatch(q)
        return out

    def _limit(self, q):
        """``q``'s length limit and overflow policy: its own (queue arguments) or the broker's."""
        own = q.own
        k = self.knobs
        if not own:
            return k.max_length, k.overflow
        return own.get("max_length", k.max_length), own.get("overflow", k.overflow)

    def _setting(self, q, name):
        """A knob of spec.QUEUE_SETTINGS as it applies to ``q``: its own value or the broker's."""
        own = q.own
        return own[name] if name in own else getattr(self.knobs, name)

    def _overflow(self, q):
        limit = self._limit(q)[0]
        messages = self.messages
        while len(q.ready) > limit:
            head = messages[q.ready.popleft()]
            q.shed += 1
            q.shed_sum += self.now - head.published_at
            self._dead_letter(head, q, "max length", "overflow: max length, drop-head")
        if q.ready:
            self._reap(q)  # a new head may have expired while it waited behind

    def _enqueue(self, m, q, kind=None, reason=""):
        """Put ``m`` back into ``q``'s ready list at its publication position.

        ``kind``: the event to log for it, logged before a drop-head limit may push it (or
        another message) out, so its story ends where it really is.
        """
        counts = self.counts
        counts[m.state] -= 1
        counts[READY] += 1
        m.state = READY
        m.ready_at = self.now
        ready = q.ready
        order = m.order
        messages = self.messages
        if not ready or messages[ready[-1]].order < order:
            ready.append(m.id)
        elif messages[ready[0]].order > order:
            ready.appendleft(m.id)
        else:
            i = 0
            for i, mid in enumerate(ready):  # noqa: B007 - index used after the loop
                if messages[mid].order > order:
                    break
            ready.insert(i, m.id)
        if kind is not None:
            self._log(kind, m.id, None, m.deliveries, reason)
        max_length, overflow = self._limit(q)
        if max_length and len(ready) > max_length and overflow == "drop-head":
            self._overflow(q)
        ea = m.expires_at
        if ea >= 0 and ea <= self.now:
            self._reap(q)  # back past its expiry (it kept it while delivered)

    def _dead_letter(self, m, q, reason, drop_reason=None):
        """Move ``m`` (already taken out of ready/held/delayed) to the dead-letter queue."""
        c = self.counters
        if self._setting(q, "dlq_enabled"):
            counts = self.counts
            counts[m.state] -= 1
            counts[DEAD_LETTERED] += 1
            m.state = DEAD_LETTERED
            m.reason = reason
            m.holder = None
            q.dlq[m.id] = None
            c["dead_lettered"] += 1
            self.metrics.dead_lettered += 1
            self._log("dead_lettered", m.id, None, m.deliveries, reason)
        else:
            why = (drop_reason or reason) + "; no dead-letter queue configured"
            self._finish(m, DROPPED, why)
            c["dropped"] += 1
            self._log("dropped", m.id, None, m.deliveries, why)

    # ------------------------------------------------------------ delivery

    def _dispatch(self, q):
        """Deliver ready messages to receivers with room, round-robin (like RabbitMQ).

        A receiver with nothing to do starts on its delivery at once (no extra event).
        """
        ready = q.ready
        if not ready:
            return
        cons = q.consumers
        n = len(cons)
        if not n:
            return
        receivers = self.receivers
        messages = self.messages
        limit = self._max_deliveries()
        while ready:
            # Round-robin: the first receiver with room, starting at ``q.rr``. Prefetch bounds
            # manual-ack receivers only: with auto-ack the broker pushes as fast as it can.
            idx = q.rr % n
            tries = n
            while True:
                r = receivers[cons[idx]]
                if r.alive:
                    pf = r.prefetch
                    if not pf or r.ack_mode == AUTO or len(r.work) + (r.current is not None) < pf:
                        break
                tries -= 1
                if not tries:
                    if self.timed:
                        ea = messages[ready[0]].expires_at
                        if ea >= 0 and ea <= self.now:
                            self._reap(q)  # it reached the head while nobody had room
                    return
                idx += 1
                if idx == n:
                    idx = 0
            idx += 1
            q.rr = 0 if idx == n else idx
            m = messages[ready.popleft()]
            if self.timed:
                ea = m.expires_at
                if ea >= 0 and ea <= self.now:
                    self._expire(m, q)  # an expired message is never delivered (RabbitMQ ttl)
                    continue
            if limit and m.deliveries >= limit:
                self._dead_letter(m, q, "delivery limit")
                continue
            self._deliver(m, r)

    def _max_deliveries(self):
        """Deliveries a message may have before it is dead-lettered (0: no limit). RabbitMQ's
        x-delivery-limit counts redeliveries, so it allows one delivery more."""
        k = self.knobs
        limit = k.delivery_limit
        if limit and k.limit_counts == "redeliveries":
            return limit + 1
        return limit

    def _deliver(self, m, r):
        tag = self.next_tag
        self.next_tag = tag + 1
        c = self.counters
        redelivered = m.total_deliveries > 0
        m.deliveries += 1
        m.total_deliveries += 1
        counts = self.counts
        counts[m.state] -= 1
        counts[IN_FLIGHT] += 1
        m.state = IN_FLIGHT
        m.holder = r.id
        m.tag = tag
        m.delivered_at = self.now
        auto = r.ack_mode == AUTO
        m.auto_ack = auto
        r.held[tag] = m.id
        r.delivered += 1
        c["delivered"] += 1
        if redelivered:
            c["redelivered"] += 1
        seq = self.event_seq + 1
        self.event_seq = seq
        self.events.append(
            (seq, self.now, "delivered", m.id, r.id, m.deliveries,
             "redelivered" if redelivered else "first delivery")
        )  # fmt: skip
        if not auto and self.knobs.return_mode == "visibility":
            m.visible_at = self.now + self.knobs.visibility_timeout
            self._push(m.visible_at, EV_VISIBILITY, m.id, tag)
        else:
            m.visible_at = -1.0
        if r.current is None and not r.work:
            self._start(r, m.id, tag)
        else:
            r.work.append((m.id, tag))

    def _start(self, r, mid, tag):
        mean = r.mean_time
        now = self.now
        if r.timing == "fixed":
            end = now + mean
        else:  # same arithmetic as random.expovariate(1 / mean)
            end = now + -_ln(1.0 - self.rng.random()) / (1.0 / mean)
        r.current = (mid, tag, now, end)
        hs = self.heap_seq + 1
        self.heap_seq = hs
        _heappush(self.heap, (end, hs, EV_WORK_DONE, r.id, r.incarnation, tag))

    def _on_work_done(self, ev):
        r = self.receivers.get(ev[3])
        if r is None or r.incarnation != ev[4] or not r.alive:
            return
        cur = r.current
        if cur is None or cur[1] != ev[5]:
            return
        mid = cur[0]
        tag = cur[1]
        r.current = None
        m = self.messages.get(mid)
        held_now = tag in r.held
        poison = m is not None and m.poison
        fr = r.failure_rate
        if poison or (fr and self.rng.random() < fr):
            self._work_failed(r, m, mid, tag, held_now, poison)
        else:
            if m is not None and not m.effects:
                m.effects = 1  # the first effect: nothing to count (``_effect`` does the rest)
            else:
                self._effect(m, mid, r)
            if r.crash_rate and self.rng.random() < r.crash_rate:
                self._kill(r, "crashed after the work, before the ack", crashed=True)
                return
            r.processed += 1
            if held_now:
                self._ack(m, r, tag)
            else:
                self.counters["ack_rejected"] += 1
                self._log(
                    "ack_rejected",
                    mid,
                    r.id,
                    m.deliveries if m is not None else 0,
                    "unknown delivery tag: the message had left",
                )
        work = r.work
        if work:
            nmid, ntag = work.popleft()
            self._start(r, nmid, ntag)
        q = self.queues.get(r.queue)
        if q is not None and q.ready:
            self._dispatch(q)

    def _work_failed(self, r, m, mid, tag, held_now, poison):
        """The receiver's attempt failed: it nacks (if the broker still knows the delivery)."""
        c = self.counters
        attempt = m.deliveries if m is not None else 0
        r.failures += 1
        c["failed"] += 1
        self.metrics.failed += 1
        self._log("failed", mid, r.id, attempt, "poison message" if poison else "processing failed")
        if held_now:
            del r.held[tag]
            m.holder = None
            q = self.queues[m.queue]
            if m.auto_ack:
                c["lost"] += 1
                why = "failed after auto-ack: the broker had already forgotten it"
                self._finish(m, LOST, why)
                self._log("lost", mid, r.id, attempt, why)
            else:
                self._after_failure(m, q)
        else:
            c["ack_rejected"] += 1
            self._log("ack_rejected", mid, r.id, attempt, "nack for a delivery it no longer holds")

    def _effect(self, m, mid, r):
        """The receiver's work has a side effect (say, charging a card). Count duplicates."""
        c = self.counters
        if m is None or m.effects:
            if r.idempotent:
                c["duplicates_skipped"] += 1
                self._log("duplicate_skipped", mid, r.id, 0, "idempotent: already applied")
                return
            c["duplicates"] += 1
            self.metrics.duplicates += 1
            why = "effect applied again"
            if m is not None and m.redriven_from is not None:
                why += f": the same order as message {m.redriven_from}, redriven as a new id"
            self._log("duplicate_effect", mid, r.id, 0, why)
        if m is not None:
            m.effects += 1

    def _ack(self, m, r, tag):
        del r.held[tag]
        counts = self.counts
        counts[IN_FLIGHT] -= 1
        counts[ACKED] += 1
        m.state = ACKED
        m.holder = None
        now = self.now
        m.finished_at = now
        fin = self.finished
        fin.append(m.id)
        if len(fin) > L.FINISHED_MESSAGES_KEPT:
            del self.messages[fin.popleft()]
        c = self.counters
        c["acked"] += 1
        metrics = self.metrics
        metrics.acked += 1
        lat = now - m.published_at
        metrics.latencies.append(lat)
        metrics.recent_latencies.append(lat)
        q = self.queues[m.queue]
        q.acked += 1
        q.wait_sum += lat
        if m.seq < q.max_acked_seq:
            c["out_of_order"] += 1
            metrics.out_of_order += 1
            reason = "out of order"
        else:
            q.max_acked_seq = m.seq
            reason = ""
        seq = self.event_seq + 1
        self.event_seq = seq
        self.events.append((seq, now, "acked", m.id, r.id, m.deliveries, reason))

    def settle(self, receiver_id, message_id, ack=True, tag=None):
        """A receiver acks (or nacks) a message by hand. Returns True if the broker accepted it.

        This is the ``settle`` command (so it is in the command log and replays). Only the
        live receiver holding the current delivery may settle it, once. Anything else is
        rejected and changes nothing but the log (RabbitMQ: "PRECONDITION_FAILED - unknown
        delivery tag").
        """
        command = {"action": "settle", "receiver": receiver_id, "message": message_id, "ack": ack}
        if tag is not None:
            command["tag"] = tag
        return self.apply(command)["accepted"]

    def _settle(self, receiver_id, message_id, ack, tag):
        m = self.messages.get(message_id)
        r = self.receivers.get(receiver_id)
        if tag is None and m is not None:
            tag = m.tag
        ok = (
            m is not None
            and r is not None
            and r.alive  # a dead receiver's channel is gone, and its delivery tags with it
            and m.state == IN_FLIGHT
            and m.holder == receiver_id
            and m.tag == tag
            and tag in r.held
            and not m.auto_ack
        )
        if not ok:
            self.counters["ack_rejected"] += 1
            self._log("ack_rejected", message_id, receiver_id, 0, "unknown delivery tag")
            return False
        if r.current is not None and r.current[1] == tag:
            r.current = None
            if r.work:
                nmid, ntag = r.work.popleft()
                self._start(r, nmid, ntag)
        else:
            r.work = deque(w for w in r.work if w[1] != tag)
        if ack:
            self._ack(m, r, tag)
        else:
            del r.held[tag]
            m.holder = None
            self.counters["failed"] += 1
            self._log("failed", m.id, r.id, m.deliveries, "nack")
            self._after_failure(m, self.queues[m.queue])
        self._dispatch(self.queues[m.queue])
        return True

    # ------------------------------------------------------------ failures and returns

    def _backoff(self, attempt):
        k = self.knobs
        delay = k.retry_base if k.retry == "fixed" else k.retry_base * 2.0 ** min(attempt - 1, 60)
        delay = min(delay, k.retry_max)
        if k.retry_jitter:
            delay *= 1.0 - k.retry_jitter * self.rng.random()
        return delay

    def _after_failure(self, m, q):
        """A failed (nacked) message: dead-letter it, requeue it, or retry it after a delay.

        Visibility mode (SQS): the message stays invisible until its timeout ends, and the
        receive count is checked when it would be received again (at dispatch), never before.
        """
        k = self.knobs
        if not k.requeue_on_failure:
            self._dead_letter(m, q, "rejected")
            return
        visibility = k.return_mode == "visibility"
        limit = self._max_deliveries()
        if limit and m.deliveries >= limit and not visibility:
            self._dead_letter(m, q, "delivery limit")
            return
        self.counters["retried"] += 1
        if visibility and k.retry == "none":
            ready_at = max(self.now, m.delivered_at + k.visibility_timeout)
            self._delay(m, q, ready_at, "invisible until the visibility timeout ends")
        elif k.retry == "none":
            self._enqueue(m, q, "requeued", "nack with requeue, no delay")
        else:
            ready_at = self.now + self._backoff(m.deliveries)
            if k.return_mode == "visibility":
                ready_at = max(ready_at, m.delivered_at + k.visibility_timeout)
            self._delay(m, q, ready_at, "retry after backoff")

    def _delay(self, m, q, ready_at, reason):
        tag = self.next_tag
        self.next_tag = tag + 1
        counts = self.counts
        counts[m.state] -= 1
        counts[DELAYED] += 1
        m.state = DELAYED
        m.tag = tag
        m.holder = None
        m.ready_at = ready_at
        q.delayed[m.id] = None
        self._push(ready_at, EV_DELAY_DONE, m.id, tag)
        self._log("delayed", m.id, None, m.deliveries, reason)

    def _on_delay_done(self, ev):
        m = self.messages.get(ev[3])
        if m is None or m.state != DELAYED or m.tag != ev[4]:
            return
        q = self.queues[m.queue]
        del q.delayed[m.id]
        self._enqueue(m, q, "ready", "delay over")
        self._dispatch(q)

    def _return(self, m, q, reason):
        """An unacked message comes back (death, timeout, removal): ready again or dead-lettered
        (RabbitMQ checks the delivery limit on return; SQS at the next receive)."""
        m.holder = None
        m.visible_at = -1.0
        limit = self._max_deliveries()
        if limit and m.deliveries >= limit and self.knobs.return_mode != "visibility":
            self._dead_letter(m, q, "delivery limit")
            return
        self.counters["requeued"] += 1
        self._enqueue(m, q, "requeued", reason)

    def _release_held(self, r, reason):
        """Give back everything the broker thinks ``r`` holds (it left or reconnected)."""
        if not r.held:
            return
        k = self.knobs
        messages = self.messages
        c = self.counters
        q = self.queues[r.queue]
        for mid in list(r.held.values()):
            m = messages[mid]
            m.holder = None
            if m.auto_ack:
                c["lost"] += 1
                why = "receiver went away holding it with auto-ack"
                self._finish(m, LOST, why)
                self._log("lost", mid, r.id, m.deliveries, why)
            elif k.return_mode == "visibility" and m.visible_at > self.now:
                self._delay(m, q, m.visible_at, "still invisible until its timeout")
            else:
                self._return(m, q, reason)
        r.held.clear()
        self._dispatch(q)

    def _on_detect(self, ev):
        r = self.receivers.get(ev[3])
        if r is None or r.incarnation != ev[4] or r.alive or r.detect_at != ev[0]:
            return  # a stale timer: that receiver came back, was removed, or rules changed
        r.detect_at = None
        self._log("death_detected", None, r.id, 0, "its unacknowledged messages return")
        messages = self.messages
        q = self.queues[r.queue]
        for mid in list(r.held.values()):
            self._return(messages[mid], q, "its receiver died before acknowledging it")
        r.held.clear()
        self._dispatch(q)

    def _on_visibility(self, ev):
        m = self.messages.get(ev[3])
        if m is None or m.state != IN_FLIGHT or m.tag != ev[4] or m.visible_at != ev[0]:
            return  # a stale timer: acked, returned, redelivered, or the rules changed
        r = self.receivers.get(m.holder)
        if r is not None:
            r.held.pop(ev[4], None)
        q = self.queues[m.queue]
        self._return(m, q, "visibility timeout ended before an ack")
        self._dispatch(q)

    def _kill(self, r, reason, crashed=False):
        r.alive = False
        r.incarnation += 1
        r.died_at = self.now
        r.current = None
        r.work.clear()
        if crashed:
            r.crashes += 1
            self.counters["crashes"] += 1
            self._push(self.now + L.RESTART_DELAY, EV_RESTART, r.id, r.incarnation)
            self._log("receiver_crashed", None, r.id, 0, reason)
        else:
            self._log("receiver_killed", None, r.id, 0, reason)
        messages = self.messages
        c = self.counters
        for tag, mid in list(r.held.items()):
            m = messages[mid]
            if m.auto_ack:
                del r.held[tag]
                c["lost"] += 1
                why = "receiver died holding it with auto-ack"
                self._finish(m, LOST, why)
                self._log("lost", mid, r.id, m.deliveries, why)
        if r.held and self.knobs.return_mode == "detect":
            r.detect_at = self.now + self.knobs.detection_delay
            self._push(r.detect_at, EV_DETECT, r.id, r.incarnation)
        self._sync_target_died(r.id)

    def _convert_returns(self):
        """The return rule changed (profile switch or visibility toggle) while messages are in
        flight: convert their pending timers to the new rule. Returns what it did, in words.

        Visibility mode: every manual-ack in-flight message gets its visibility timer (ending
        ``visibility_timeout`` after its delivery, or now if that has passed), whoever holds
        it; a dead holder's pending detection is dropped. Detection mode: visibility timers are
        cancelled (a live holder keeps its messages) and a dead holder's messages return when
        its death is noticed (``detection_delay`` after it died, or now if that has passed).
        """
        k = self.knobs
        now = self.now
        moved = 0
        dead = 0
        for r in self.receivers.values():
            manual = [(tag, self.messages[mid]) for tag, mid in r.held.items()]
            manual = [(tag, m) for tag, m in manual if not m.auto_ack]
            if not manual:
                continue
            if k.return_mode == "visibility":
                r.detect_at = None
                for tag, m in manual:
                    m.visible_at = max(now, m.delivered_at + k.visibility_timeout)
                    self._push(m.visible_at, EV_VISIBILITY, m.id, tag)
            else:
                for _tag, m in manual:
                    m.visible_at = -1.0
                if not r.alive:
                    died = r.died_at if r.died_at is not None else now
                    r.detect_at = max(now, died + k.detection_delay)
                    self._push(r.detect_at, EV_DETECT, r.id, r.incarnation)
                    dead += len(manual)
            moved += len(manual)
        if not moved:
            return ""
        n = f"{moved} in-flight message{'s' if moved != 1 else ''}"
        if k.return_mode == "visibility":
            return f"{n}: each returns when its visibility timeout ends"
        text = f"{n}: each stays with its receiver until acknowledged"
        if dead:
            text += f" ({dead} held by a dead receiver return once its death is noticed)"
        return text

    def _revive(self, r, reason):
        r.alive = True
        r.incarnation += 1
        r.detect_at = None
        self._log("receiver_revived", None, r.id, 0, reason)
        self._release_held(r, "the old connection closed when the receiver came back")
        q = self.queues.get(r.queue)
        if q is not None:
            self._dispatch(q)

    def _on_restart(self, ev):
        r = self.receivers.get(ev[3])
        if r is not None and r.incarnation == ev[4] and not r.alive:
            self._revive(r, "restarted after the crash")

    # ------------------------------------------------------------ rate sender

    def _set_rate(self, rate):
        self.rate = rate
        self.rate_gen += 1
        if rate > 0:
            self._push(self.now + 1.0 / rate, EV_PUBLISH_TICK, self.rate_gen)

    def _on_publish_tick(self, ev):
        if ev[3] != self.rate_gen or self.rate <= 0:
            return
        self._publish()
        self.heap_seq += 1
        heapq.heappush(
            self.heap,
            (self.now + 1.0 / self.rate, self.heap_seq, EV_PUBLISH_TICK, ev[3], None, None),
        )

    # ------------------------------------------------------------ sync lane

    def _set_sync_rate(self, rate):
        s = self.sync
        s.rate = rate
        s.gen += 1
        if rate > 0:
            self._push(self.now + 1.0 / rate, EV_SYNC_TICK, s.gen)

    def _on_sync_tick(self, ev):
        s = self.sync
        if ev[3] != s.gen or s.rate <= 0:
            return
        self._sync_call()
        self._push(self.now + 1.0 / s.rate, EV_SYNC_TICK, s.gen)

    def _sync_call(self):
        """The caller calls the receiver directly. While one call is open, the caller is blocked."""
        s = self.sync
        s.counts["calls"] += 1
        if s.call is not None:
            if s.pending >= L.MAX_SYNC_PENDING:
                s.counts["rejected"] += 1
                self.metrics.sync_failed += 1
                self._log(
                    "call_rejected",
                    None,
                    s.target,
                    0,
                    "the caller is blocked and its backlog is full",
                )
                return
            s.pending += 1
            return
        self._sync_start()

    def _sync_start(self):
        s = self.sync
        call_id = s.next_id
        s.next_id += 1
        r = self.receivers.get(s.target) if s.target else None
        now = self.now
        if r is None:
            outcome, end = "error", now
        elif not r.alive:
            outcome, end = "timeout", now + s.timeout
        else:
            dur = r.mean_time if r.timing == "fixed" else self.rng.expovariate(1.0 / r.mean_time)
            failed = bool(r.failure_rate) and self.rng.random() < r.failure_rate
            if dur > s.timeout:
                outcome, end = "timeout", now + s.timeout
            else:
                outcome, end = ("error" if failed else "ok"), now + dur
        token = self.next_tag
        self.next_tag += 1
        s.call = [call_id, now, end, outcome, token]
        self._log("call_started", None, s.target, call_id, "")
        self._push(end, EV_SYNC_DONE, token)

    def _sync_target_died(self, rid):
        s = self.sync
        call = s.call
        if call is None or s.target != rid or call[3] == "timeout":
            return
        token = self.next_tag
        self.next_tag += 1
        call[2] = max(self.now, call[1] + s.timeout)
        call[3] = "timeout"
        call[4] = token
        self._push(call[2], EV_SYNC_DONE, token)

    def _on_sync_done(self, ev):
        s = self.sync
        call = s.call
        if call is None or call[4] != ev[3]:
            return
        call_id, started, _end, outcome, _token = call
        waited = self.now - started
        s.blocked_time += waited
        s.counts[outcome] += 1
        m = self.metrics
        m.sync_blocked += waited
        if outcome == "ok":
            m.sync_ok += 1
        else:
            m.sync_failed += 1
        s.recent.append((call_id, started, waited, outcome))
        while len(s.recent) > L.VIEW_SYNC_CALLS:
            s.recent.popleft()
        reason = {"ok": "answered", "timeout": "timed out", "error": "failed"}[outcome]
        self._log("call_" + outcome, None, s.target, call_id, f"{reason} after {waited:.2f} s")
        s.call = None
        if s.pending:
            s.pending -= 1
            self._sync_start()

    # ------------------------------------------------------------ goals

    def _check_goal(self):
        from .goals import goal_met

        if goal_met(self, self.goal):
            self.goal_met_at = self.now
            self._log("goal_met", None, None, 0, self.goal.get("description", ""))

    # ------------------------------------------------------------ public helpers

    def view(self, series=True, events=L.VIEW_RECENT_EVENTS):
        """Everything the UI draws, as a plain JSON-able dict (see README).

        ``series=False`` leaves out the metric series; ``events``: how many recent events.
        """
        from .view import build_view

        return build_view(self, series=series, events=events)

    def story(self, message_id):
        """The life story of one message: its record and every kept event about it."""
        from .view import build_story

        return build_story(self, message_id)

    def to_dict(self):
        """The whole state as JSON-able data (with ``schema_version``)."""
        from .state import sim_to_dict

        return sim_to_dict(self)

    @classmethod
    def from_dict(cls, data):
        """Rebuild from :meth:`to_dict` output; it continues exactly like the original."""
        from .state import sim_from_dict

        return sim_from_dict(cls, data)

    def to_json(self):
        from .state import dumps

        return dumps(self.to_dict())

    @classmethod
    def from_json(cls, text):
        from .state import loads

        return cls.from_dict(loads(text))


Simulation._handlers = (
    Simulation._on_publish_tick,
    Simulation._on_delay_done,
    Simulation._on_work_done,
    Simulation._on_detect,
    Simulation._on_visibility,
    Simulation._on_sync_tick,
    Simulation._on_sync_done,
    Simulation._on_restart,
    Simulation._on_publish_retry,
    Simulation._on_expire,
)

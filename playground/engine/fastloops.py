"""The engine's fast event loops, kept apart from the readable handlers in simulation.py.

Both loops behave exactly like handling every event with ``Simulation``'s handler methods
(``Simulation.inline_hot_path = False``); ``tests/playground/engine/test_engine_hot_path.py``
proves it for every scenario. They exist only for speed: locals instead of attributes,
and the common publish, deliver, work and ack steps written out inline.
"""

# ruff: noqa: C901, SIM108
from __future__ import annotations

from heapq import heappop as _heappop
from heapq import heappush as _heappush
from heapq import heapreplace as _heapreplace
from math import floor as _floor
from math import log as _ln

from .metrics import _RANKS, _rank
from .model import ACKED, AUTO, DEAD_LETTERED, DELAYED, IN_FLIGHT, READY, Message
from .simulation import (
    EV_DELAY_DONE,
    EV_PUBLISH_TICK,
    EV_VISIBILITY,
    EV_WORK_DONE,
    FINISHED_KEPT,
    MAX_IN_SYSTEM,
    _new_object,
)


def advance_inline(self, t):
    """The general event loop, with a message's ordinary life inlined (see advance_to)."""
    # The event loop. The two events of a message's ordinary life (a rate-sender publish
    # and a receiver finishing its work) and the delivery that follows them are handled
    # inline with local variables; every other case goes through the same handler methods
    # that ``step_once`` uses.
    heap = self.heap
    metrics = self.metrics
    pop = _heappop
    handlers = self._handlers
    receivers = self.receivers
    messages = self.messages
    queues = self.queues
    counts = self.counts
    c = self.counters
    events = self.events
    fin = self.finished
    rand = self.rng.random
    on_work_done = self._on_work_done
    k = self.knobs
    bound = self.bound_queues
    sync = self.sync
    if len(bound) == 1 and not k.max_length and not (sync.mirror and sync.enabled):
        pub_queue = bound[0]
        pub_name = pub_queue.name
        pub_ready = pub_queue.ready
    else:
        pub_queue = pub_name = pub_ready = None
    limit = k.delivery_limit
    visibility = k.return_mode == "visibility"
    mend = metrics.end
    width = metrics.width
    while heap:
        ev = heap[0]
        et = ev[0]
        if et > t:
            break
        pop(heap)
        if et >= mend:
            if et < mend + width and (self.goal is None or self.goal_met_at is not None):
                # Close just the one bucket (what ``_close_metrics`` does here).
                metrics.close(
                    counts[READY], counts[IN_FLIGHT], counts[DELAYED], counts[DEAD_LETTERED]
                )
            else:
                self._close_metrics(et)
            mend = metrics.end
        self.now = et
        kind = ev[2]
        if kind == EV_WORK_DONE:
            r = receivers.get(ev[3])
            if r is None or r.incarnation != ev[4] or not r.alive:
                continue
            cur = r.current
            tag = ev[5]
            if cur is None or cur[1] != tag:
                continue
            mid = cur[0]
            m = messages.get(mid)
            held = r.held
            if m is None or m.poison or m.effects or r.crash_rate or tag not in held:
                on_work_done(ev)  # an unusual case: the general handler (nothing changed yet)
                continue
            r.current = None
            fr = r.failure_rate
            if fr and rand() < fr:
                self._work_failed(r, m, mid, tag, True, False)
            else:
                # Success: the effect happens once, then the ack (inlined ``_ack``).
                m.effects = 1
                r.processed += 1
                del held[tag]
                counts[IN_FLIGHT] -= 1
                counts[ACKED] += 1
                m.state = ACKED
                m.holder = None
                m.finished_at = et
                fin.append(mid)
                if len(fin) > FINISHED_KEPT:
                    del messages[fin.popleft()]
                c["acked"] += 1
                metrics.acked += 1
                lat = et - m.published_at
                metrics.latencies.append(lat)
                metrics.recent_latencies.append(lat)
                mq = queues[m.queue]
                mseq = m.seq
                if mseq < mq.max_acked_seq:
                    c["out_of_order"] += 1
                    metrics.out_of_order += 1
                    reason = "out of order"
                else:
                    mq.max_acked_seq = mseq
                    reason = ""
                seq = self.event_seq + 1
                self.event_seq = seq
                events.append((seq, et, "acked", mid, r.id, m.deliveries, reason))
            work = r.work
            if work:
                nmid, ntag = work.popleft()
                self._start(r, nmid, ntag)
            q = queues.get(r.queue)
            if q is None or not q.ready:
                continue
            tick = None
        elif kind == EV_PUBLISH_TICK:
            if ev[3] != self.rate_gen or self.rate <= 0:
                continue
            if pub_queue is None or (
                # Every message still in the system is in ``messages``: a cheap bound first.
                len(messages) >= MAX_IN_SYSTEM
                and counts[READY] + counts[IN_FLIGHT] + counts[DELAYED] + counts[DEAD_LETTERED]
                >= MAX_IN_SYSTEM
            ):
                self._publish()
                q = None
            else:
                # Inlined ``_publish`` for the plain case: one bound queue, no length limit,
                # no mirrored sync call, room in the system.
                pseq = self.pub_seq + 1
                self.pub_seq = pseq
                c["published"] += 1
                metrics.published += 1
                w = self.window
                second = int(et)
                if w[0] == second:
                    w[1] += 1
                else:
                    w[0] = second
                    w[1] = 1
                mid = self.next_id
                self.next_id = mid + 1
                order = self.next_order
                self.next_order = order + 1
                messages[mid] = Message(mid, pseq, pub_name, READY, "", False, et, order)
                counts[READY] += 1
                self.created += 1
                c["accepted"] += 1
                seq = self.event_seq + 1
                self.event_seq = seq
                events.append((seq, et, "published", mid, None, 0, pub_name))
                pub_ready.append(mid)
                # Others already waiting means no receiver has room (delivery is
                # work-conserving, see ``check_invariants``): only dispatch when alone.
                q = pub_queue if len(pub_ready) == 1 else None
            if q is None:
                hs = self.heap_seq + 1
                self.heap_seq = hs
                _heappush(heap, (et + 1.0 / self.rate, hs, EV_PUBLISH_TICK, ev[3], None, None))
                continue
            tick = ev  # the next tick is scheduled after the delivery, as in ``_publish``
        else:
            handlers[kind](self, ev)
            continue
        # Inlined ``_dispatch(q)``: deliver ready messages of ``q`` round-robin.
        ready = q.ready
        cons = q.consumers
        n = len(cons)
        while ready and n:
            idx = q.rr % n
            tries = n
            while True:
                r = receivers[cons[idx]]
                if r.alive:
                    pf = r.prefetch
                    if not pf or len(r.work) + (r.current is not None) < pf:
                        break
                tries -= 1
                if not tries:
                    break
                idx += 1
                if idx == n:
                    idx = 0
            if not tries:
                break
            idx += 1
            q.rr = 0 if idx == n else idx
            m = messages[ready.popleft()]
            attempt = m.deliveries
            if limit and attempt >= limit:
                self._dead_letter(m, q, "delivery limit")
                continue
            tag = self.next_tag
            self.next_tag = tag + 1
            redelivered = m.total_deliveries > 0
            attempt += 1
            m.deliveries = attempt
            m.total_deliveries += 1
            counts[m.state] -= 1
            counts[IN_FLIGHT] += 1
            m.state = IN_FLIGHT
            rid = r.id
            m.holder = rid
            m.tag = tag
            m.delivered_at = et
            auto = r.ack_mode == AUTO
            m.auto_ack = auto
            mid = m.id
            r.held[tag] = mid
            r.delivered += 1
            c["delivered"] += 1
            if redelivered:
                c["redelivered"] += 1
                why = "redelivered"
            else:
                why = "first delivery"
            seq = self.event_seq + 1
            self.event_seq = seq
            events.append((seq, et, "delivered", mid, rid, attempt, why))
            if visibility and not auto:
                self._push(et + k.visibility_timeout, EV_VISIBILITY, mid, tag)
            if r.current is None and not r.work:
                mean = r.mean_time
                if r.timing == "fixed":
                    end = et + mean
                else:  # same arithmetic as random.expovariate(1 / mean)
                    end = et + -_ln(1.0 - rand()) / (1.0 / mean)
                r.current = (mid, tag, et, end)
                hs = self.heap_seq + 1
                self.heap_seq = hs
                _heappush(heap, (end, hs, EV_WORK_DONE, rid, r.incarnation, tag))
            else:
                r.work.append((mid, tag))
        if tick is not None:
            hs = self.heap_seq + 1
            self.heap_seq = hs
            _heappush(heap, (et + 1.0 / self.rate, hs, EV_PUBLISH_TICK, tick[3], None, None))
    if t >= metrics.end:
        self._close_metrics(t)
    if t > self.now:
        self.now = t


def advance_plain(self, t):
    """The event loop for the plain configuration (see ``advance_to``), state in locals.

    Counters, counts and sequence numbers live in local variables while the loop runs and
    are written back (``flush``) before any handler method runs and when the loop ends, so
    everything outside the loop sees exactly what the handler-by-handler loop would give.
    """
    heap = self.heap
    metrics = self.metrics
    pop = _heappop
    push = _heappush
    replace = _heapreplace
    handlers = self._handlers
    receivers = self.receivers
    messages = self.messages
    queues = self.queues
    counts = self.counts
    c = self.counters
    log = self.events.append
    fin = self.finished
    fin_append = fin.append
    fin_pop = fin.popleft
    rand = self.rng.random
    k = self.knobs
    new_message = _new_object
    pub_queue = self.bound_queues[0]
    pub_name = pub_queue.name
    pub_ready = pub_queue.ready
    limit = k.delivery_limit
    fixed_retry = k.retry == "fixed"
    retry_base = k.retry_base
    retry_max = k.retry_max
    jitter = k.retry_jitter
    width = metrics.width
    buckets_append = metrics.buckets.append
    recent_append = metrics.recent_latencies.append
    w = self.window
    while True:
        # Load the hot state into locals.
        now = self.now
        eseq = self.event_seq
        hs = self.heap_seq
        ntag = self.next_tag
        nid = self.next_id
        norder = self.next_order
        pseq = self.pub_seq
        created = self.created
        n_ready = counts[READY]
        n_flight = counts[IN_FLIGHT]
        n_acked = counts[ACKED]
        n_delayed = counts[DELAYED]
        n_dead = counts[DEAD_LETTERED]
        c_pub = c["published"]
        c_acc = c["accepted"]
        c_dlv = c["delivered"]
        c_rdl = c["redelivered"]
        c_ack = c["acked"]
        c_ooo = c["out_of_order"]
        c_fail = c["failed"]
        c_retry = c["retried"]
        c_dead = c["dead_lettered"]
        m_pub = metrics.published
        m_ack = metrics.acked
        m_fail = metrics.failed
        m_dead = metrics.dead_lettered
        m_ooo = metrics.out_of_order
        lats = metrics.latencies
        lats_append = lats.append
        mend = metrics.end
        mstart = metrics.start
        s_blocked = metrics.sync_blocked
        s_ok = metrics.sync_ok
        s_failed = metrics.sync_failed
        m_dup = metrics.duplicates
        quick_close = self.goal is None or self.goal_met_at is not None
        rate_gen = self.rate_gen
        rate = self.rate
        # Each queue's consumers as receiver objects (only commands change them).
        consumers = {name: [receivers[rid] for rid in q.consumers] for name, q in queues.items()}
        # Where each receiver sits in its queue's round-robin order.
        positions = {rid: i for q in queues.values() for i, rid in enumerate(q.consumers)}
        fin_full = len(fin) >= FINISHED_KEPT  # the finished list never shrinks below that
        slow = None  # an event for a handler method (or True: close metric buckets)
        # ``top``: the event being handled is still at the top of the heap; it is popped
        # lazily, so that the first event it schedules can take its place in one step.
        top = False
        while True:
            if top:
                pop(heap)
                top = False
            if not heap:
                break
            ev = heap[0]
            et = ev[0]
            if et > t:
                break
            if et >= mend:
                if et < mend + width and quick_close:
                    # Close just the one bucket (inlined ``Metrics.close``).
                    n = len(lats)
                    if n == 0:
                        p50 = p95 = None
                    elif n == 1:
                        p50 = p95 = lats[0]
                    else:
                        lats.sort()
                        ranks = _RANKS.get(n)
                        if ranks is None:
                            ranks = _RANKS[n] = (_rank(n, 0.50), _rank(n, 0.95))
                        p50 = lats[ranks[0]]
                        p95 = lats[ranks[1]]
                    buckets_append(
                        (mstart, m_pub, m_ack, m_fail, m_dead, n_ready, n_flight, n_delayed,
                         n_dead, p50, p95, s_blocked, s_ok, s_failed, m_ooo, m_dup)
                    )  # fmt: skip
                    mstart = mend
                    mend = mend + width
                    m_pub = m_ack = m_fail = m_dead = m_ooo = 0
                    s_ok = s_failed = m_dup = 0
                    s_blocked = 0.0
                    if n:
                        lats.clear()
                else:
                    slow = True
                    break
            kind = ev[2]
            if kind == EV_WORK_DONE:
                r = receivers.get(ev[3])
                if r is None or r.incarnation != ev[4] or not r.alive:
                    pop(heap)
                    now = et
                    continue
                cur = r.current
                tag = ev[5]
                if cur is None or cur[1] != tag:
                    pop(heap)
                    now = et
                    continue
                mid = cur[0]
                m = messages.get(mid)
                held = r.held
                if (
                    m is None
                    or m.poison
                    or m.effects
                    or r.crash_rate
                    or m.auto_ack
                    or tag not in held
                ):
                    slow = ev  # an unusual case: the general handler (nothing changed yet)
                    break
                top = True
                now = et
                r.current = None
                fr = r.failure_rate
                if fr and rand() < fr:
                    # Inlined ``_work_failed`` + ``_after_failure``: requeue after a backoff,
                    # or dead-letter at the delivery limit.
                    attempt = m.deliveries
                    r.failures += 1
                    c_fail += 1
                    m_fail += 1
                    eseq += 1
                    log((eseq, et, "failed", mid, r.id, attempt, "processing failed"))
                    del held[tag]
                    m.holder = None
                    mq = queues[m.queue]
                    n_flight -= 1
                    if limit and attempt >= limit:
                        n_dead += 1
                        m.state = DEAD_LETTERED
                        m.reason = "delivery limit"
                        mq.dlq[mid] = None
                        c_dead += 1
                        m_dead += 1
                        eseq += 1
                        log((eseq, et, "dead_lettered", mid, None, attempt, "delivery limit"))
                    else:
                        c_retry += 1
                        delay = (
                            retry_base if fixed_retry else retry_base * 2.0 ** min(attempt - 1, 60)
                        )
                        delay = min(delay, retry_max)
                        if jitter:
                            delay *= 1.0 - jitter * rand()
                        ready_at = et + delay
                        dtag = ntag
                        ntag += 1
                        n_delayed += 1
                        m.state = DELAYED
                        m.tag = dtag
                        m.ready_at = ready_at
                        mq.delayed[mid] = None
                        hs += 1
                        if top:
                            replace(heap, (ready_at, hs, EV_DELAY_DONE, mid, dtag, None))
                            top = False
                        else:
                            push(heap, (ready_at, hs, EV_DELAY_DONE, mid, dtag, None))
                        eseq += 1
                        log((eseq, et, "delayed", mid, None, attempt, "retry after backoff"))
                else:
                    # Success: the effect happens once, then the ack (inlined ``_ack``).
                    m.effects = 1
                    r.processed += 1
                    del held[tag]
                    n_flight -= 1
                    n_acked += 1
                    m.state = ACKED
                    m.holder = None
                    m.finished_at = et
                    fin_append(mid)
                    if fin_full:
                        del messages[fin_pop()]
                    elif len(fin) > FINISHED_KEPT:
                        del messages[fin_pop()]
                        fin_full = True
                    c_ack += 1
                    m_ack += 1
                    lat = et - m.published_at
                    lats_append(lat)
                    recent_append(lat)
                    mq = queues[m.queue]
                    mseq = m.seq
                    if mseq < mq.max_acked_seq:
                        c_ooo += 1
                        m_ooo += 1
                        reason = "out of order"
                    else:
                        mq.max_acked_seq = mseq
                        reason = ""
                    eseq += 1
                    log((eseq, et, "acked", mid, r.id, m.deliveries, reason))
                work = r.work
                if work:
                    # Inlined ``_start`` of the next buffered delivery.
                    nmid, ntag2 = work.popleft()
                    mean = r.mean_time
                    if r.timing == "fixed":
                        end = et + mean
                    else:
                        end = et + -_ln(1.0 - rand()) / (1.0 / mean)
                    r.current = (nmid, ntag2, et, end)
                    hs += 1
                    if top:
                        replace(heap, (end, hs, EV_WORK_DONE, r.id, r.incarnation, ntag2))
                        top = False
                    else:
                        push(heap, (end, hs, EV_WORK_DONE, r.id, r.incarnation, ntag2))
                q = queues.get(r.queue)
                if q is None or not q.ready:
                    continue
                # Messages were already waiting, so no other consumer of ``q`` has room
                # (work-conserving delivery): the round-robin can only pick ``r``.
                only = r
                tick = None
            elif kind == EV_PUBLISH_TICK:
                if ev[3] != rate_gen or rate <= 0:
                    pop(heap)
                    now = et
                    continue
                if n_ready + n_flight + n_delayed + n_dead >= MAX_IN_SYSTEM:
                    slow = ev  # the simulation is full: the general handler refuses it
                    break
                top = True
                now = et
                # Inlined ``_publish`` for the plain case.
                pseq += 1
                c_pub += 1
                m_pub += 1
                second = _floor(et)  # == int(et): time is never negative
                if w[0] == second:
                    w[1] += 1
                else:
                    w[0] = second
                    w[1] = 1
                mid = nid
                nid += 1
                # Inlined ``Message(mid, pseq, pub_name, READY, "", False, et, norder)``.
                m = new_message(Message)
                m.id = mid
                m.seq = pseq
                m.queue = pub_name
                m.state = READY
                m.reason = ""
                m.text = ""
                m.poison = False
                m.published_at = et
                m.ready_at = et
                m.delivered_at = -1.0
                m.finished_at = -1.0
                m.deliveries = 0
                m.total_deliveries = 0
                m.holder = None
                m.tag = 0
                m.effects = 0
                m.redrives = 0
                m.redriven_from = None
                m.order = norder
                m.auto_ack = False
                norder += 1
                messages[mid] = m
                n_ready += 1
                created += 1
                c_acc += 1
                eseq += 1
                log((eseq, et, "published", mid, None, 0, pub_name))
                pub_ready.append(mid)
                # Others already waiting means no receiver has room (delivery is
                # work-conserving, see ``check_invariants``): only dispatch when alone.
                if len(pub_ready) != 1:
                    hs += 1
                    if top:
                        replace(heap, (et + 1.0 / rate, hs, EV_PUBLISH_TICK, rate_gen, None, None))
                        top = False
                    else:
                        push(heap, (et + 1.0 / rate, hs, EV_PUBLISH_TICK, rate_gen, None, None))
                    continue
                q = pub_queue
                only = None
                tick = ev  # the next tick is scheduled after the delivery, as in ``_publish``
            elif kind == EV_DELAY_DONE:
                top = True
                now = et
                m = messages.get(ev[3])
                if m is None or m.state != DELAYED or m.tag != ev[4]:
                    continue
                # Inlined ``_on_delay_done`` + ``_enqueue`` (no length limit here).
                mid = m.id
                q = queues[m.queue]
                del q.delayed[mid]
                n_delayed -= 1
                n_ready += 1
                m.state = READY
                m.ready_at = et
                ready = q.ready
                order = m.order
                if not ready or messages[ready[-1]].order < order:
                    ready.append(mid)
                elif messages[ready[0]].order > order:
                    ready.appendleft(mid)
                else:
                    i = 0
                    for i, omid in enumerate(ready):  # noqa: B007 - index used after the loop
                        if messages[omid].order > order:
                            break
                    ready.insert(i, mid)
                eseq += 1
                log((eseq, et, "ready", mid, None, m.deliveries, "delay over"))
                if len(ready) != 1:
                    continue  # others were waiting: no receiver has room (as above)
                only = None
                tick = None
            else:
                slow = ev
                break
            # Inlined ``_dispatch(q)``: deliver ready messages of ``q`` round-robin.
            ready = q.ready
            cons = consumers[q.name]
            n = len(cons)
            if only is not None:
                idx = positions.get(only.id)
                if idx is None or idx >= n or cons[idx] is not only:
                    only = None  # not where expected: the full round-robin scan
                else:
                    only_next = 0 if idx + 1 == n else idx + 1
            while ready and n:
                if only is None:
                    idx = q.rr % n
                    tries = n
                    while True:
                        r = cons[idx]
                        if r.alive:
                            pf = r.prefetch
                            if pf == 1:
                                if r.current is None and not r.work:
                                    break
                            elif not pf or len(r.work) + (r.current is not None) < pf:
                                break
                        tries -= 1
                        if not tries:
                            break
                        idx += 1
                        if idx == n:
                            idx = 0
                    if not tries:
                        break
                    idx += 1
                    q.rr = 0 if idx == n else idx
                else:
                    r = only
                    pf = r.prefetch
                    if pf == 1:
                        if r.current is not None or r.work:
                            break
                    elif pf and len(r.work) + (r.current is not None) >= pf:
                        break
                    q.rr = only_next
                m = messages[ready.popleft()]
                attempt = m.deliveries
                mid = m.id
                if limit and attempt >= limit:
                    # Inlined ``_dead_letter`` (a dead-letter queue is configured here).
                    n_ready -= 1
                    n_dead += 1
                    m.state = DEAD_LETTERED
                    m.reason = "delivery limit"
                    m.holder = None
                    q.dlq[mid] = None
                    c_dead += 1
                    m_dead += 1
                    eseq += 1
                    log((eseq, et, "dead_lettered", mid, None, attempt, "delivery limit"))
                    continue
                tag = ntag
                ntag += 1
                attempt += 1
                m.deliveries = attempt
                total = m.total_deliveries
                m.total_deliveries = total + 1
                n_ready -= 1
                n_flight += 1
                m.state = IN_FLIGHT
                rid = r.id
                m.holder = rid
                m.tag = tag
                m.delivered_at = et
                auto = r.ack_mode == AUTO
                m.auto_ack = auto
                r.held[tag] = mid
                r.delivered += 1
                c_dlv += 1
                eseq += 1
                if total:
                    c_rdl += 1
                    log((eseq, et, "delivered", mid, rid, attempt, "redelivered"))
                else:
                    log((eseq, et, "delivered", mid, rid, attempt, "first delivery"))
                if r.current is None and not r.work:
                    mean = r.mean_time
                    if r.timing == "fixed":
                        end = et + mean
                    else:  # same arithmetic as random.expovariate(1 / mean)
                        end = et + -_ln(1.0 - rand()) / (1.0 / mean)
                    r.current = (mid, tag, et, end)
                    hs += 1
                    if top:
                        replace(heap, (end, hs, EV_WORK_DONE, rid, r.incarnation, tag))
                        top = False
                    else:
                        push(heap, (end, hs, EV_WORK_DONE, rid, r.incarnation, tag))
                else:
                    r.work.append((mid, tag))
            if tick is not None:
                hs += 1
                if top:
                    replace(heap, (et + 1.0 / rate, hs, EV_PUBLISH_TICK, rate_gen, None, None))
                    top = False
                else:
                    push(heap, (et + 1.0 / rate, hs, EV_PUBLISH_TICK, rate_gen, None, None))
        # Write the hot state back.
        self.now = now
        self.event_seq = eseq
        self.heap_seq = hs
        self.next_tag = ntag
        self.next_id = nid
        self.next_order = norder
        self.pub_seq = pseq
        self.created = created
        counts[READY] = n_ready
        counts[IN_FLIGHT] = n_flight
        counts[ACKED] = n_acked
        counts[DELAYED] = n_delayed
        counts[DEAD_LETTERED] = n_dead
        c["published"] = c_pub
        c["accepted"] = c_acc
        c["delivered"] = c_dlv
        c["redelivered"] = c_rdl
        c["acked"] = c_ack
        c["out_of_order"] = c_ooo
        c["failed"] = c_fail
        c["retried"] = c_retry
        c["dead_lettered"] = c_dead
        metrics.published = m_pub
        metrics.acked = m_ack
        metrics.failed = m_fail
        metrics.dead_lettered = m_dead
        metrics.out_of_order = m_ooo
        metrics.start = mstart
        metrics.end = mend
        metrics.sync_blocked = s_blocked
        metrics.sync_ok = s_ok
        metrics.sync_failed = s_failed
        metrics.duplicates = m_dup
        if slow is None:
            break
        if slow is True:
            self._close_metrics(et)
        else:
            pop(heap)
            self.now = et
            handlers[slow[2]](self, slow)
    if t >= metrics.end:
        self._close_metrics(t)
    if t > self.now:
        self.now = t

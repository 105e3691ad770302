"""Checks of the broker-semantics invariants against a simulation's current state.

``check_invariants(sim)`` returns a list of human-readable violations (empty when all hold).
The tests call it after every step; it is also handy when debugging a scenario.
"""

from __future__ import annotations

import re
from collections import Counter

from .events import EVENT_KINDS
from .model import (
    DEAD_LETTERED,
    DELAYED,
    FINAL_STATES,
    IN_FLIGHT,
    READY,
    STATES,
)

# Heap entry kinds (simulation.EV_*); repeated here so the checks stay independent of it.
_EV_DETECT = 3
_EV_VISIBILITY = 4
_EV_PUBLISH_RETRY = 8
_EV_EXPIRE = 9
_GENERATED_ID = re.compile(r"^r(\d+)$")


def check_invariants(sim):
    problems = []
    add = problems.append
    counts = sim.counts
    c = sim.counters

    # 1. Conservation: every message copy is in exactly one state.
    if any(v < 0 for v in counts.values()):
        add(f"negative state count: {counts}")
    if sum(counts.values()) != sim.created:
        add(f"state counts {sum(counts.values())} != messages created {sim.created}")
    expected = c["accepted"] + c["refused"] + c["unroutable"] + c["redrive_copies"]
    if sim.created != expected:
        add(f"created {sim.created} != accepted+refused+unroutable+redrive copies {expected}")
    live = Counter(m.state for m in sim.messages.values())
    for state in (DELAYED, READY, IN_FLIGHT, DEAD_LETTERED):
        if live[state] != counts[state]:
            add(f"{state}: {live[state]} messages but count says {counts[state]}")
    for state in set(live) - set(STATES):
        add(f"unknown state {state!r}")

    # Structures agree with states.
    seen = Counter()
    for q in sim.queues.values():
        prev = None
        for mid in q.ready:
            m = sim.messages.get(mid)
            seen[mid] += 1
            if m is None or m.state != READY or m.queue != q.name:
                add(f"queue {q.name} lists {mid} as ready but it is {m and m.state}")
                continue
            if prev is not None and m.order < prev:
                add(f"queue {q.name}: ready list out of publication order at {mid}")
            prev = m.order
        for mid in q.delayed:
            m = sim.messages.get(mid)
            seen[mid] += 1
            if m is None or m.state != DELAYED:
                add(f"queue {q.name} lists {mid} as delayed but it is {m and m.state}")
            elif m.ready_at < sim.now:
                add(f"message {mid} still delayed after ready-at {m.ready_at} (now {sim.now})")
        for mid in q.dlq:
            m = sim.messages.get(mid)
            seen[mid] += 1
            if m is None or m.state != DEAD_LETTERED:
                add(f"dead-letter queue of {q.name} lists {mid} but it is {m and m.state}")

    # 2. One holder.
    holders = Counter()
    for r in sim.receivers.values():
        for tag, mid in r.held.items():
            m = sim.messages.get(mid)
            holders[mid] += 1
            seen[mid] += 1
            if m is None or m.state != IN_FLIGHT or m.holder != r.id or m.tag != tag:
                add(f"receiver {r.id} holds {mid} (tag {tag}) but the message says otherwise")
        if not r.alive and (r.work or r.current is not None):
            add(f"dead receiver {r.id} is still working")
    # Work-conserving delivery: a ready message never waits while a live consumer of its
    # queue has room (the engine relies on this to skip pointless dispatch attempts).
    for q in sim.queues.values():
        if not q.ready:
            continue
        for rid in q.consumers:
            r = sim.receivers.get(rid)
            if r is not None and r.alive and (not r.prefetch or r.local_count() < r.prefetch):
                add(f"queue {q.name} has ready messages while receiver {rid} has room")
    for mid, n in seen.items():
        if n > 1:
            add(f"message {mid} is in {n} places at once")
    for m in sim.messages.values():
        if m.state == IN_FLIGHT:
            if holders[m.id] != 1:
                add(f"in-flight message {m.id} has {holders[m.id]} holders")
            # 10. never delivered before ready-at
            if m.delivered_at < m.ready_at:
                add(f"message {m.id} delivered at {m.delivered_at} before ready-at {m.ready_at}")
        elif m.holder is not None:
            add(f"message {m.id} is {m.state} but has a holder")
        if m.state in (READY, DELAYED, DEAD_LETTERED) and seen[m.id] != 1:
            add(f"message {m.id} is {m.state} but not in its queue")
        if m.deliveries > m.total_deliveries:
            add(f"message {m.id}: deliveries {m.deliveries} > total {m.total_deliveries}")
    for mid in sim.finished:
        m = sim.messages.get(mid)
        if m is not None and m.state not in FINAL_STATES:
            add(f"finished list holds {mid} in state {m.state}")

    # Between calls nothing is overdue: every instant up to now has been handled in full.
    if sim.heap and min(sim.heap)[0] <= sim.now:
        add(f"an event due at {min(sim.heap)[0]} has not happened (now {sim.now})")
    _check_returns(sim, add)
    _check_stories(sim, add)
    for rid in sim.receivers:
        numbered = _GENERATED_ID.match(rid)
        if numbered and int(numbered.group(1)) >= sim.next_receiver:
            add(f"receiver id {rid} could be handed out again (next is r{sim.next_receiver})")

    # The sender's retries of refused publishes: each one it holds is scheduled.
    retries = sum(1 for e in sim.heap if e[2] == _EV_PUBLISH_RETRY)
    if retries != sim.publish_waiting:
        add(f"the sender holds {sim.publish_waiting} refused copies but {retries} retries are due")
    # 8. A drop-head length limit (the queue's own or the broker's) bounds ready messages.
    for q in sim.queues.values():
        max_length, overflow = sim._limit(q)
        if max_length and overflow == "drop-head" and len(q.ready) > max_length:
            add(f"queue {q.name} holds {len(q.ready)} ready messages over its max length")

    # TTL and retention (expiry.py): the head of a queue is never expired (RabbitMQ removes
    # expired messages at the head), and a waiting message that will expire has its timer.
    expiries = {(e[0], e[3]) for e in sim.heap if e[2] == _EV_EXPIRE}
    for q in sim.queues.values():
        if q.ready:
            head = sim.messages[q.ready[0]]
            if 0 <= head.expires_at <= sim.now:
                add(f"queue {q.name}: its head {head.id} expired at {head.expires_at} but waits")
        for mid in q.ready:
            m = sim.messages[mid]
            if m.expires_at > sim.now and not any(
                t <= m.expires_at and i == mid for t, i in expiries
            ):
                add(f"message {mid} expires at {m.expires_at} but no timer will notice")

    # Sync lane.
    s = sim.sync
    if s.pending < 0 or (s.call is None and s.pending):
        add("sync caller has waiting calls but is not blocked")
    return problems


def _check_returns(sim, add):
    """4. Death returns, never destroys; and a live holder keeps its messages unless the rules
    say a timeout takes them (visibility mode). Every unacked message has its way back."""
    pending = {(e[0], e[2], e[3], e[4]) for e in sim.heap if e[2] in (_EV_DETECT, _EV_VISIBILITY)}
    visibility = sim.knobs.return_mode == "visibility"
    for r in sim.receivers.values():
        manual = [(tag, sim.messages.get(mid)) for tag, mid in r.held.items()]
        manual = [(tag, m) for tag, m in manual if m is not None and not m.auto_ack]
        for tag, m in manual:
            timer = m.visible_at >= 0 and (m.visible_at, _EV_VISIBILITY, m.id, tag) in pending
            if visibility and not timer:
                add(f"message {m.id} held by {r.id} has no visibility timer: it would never return")
            if not visibility and m.visible_at >= 0:
                add(f"message {m.id} has a visibility timer, but a live holder keeps its messages")
        if not manual or r.alive or visibility:
            continue
        detect = r.detect_at is not None and (
            (r.detect_at, _EV_DETECT, r.id, r.incarnation) in pending
        )
        if not detect:
            add(f"dead receiver {r.id} holds {len(manual)} message(s) that would never return")


def _check_stories(sim, add):
    """A message's story ends where the message is: its last event that places it (say,
    ``requeued`` or ``dead_lettered``) names its current state (events.EVENT_KINDS)."""
    last = {}
    first = {}
    for e in sim.events:
        mid = e[3]
        if mid is None:
            continue
        first.setdefault(mid, e[2])
        leaves = EVENT_KINDS[e[2]].leaves
        if leaves is not None:
            last[mid] = (e[2], leaves)
    for mid, (kind, leaves) in last.items():
        m = sim.messages.get(mid)
        if m is None or first[mid] not in ("published", "refused", "dropped"):
            continue  # forgotten, or its story is no longer complete in the kept log
        if m.state not in leaves:
            add(f"message {mid}'s story ends with {kind!r} but it is {m.state}")

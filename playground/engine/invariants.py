"""Checks of the broker-semantics invariants against a simulation's current state.

``check_invariants(sim)`` returns a list of human-readable violations (empty when all hold).
The tests call it after every step; it is also handy when debugging a scenario.
"""

from __future__ import annotations

from collections import Counter

from .model import (
    DEAD_LETTERED,
    DELAYED,
    FINAL_STATES,
    IN_FLIGHT,
    READY,
    STATES,
)


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

    # Sync lane.
    s = sim.sync
    if s.pending < 0 or (s.call is None and s.pending):
        add("sync caller has waiting calls but is not blocked")
    return problems

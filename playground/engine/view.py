"""What the UI draws: one plain, JSON-able dict built from the live state (cheap to build)."""

from __future__ import annotations

import heapq
from itertools import islice

from . import limits as L
from .events import EVENT_FIELDS
from .goals import goal_progress
from .load import queue_load
from .metrics import percentile
from .model import IN_FLIGHT
from .profiles import PROFILES
from .spec import KNOBS, RECEIVER_SETTINGS


def _card(m):
    return {
        "id": m.id,
        "seq": m.seq,
        "attempts": m.deliveries,
        "redelivered": m.total_deliveries > (1 if m.state == IN_FLIGHT else 0),
        "text": m.text,
        "poison": m.poison,
    }


def _queue_view(sim, q):
    messages = sim.messages
    ready = [_card(messages[mid]) for mid in islice(q.ready, L.VIEW_CARDS_PER_QUEUE)]
    delayed_ids = q.delayed
    if len(delayed_ids) > L.VIEW_CARDS_PER_QUEUE:
        soonest = heapq.nsmallest(
            L.VIEW_CARDS_PER_QUEUE, delayed_ids, key=lambda i: messages[i].ready_at
        )
    else:
        soonest = sorted(delayed_ids, key=lambda i: messages[i].ready_at)
    delayed = []
    for mid in soonest:
        m = messages[mid]
        card = _card(m)
        card["ready_at"] = m.ready_at
        card["countdown"] = max(0.0, m.ready_at - sim.now)
        delayed.append(card)
    dlq = []
    for mid in islice(q.dlq, L.VIEW_DLQ_ENTRIES):
        m = messages[mid]
        card = _card(m)
        card["reason"] = m.reason
        dlq.append(card)
    return {
        "name": q.name,
        "bound": q.bound,
        "depth": len(q.ready),
        "ready": ready,
        "ready_more": max(0, len(q.ready) - len(ready)),
        "delayed_count": len(q.delayed),
        "delayed": delayed,
        "dlq_count": len(q.dlq),
        "dlq": dlq,
        "consumers": list(q.consumers),
        "load": queue_load(sim, q),  # rates, oldest age, Little's law (load.py)
    }


def _receiver_view(sim, r):
    cur = r.current
    if not r.alive:
        status, working_on, progress = "dead", None, None
    elif cur is None:
        status, working_on, progress = "idle", None, None
    else:
        status, working_on = "working", cur[0]
        span = cur[3] - cur[2]
        progress = 1.0 if span <= 0 else min(1.0, max(0.0, (sim.now - cur[2]) / span))
    held = list(islice(r.held.values(), L.VIEW_CARDS_PER_QUEUE))
    return {
        "id": r.id,
        "queue": r.queue,
        "alive": r.alive,
        "status": status,
        "working_on": working_on,
        "progress": progress,
        "held": held,
        "held_cards": [_card(sim.messages[mid]) for mid in held[: L.VIEW_HELD_CARDS]],
        "held_count": len(r.held),
        "buffered": len(r.work),
        **r.settings(),  # every setting of spec.RECEIVER_SETTINGS, by name
        "processed": r.processed,
        "failures": r.failures,
        "crashes": r.crashes,
        "delivered": r.delivered,
        "detect_at": r.detect_at,
    }


def _sync_view(sim):
    s = sim.sync
    call = None
    if s.call is not None:
        call_id, started, _ends, _outcome, _token = s.call
        waited = sim.now - started
        call = {
            "id": call_id,
            "started": started,
            "waited": waited,
            "timeout": s.timeout,
            "progress": min(1.0, waited / s.timeout) if s.timeout else 1.0,
        }
    return {
        "enabled": s.enabled,
        "target": s.target,
        "timeout": s.timeout,
        "rate": s.rate,
        "mirror": s.mirror,
        "state": "waiting" if call else "idle",
        "call": call,
        "pending": s.pending,
        "counts": dict(s.counts),
        "blocked_time": s.blocked_time,
        "recent": [
            {"id": c[0], "started": c[1], "waited": c[2], "outcome": c[3]} for c in s.recent
        ],
    }


def build_view(sim, series=True, events=L.VIEW_RECENT_EVENTS):
    """Everything the UI draws. See README.md for the shape."""
    lat = sorted(sim.metrics.recent_latencies)
    profile = PROFILES[sim.profile]
    goal = None
    if sim.goal is not None:
        goal = {
            "description": sim.goal.get("description", ""),
            "met": sim.goal_met_at is not None,
            "met_at": sim.goal_met_at,
            "conditions": goal_progress(sim, sim.goal),
        }
    view = {
        "scenario": sim.scenario,
        "seed": sim.seed,
        "time": sim.now,
        "paused": sim.paused,
        "speed": sim.speed,
        "profile": profile.to_dict(),
        "knobs": sim.knobs.to_dict(),
        # The controls, as the current profile's broker names them (spec.py).
        "knob_fields": [k.describe(sim.profile, getattr(sim.knobs, k.name)) for k in KNOBS],
        "receiver_fields": [
            s.describe(sim.profile, s.default_for(sim.profile)) for s in RECEIVER_SETTINGS
        ],
        "sender": {
            "rate": sim.rate,
            "published": sim.counters["published"],
            "last_seq": sim.pub_seq,
            "retrying": sim.publish_waiting,  # refused copies it holds for a retry
        },
        "sync": _sync_view(sim),
        "queues": [_queue_view(sim, q) for q in sim.queues.values()],
        "receivers": [_receiver_view(sim, r) for r in sim.receivers.values()],
        "counters": dict(sim.counters),
        "states": dict(sim.counts),
        "in_system": sim.in_system(),
        "latency": {"p50": percentile(lat, 0.5), "p95": percentile(lat, 0.95)},
        "goal": goal,
        "last_event_seq": sim.event_seq,
        "first_event_seq": sim.first_event_seq,
        "recent_events": sim.events_since(sim.event_seq - events) if events else [],
        "commands": len(sim.command_log),
    }
    if series:
        view["metrics"] = sim.metrics.series()
    return view


def build_story(sim, message_id):
    """One message's life: its current record plus every kept event that mentions it."""
    m = sim.messages.get(message_id)
    events = [dict(zip(EVENT_FIELDS, e, strict=True)) for e in sim.events if e[3] == message_id]
    summary = m.summary() if m is not None else None
    complete = bool(events) and events[0]["kind"] in ("published", "dropped", "refused")
    if summary is not None and m.redriven_from is not None:
        summary["note"] = f"a new message made by redriving message {m.redriven_from}"
    return {"id": message_id, "message": summary, "events": events, "complete": complete}

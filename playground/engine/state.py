"""Snapshot and restore: the whole simulation as JSON-able data.

Everything that shapes the future is saved: the clock, the scheduled events, every live
message, receivers, knobs, counters, metrics and the random generator's exact state. A
restored simulation therefore continues exactly as the original would.
"""

from __future__ import annotations

import json
import random
from collections import deque

from .events import SCHEMA_VERSION
from .metrics import Metrics
from .model import COUNTER_NAMES, Knobs, Message, Queue, Receiver, SyncLane

_PLAIN = (
    "seed",
    "scenario",
    "now",
    "heap_seq",
    "event_seq",
    "event_log_limit",
    "next_id",
    "next_order",
    "next_tag",
    "pub_seq",
    "next_receiver",
    "profile",
    "rate",
    "rate_gen",
    "created",
    "paused",
    "speed",
    "goal_met_at",
)

# Added after schema version 1 was first saved: a run saved without them loads with these.
_PLAIN_DEFAULTS = {
    "step_target": None,
    "publish_waiting": 0,
    "load_sampling": False,
    "timed": False,
}


def sim_to_dict(sim):
    version, internal, gauss = sim.rng.getstate()
    d = {name: getattr(sim, name) for name in (*_PLAIN, *_PLAIN_DEFAULTS)}
    d.update(
        schema_version=SCHEMA_VERSION,
        rng=[version, list(internal), gauss],
        # Sorted: the same events in pop order, whatever the heap's internal layout.
        heap=[list(e) for e in sorted(sim.heap)],
        events=[list(e) for e in sim.events],
        message_fields=list(Message.__slots__),
        messages=[m.to_list() for m in sim.messages.values()],
        finished=list(sim.finished),
        queues=[q.to_dict() for q in sim.queues.values()],
        receivers=[r.to_dict() for r in sim.receivers.values()],
        knobs=sim.knobs.to_dict(),
        sync=sim.sync.to_dict(),
        counts=dict(sim.counts),
        counters=dict(sim.counters),
        metrics=sim.metrics.to_dict(),
        window=list(sim.window),
        command_log=[[t, dict(c)] for t, c in sim.command_log],
        goal=dict(sim.goal) if sim.goal is not None else None,
    )
    return d


def sim_from_dict(cls, d):
    version = d.get("schema_version")
    if version != SCHEMA_VERSION:
        raise ValueError(
            f"cannot restore schema version {version!r} (this engine reads {SCHEMA_VERSION})"
        )
    read_message = Message.reader(d["message_fields"])  # ValueError if it cannot be read
    sim = cls.__new__(cls)
    for name in _PLAIN:
        setattr(sim, name, d[name])
    for name, default in _PLAIN_DEFAULTS.items():
        setattr(sim, name, d.get(name, default))
    rv, internal, gauss = d["rng"]
    sim.rng = random.Random()
    sim.rng.setstate((rv, tuple(internal), gauss))
    sim.heap = [tuple(e) for e in d["heap"]]
    sim.events = deque((tuple(e) for e in d["events"]), maxlen=sim.event_log_limit)
    sim.messages = {m.id: m for m in map(read_message, d["messages"])}
    sim.finished = deque(d["finished"])
    sim.queues = {q["name"]: Queue.from_dict(q) for q in d["queues"]}
    sim.bound_queues = [q for q in sim.queues.values() if q.bound]
    sim.receivers = {r["id"]: Receiver.from_dict(r) for r in d["receivers"]}
    sim.knobs = Knobs.from_dict(d["knobs"])
    sim.sync = SyncLane.from_dict(d["sync"])
    sim.counts = dict(d["counts"])
    # Counters added later start at 0 in a run saved before them.
    sim.counters = {**dict.fromkeys(COUNTER_NAMES, 0), **d["counters"]}
    sim.metrics = Metrics.from_dict(d["metrics"])
    sim.window = list(d["window"])
    sim.command_log = [[t, dict(c)] for t, c in d["command_log"]]
    sim.goal = dict(d["goal"]) if d["goal"] is not None else None
    # A run saved before ``timed`` existed may use time limits already.
    sim._note_timed()
    sim.timed = sim.timed or any(m.expires_at >= 0 for m in sim.messages.values())
    return sim


def dumps(data):
    return json.dumps(data, separators=(",", ":"), allow_nan=False)


def loads(text):
    return json.loads(text)

"""The things the simulation is made of: messages, queues, receivers, knobs, the sync lane.

Plain classes with ``__slots__`` so that thousands of messages stay small and fast.
Each class can turn itself into JSON-friendly lists/dicts and back.
"""

from __future__ import annotations

from collections import deque
from dataclasses import field, make_dataclass
from operator import attrgetter

from . import limits as L
from .spec import KNOB, KNOBS, RECEIVER_SETTING, RECEIVER_SETTINGS

# Message states, exactly the ones of the broker-semantics note.
DELAYED = "delayed"
READY = "ready"
IN_FLIGHT = "in_flight"
ACKED = "acked"
DEAD_LETTERED = "dead_lettered"
DROPPED = "dropped"
REFUSED = "refused"
LOST = "lost"

STATES = (DELAYED, READY, IN_FLIGHT, ACKED, DEAD_LETTERED, DROPPED, REFUSED, LOST)
LIVE_STATES = (DELAYED, READY, IN_FLIGHT, DEAD_LETTERED)  # still "in the system"
FINAL_STATES = (ACKED, DROPPED, REFUSED, LOST)  # a message never leaves these

# The run's counters (each only grows), in the view's order.
COUNTER_NAMES = (
    "published",  # publish attempts by the sender
    "accepted",  # message copies accepted into a queue
    "refused",
    "unroutable",
    "delivered",
    "redelivered",
    "acked",
    "failed",
    "retried",
    "requeued",
    "dead_lettered",
    "dropped",
    "lost",
    "redriven",
    "redrive_copies",  # new messages made by an SQS-style redrive
    "duplicates",
    "duplicates_skipped",
    "out_of_order",
    "ack_rejected",
    "crashes",
    "kills",  # receivers killed by the learner
    "expired",  # messages whose TTL or retention period ended in a queue
    "publish_retries",  # refused copies the sender tried again
    "publish_gave_up",  # refused copies the sender stopped trying
)

MANUAL = "manual"
AUTO = "auto"


def _values(setting):
    return tuple(value for value, _label in setting.choices)


ACK_MODES = _values(RECEIVER_SETTING["ack_mode"])
TIMINGS = _values(RECEIVER_SETTING["timing"])
RETRY_KINDS = _values(KNOB["retry"])
OVERFLOWS = _values(KNOB["overflow"])
RETURN_MODES = _values(KNOB["return_mode"])  # how unacked messages come back
REDRIVE_MODES = _values(KNOB["redrive_mode"])


class Message:
    """One copy of a published message in one queue (or a refused/unroutable attempt)."""

    __slots__ = (
        "id",
        "seq",
        "queue",
        "state",
        "reason",
        "text",
        "poison",
        "published_at",
        "ready_at",
        "delivered_at",
        "finished_at",
        "deliveries",
        "total_deliveries",
        "holder",
        "tag",
        "effects",
        "redrives",
        "redriven_from",
        "order",
        "auto_ack",
        "visible_at",
        "expires_at",
        "own_ttl",
        "entered_at",
    )

    def __init__(self, id, seq, queue, state, text, poison, now, order):
        self.id = id
        self.seq = seq  # the sender's publication number (shared by fan-out copies)
        self.queue = queue
        self.state = state
        self.reason = ""  # why dead-lettered / dropped / refused / lost
        self.text = text
        self.poison = poison
        self.published_at = now
        self.ready_at = now
        self.delivered_at = -1.0
        self.finished_at = -1.0
        self.deliveries = 0  # counts towards the delivery limit (reset by a "reset" redrive)
        self.total_deliveries = 0  # never reset: redelivered == total_deliveries > 0
        self.holder = None  # receiver id while in flight
        self.tag = 0  # current delivery tag / timer token
        self.effects = 0  # how many times a receiver applied its effect
        self.redrives = 0
        self.redriven_from = None
        self.order = order  # position key inside the queue
        self.auto_ack = False  # the current delivery was made in auto-ack mode
        self.visible_at = -1.0  # in flight with a visibility timer: when it ends (else -1)
        self.expires_at = -1.0  # when its TTL or the retention period ends (else -1)
        self.own_ttl = -1.0  # its own expiration (TTL) in seconds (else -1)
        self.entered_at = now  # when it entered its queue (publish, or a redrive)

    def to_list(self):
        return _message_getter(self)

    @classmethod
    def from_list(cls, values):
        m = cls.__new__(cls)
        (
            m.id,
            m.seq,
            m.queue,
            m.state,
            m.reason,
            m.text,
            m.poison,
            m.published_at,
            m.ready_at,
            m.delivered_at,
            m.finished_at,
            m.deliveries,
            m.total_deliveries,
            m.holder,
            m.tag,
            m.effects,
            m.redrives,
            m.redriven_from,
            m.order,
            m.auto_ack,
            m.visible_at,
            m.expires_at,
            m.own_ttl,
            m.entered_at,
        ) = values
        return m

    @classmethod
    def reader(cls, saved_fields):
        """``from_list`` for rows saved with ``saved_fields`` (an older engine's columns):
        fields it did not have get their defaults, fields this engine dropped are ignored."""
        saved_fields = list(saved_fields)
        if saved_fields == list(cls.__slots__):
            return cls.from_list
        index = {name: i for i, name in enumerate(saved_fields)}
        missing = [n for n in cls.__slots__ if n not in index and n not in MESSAGE_DEFAULTS]
        if missing:
            raise ValueError(f"saved messages lack the fields {missing}")
        picks = [(index.get(n), MESSAGE_DEFAULTS.get(n)) for n in cls.__slots__]

        def read(row):
            return cls.from_list([row[i] if i is not None else d for i, d in picks])

        return read

    def summary(self):
        """A small dict describing the message, for the UI."""
        return {
            "id": self.id,
            "seq": self.seq,
            "queue": self.queue,
            "state": self.state,
            "reason": self.reason,
            "text": self.text,
            "poison": self.poison,
            "published_at": self.published_at,
            "deliveries": self.deliveries,
            "total_deliveries": self.total_deliveries,
            "redelivered": self.total_deliveries > 1
            or (self.total_deliveries == 1 and self.state in (READY, DELAYED)),
            "holder": self.holder,
            "effects": self.effects,
            "redrives": self.redrives,
            "redriven_from": self.redriven_from,
        }


_message_getter = attrgetter(*Message.__slots__)

# Message fields added after runs were first saved, with the value an old row gets.
MESSAGE_DEFAULTS = {"visible_at": -1.0, "expires_at": -1.0, "own_ttl": -1.0, "entered_at": -1.0}


# A queue's load statistics (cumulative) and its own settings, beside its messages; a run
# saved before one existed loads with these values.
_QUEUE_DEFAULTS = {
    "own": None,  # its own settings (spec.QUEUE_SETTINGS: knob name -> value), like arguments
    "offered": 0,  # copies the sender tried to put in (retries included)
    "accepted": 0,
    "refused": 0,
    "shed": 0,  # pushed out by drop-head (dead-lettered or dropped)
    "acked": 0,
    "wait_sum": 0.0,  # seconds from publish to ack, summed over acked messages
    "shed_sum": 0.0,  # seconds the shed messages had spent in the queue, summed
    "samples": None,  # per-second records (load.py)
}


class Queue:
    """A FIFO queue with its own dead-letter queue."""

    __slots__ = (
        "name", "bound", "ready", "delayed", "dlq", "consumers", "rr", "max_acked_seq",
        *_QUEUE_DEFAULTS,
    )  # fmt: skip

    def __init__(self, name, bound=True):
        self.name = name
        self.bound = bound  # subscribed to the exchange: gets a copy of every publish
        self.ready = deque()  # message ids, publication order
        self.delayed = {}  # message id -> None (ordered set)
        self.dlq = {}  # message id -> None (ordered set)
        self.consumers = []  # receiver ids, in round-robin order
        self.rr = 0
        self.max_acked_seq = 0
        for name_, default in _QUEUE_DEFAULTS.items():
            setattr(self, name_, default)
        self.own = {}
        self.samples = deque(maxlen=L.LOAD_WINDOW_SECONDS + 1)

    def to_dict(self):
        d = {
            "name": self.name,
            "bound": self.bound,
            "ready": list(self.ready),
            "delayed": list(self.delayed),
            "dlq": list(self.dlq),
            "consumers": list(self.consumers),
            "rr": self.rr,
            "max_acked_seq": self.max_acked_seq,
        }
        for name in _QUEUE_DEFAULTS:
            d[name] = getattr(self, name)
        d["own"] = dict(self.own)
        d["samples"] = [list(s) for s in self.samples]
        return d

    @classmethod
    def from_dict(cls, d):
        q = cls(d["name"], d["bound"])
        q.ready = deque(d["ready"])
        q.delayed = dict.fromkeys(d["delayed"])
        q.dlq = dict.fromkeys(d["dlq"])
        q.consumers = list(d["consumers"])
        q.rr = d["rr"]
        q.max_acked_seq = d["max_acked_seq"]
        for name, default in _QUEUE_DEFAULTS.items():
            if name not in ("samples", "own"):
                setattr(q, name, d.get(name, default))
        q.own = dict(d.get("own") or {})
        for name in ("max_length", "overflow"):  # saved as their own fields before "own"
            if d.get(name) is not None:
                q.own[name] = d[name]
        q.samples.extend(tuple(s) for s in d.get("samples") or ())
        return q


# A receiver's own state, beside its settings (spec.RECEIVER_SETTINGS); the values a run saved
# before a field existed loads with.
_RECEIVER_STATE = {
    "alive": True,
    "held": None,  # broker side: delivery tag -> message id (unacked deliveries)
    "work": None,  # receiver side: (message id, tag) waiting to be worked on
    "current": None,  # (message id, tag, started, ends)
    "incarnation": 0,
    "processed": 0,
    "failures": 0,
    "crashes": 0,
    "delivered": 0,
    "died_at": None,  # when it last died (killed, crashed or removed)
    "detect_at": None,  # when the broker will notice it is dead (None: not scheduled)
}


class Receiver:
    """A consumer process: takes messages from one queue and works on them one at a time.

    Its settings are those of ``spec.RECEIVER_SETTINGS`` (attributes of the same names).
    """

    __slots__ = ("id", "queue", *(s.name for s in RECEIVER_SETTINGS), *_RECEIVER_STATE)

    def __init__(self, id, queue, **settings):
        self.id = id
        self.queue = queue
        for s in RECEIVER_SETTINGS:
            setattr(self, s.name, settings.pop(s.name, s.default))
        if settings:
            raise TypeError(f"unknown receiver settings {sorted(settings)}")
        for name, default in _RECEIVER_STATE.items():
            setattr(self, name, default)
        self.held = {}
        self.work = deque()

    def local_count(self):
        return len(self.work) + (self.current is not None)

    def settings(self):
        return {s.name: getattr(self, s.name) for s in RECEIVER_SETTINGS}

    def to_dict(self):
        d = {name: getattr(self, name) for name in Receiver.__slots__}
        d["held"] = [[tag, mid] for tag, mid in self.held.items()]
        d["work"] = [list(w) for w in self.work]
        d["current"] = list(self.current) if self.current else None
        return d

    @classmethod
    def from_dict(cls, d):
        """A saved receiver; settings or state it was saved without get their defaults."""
        settings = {s.name: d.get(s.name, s.default) for s in RECEIVER_SETTINGS}
        r = cls(d["id"], d["queue"], **settings)
        for name, default in _RECEIVER_STATE.items():
            setattr(r, name, d.get(name, default))
        r.held = dict(d.get("held") or ())
        r.work = deque(tuple(w) for w in d.get("work") or ())
        r.current = tuple(d["current"]) if d.get("current") else None
        return r


def _knobs_to_dict(self):
    return {k.name: getattr(self, k.name) for k in KNOBS}


@classmethod
def _knobs_from_dict(cls, d):
    """Saved knobs; a knob the run was saved without gets its default, unknown ones are
    ignored (an older engine's knobs)."""
    return cls(**{k.name: d[k.name] for k in KNOBS if k.name in d})


# The broker's behaviour: one attribute per ``spec.KNOBS`` entry. A profile is a preset.
Knobs = make_dataclass(
    "Knobs",
    [(k.name, object, field(default=k.default)) for k in KNOBS],
    slots=True,
    namespace={"to_dict": _knobs_to_dict, "from_dict": _knobs_from_dict},
)
Knobs.__doc__ = "The broker's behaviour (one attribute per spec.KNOBS entry)."


class SyncLane:
    """A caller that calls a receiver directly and waits (blocked) for the answer."""

    __slots__ = (
        "enabled",
        "target",
        "timeout",
        "rate",
        "mirror",
        "gen",
        "call",
        "pending",
        "next_id",
        "recent",
        "counts",
        "blocked_time",
    )

    def __init__(self):
        self.enabled = False
        self.target = None  # receiver id
        self.timeout = 5.0
        self.rate = 0.0  # calls per second made by the caller on its own
        self.mirror = False  # every async publish is also sent as a sync call
        self.gen = 0
        self.call = None  # [call id, started, ends, outcome, token]
        self.pending = 0  # calls waiting because the caller is blocked
        self.next_id = 1
        self.recent = deque()  # [call id, started, waited, outcome]
        self.counts = {"calls": 0, "ok": 0, "timeout": 0, "error": 0, "rejected": 0}
        self.blocked_time = 0.0

    def to_dict(self):
        d = {name: getattr(self, name) for name in SyncLane.__slots__}
        d["recent"] = [list(c) for c in self.recent]
        d["call"] = list(self.call) if self.call else None
        d["counts"] = dict(self.counts)
        return d

    @classmethod
    def from_dict(cls, d):
        s = cls()
        for name in SyncLane.__slots__:
            setattr(s, name, d[name])
        s.recent = deque(tuple(c) for c in d["recent"])
        s.call = list(d["call"]) if d["call"] else None
        s.counts = dict(d["counts"])
        return s

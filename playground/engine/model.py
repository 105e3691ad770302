"""The things the simulation is made of: messages, queues, receivers, knobs, the sync lane.

Plain classes with ``__slots__`` so that thousands of messages stay small and fast.
Each class can turn itself into JSON-friendly lists/dicts and back.
"""

from __future__ import annotations

from collections import deque
from dataclasses import asdict, dataclass, fields
from operator import attrgetter

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

MANUAL = "manual"
AUTO = "auto"
ACK_MODES = (MANUAL, AUTO)

RETRY_KINDS = ("none", "fixed", "exponential")
OVERFLOWS = ("drop-head", "reject-publish")
RETURN_MODES = ("detect", "visibility")  # how unacked messages come back
REDRIVE_MODES = ("reset", "new_id")
TIMINGS = ("exponential", "fixed")


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
        ) = values
        return m

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


class Queue:
    """A FIFO queue with its own dead-letter queue."""

    __slots__ = ("name", "bound", "ready", "delayed", "dlq", "consumers", "rr", "max_acked_seq")

    def __init__(self, name, bound=True):
        self.name = name
        self.bound = bound  # subscribed to the exchange: gets a copy of every publish
        self.ready = deque()  # message ids, publication order
        self.delayed = {}  # message id -> None (ordered set)
        self.dlq = {}  # message id -> None (ordered set)
        self.consumers = []  # receiver ids, in round-robin order
        self.rr = 0
        self.max_acked_seq = 0

    def to_dict(self):
        return {
            "name": self.name,
            "bound": self.bound,
            "ready": list(self.ready),
            "delayed": list(self.delayed),
            "dlq": list(self.dlq),
            "consumers": list(self.consumers),
            "rr": self.rr,
            "max_acked_seq": self.max_acked_seq,
        }

    @classmethod
    def from_dict(cls, d):
        q = cls(d["name"], d["bound"])
        q.ready = deque(d["ready"])
        q.delayed = dict.fromkeys(d["delayed"])
        q.dlq = dict.fromkeys(d["dlq"])
        q.consumers = list(d["consumers"])
        q.rr = d["rr"]
        q.max_acked_seq = d["max_acked_seq"]
        return q


class Receiver:
    """A consumer process: takes messages from one queue and works on them one at a time."""

    __slots__ = (
        "id",
        "queue",
        "alive",
        "mean_time",
        "timing",
        "failure_rate",
        "crash_rate",
        "prefetch",
        "idempotent",
        "ack_mode",
        "held",
        "work",
        "current",
        "incarnation",
        "processed",
        "failures",
        "crashes",
        "delivered",
    )

    def __init__(self, id, queue, *, mean_time=1.0, timing="exponential", failure_rate=0.0,
                 crash_rate=0.0, prefetch=1, idempotent=False, ack_mode=MANUAL):  # fmt: skip
        self.id = id
        self.queue = queue
        self.alive = True
        self.mean_time = mean_time
        self.timing = timing
        self.failure_rate = failure_rate
        self.crash_rate = crash_rate  # chance to crash after the work, before the ack
        self.prefetch = prefetch  # 0 = no limit
        self.idempotent = idempotent
        self.ack_mode = ack_mode
        self.held = {}  # broker side: delivery tag -> message id (unacked deliveries)
        self.work = deque()  # receiver side: [message id, tag] waiting to be worked on
        self.current = None  # [message id, tag, started, ends]
        self.incarnation = 0
        self.processed = 0
        self.failures = 0
        self.crashes = 0
        self.delivered = 0

    def local_count(self):
        return len(self.work) + (self.current is not None)

    def to_dict(self):
        d = {name: getattr(self, name) for name in Receiver.__slots__}
        d["held"] = [[tag, mid] for tag, mid in self.held.items()]
        d["work"] = [list(w) for w in self.work]
        d["current"] = list(self.current) if self.current else None
        return d

    @classmethod
    def from_dict(cls, d):
        r = cls.__new__(cls)
        for name in Receiver.__slots__:
            setattr(r, name, d[name])
        r.held = dict(d["held"])
        r.work = deque(tuple(w) for w in d["work"])
        r.current = tuple(d["current"]) if d["current"] else None
        return r


@dataclass(slots=True)
class Knobs:
    """The broker's behaviour. A profile is a named preset of these."""

    delivery_limit: int = 5  # max deliveries before dead-lettering; 0 = no limit
    retry: str = "exponential"  # none | fixed | exponential
    retry_base: float = 1.0
    retry_jitter: float = 0.0  # 0..1: the delay is shortened by up to this fraction
    retry_max: float = 60.0
    requeue_on_failure: bool = True  # nack with requeue (False: reject -> dead letter)
    dlq_enabled: bool = True
    return_mode: str = "detect"  # detect (death detection) | visibility (timeout)
    detection_delay: float = 3.0
    visibility_timeout: float = 30.0
    max_length: int = 0  # 0 = no limit; counts ready messages only
    overflow: str = "drop-head"
    redrive_mode: str = "reset"  # reset | new_id
    default_prefetch: int = 1

    def to_dict(self):
        return asdict(self)

    @classmethod
    def from_dict(cls, d):
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})


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

"""Every kind of event the engine logs, declared once.

A leaf module (it imports nothing else from the engine), so the simulation, the view, the
invariants and the web side's presenters, narration and log filters all read the same table:
a kind that is not declared here cannot be logged, worded, filtered or narrated (tests check
the engine's source, the presenters, the templates and the stylesheet against it).

Each kind says which log filter groups it belongs to, whether the narration treats it as
notable, the key of its wording (``playground.presenters.EVENT_TEXT``), what it is about, and
which message states it can leave its message in (checked by ``check_invariants``: a
message's story never ends somewhere the message is not).
"""

from __future__ import annotations

from dataclasses import dataclass

# The version of the saved state and of the event record below. Fields added later load with
# their defaults (see state.py); only a change that cannot be read back bumps it.
SCHEMA_VERSION = 1

# One logged event, in order.
EVENT_FIELDS = ("seq", "time", "kind", "message", "receiver", "attempt", "reason")

# The event log's filters: key -> label. "all" (everything) is not a group.
EVENT_GROUPS = {
    "messages": "Message moves",
    "failures": "Failures and retries",
    "dead": "Dead letters and drops",
    "receivers": "Receivers",
    "broker": "Broker settings",
    "sync": "Sync calls",
}

# Message states (the same strings as model.py's constants; kept here so this stays a leaf).
_DELAYED, _READY, _IN_FLIGHT, _ACKED = "delayed", "ready", "in_flight", "acked"
_DEAD, _DROPPED, _REFUSED, _LOST = "dead_lettered", "dropped", "refused", "lost"


@dataclass(frozen=True, slots=True)
class EventKind:
    name: str
    groups: tuple  # keys of EVENT_GROUPS
    about: str  # "message" | "receiver" | "call" | "run"
    notable: bool = False  # the narration picks these out of the ordinary traffic
    wording: str = ""  # key of its sentence in the presenters (defaults to the name)
    leaves: tuple | None = None  # states its message can be in right after it (None: any)

    @property
    def wording_key(self):
        return self.wording or self.name


EVENT_KINDS = {
    k.name: k
    for k in (
        # A message's life.
        EventKind("published", ("messages",), "message", leaves=(_READY, _DEAD, _DROPPED)),
        EventKind("refused", ("dead",), "message", notable=True, leaves=(_REFUSED,)),
        EventKind("dropped", ("dead",), "message", notable=True, leaves=(_DROPPED,)),
        EventKind("delivered", ("messages",), "message", leaves=(_IN_FLIGHT, _LOST)),
        EventKind("failed", ("failures",), "message"),
        EventKind("delayed", ("failures",), "message", leaves=(_DELAYED,)),
        EventKind("ready", ("messages",), "message", leaves=(_READY,)),
        EventKind("requeued", ("messages", "failures"), "message", leaves=(_READY,)),
        EventKind("acked", ("messages",), "message", leaves=(_ACKED,)),
        EventKind("dead_lettered", ("dead",), "message", notable=True, leaves=(_DEAD,)),
        EventKind("lost", ("dead",), "message", notable=True, leaves=(_LOST,)),
        EventKind("redriven", ("messages",), "message", notable=True, leaves=(_READY, _DROPPED)),
        EventKind("ack_rejected", ("failures",), "message"),
        EventKind("publish_backoff", ("failures",), "message", notable=True, leaves=(_REFUSED,)),
        EventKind("publish_gave_up", ("dead",), "message", notable=True, leaves=(_REFUSED,)),
        EventKind("duplicate_effect", ("failures",), "message", notable=True),
        EventKind("duplicate_skipped", ("failures",), "message"),
        # Receivers.
        EventKind("receiver_added", ("receivers",), "receiver"),
        EventKind("receiver_killed", ("receivers",), "receiver", notable=True),
        EventKind("receiver_crashed", ("receivers",), "receiver", notable=True),
        EventKind("receiver_revived", ("receivers",), "receiver", notable=True),
        EventKind("receiver_removed", ("receivers",), "receiver"),
        EventKind("death_detected", ("receivers",), "receiver", notable=True),
        # The sync lane.
        EventKind("call_started", ("sync",), "call"),
        EventKind("call_ok", ("sync",), "call"),
        EventKind("call_timeout", ("sync",), "call", notable=True),
        EventKind("call_error", ("sync",), "call", notable=True),
        EventKind("call_rejected", ("sync",), "call", notable=True),
        # The run.
        EventKind("profile", ("broker",), "run", notable=True),
        EventKind("returns_changed", ("broker",), "run", notable=True),
        EventKind("goal_met", (), "run", notable=True),
    )
}

NOTABLE = frozenset(k.name for k in EVENT_KINDS.values() if k.notable)


def kinds_in_group(group):
    """The kinds the log filter ``group`` shows (every kind for "all")."""
    if group == "all":
        return frozenset(EVENT_KINDS)
    if group not in EVENT_GROUPS:
        raise KeyError(group)
    return frozenset(k.name for k in EVENT_KINDS.values() if group in k.groups)

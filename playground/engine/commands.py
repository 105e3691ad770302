"""Commands: everything a learner can do to a simulation, typed and validated.

``parse_command({"action": "burst", "n": 5})`` turns untrusted input (say, a WebSocket frame)
into a typed command or raises :class:`CommandError` with a message a learner can read.
Checks that need the simulation (does receiver "r7" exist? is the system full?) happen in
``Simulation.apply``; an invalid command never changes anything.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, make_dataclass
from typing import ClassVar

from . import limits as L
from .profiles import PROFILES
from .rules import NAME, RATE, SYNC_TIMEOUT, Bool, Choice, CommandError, Float, Int, Text, _show
from .spec import RECEIVER_SETTINGS, knobs_of, queue_settings

# ---------------------------------------------------------------- commands


@dataclass(frozen=True, slots=True)
class Command:
    ACTION: ClassVar[str] = ""
    RULES: ClassVar[dict] = {}
    REQUIRED: ClassVar[tuple] = ()

    def to_dict(self):
        """The command as plain data; ``parse_command(cmd.to_dict()) == cmd``."""
        d = {"action": self.ACTION}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is not None:
                d[f.name] = value
        return d


@dataclass(frozen=True, slots=True)
class Publish(Command):
    """Send one message (optionally with a short text; a poison message always fails)."""

    ACTION = "publish"
    RULES = {
        "text": Text(L.MAX_TEXT_LENGTH),
        "poison": Bool(),
        "ttl": Float(L.MIN_MESSAGE_TTL, L.MAX_MESSAGE_TTL),  # its own expiration
        "delay": Float(0.0, L.MAX_DELIVERY_DELAY),  # its own delay (an SQS message timer)
    }
    text: str = ""
    poison: bool = False
    ttl: float | None = None
    delay: float | None = None


@dataclass(frozen=True, slots=True)
class Burst(Command):
    """Send ``n`` messages at once."""

    ACTION = "burst"
    RULES = {"n": Int(1, L.MAX_BURST)}
    REQUIRED = ("n",)
    n: int = 1


@dataclass(frozen=True, slots=True)
class SetRate(Command):
    """Send messages steadily, ``rate`` per second (0 stops)."""

    ACTION = "set_rate"
    RULES = {"rate": RATE}
    REQUIRED = ("rate",)
    rate: float = 0.0


@dataclass(frozen=True, slots=True)
class Call(Command):
    """Make one synchronous call in the sync lane."""

    ACTION = "call"


@dataclass(frozen=True, slots=True)
class SetSync(Command):
    """Change the sync lane: calls per second and the caller's timeout."""

    ACTION = "set_sync"
    RULES = {
        "rate": RATE,
        "timeout": SYNC_TIMEOUT,
    }
    rate: float | None = None
    timeout: float | None = None


# Every receiver setting of the spec, as a command field.
RECEIVER_RULES = {s.name: s.rule for s in RECEIVER_SETTINGS}


def _command(name, action, doc, fields_, rules, required=()):
    """A command class whose fields come from the settings spec (all optional but
    ``required``, which must come first in ``fields_``)."""
    return make_dataclass(
        name,
        fields_,
        bases=(Command,),
        frozen=True,
        slots=True,
        namespace={"ACTION": action, "RULES": rules, "REQUIRED": required, "__doc__": doc},
    )


_OPTIONAL_SETTINGS = [(s.name, object, None) for s in RECEIVER_SETTINGS]

AddReceiver = _command(
    "AddReceiver",
    "add_receiver",
    "Start a new receiver on a queue (the first queue if none is named).",
    [("queue", str | None, None), *_OPTIONAL_SETTINGS],
    {"queue": NAME, **RECEIVER_RULES},
)


@dataclass(frozen=True, slots=True)
class KillReceiver(Command):
    """Kill a receiver (like pulling its plug)."""

    ACTION = "kill_receiver"
    RULES = {"receiver": NAME}
    REQUIRED = ("receiver",)
    receiver: str = ""


@dataclass(frozen=True, slots=True)
class ReviveReceiver(Command):
    """Bring a dead receiver back."""

    ACTION = "revive_receiver"
    RULES = {"receiver": NAME}
    REQUIRED = ("receiver",)
    receiver: str = ""


@dataclass(frozen=True, slots=True)
class RemoveReceiver(Command):
    """Shut a receiver down cleanly and remove it."""

    ACTION = "remove_receiver"
    RULES = {"receiver": NAME}
    REQUIRED = ("receiver",)
    receiver: str = ""


SetReceiver = _command(
    "SetReceiver",
    "set_receiver",
    "Change a receiver's settings (any of spec.RECEIVER_SETTINGS).",
    [("receiver", str), *_OPTIONAL_SETTINGS],
    {"receiver": NAME, **RECEIVER_RULES},
    required=("receiver",),
)


def _knob_command(name, action, doc, required=(), extra=None):
    """A command that sets the knobs of ``spec.KNOBS`` whose ``command`` is ``action``
    (``extra``: more optional fields, name -> rule)."""
    knobs = knobs_of(action)
    fields_ = [(k.command_field, object) for k in knobs if k.command_field in required]
    fields_ += [(k.command_field, object, None) for k in knobs if k.command_field not in required]
    rules = {k.command_field: k.field_rule for k in knobs}
    for key, rule in (extra or {}).items():
        fields_.append((key, object, None))
        rules[key] = rule
    return _command(name, action, doc, fields_, rules, required)


SetRetryPolicy = _knob_command(
    "SetRetryPolicy",
    "set_retry_policy",
    "How failed messages are retried, and after how many deliveries they are dead-lettered.",
)
SetVisibilityTimeout = _knob_command(
    "SetVisibilityTimeout",
    "set_visibility_timeout",
    "Set the visibility timeout (SQS style); ``enabled`` switches return-by-timeout on or off.",
)
SetDetectionDelay = _knob_command(
    "SetDetectionDelay",
    "set_detection_delay",
    "How long the broker takes to notice a dead receiver (heartbeat).",
    required=("seconds",),
)
SetMaxLength = _knob_command(
    "SetMaxLength",
    "set_max_length",
    "Limit how many ready messages a queue keeps (0 = no limit) and what happens when full: "
    "for every queue, or (``queue``) for that queue alone, like its x-max-length argument.",
    required=("max_length",),
    extra={"queue": NAME},
)
SetExpiry = _knob_command(
    "SetExpiry",
    "set_expiry",
    "Time limits for every queue: message TTL, retention period, delivery delay.",
)
SetQueue = _command(
    "SetQueue",
    "set_queue",
    "One queue's own settings (spec.QUEUE_SETTINGS, like RabbitMQ queue arguments).",
    [("queue", str), *((k.name, object, None) for k in queue_settings())],
    {"queue": NAME, **{k.name: k.rule for k in queue_settings()}},
    required=("queue",),
)
SetPublisher = _knob_command(
    "SetPublisher",
    "set_publisher",
    "What the sender does when the broker refuses a publish: retry (how often, how long "
    "it backs off first) or give up.",
)


@dataclass(frozen=True, slots=True)
class SetProfile(Command):
    """Make the broker behave like a named profile."""

    ACTION = "set_profile"
    RULES = {"profile": Choice(PROFILES)}
    REQUIRED = ("profile",)
    profile: str = "teaching"


@dataclass(frozen=True, slots=True)
class Redrive(Command):
    """Send dead letters back to their queue: one (``message_id``) or ``all``."""

    ACTION = "redrive"
    RULES = {"message_id": Int(1, 10**12), "all": Bool()}
    message_id: int | None = None
    all: bool | None = None


@dataclass(frozen=True, slots=True)
class Settle(Command):
    """A receiver acknowledges (``ack``) or gives back (``ack: false``, a nack) a message by
    hand. Only the live holder of the current delivery may, once; anything else is rejected
    by the broker (logged, counted) and changes nothing else."""

    ACTION = "settle"
    RULES = {
        "receiver": NAME,
        "message": Int(1, 10**12),
        "ack": Bool(),
        "tag": Int(1, 10**15),
    }
    REQUIRED = ("receiver", "message")
    receiver: str = ""
    message: int = 0
    ack: bool | None = None
    tag: int | None = None


@dataclass(frozen=True, slots=True)
class Pause(Command):
    """Stop the clock."""

    ACTION = "pause"


@dataclass(frozen=True, slots=True)
class Resume(Command):
    """Start the clock again."""

    ACTION = "resume"


@dataclass(frozen=True, slots=True)
class SetSpeed(Command):
    """Run faster or slower than real time (0.25x to 4x)."""

    ACTION = "set_speed"
    RULES = {"speed": Float(L.MIN_SPEED, L.MAX_SPEED)}
    REQUIRED = ("speed",)
    speed: float = 1.0


@dataclass(frozen=True, slots=True)
class Step(Command):
    """Move time forward: by ``dt`` seconds, or (without ``dt``) to the next thing that happens."""

    ACTION = "step"
    RULES = {"dt": Float(0.0, L.MAX_STEP, lo_open=True)}
    dt: float | None = None


@dataclass(frozen=True, slots=True)
class BindQueue(Command):
    """Subscribe a queue to the exchange: it gets a copy of every publish."""

    ACTION = "bind_queue"
    RULES = {"queue": NAME}
    REQUIRED = ("queue",)
    queue: str = ""


@dataclass(frozen=True, slots=True)
class UnbindQueue(Command):
    """Unsubscribe a queue: it keeps its messages but gets no new copies."""

    ACTION = "unbind_queue"
    RULES = {"queue": NAME}
    REQUIRED = ("queue",)
    queue: str = ""


COMMANDS = {
    cls.ACTION: cls
    for cls in (
        Publish,
        Burst,
        SetRate,
        Call,
        SetSync,
        AddReceiver,
        KillReceiver,
        ReviveReceiver,
        RemoveReceiver,
        SetReceiver,
        SetRetryPolicy,
        SetVisibilityTimeout,
        SetDetectionDelay,
        SetMaxLength,
        SetPublisher,
        SetExpiry,
        SetQueue,
        SetProfile,
        Redrive,
        Settle,
        Pause,
        Resume,
        SetSpeed,
        Step,
        BindQueue,
        UnbindQueue,
    )
}


def parse_command(data) -> Command:
    """Turn plain data like ``{"action": "publish", "text": "hi"}`` into a typed command.

    Raises :class:`CommandError` for an unknown action, an unknown or missing field,
    a wrong type or a value out of range.
    """
    if isinstance(data, Command):
        return data
    if not isinstance(data, dict):
        raise CommandError("a command must be an object with an 'action'")
    action = data.get("action")
    if not isinstance(action, str):
        raise CommandError("a command needs an 'action' (text)")
    cls = COMMANDS.get(action)
    if cls is None:
        raise CommandError(f"unknown action {_show(action)}; known: {', '.join(sorted(COMMANDS))}")
    values = {}
    for key, value in data.items():
        if key == "action":
            continue
        rule = cls.RULES.get(key)
        if rule is None:
            raise CommandError(f"'{action}' has no field {_show(key)}")
        if value is None and key not in cls.REQUIRED:
            continue
        values[key] = rule.check(key, value)
    for key in cls.REQUIRED:
        if key not in values:
            raise CommandError(f"'{action}' needs '{key}'")
    if cls is Redrive and (values.get("message_id") is None) == (not values.get("all")):
        raise CommandError("'redrive' needs either 'message_id' or 'all': true (not both)")
    if cls is SetReceiver and len(values) < 2:
        raise CommandError("'set_receiver' needs at least one setting to change")
    if cls in (SetExpiry, SetQueue) and len(values) < (2 if cls is SetQueue else 1):
        raise CommandError(f"'{action}' needs at least one setting to change")
    if cls is SetPublisher and not values:
        raise CommandError("'set_publisher' needs 'retries' or 'backoff'")
    if cls is SetVisibilityTimeout and not values:
        raise CommandError("'set_visibility_timeout' needs 'seconds' or 'enabled'")
    return cls(**values)

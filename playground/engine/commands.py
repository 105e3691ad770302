"""Commands: everything a learner can do to a simulation, typed and validated.

``parse_command({"action": "burst", "n": 5})`` turns untrusted input (say, a WebSocket frame)
into a typed command or raises :class:`CommandError` with a message a learner can read.
Checks that need the simulation (does receiver "r7" exist? is the system full?) happen in
``Simulation.apply``; an invalid command never changes anything.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, fields
from typing import ClassVar

from . import limits as L
from .model import ACK_MODES, OVERFLOWS, RETRY_KINDS, TIMINGS
from .profiles import PROFILES


class CommandError(ValueError):
    """A command was refused. ``str(error)`` is a human-readable reason."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


# ---------------------------------------------------------------- field rules


class _Rule:
    def check(self, name, value):  # pragma: no cover - overridden
        raise NotImplementedError


class Int(_Rule):
    def __init__(self, lo, hi):
        self.lo, self.hi = lo, hi

    def check(self, name, value):
        if isinstance(value, bool) or not isinstance(value, int):
            raise CommandError(f"'{name}' must be a whole number, got {_show(value)}")
        if not self.lo <= value <= self.hi:
            raise CommandError(
                f"'{name}' must be between {self.lo} and {self.hi}, got {_show(value)}"
            )
        return value


class Float(_Rule):
    """A finite number in a range. ``or_zero``: 0 is also allowed below ``lo`` (a rate that
    stops), so the engine never divides by a number so small that the result is infinite."""

    def __init__(self, lo, hi, lo_open=False, or_zero=False):
        self.lo, self.hi, self.lo_open, self.or_zero = lo, hi, lo_open, or_zero

    def check(self, name, value):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise CommandError(f"'{name}' must be a number, got {_show(value)}")
        try:
            value = float(value) + 0.0  # + 0.0: -0 is 0
        except OverflowError:  # an integer too large for a float
            raise CommandError(f"'{name}' must be a finite number") from None
        if not math.isfinite(value):
            raise CommandError(f"'{name}' must be a finite number")
        if self.or_zero and value == 0.0:
            return value
        too_low = value <= self.lo if self.lo_open else value < self.lo
        if too_low or value > self.hi:
            lower = f"more than {self.lo:g}" if self.lo_open else f"at least {self.lo:g}"
            if self.or_zero:
                lower = f"0 (stopped) or {lower}"
            raise CommandError(f"'{name}' must be {lower} and at most {self.hi:g}, got {value:g}")
        return value


class Bool(_Rule):
    def check(self, name, value):
        if not isinstance(value, bool):
            raise CommandError(f"'{name}' must be true or false, got {_show(value)}")
        return value


class Choice(_Rule):
    def __init__(self, options):
        self.options = tuple(options)

    def check(self, name, value):
        if not isinstance(value, str) or value not in self.options:
            raise CommandError(
                f"'{name}' must be one of {', '.join(self.options)}; got {_show(value)}"
            )
        return value


class Text(_Rule):
    def __init__(self, max_length, min_length=0):
        self.max_length, self.min_length = max_length, min_length

    def check(self, name, value):
        if not isinstance(value, str):
            raise CommandError(f"'{name}' must be text, got {_show(value)}")
        if len(value) > self.max_length:
            raise CommandError(f"'{name}' is too long: at most {self.max_length} characters")
        if len(value) < self.min_length:
            raise CommandError(f"'{name}' must not be empty")
        if _UNSTORABLE.search(value):
            raise CommandError(
                f"'{name}' contains a control character or broken Unicode; use plain text"
            )
        return value


# Control characters (other than tab and newline) and lone surrogates: they cannot be shown,
# and lone surrogates cannot even be encoded (or stored in a JSON column).
_UNSTORABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]")


def _show(value):
    text = repr(value)
    return text if len(text) <= 30 else text[:27] + "..."


NAME = Text(L.MAX_NAME_LENGTH, 1)
RATE = Float(L.MIN_RATE, L.MAX_RATE, or_zero=True)  # per second; the engine divides by it
SYNC_TIMEOUT = Float(L.MIN_SYNC_TIMEOUT, L.MAX_SYNC_TIMEOUT)
VISIBILITY_TIMEOUT = Float(L.MIN_VISIBILITY_TIMEOUT, L.MAX_VISIBILITY_TIMEOUT)


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
    RULES = {"text": Text(L.MAX_TEXT_LENGTH), "poison": Bool()}
    text: str = ""
    poison: bool = False


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


_RECEIVER_SETTINGS = {
    "mean_time": Float(L.MIN_MEAN_TIME, L.MAX_MEAN_TIME),
    "timing": Choice(TIMINGS),
    "failure_rate": Float(0.0, 1.0),
    "crash_rate": Float(0.0, 1.0),
    "prefetch": Int(0, L.MAX_PREFETCH),
    "idempotent": Bool(),
    "ack_mode": Choice(ACK_MODES),
}


@dataclass(frozen=True, slots=True)
class AddReceiver(Command):
    """Start a new receiver on a queue (the first queue if none is named)."""

    ACTION = "add_receiver"
    RULES = {"queue": NAME, **_RECEIVER_SETTINGS}
    queue: str | None = None
    mean_time: float | None = None
    timing: str | None = None
    failure_rate: float | None = None
    crash_rate: float | None = None
    prefetch: int | None = None
    idempotent: bool | None = None
    ack_mode: str | None = None


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


@dataclass(frozen=True, slots=True)
class SetReceiver(Command):
    """Change a receiver: speed (mean time), failure rate, prefetch, idempotency, ack mode."""

    ACTION = "set_receiver"
    RULES = {"receiver": NAME, **_RECEIVER_SETTINGS}
    REQUIRED = ("receiver",)
    receiver: str = ""
    mean_time: float | None = None
    timing: str | None = None
    failure_rate: float | None = None
    crash_rate: float | None = None
    prefetch: int | None = None
    idempotent: bool | None = None
    ack_mode: str | None = None


@dataclass(frozen=True, slots=True)
class SetRetryPolicy(Command):
    """How failed messages are retried, and after how many deliveries they are dead-lettered."""

    ACTION = "set_retry_policy"
    RULES = {
        "kind": Choice(RETRY_KINDS),
        "base_delay": Float(0.0, L.MAX_BASE_DELAY),
        "jitter": Float(0.0, 1.0),
        "max_delay": Float(0.0, L.MAX_RETRY_DELAY),
        "delivery_limit": Int(0, L.MAX_DELIVERY_LIMIT),
        "requeue": Bool(),
        "dead_letter_queue": Bool(),
    }
    kind: str | None = None
    base_delay: float | None = None
    jitter: float | None = None
    max_delay: float | None = None
    delivery_limit: int | None = None
    requeue: bool | None = None
    dead_letter_queue: bool | None = None


@dataclass(frozen=True, slots=True)
class SetVisibilityTimeout(Command):
    """Set the visibility timeout (SQS style); ``enabled`` switches return-by-timeout on or off."""

    ACTION = "set_visibility_timeout"
    RULES = {"seconds": VISIBILITY_TIMEOUT, "enabled": Bool()}
    REQUIRED = ("seconds",)
    seconds: float = 30.0
    enabled: bool | None = None


@dataclass(frozen=True, slots=True)
class SetDetectionDelay(Command):
    """How long the broker takes to notice a dead receiver (heartbeat)."""

    ACTION = "set_detection_delay"
    RULES = {"seconds": Float(0.0, L.MAX_DETECTION_DELAY)}
    REQUIRED = ("seconds",)
    seconds: float = 3.0


@dataclass(frozen=True, slots=True)
class SetMaxLength(Command):
    """Limit how many ready messages a queue keeps (0 = no limit) and what happens when full."""

    ACTION = "set_max_length"
    RULES = {"max_length": Int(0, L.MAX_QUEUE_LENGTH), "overflow": Choice(OVERFLOWS)}
    REQUIRED = ("max_length",)
    max_length: int = 0
    overflow: str | None = None


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
        SetProfile,
        Redrive,
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
    return cls(**values)

"""Every receiver setting and every broker knob, declared once.

Each :class:`Setting` names a value the learner (or a scenario, or a profile) can set: its
type, range, default, label and help text, its default under each broker profile, and the
way that broker names it. Everything else derives from these two tables:

- command validation (the fields of ``add_receiver``/``set_receiver`` and of the knob
  commands, and their rules), and the scenario files' ``receivers`` and ``knobs`` tables;
- the profiles' presets (``profiles.PROFILES``) and the defaults of a new receiver;
- the saved state (a run saved before a setting existed loads with its default);
- the view (``view()["knob_fields"]`` and ``["receiver_fields"]``: label, help, range, choices
  and current value, named the way the current profile's broker names them), which is what
  the control forms iterate.

Adding a setting is one entry here plus the behaviour that reads it (see the engine README).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import limits as L
from .rules import Bool, Choice, Float, Int

TEACHING = "teaching"
RABBITMQ_QUORUM = "rabbitmq-quorum"
SQS_STANDARD = "sqs-standard"
PROFILE_KEYS = (TEACHING, RABBITMQ_QUORUM, SQS_STANDARD)

TYPES = ("int", "float", "bool", "choice")


@dataclass(frozen=True)
class Setting:
    name: str  # attribute of Receiver / Knobs, and key in the view and the saved state
    type: str  # "int" | "float" | "bool" | "choice"
    default: object
    label: str
    help: str
    lo: float | None = None  # numbers: the range (checked by the commands)
    hi: float | None = None
    step: float | None = None  # numbers: the form's step
    or_zero: bool = False  # floats: 0 is also allowed below ``lo``
    unit: str = ""
    choices: tuple = ()  # ((value, label), ...) for choice and bool settings
    profiles: dict = field(default_factory=dict)  # profile key -> its default there
    names: dict = field(default_factory=dict)  # profile key -> {"label", "help", "choices"}
    command: str = ""  # knobs: the command that sets it ("" = profiles and scenarios only)
    field: str = ""  # knobs: that command's field (default: the setting's name)
    field_values: tuple = ()  # ((command value, setting value), ...) when the two differ

    def __post_init__(self):
        assert self.type in TYPES, self
        if self.type == "bool" and not self.choices:
            object.__setattr__(self, "choices", ((True, "on"), (False, "off")))
        assert set(self.profiles) <= set(PROFILE_KEYS) >= set(self.names), self
        self.rule.check(self.name, self.default)
        for value in self.profiles.values():
            self.rule.check(self.name, value)

    # ------------------------------------------------------------ rules

    @property
    def rule(self):
        """How a value of this setting is checked."""
        if self.type == "int":
            return Int(self.lo, self.hi)
        if self.type == "float":
            return Float(self.lo, self.hi, or_zero=self.or_zero)
        if self.type == "bool":
            return Bool()
        return Choice(value for value, _label in self.choices)

    @property
    def command_field(self):
        return self.field or self.name

    @property
    def field_rule(self):
        """How the command's field is checked (its values may be named differently)."""
        if not self.field_values:
            return self.rule
        keys = [k for k, _v in self.field_values]
        return Bool() if all(isinstance(k, bool) for k in keys) else Choice(keys)

    def to_setting(self, command_value):
        """The setting's value for a (checked) command value."""
        return dict(self.field_values).get(command_value, command_value)

    def to_command(self, value):
        """The command value that sets ``value``."""
        for command_value, setting_value in self.field_values:
            if setting_value == value:
                return command_value
        return value

    # ------------------------------------------------------------ per profile

    def default_for(self, profile):
        return self.profiles.get(profile, self.default)

    def describe(self, profile, value):
        """This setting for a form or a panel, named as ``profile``'s broker names it."""
        named = self.names.get(profile, {})
        labels = dict(named.get("choices", self.choices))
        return {
            "name": self.name,
            "label": named.get("label", self.label),
            "help": named.get("help", self.help),
            "type": self.type,
            "value": value,
            "default": self.default_for(profile),
            "lo": self.lo,
            "hi": self.hi,
            "step": self.step,
            "unit": self.unit,
            "choices": [
                {
                    "value": v,
                    "label": labels.get(v, label),
                    "form_value": _form(self.to_command(v)),
                    "selected": v == value,
                }
                for v, label in self.choices
            ],
            "command": self.command,
            "field": self.command_field,
            "form_value": _form(self.to_command(value)),
        }


def _form(value):
    """A value as a form sends it (booleans as true/false)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


# ---------------------------------------------------------------- receivers

RECEIVER_SETTINGS = (
    Setting(
        "mean_time", "float", 1.0,
        label="Time per message",
        help="Seconds of work on one message (the average when the timing varies).",
        lo=L.MIN_MEAN_TIME, hi=L.MAX_MEAN_TIME, step=0.01, unit="s",
    ),
    Setting(
        "timing", "choice", "exponential",
        label="Timing",
        help="Whether every message takes the same time or the time varies around the mean.",
        choices=(("exponential", "varies"), ("fixed", "always the same")),
    ),
    Setting(
        "failure_rate", "float", 0.0,
        label="Failure rate",
        help="Chance that processing a message fails; the receiver then gives it back (nack).",
        lo=0.0, hi=1.0, step=0.05,
    ),
    Setting(
        "crash_rate", "float", 0.0,
        label="Crash after the work",
        help=(
            "Chance to crash after doing the work but before acknowledging it: the message "
            "comes back and its effect happens again, unless the receiver is idempotent."
        ),
        lo=0.0, hi=1.0, step=0.05,
    ),
    Setting(
        "prefetch", "int", 1,
        label="Prefetch",
        help=(
            "How many unacknowledged messages it may hold at once; 0 = no limit. "
            "Auto-ack receivers are never held to it."
        ),
        lo=0, hi=L.MAX_PREFETCH, step=1,
        profiles={RABBITMQ_QUORUM: 0},
        names={
            RABBITMQ_QUORUM: {
                "label": "Prefetch (basic.qos)",
                "help": (
                    "The consumer's basic.qos prefetch count: unacknowledged messages it may "
                    "hold. 0 = it never sent basic.qos, so there is no limit (RabbitMQ's "
                    "default). Auto-ack consumers are never held to it."
                ),
            },
            SQS_STANDARD: {
                "label": "Messages in flight",
                "help": (
                    "How many received, not yet deleted messages it works through at once "
                    "(one ReceiveMessage call takes up to 10); 0 = no limit."
                ),
            },
        },
    ),
    Setting(
        "idempotent", "bool", False,
        label="Idempotent",
        help=(
            "Remembers which orders it has already handled (by business key, not message "
            "id) and skips a repeat instead of doing the work twice."
        ),
        choices=((True, "yes: skips repeats"), (False, "no")),
    ),
    Setting(
        "ack_mode", "choice", "manual",
        label="Acknowledgement",
        help=(
            "Manual: it acknowledges after the work, so nothing is lost if it dies. Auto: the "
            "broker forgets each message as it sends it, so a dead receiver loses them."
        ),
        choices=(("manual", "manual, after the work"), ("auto", "automatic, on delivery")),
    ),
)  # fmt: skip

# ---------------------------------------------------------------- broker knobs

KNOBS = (
    Setting(
        "delivery_limit", "int", 5,
        label="Max deliveries",
        help=(
            "Deliveries a failing message gets before it goes to the dead-letter queue; "
            "0 = no limit."
        ),
        lo=0, hi=L.MAX_DELIVERY_LIMIT, step=1,
        profiles={RABBITMQ_QUORUM: 20, SQS_STANDARD: 10},
        names={
            RABBITMQ_QUORUM: {
                "label": "x-delivery-limit",
                "help": (
                    "How many times a message may be redelivered before it is dead-lettered: "
                    "RabbitMQ counts returns, not the first delivery, so 20 allows 21 "
                    "deliveries. 4.0 made 20 the default; 0 = no limit."
                ),
            },
            SQS_STANDARD: {
                "label": "maxReceiveCount",
                "help": (
                    "Receives a message may have; the receive after that moves it to the "
                    "dead-letter queue instead (SQS checks on receive, not on failure). "
                    "0 = no redrive policy."
                ),
            },
        },
        command="set_retry_policy",
    ),
    Setting(
        "limit_counts", "choice", "deliveries",
        label="The limit counts",
        help="Whether the first delivery counts towards the limit, or only redeliveries.",
        choices=(("deliveries", "every delivery"), ("redeliveries", "redeliveries only")),
        profiles={RABBITMQ_QUORUM: "redeliveries"},
        command="set_retry_policy",
    ),
    Setting(
        "retry", "choice", "exponential",
        label="Retry backoff",
        help="How long a failed message waits before it is delivered again.",
        choices=(
            ("none", "none: straight back"),
            ("fixed", "a fixed delay"),
            ("exponential", "doubling delays"),
        ),
        profiles={RABBITMQ_QUORUM: "none", SQS_STANDARD: "none"},
        command="set_retry_policy", field="kind",
    ),
    Setting(
        "retry_base", "float", 1.0,
        label="First retry delay",
        help="Seconds before the first retry (doubled for each further one with doubling).",
        lo=0.0, hi=L.MAX_BASE_DELAY, step=0.1, unit="s",
        profiles={RABBITMQ_QUORUM: 0.0, SQS_STANDARD: 0.0},
        command="set_retry_policy", field="base_delay",
    ),
    Setting(
        "retry_jitter", "float", 0.0,
        label="Jitter",
        help="Up to this fraction of each delay is taken off at random, so retries spread out.",
        lo=0.0, hi=1.0, step=0.05,
        command="set_retry_policy", field="jitter",
    ),
    Setting(
        "retry_max", "float", 60.0,
        label="Longest retry delay",
        help="Doubling delays stop growing here.",
        lo=0.0, hi=L.MAX_RETRY_DELAY, step=1.0, unit="s",
        command="set_retry_policy", field="max_delay",
    ),
    Setting(
        "requeue_on_failure", "bool", True,
        label="On failure",
        help=(
            "Requeue: a failed message is given back (nack with requeue) and retried. Reject: "
            "it goes straight to the dead-letter queue."
        ),
        choices=((True, "requeue and retry"), (False, "reject to the dead-letter queue")),
        command="set_retry_policy", field="requeue",
    ),
    Setting(
        "dlq_enabled", "bool", True,
        label="Dead-letter queue",
        help=(
            "Where messages over the limit (or rejected, or pushed out) go; without one they "
            "are dropped."
        ),
        choices=((True, "on"), (False, "off: such messages are dropped")),
        names={
            RABBITMQ_QUORUM: {
                "label": "Dead-letter exchange (x-dead-letter-exchange)",
                "help": (
                    "Where a quorum queue sends messages over the delivery limit (or rejected, "
                    "or pushed out by max-length); when it is not set they are dropped."
                ),
                "choices": ((True, "set"), (False, "not set")),
            },
            SQS_STANDARD: {
                "label": "Redrive policy (dead-letter queue)",
                "help": (
                    "The queue's RedrivePolicy names a dead-letter queue; without one, messages "
                    "are never moved and keep coming back."
                ),
                "choices": ((True, "set"), (False, "not set")),
            },
        },
        command="set_retry_policy", field="dead_letter_queue",
    ),
    Setting(
        "return_mode", "choice", "detect",
        label="Unacknowledged messages return",
        help=(
            "When a receiver holds a message without acknowledging it: either the broker "
            "notices that the receiver died (and never takes a message from a live one), or "
            "each message becomes visible again when its visibility timeout ends."
        ),
        choices=(
            ("detect", "when the receiver is seen dead"),
            ("visibility", "when the visibility timeout ends"),
        ),
        profiles={SQS_STANDARD: "visibility"},
        command="set_visibility_timeout", field="enabled",
        field_values=((True, "visibility"), (False, "detect")),
    ),
    Setting(
        "detection_delay", "float", 3.0,
        label="Death noticed after",
        help="Seconds until the broker notices a dead receiver and returns its messages.",
        lo=0.0, hi=L.MAX_DETECTION_DELAY, step=0.5, unit="s",
        profiles={RABBITMQ_QUORUM: 60.0},
        names={
            RABBITMQ_QUORUM: {
                "label": "Heartbeat timeout",
                "help": (
                    "A consumer that went silent is seen as gone after the heartbeat timeout "
                    "(60 s is RabbitMQ's default); then its unacknowledged messages are "
                    "requeued."
                ),
            },
        },
        command="set_detection_delay", field="seconds",
    ),
    Setting(
        "visibility_timeout", "float", 30.0,
        label="Visibility timeout",
        help=(
            "Seconds a received message stays invisible to other receivers; if it is not "
            "deleted (acknowledged) by then, it is visible again."
        ),
        lo=L.MIN_VISIBILITY_TIMEOUT, hi=L.MAX_VISIBILITY_TIMEOUT, step=0.1, unit="s",
        names={SQS_STANDARD: {"label": "VisibilityTimeout"}},
        command="set_visibility_timeout", field="seconds",
    ),
    Setting(
        "max_length", "int", 0,
        label="Max length",
        help="Ready messages a queue keeps (unacknowledged ones do not count); 0 = no limit.",
        lo=0, hi=L.MAX_QUEUE_LENGTH, step=1,
        names={RABBITMQ_QUORUM: {"label": "x-max-length"}},
        command="set_max_length",
    ),
    Setting(
        "overflow", "choice", "drop-head",
        label="When full",
        help="Drop the oldest ready message (or dead-letter it), or refuse the new publish.",
        choices=(
            ("drop-head", "drop-head: the oldest goes"),
            ("reject-publish", "reject-publish: the sender is refused"),
        ),
        names={RABBITMQ_QUORUM: {"label": "x-overflow"}},
        command="set_max_length",
    ),
    Setting(
        "publish_retries", "int", 0,
        label="Sender retries a refused publish",
        help=(
            "How many more times the sender tries a message the broker refused (a full "
            "reject-publish queue: '503, retry later'), backing off between tries; 0 = it "
            "gives up at once. Either way the sender knows; a drop-head queue never tells it."
        ),
        lo=0, hi=L.MAX_PUBLISH_RETRIES, step=1,
        names={
            RABBITMQ_QUORUM: {
                "label": "Publisher retries after basic.nack",
                "help": (
                    "With publisher confirms, a publish a reject-publish queue refuses is "
                    "nacked (basic.nack); the publisher may wait and publish it again. "
                    "0 = it gives up at once."
                ),
            },
        },
        command="set_publisher", field="retries",
    ),
    Setting(
        "publish_backoff", "float", 1.0,
        label="Sender's first backoff",
        help=(
            "The longest wait before the sender's first retry; it doubles for each further "
            "retry (up to 30 s), and the sender waits a random part of it (full jitter), so "
            "many senders do not all come back at once."
        ),
        lo=L.MIN_PUBLISH_BACKOFF, hi=L.MAX_PUBLISH_BACKOFF, step=0.1, unit="s",
        command="set_publisher", field="backoff",
    ),
    Setting(
        "message_ttl", "float", 0.0,
        label="Message TTL",
        help=(
            "Seconds a message may wait in the queue; then it expires and is dead-lettered "
            "(reason: expired), or dropped when there is no dead-letter queue. 0 = no TTL. A "
            "message's own TTL, when shorter, wins."
        ),
        lo=L.MIN_MESSAGE_TTL, hi=L.MAX_MESSAGE_TTL, or_zero=True, step=0.5, unit="s",
        names={
            RABBITMQ_QUORUM: {
                "label": "x-message-ttl",
                "help": (
                    "The queue's message TTL: a message that waits longer expires and is "
                    "dead-lettered with reason expired, or dropped without a dead-letter "
                    "exchange; the lower of it and the message's expiration applies. 0 = none."
                ),
            },
            SQS_STANDARD: {
                "label": "Message TTL (SQS has none)",
                "help": "SQS has no per-message TTL: use the retention period. 0 = none.",
            },
        },
        command="set_expiry", field="message_ttl",
    ),
    Setting(
        "retention_period", "float", 0.0,
        label="Retention period",
        help=(
            "Seconds a message is kept at most, counted from when it was sent; after that it "
            "is deleted, never dead-lettered. 0 = kept until it is consumed."
        ),
        lo=L.MIN_RETENTION, hi=L.MAX_RETENTION, or_zero=True, step=60.0, unit="s",
        profiles={SQS_STANDARD: L.SQS_RETENTION},
        names={
            SQS_STANDARD: {
                "label": "MessageRetentionPeriod",
                "help": (
                    "How long SQS keeps a message nobody deleted: 4 days by default, 60 s to "
                    "14 days. Then it is deleted, with no dead-letter copy."
                ),
            },
        },
        command="set_expiry", field="retention_period",
    ),
    Setting(
        "delivery_delay", "float", 0.0,
        label="Delivery delay",
        help=(
            "Seconds a new message stays invisible before anyone can receive it (up to 15 "
            "minutes); a message's own delay wins. 0 = none."
        ),
        lo=0.0, hi=L.MAX_DELIVERY_DELAY, step=1.0, unit="s",
        names={
            SQS_STANDARD: {
                "label": "DelaySeconds (delay queue)",
                "help": (
                    "A delay queue keeps each new message invisible for this long (0 to 900 s); "
                    "a message timer (DelaySeconds on SendMessage) overrides it."
                ),
            },
        },
        command="set_expiry", field="delivery_delay",
    ),
    Setting(
        "redrive_mode", "choice", "reset",
        label="Redrive",
        help="What a message sent back from the dead-letter queue becomes.",
        choices=(("reset", "the same message, count reset"), ("new_id", "a new message id")),
        profiles={SQS_STANDARD: "new_id"},
    ),
)  # fmt: skip

# Knobs a queue may also set for itself (RabbitMQ: the queue arguments x-max-length and
# x-overflow), so queues with different policies can run side by side; a queue that does not
# set one follows the broker-wide knob.
QUEUE_SETTINGS = ("max_length", "overflow", "message_ttl", "dlq_enabled", "delivery_delay")

RECEIVER_SETTING_NAMES = tuple(s.name for s in RECEIVER_SETTINGS)
RECEIVER_SETTING = {s.name: s for s in RECEIVER_SETTINGS}
KNOB = {k.name: k for k in KNOBS}
KNOB_NAMES = tuple(k.name for k in KNOBS)


def queue_settings():
    """The knobs a queue may set for itself, as Settings."""
    return tuple(KNOB[name] for name in QUEUE_SETTINGS)


def knobs_of(action):
    """The knobs one command sets, in declaration order."""
    return tuple(k for k in KNOBS if k.command == action)


def profile_knobs(profile):
    """Every knob's value under ``profile`` (a profile is a full preset of knobs)."""
    return {k.name: k.default_for(profile) for k in KNOBS}


def receiver_defaults(profile):
    """The settings a new receiver gets under ``profile``."""
    return {s.name: s.default_for(profile) for s in RECEIVER_SETTINGS}

"""Broker profiles: named presets of knobs, each with a label and its source.

A profile only sets knobs; it never adds behaviour of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Profile:
    key: str
    label: str
    source: str
    summary: str
    knobs: dict = field(default_factory=dict)

    def to_dict(self):
        return {
            "key": self.key,
            "label": self.label,
            "source": self.source,
            "summary": self.summary,
        }


PROFILES = {
    "teaching": Profile(
        key="teaching",
        label="Teaching default",
        source="Common practice across brokers: manual ack, retries with backoff, dead letters",
        summary=(
            "Manual ack; a dead receiver is noticed after 3 s and its messages return; "
            "failures retry with exponential backoff; after 5 deliveries a message goes "
            "to the dead-letter queue."
        ),
        knobs={
            "delivery_limit": 5,
            "retry": "exponential",
            "retry_base": 1.0,
            "retry_jitter": 0.0,
            "retry_max": 60.0,
            "requeue_on_failure": True,
            "dlq_enabled": True,
            "return_mode": "detect",
            "detection_delay": 3.0,
            "max_length": 0,
            "overflow": "drop-head",
            "redrive_mode": "reset",
            "default_prefetch": 1,
        },
    ),
    "rabbitmq-quorum": Profile(
        key="rabbitmq-quorum",
        label="RabbitMQ quorum queue",
        source="rabbitmq.com/docs: quorum-queues (delivery-limit), confirms, prefetch, maxlength",
        summary=(
            "Unacked messages are requeued when the connection is seen closed (heartbeat ~60 s); "
            "a nack requeues at once (no backoff); delivery-limit 20 returns, so at most "
            "21 deliveries; max-length overflow drop-head."
        ),
        knobs={
            "delivery_limit": 21,
            "retry": "none",
            "retry_base": 0.0,
            "retry_jitter": 0.0,
            "requeue_on_failure": True,
            "dlq_enabled": True,
            "return_mode": "detect",
            "detection_delay": 60.0,
            "overflow": "drop-head",
            "redrive_mode": "reset",
            "default_prefetch": 10,
        },
    ),
    "sqs-standard": Profile(
        key="sqs-standard",
        label="Amazon SQS standard queue",
        source="Amazon SQS developer guide: visibility timeout, dead-letter queues (RedrivePolicy)",
        summary=(
            "A received message is invisible for the visibility timeout (30 s) and comes back "
            "if not deleted; after maxReceiveCount (10) receives it moves to the DLQ; "
            "redrive makes a new message id; no queue length limit."
        ),
        knobs={
            "delivery_limit": 10,
            "retry": "none",
            "retry_base": 0.0,
            "retry_jitter": 0.0,
            "requeue_on_failure": True,
            "dlq_enabled": True,
            "return_mode": "visibility",
            "visibility_timeout": 30.0,
            "max_length": 0,
            "redrive_mode": "new_id",
            "default_prefetch": 1,
        },
    ),
}


def get_profile(key):
    """Return the profile named ``key`` (raises KeyError if there is none)."""
    return PROFILES[key]

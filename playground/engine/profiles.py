"""Broker profiles: named presets of knobs, each with a label and its source.

A profile only sets knobs and new receivers' defaults, every one of them, from the values
declared in ``spec.py``; it never adds behaviour of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .spec import RABBITMQ_QUORUM, SQS_STANDARD, TEACHING, profile_knobs, receiver_defaults


@dataclass(frozen=True, slots=True)
class Profile:
    key: str
    label: str
    source: str
    summary: str
    knobs: dict = field(default_factory=dict)
    receivers: dict = field(default_factory=dict)  # what a new receiver starts with

    def to_dict(self):
        return {
            "key": self.key,
            "label": self.label,
            "source": self.source,
            "summary": self.summary,
        }


def _profile(key, label, source, summary):
    return Profile(key, label, source, summary, profile_knobs(key), receiver_defaults(key))


PROFILES = {
    p.key: p
    for p in (
        _profile(
            TEACHING,
            "Teaching default",
            "Common practice across brokers: manual ack, retries with backoff, dead letters",
            "Manual ack; a dead receiver is noticed after 3 s and its messages return; "
            "failures retry with exponential backoff; after 5 deliveries a message goes "
            "to the dead-letter queue.",
        ),
        _profile(
            RABBITMQ_QUORUM,
            "RabbitMQ quorum queue (4.0–4.2)",
            "rabbitmq.com/docs: quorum-queues (poison message handling), confirms, "
            "consumer-prefetch, heartbeats, maxlength, dlx",
            "Unacked messages are requeued when the consumer's connection is seen closed "
            "(heartbeat timeout, 60 s); a nack requeues at once, with no backoff; "
            "x-delivery-limit 20 counts redeliveries, so a message gets at most 21 deliveries "
            "before the dead-letter exchange (if one is set; otherwise it is dropped); no "
            "prefetch limit unless the consumer sets basic.qos. From 4.3 a nack no longer "
            "counts towards the limit.",
        ),
        _profile(
            SQS_STANDARD,
            "Amazon SQS standard queue",
            "Amazon SQS developer guide: visibility timeout, dead-letter queues (RedrivePolicy)",
            "A received message is invisible for the visibility timeout (30 s) and comes back "
            "if not deleted; the receive after maxReceiveCount (10) receives moves it to the "
            "DLQ instead; redrive makes a new message id; no queue length limit.",
        ),
    )
}


def get_profile(key):
    """Return the profile named ``key`` (raises KeyError if there is none)."""
    return PROFILES[key]

"""What a run of a behaviour script saw, in one neutral form that both drivers fill.

An outcome is plain JSON: who received which message in what order (with the redelivered
flag and, on quorum queues, ``x-delivery-count``), the publisher confirms, what was left
ready in each queue, what was dead-lettered and why, which channels the broker closed, and
named snapshots of the deliveries taken mid-script. Two outcomes are compared on the keys a
behaviour observes; ``describe`` turns one into sentences for the evidence page.
"""

from __future__ import annotations

import copy

REPLY_TEXT = {406: "406 PRECONDITION_FAILED", 404: "404 NOT_FOUND"}


def delivery_token(label: str, redelivered: bool, delivery_count: int | None) -> str:
    """One delivery as a short string: ``m1``, ``m1 redelivered``, ``m1 redelivered (count 2)``."""
    token = label + (" redelivered" if redelivered else "")
    if delivery_count:
        token += f" (count {delivery_count})"
    return token


class Recorder:
    """Collects what a driver sees while it runs a script."""

    def __init__(self, behaviour):
        self.behaviour = behaviour
        self.deliveries = {c.name: [] for c in behaviour.consumers}
        self.confirms = []
        self.ready = {}
        self.dead_letters = {}
        self.channels_closed = {}
        self.snapshots = {}

    def delivered(self, consumer: str, label: str, redelivered: bool, count: int | None) -> None:
        self.deliveries[consumer].append(delivery_token(label, redelivered, count))

    def received(self, consumer: str) -> int:
        return len(self.deliveries[consumer])

    def snapshot(self, label: str) -> None:
        self.snapshots[label] = copy.deepcopy(self.deliveries)

    def outcome(self) -> dict:
        everything = {
            "deliveries": self.deliveries,
            "confirms": self.confirms,
            "ready": self.ready,
            "dead_letters": self.dead_letters,
            "channels_closed": self.channels_closed,
            "snapshots": self.snapshots,
        }
        return copy.deepcopy({key: everything[key] for key in self.behaviour.observe})


def _deliveries_lines(deliveries: dict) -> list[str]:
    return [
        f"{name} received {', '.join(tokens)}" if tokens else f"{name} received nothing"
        for name, tokens in deliveries.items()
    ]


def describe(outcome: dict) -> list[str]:
    """The outcome as short sentences, in the order of its keys."""
    lines = []
    for key, value in outcome.items():
        if key == "deliveries":
            lines.extend(_deliveries_lines(value))
        elif key == "confirms":
            lines.append("publisher confirms: " + (", ".join(value) or "none"))
        elif key == "ready":
            for queue, labels in value.items():
                lines.append(
                    f"left ready in {queue}: {', '.join(labels)}" if labels else f"{queue} is empty"
                )
        elif key == "dead_letters":
            for queue, entries in value.items():
                if entries:
                    items = ", ".join(f"{e[0]} ({e[1]}, count {e[2]})" for e in entries)
                    lines.append(f"dead-lettered from {queue}: {items}")
                else:
                    lines.append(f"nothing dead-lettered from {queue}")
        elif key == "channels_closed":
            closed = [
                f"{name}'s channel closed by the broker ({REPLY_TEXT.get(code, code)})"
                for name, code in value.items()
            ]
            lines.extend(closed or ["no channel closed"])
        elif key == "snapshots":
            for label, deliveries in value.items():
                lines.extend(f"{label}: {line}" for line in _deliveries_lines(deliveries))
    return [line[0].upper() + line[1:] for line in lines]


def differences(expected: dict, actual: dict) -> list[str]:
    """The observed keys on which two outcomes differ, each as 'key: expected / actual'."""
    return [
        f"{key}: {expected.get(key)!r} / {actual.get(key)!r}"
        for key in sorted(set(expected) | set(actual))
        if expected.get(key) != actual.get(key)
    ]

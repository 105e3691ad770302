"""What the polite live region ("Latest") says, at a readable pace."""

from playground import presenters as P
from playground.engine.events import NOTABLE


def _ev(kind, message=1, receiver="r1", attempt=1, reason=""):
    return {
        "seq": 1,
        "time": 0.0,
        "kind": kind,
        "message": message,
        "receiver": receiver,
        "attempt": attempt,
        "reason": reason,
    }


def test_ordinary_traffic_is_counted_so_a_burst_is_heard():
    events = [_ev("published", i) for i in range(5)] + [_ev("delivered"), _ev("acked")]
    assert P.narration_text(events, NOTABLE) == (
        "5 messages published; 1 delivery; 1 acknowledged."
    )
    assert P.narration_text([_ev("published")], NOTABLE) == "1 message published."
    assert P.narration_text([], NOTABLE) == ""


def test_the_latest_notable_event_wins_and_points_to_the_log_only_where_there_is_one():
    events = [
        _ev("dead_lettered", 3, None, 3, "delivery limit"),
        _ev("published"),
        _ev("dead_lettered", 4, None, 3, "delivery limit"),
    ]
    text = "Message 4 moved to the dead-letter queue after 3 deliveries (delivery limit)."
    assert P.narration_text(events, NOTABLE) == text + " (1 more notable event in the log.)"
    assert P.narration_text(events, NOTABLE, log_shown=False) == text + " (1 more like it.)"


def test_a_detected_death_reads_as_one_clear_sentence():
    text = P.event_text(_ev("death_detected", None, "r1", 0, "its unacknowledged messages return"))
    assert text == "The broker noticed r1 is gone: its unacknowledged messages return"
    text = P.event_text(_ev("requeued", 7, None, 1, "its receiver died before acknowledging it"))
    assert text == "Message 7 went back to the queue: its receiver died before acknowledging it"

"""TTL, expiry, retention and delayed delivery.

Sources: RabbitMQ "Time-to-Live and Expiration" (rabbitmq.com/docs/ttl): x-message-ttl per
queue and the expiration property per message, the lower of the two applies; an expired
message is never delivered; expired messages are removed when they reach the head of the
queue; a requeued message keeps its original expiry. RabbitMQ "Dead Letter Exchanges"
(rabbitmq.com/docs/dlx): an expired message is dead-lettered (reason expired) when the queue
has a dead-letter exchange, otherwise dropped. Amazon SQS quotas (MessageRetentionPeriod:
4 days by default, 60 s to 14 days; then deleted) and "Amazon SQS delay queues" / "message
timers" (DelaySeconds up to 15 minutes; a message timer overrides the queue's delay).
"""

import json

import pytest

from playground.engine import Simulation, check_invariants


def ok(sim):
    assert check_invariants(sim) == []


def bare(profile="teaching", seed=1, **knobs):
    sim = Simulation(seed, profile=profile, event_log_limit=None)
    sim.set_knobs(knobs)
    sim.add_queue("q")
    return sim


def publish(sim, **kw):
    (mid,) = sim.apply({"action": "publish", **kw})["messages"]
    return mid


def kinds(sim, mid):
    return [(e["kind"], e["reason"]) for e in sim.events_since(0) if e["message"] == mid]


@pytest.mark.parametrize("dlq", [True, False])
def test_an_expired_message_is_dead_lettered_with_reason_expired_or_dropped_without_a_dlq(dlq):
    sim = bare(message_ttl=5.0, dlq_enabled=dlq)
    mid = publish(sim)
    sim.advance(4.9)
    assert sim.messages[mid].state == "ready"
    sim.advance(0.2)
    m = sim.messages[mid]
    if dlq:
        assert (m.state, m.reason) == ("dead_lettered", "expired")
        assert kinds(sim, mid)[-1] == ("dead_lettered", "expired")
    else:
        assert m.state == "dropped" and "expired" in m.reason and "no dead-letter" in m.reason
    assert sim.counters["expired"] == 1
    ok(sim)


def test_the_lower_of_the_queue_ttl_and_the_messages_own_ttl_applies():
    sim = bare(message_ttl=10.0)
    short = publish(sim, ttl=2.0)
    sim.advance(2.1)
    assert sim.messages[short].state == "dead_lettered"
    sim = bare(message_ttl=2.0)
    long_own = publish(sim, ttl=10.0)
    sim.advance(2.1)
    assert sim.messages[long_own].state == "dead_lettered"


def test_a_short_lived_message_behind_a_long_lived_one_leaves_only_at_the_head_never_delivered():
    sim = bare()
    first = publish(sim, ttl=10.0)
    second = publish(sim, ttl=1.0)
    sim.advance(5)
    assert sim.messages[second].state == "ready"  # expired, but not at the head yet
    sim.add_receiver("q", "r1", mean_time=1.0, timing="fixed")
    sim.advance(3)
    assert sim.messages[first].state == "acked"
    assert sim.messages[second].state == "dead_lettered"  # at the head: expired, not delivered
    assert [k for k, _ in kinds(sim, second)] == ["published", "dead_lettered"]
    ok(sim)


def test_a_delivered_message_does_not_expire_and_coming_back_after_its_ttl_it_does():
    sim = bare(message_ttl=3.0, detection_delay=5.0)
    sim.add_receiver("q", "r1", mean_time=10.0, timing="fixed")
    mid = publish(sim)
    sim.advance(4)
    assert sim.messages[mid].state == "in_flight"  # past its TTL, but delivered
    sim.apply({"action": "kill_receiver", "receiver": "r1"})
    sim.add_receiver("q", "r2", mean_time=1.0, timing="fixed")
    sim.advance(6)  # the death is noticed at 9 s: it returns, keeps its expiry (3 s)
    m = sim.messages[mid]
    assert (m.state, m.reason) == ("dead_lettered", "expired")
    assert [e["receiver"] for e in sim.events_since(0) if e["kind"] == "delivered"] == ["r1"]
    ok(sim)


def test_sqs_retention_deletes_a_message_nobody_received_and_keeps_no_dead_letter_copy():
    sim = bare("sqs-standard")
    assert sim.knobs.retention_period == 345_600.0  # 4 days, SQS's default
    sim.apply({"action": "set_expiry", "retention_period": 60.0})  # SQS's minimum
    mid = publish(sim)
    sim.advance(59.9)
    assert sim.messages[mid].state == "ready"
    sim.advance(0.2)
    m = sim.messages[mid]
    assert m.state == "dropped" and "retention period" in m.reason
    assert sim.counters["dead_lettered"] == 0 and sim.knobs.dlq_enabled  # a DLQ exists
    ok(sim)


def test_a_delay_queue_holds_a_new_message_and_a_message_timer_overrides_it():
    sim = bare(delivery_delay=4.0)
    sim.add_receiver("q", "r1", mean_time=0.5, timing="fixed")
    queued = publish(sim)
    timed = publish(sim, delay=1.0)
    assert sim.messages[queued].state == "delayed" and sim.messages[timed].state == "delayed"
    sim.advance(0.9)
    assert sim.messages[timed].state == "delayed"
    sim.advance(0.2)
    assert sim.messages[timed].state == "in_flight"
    sim.advance(2.8)
    assert sim.messages[queued].state == "delayed"  # never delivered before its ready-at
    sim.advance(0.2)
    assert sim.messages[queued].state == "in_flight"
    ok(sim)


def test_lowering_the_ttl_applies_to_messages_already_waiting():
    sim = bare()
    ids = [publish(sim) for _ in range(3)]
    sim.advance(10)
    sim.apply({"action": "set_expiry", "message_ttl": 5.0})
    assert all(sim.messages[i].state == "dead_lettered" for i in ids)  # waited 10 s already
    ok(sim)


def test_a_queues_own_ttl_and_dead_letter_queue_side_by_side():
    sim = Simulation.from_scenario("ttl-and-retention", 2, event_log_limit=None)
    sim.advance(40)
    ok(sim)
    kept = sim.queues["with-dlq"]
    assert kept.dlq and {sim.messages[i].reason for i in kept.dlq} == {"expired"}
    assert not sim.queues["without-dlq"].dlq
    dropped = [e for e in sim.events_since(0) if e["kind"] == "dropped"]
    assert dropped and all("expired" in e["reason"] for e in dropped)
    for e in sim.events_since(0):  # nothing that expired was ever delivered
        if e["kind"] == "delivered":
            m = sim.messages.get(e["message"])
            assert m is None or m.state != "dead_lettered"


def test_a_redriven_message_gets_a_new_ttl_from_when_it_is_back():
    sim = bare(message_ttl=3.0)
    mid = publish(sim)
    sim.advance(3.5)
    sim.apply({"action": "redrive", "message_id": mid})
    assert sim.messages[mid].state == "ready"
    sim.advance(2.9)
    assert sim.messages[mid].state == "ready"
    sim.advance(0.2)
    assert sim.messages[mid].state == "dead_lettered"
    ok(sim)


def test_a_run_saved_before_expiry_existed_loads_with_the_defaults():
    sim = Simulation.from_scenario("ttl-and-retention", 3)
    sim.advance(3)
    data = json.loads(sim.to_json())
    fields = data["message_fields"]
    drop = [fields.index(n) for n in ("expires_at", "own_ttl", "entered_at")]
    data["message_fields"] = [f for i, f in enumerate(fields) if i not in drop]
    data["messages"] = [[v for i, v in enumerate(row) if i not in drop] for row in data["messages"]]
    for key in ("message_ttl", "retention_period", "delivery_delay"):
        del data["knobs"][key]
    for q in data["queues"]:
        q["own"] = {k: v for k, v in q["own"].items() if k in ("max_length", "overflow")}
    del data["counters"]["expired"]
    data["heap"] = [e for e in data["heap"] if e[2] != 9]
    old = Simulation.from_dict(data)
    old.advance(10)
    assert check_invariants(old) == [] and old.counters["expired"] == 0

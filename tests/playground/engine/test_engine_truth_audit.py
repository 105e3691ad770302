"""The outside audit's truth bugs (issue 10), one named test each, with the rule and its source.

Every test here failed before its fix. Sources are those of shared/design/broker-semantics.md:
RabbitMQ docs (rabbitmq.com/docs: confirms, consumers, quorum-queues, dlx, maxlength) and the
Amazon SQS developer guide (visibility timeout, dead-letter queues).
"""

import pytest

from playground.engine import PROFILES, Simulation, check_invariants


def bare(profile="teaching", seed=1, **knobs):
    sim = Simulation(seed, profile=profile, event_log_limit=None)
    sim.set_knobs(knobs)
    sim.add_queue("q")
    return sim


def events(sim, kind=None, message=None, receiver=None):
    return [
        e
        for e in sim.events_since(0)
        if (kind is None or e["kind"] == kind)
        and (message is None or e["message"] == message)
        and (receiver is None or e["receiver"] == receiver)
    ]


def publish(sim, n=1, **kw):
    ids = []
    for _ in range(n):
        ids += sim.apply({"action": "publish", **kw})["messages"]
    return ids


def ok(sim):
    assert check_invariants(sim) == []


# ---------------------------------------------------------------- switching rules mid-run


@pytest.mark.parametrize(
    "switch",
    [
        {"action": "set_profile", "profile": "sqs-standard"},
        {"action": "set_visibility_timeout", "seconds": 30.0, "enabled": True},
    ],
)
def test_switching_to_visibility_timeouts_then_killing_the_holder_still_returns_the_message(switch):
    """Death returns, never destroys (semantics note, invariant 4); SQS: a received message
    that is not deleted becomes visible again when its visibility timeout ends (SQS developer
    guide, "Amazon SQS visibility timeout")."""
    sim = bare()
    sim.add_receiver("q", "r1", mean_time=50.0, timing="fixed")
    (mid,) = publish(sim)
    sim.advance(1.0)
    sim.apply(switch)
    sim.apply({"action": "kill_receiver", "receiver": "r1"})
    ok(sim)
    sim.advance(40.0)
    m = sim.messages[mid]
    assert m.state == "ready" and m.holder is None, "the dead receiver must not keep it"
    assert events(sim, "requeued", mid)
    ok(sim)


def test_check_invariants_notices_a_dead_receiver_holding_a_message_with_no_return_scheduled():
    """Invariant 4 (death returns, never destroys) is checked, not assumed."""
    sim = bare(detection_delay=3.0)
    sim.add_receiver("q", "r1", mean_time=50.0, timing="fixed")
    publish(sim)
    sim.apply({"action": "kill_receiver", "receiver": "r1"})
    ok(sim)
    sim.heap.clear()  # lose the scheduled death detection: the message would be held for ever
    assert any("never return" in p for p in check_invariants(sim))


def test_after_switching_from_sqs_to_rabbitmq_no_timer_takes_a_message_from_a_live_consumer():
    """RabbitMQ never takes an unacked message back from a live consumer; only a closed
    channel or connection returns it (rabbitmq.com/docs/confirms, "Automatic requeueing";
    the 30-minute delivery acknowledgement timeout aside)."""
    sim = bare("sqs-standard", visibility_timeout=5.0)
    sim.add_receiver("q", "r1", mean_time=50.0, timing="fixed")
    sim.add_receiver("q", "r2", mean_time=1.0, timing="fixed")
    (mid,) = publish(sim)
    assert sim.messages[mid].holder == "r1"
    sim.advance(1.0)
    sim.apply({"action": "set_profile", "profile": "rabbitmq-quorum"})
    sim.advance(20.0)
    assert sim.messages[mid].holder == "r1"
    assert [e["receiver"] for e in events(sim, "delivered", mid)] == ["r1"]
    ok(sim)


def test_a_profile_switch_is_logged_as_a_readable_transition_of_in_flight_messages():
    """Switching rules mid-run converts the pending timers and says so."""
    sim = bare()
    sim.add_receiver("q", "r1", mean_time=50.0, timing="fixed")
    publish(sim, 1)
    sim.apply({"action": "set_profile", "profile": "sqs-standard"})
    (switch,) = events(sim, "profile")
    assert "Amazon SQS" in switch["reason"]
    assert "1 in-flight message" in switch["reason"] and "visibility timeout" in switch["reason"]
    ok(sim)


# ---------------------------------------------------------------- receiver identity


def two_receivers(**settings):
    """Receivers r1 and r2 named by the scenario, as scenario files name them."""
    sim = bare(detection_delay=3.0)
    sim.add_receiver("q", "r1", mean_time=50.0, timing="fixed")
    sim.add_receiver("q", "r2", **{"mean_time": 50.0, "timing": "fixed", **settings})
    return sim


def test_a_new_receiver_never_gets_the_id_of_a_removed_one():
    """Receiver ids name one receiver for the whole run (issue 10, item 4)."""
    sim = two_receivers()
    sim.apply({"action": "remove_receiver", "receiver": "r2"})
    result = sim.apply({"action": "add_receiver"})
    assert result["receiver"] not in ("r1", "r2")
    scenario = Simulation.from_scenario("sandbox", 1)  # scenario receivers have fixed ids
    for rid in list(scenario.receivers):
        scenario.apply({"action": "remove_receiver", "receiver": rid})
    added = scenario.apply({"action": "add_receiver"})["receiver"]
    assert added not in ("r1", "r2")


def test_a_removed_receivers_death_detection_does_not_fire_on_a_new_receiver():
    """Detection follows the heartbeat of the connection that died (rabbitmq.com/docs/
    heartbeats): a new receiver killed at t is noticed at t + the detection delay."""
    sim = two_receivers()
    publish(sim, 2)
    sim.apply({"action": "kill_receiver", "receiver": "r2"})  # detection due at 3.0
    sim.advance(1.0)
    sim.apply({"action": "remove_receiver", "receiver": "r2"})
    new = sim.apply({"action": "add_receiver", "mean_time": 50.0})["receiver"]
    publish(sim, 1)
    assert sim.receivers[new].held
    sim.apply({"action": "kill_receiver", "receiver": new})  # at 1.0: noticed at 4.0
    sim.advance(10.0)
    (detected,) = events(sim, "death_detected", receiver=new)
    assert detected["time"] == 4.0
    ok(sim)


def test_a_restart_left_over_from_a_removed_crashed_receiver_does_not_revive_a_new_one():
    """A crashed receiver restarts itself (limits.RESTART_DELAY); that restart belongs to it."""
    sim = two_receivers(mean_time=1.0, crash_rate=1.0)
    publish(sim, 2)
    sim.advance(1.0)  # r2 crashes after its work: its restart is due at 3.0
    assert not sim.receivers["r2"].alive
    sim.apply({"action": "remove_receiver", "receiver": "r2"})
    new = sim.apply({"action": "add_receiver"})["receiver"]
    sim.apply({"action": "kill_receiver", "receiver": new})
    sim.advance(5.0)
    assert not sim.receivers[new].alive, "killed by the learner: it stays dead"
    assert not events(sim, "receiver_revived", receiver=new)
    ok(sim)


# ---------------------------------------------------------------- acks


def test_an_auto_ack_consumer_is_not_held_to_prefetch_and_a_kill_loses_all_it_was_sent():
    """RabbitMQ: the prefetch limit applies to manual acknowledgements only; with automatic
    acknowledgement the broker pushes as fast as the consumer takes them and forgets each on
    sending, so a closed connection loses them all (rabbitmq.com/docs/confirms, "Channel
    Prefetch Setting (QoS)" and "Acknowledgement Modes")."""
    sim = bare()
    sim.add_receiver("q", "r1", mean_time=50.0, timing="fixed", prefetch=2, ack_mode="auto")
    ids = publish(sim, 10)
    assert len(sim.receivers["r1"].held) == 10 and not sim.queues["q"].ready
    ok(sim)
    sim.apply({"action": "kill_receiver", "receiver": "r1"})
    assert [sim.messages[i].state for i in ids] == ["lost"] * 10
    assert sim.counters["lost"] == 10
    ok(sim)


def test_a_dead_receiver_cannot_settle():
    """Only the holder settles (invariant 3); a delivery tag belongs to its channel, and a
    dead receiver's channel is gone (AMQP 0-9-1: tags are channel-scoped)."""
    sim = bare(detection_delay=3.0)
    sim.add_receiver("q", "r1", mean_time=50.0, timing="fixed")
    (mid,) = publish(sim)
    sim.apply({"action": "kill_receiver", "receiver": "r1"})
    assert sim.settle("r1", mid) is False
    assert sim.messages[mid].state == "in_flight"
    assert sim.counters["acked"] == 0 and sim.counters["ack_rejected"] == 1
    sim.advance(5.0)
    assert sim.messages[mid].state == "ready"
    ok(sim)


def test_manual_acks_are_in_the_command_log_so_a_replay_gives_the_same_run():
    """Replay from seed + command log reproduces the run (engine README, determinism)."""
    sim = Simulation.from_scenario("sandbox", 4, event_log_limit=None)
    sim.apply({"action": "set_receiver", "receiver": "r1", "mean_time": 50.0})
    sim.apply({"action": "burst", "n": 4})
    sim.advance(0.5)
    held = next(iter(sim.receivers["r1"].held.values()))
    assert sim.settle("r1", held, ack=False) is True
    sim.advance(0.5)
    assert sim.settle("r2", held) is False  # rejected settles change counters: logged too
    sim.advance(3.0)
    assert [c["action"] for _t, c in sim.command_log].count("settle") == 2
    again = Simulation.replay("sandbox", 4, sim.command_log, until=sim.now, event_log_limit=None)
    assert again.events_since(0) == sim.events_since(0)
    assert again.to_dict() == sim.to_dict()


# ---------------------------------------------------------------- dead letters


def test_sqs_moves_a_message_to_the_dlq_only_when_a_receive_would_exceed_max_receive_count():
    """SQS: "when the ReceiveCount for a message exceeds the maxReceiveCount for a queue,
    Amazon SQS moves the message to a dead-letter queue"; the count rises on a receive, so the
    move happens at the next receive, never while the message is still invisible (SQS
    developer guide, "Using dead-letter queues")."""
    sim = bare("sqs-standard", delivery_limit=2, visibility_timeout=5.0)
    sim.add_receiver("q", "r1", mean_time=0.5, timing="fixed", failure_rate=1.0)
    (mid,) = publish(sim)
    sim.advance(7.0)  # received twice (0 s, 5 s), failed twice, invisible until 10 s
    m = sim.messages[mid]
    assert m.total_deliveries == 2
    assert m.state != "dead_lettered", "still invisible: SQS has not moved it yet"
    sim.apply({"action": "remove_receiver", "receiver": "r1"})
    sim.advance(20.0)
    assert m.state == "ready", "visible again, and no receive has pushed its count past 2"
    sim.apply({"action": "add_receiver"})
    assert m.state == "dead_lettered" and m.reason == "delivery limit"
    assert events(sim, "dead_lettered", mid)[-1]["time"] == sim.now
    ok(sim)


def test_a_message_returning_into_a_full_drop_head_queue_has_a_story_that_ends_where_it_is():
    """RabbitMQ max-length drop-head drops (or dead-letters) from the head (rabbitmq.com/docs/
    maxlength); the life story and the event stream must say where the message really is."""
    sim = bare(detection_delay=1.0, max_length=1, overflow="drop-head")
    sim.add_receiver("q", "r1", mean_time=50.0, timing="fixed")
    a, b = publish(sim, 2)
    assert sim.messages[a].holder == "r1" and list(sim.queues["q"].ready) == [b]
    sim.apply({"action": "kill_receiver", "receiver": "r1"})
    sim.advance(2.0)  # a returns ahead of b: the queue is over its length, the head goes
    m = sim.messages[a]
    assert m.state == "dead_lettered" and m.reason == "max length"
    story = sim.story(a)
    assert story["events"][-1]["kind"] == "dead_lettered"
    assert story["message"]["state"] == "dead_lettered"
    ok(sim)


@pytest.mark.parametrize(("profile", "knobs"), [
    ("teaching", {"detection_delay": 1.0, "retry_base": 0.1}),
    ("sqs-standard", {"visibility_timeout": 2.0}),
])  # fmt: skip
def test_a_duplicate_effect_is_counted_by_business_key_even_when_a_redrive_gives_a_new_id(
    profile, knobs
):
    """At-least-once delivery repeats the business effect (invariant 13); an SQS redrive makes
    a new message id (SQS developer guide, "dead-letter queue redrive"), but it carries the
    same order, so processing it again is the same effect again."""
    sim = bare(profile, delivery_limit=3, **knobs)
    sim.add_receiver("q", "r1", mean_time=1.0, timing="fixed", crash_rate=1.0)
    sim.add_receiver("q", "r2", mean_time=1.0, timing="fixed", failure_rate=1.0)
    (mid,) = publish(sim)
    sim.advance(1.0)  # r1 did the work, then crashed before the ack
    sim.apply({"action": "remove_receiver", "receiver": "r1"})
    sim.advance(60.0)  # r2 fails it until it is dead-lettered
    assert sim.messages[mid].state == "dead_lettered"
    assert sim.counters["duplicates"] == 0
    sim.apply({"action": "set_receiver", "receiver": "r2", "failure_rate": 0.0})
    sim.apply({"action": "redrive", "all": True})
    sim.advance(10.0)
    assert sim.counters["acked"] == 1
    assert sim.counters["duplicates"] == 1
    (dup,) = events(sim, "duplicate_effect")
    if profile == "sqs-standard":
        assert dup["message"] != mid and f"message {mid}" in dup["reason"]
    ok(sim)


# ---------------------------------------------------------------- time


def test_the_time_a_goal_is_met_does_not_depend_on_how_time_is_chopped():
    """Same seed + same commands give the same run, however time is chopped (engine README)."""

    def run(chunks):
        sim = Simulation.from_scenario("slow-receiver", 2, event_log_limit=None)
        sim.goal = {"description": "five done", "min_acked": 5}
        sim.apply({"action": "burst", "n": 10})
        for _ in range(chunks):
            sim.advance(40.0 / chunks)
        return sim.goal_met_at

    once = run(1)
    assert once is not None
    assert run(40) == once == run(7) == run(400)


# ---------------------------------------------------------------- profile names


def test_the_quorum_profile_names_x_delivery_limit_as_rabbitmq_counts_it():
    """RabbitMQ 4.x quorum queues: x-delivery-limit defaults to 20 and counts redeliveries, so
    a message is delivered at most 21 times before it is dead-lettered (rabbitmq.com/docs/
    quorum-queues, "Poison Message Handling"); 4.0-4.2 count a nack with requeue."""
    p = PROFILES["rabbitmq-quorum"]
    assert "4." in p.label
    sim = bare("rabbitmq-quorum")
    knob = next(k for k in sim.view()["knob_fields"] if k["name"] == "delivery_limit")
    assert knob["label"] == "x-delivery-limit" and knob["value"] == 20
    assert "redeliver" in knob["help"]
    sim.add_receiver("q", "r1", mean_time=0.1, timing="fixed", failure_rate=1.0)
    (mid,) = publish(sim)
    sim.advance(10.0)
    assert len(events(sim, "delivered", mid)) == 21
    assert sim.messages[mid].state == "dead_lettered"


def test_the_quorum_profile_gives_unlimited_prefetch_unless_basic_qos_is_set():
    """A consumer that never sends basic.qos has no prefetch limit (rabbitmq.com/docs/
    consumer-prefetch)."""
    sim = bare("rabbitmq-quorum")
    rid = sim.apply({"action": "add_receiver"})["receiver"]
    assert sim.receivers[rid].prefetch == 0
    (field,) = [f for f in sim.view()["receiver_fields"] if f["name"] == "prefetch"]
    assert "basic.qos" in field["label"] + field["help"]


def test_a_quorum_queue_without_a_dead_letter_exchange_drops_at_the_limit_and_says_so():
    """Without a dead-letter exchange a message over the delivery limit is dropped
    (rabbitmq.com/docs/quorum-queues, "Poison Message Handling"; dlx)."""
    sim = bare("rabbitmq-quorum", delivery_limit=1)
    (dlq,) = [k for k in sim.view()["knob_fields"] if k["name"] == "dlq_enabled"]
    assert "dead-letter exchange" in dlq["label"].lower()
    assert {c["label"] for c in dlq["choices"]} >= {"set", "not set"}
    sim.apply({"action": "set_retry_policy", "dead_letter_queue": False})
    sim.add_receiver("q", "r1", mean_time=0.1, timing="fixed", failure_rate=1.0)
    (mid,) = publish(sim)
    sim.advance(5.0)
    m = sim.messages[mid]
    assert m.state == "dropped" and "no dead-letter" in m.reason


# ---------------------------------------------------------------- a dead receiver, two ways


@pytest.mark.parametrize(
    ("how", "blocked", "outcome"),
    [
        # A crashed process on a live host: the host refuses the connection straight away.
        ("remove_receiver", 0.0, "error"),
        # A hung process or an unreachable host: nothing answers until the caller's timeout.
        ("kill_receiver", 2.0, "timeout"),
    ],
)
def test_a_dead_receiver_fails_a_sync_call_at_once_when_refused_and_after_the_timeout_when_silent(
    how, blocked, outcome
):
    """Issue 11, item 6. A connection to a port nobody listens on is answered with a reset at once
    (RFC 9293, "Reset Generation": the caller sees ECONNREFUSED); a process that hangs, or a host
    that is gone, answers nothing, so the caller learns only when its own timeout runs out. Step 2,
    its experiment and the sync-blocks scenario teach both; the playground must do both."""
    sim = Simulation.from_scenario("sync-blocks", seed=1, event_log_limit=None)
    sim.apply({"action": "set_sync", "rate": 0, "timeout": 2})
    sim.apply({"action": how, "receiver": "r1"})
    sim.apply({"action": "call"})
    sim.advance(5.0)
    assert sim.sync.counts[outcome] == 1 and sim.sync.counts["ok"] == 0
    assert sim.sync.blocked_time == pytest.approx(blocked)
    assert [e["kind"] for e in events(sim) if e["kind"].startswith("call_")] == [
        "call_started",
        f"call_{outcome}",
    ]
    ok(sim)

"""One test per truthfulness case of the broker-semantics note (plus invariants 3, 4, 13)."""

import pytest

from playground.engine import Simulation, check_invariants


def bare(profile="teaching", seed=1, **knobs):
    sim = Simulation(seed, profile=profile, event_log_limit=None)
    sim.set_knobs(knobs)
    sim.add_queue("q")
    return sim


def events(sim, kind=None, message=None):
    return [
        e
        for e in sim.events_since(0)
        if (kind is None or e["kind"] == kind) and (message is None or e["message"] == message)
    ]


def publish(sim, n=1, **kw):
    ids = []
    for _ in range(n):
        ids += sim.apply({"action": "publish", **kw})["messages"]
    return ids


def ok(sim):
    assert check_invariants(sim) == []


def test_killed_receivers_message_returns_and_is_redelivered_to_the_survivor():
    sim = bare(detection_delay=3.0)
    sim.add_receiver("q", "r1", mean_time=10.0, timing="fixed")
    sim.add_receiver("q", "r2", mean_time=1.0, timing="fixed")
    (mid,) = publish(sim)
    assert sim.messages[mid].holder == "r1"
    sim.advance(0.5)
    sim.apply({"action": "kill_receiver", "receiver": "r1"})
    sim.advance(2.9)
    assert sim.messages[mid].holder == "r1"  # not noticed yet
    ok(sim)
    sim.advance(5.0)
    deliveries = events(sim, "delivered", mid)
    assert [(e["receiver"], e["reason"]) for e in deliveries] == [
        ("r1", "first delivery"),
        ("r2", "redelivered"),
    ]
    assert sim.messages[mid].state == "acked"
    assert sim.counters["lost"] == 0
    ok(sim)


def test_auto_ack_receiver_killed_holding_five_messages_loses_those_five():
    sim = bare()
    sim.add_receiver("q", "r1", mean_time=100.0, timing="fixed", prefetch=0, ack_mode="auto")
    ids = publish(sim, 5)
    assert len(sim.receivers["r1"].held) == 5
    sim.apply({"action": "kill_receiver", "receiver": "r1"})
    assert [sim.messages[i].state for i in ids] == ["lost"] * 5
    assert sim.counters["lost"] == 5
    assert all("auto-ack" in sim.messages[i].reason for i in ids)
    sim.apply({"action": "revive_receiver", "receiver": "r1"})
    sim.advance(500)
    assert sim.counters["acked"] == 0  # nothing comes back
    ok(sim)


def test_sqs_processing_longer_than_visibility_timeout_gives_a_second_receive_and_a_duplicate():
    sim = bare("sqs-standard", visibility_timeout=5.0)
    sim.add_receiver("q", "r1", mean_time=8.0, timing="fixed")
    sim.add_receiver("q", "r2", mean_time=1.0, timing="fixed")
    (mid,) = publish(sim)
    sim.advance(20)
    deliveries = events(sim, "delivered", mid)
    assert [(e["receiver"], e["time"]) for e in deliveries] == [("r1", 0.0), ("r2", 5.0)]
    assert sim.messages[mid].effects == 2
    assert sim.counters["duplicates"] == 1
    assert sim.counters["ack_rejected"] == 1  # r1's late delete uses a stale receipt
    assert sim.messages[mid].state == "acked"
    ok(sim)


@pytest.mark.parametrize(
    ("profile", "deliveries"), [("teaching", 3), ("rabbitmq-quorum", 4), ("sqs-standard", 3)]
)
def test_always_failing_receiver_gets_exactly_the_limit_then_the_message_is_dead_lettered(
    profile, deliveries
):
    """SQS maxReceiveCount 3 allows 3 receives; RabbitMQ's x-delivery-limit 3 allows 3
    redeliveries, so 4 deliveries (rabbitmq.com/docs/quorum-queues, poison message handling)."""
    sim = bare(profile, delivery_limit=3, visibility_timeout=2.0)
    sim.add_receiver("q", "r1", mean_time=0.5, timing="fixed", failure_rate=1.0)
    (mid,) = publish(sim)
    sim.advance(200)
    assert len(events(sim, "delivered", mid)) == deliveries
    m = sim.messages[mid]
    assert m.state == "dead_lettered"
    assert m.reason == "delivery limit"
    assert m.deliveries == deliveries
    assert list(sim.queues["q"].dlq) == [mid]
    (dl,) = events(sim, "dead_lettered", mid)
    assert dl["attempt"] == deliveries and dl["reason"] == "delivery limit"
    assert all(e["time"] <= dl["time"] for e in events(sim, "delivered", mid))
    ok(sim)


def test_nack_with_requeue_and_no_backoff_redelivers_immediately_in_a_loop():
    sim = bare("rabbitmq-quorum", delivery_limit=0)
    sim.add_receiver("q", "r1", mean_time=0.1, timing="fixed", failure_rate=1.0)
    (mid,) = publish(sim)
    sim.advance(1.05)
    fails = events(sim, "failed", mid)
    deliveries = events(sim, "delivered", mid)
    assert len(deliveries) >= 10
    for failed, again in zip(fails, deliveries[1:], strict=False):
        assert again["time"] == failed["time"]  # straight back, no delay
        assert again["reason"] == "redelivered"
    ok(sim)


def test_prefetch_two_receiver_holds_two_and_the_third_arrives_only_after_an_ack():
    sim = bare()
    sim.add_receiver("q", "r1", mean_time=5.0, timing="fixed", prefetch=2)
    ids = publish(sim, 10)
    r = sim.receivers["r1"]
    assert sorted(r.held.values()) == ids[:2]
    assert len(sim.queues["q"].ready) == 8
    sim.advance(4.9)
    assert len(r.held) == 2 and not events(sim, "delivered", ids[2])
    sim.advance(0.2)
    (third,) = events(sim, "delivered", ids[2])
    (first_ack,) = events(sim, "acked", ids[0])
    assert third["time"] == first_ack["time"] == 5.0
    assert third["seq"] > first_ack["seq"]
    ok(sim)


def test_two_receivers_without_prefetch_get_every_other_message_regardless_of_speed():
    sim = bare()
    sim.add_receiver("q", "fast", mean_time=0.1, timing="fixed", prefetch=0)
    sim.add_receiver("q", "slow", mean_time=5.0, timing="fixed", prefetch=0)
    ids = publish(sim, 10)
    sim.advance(100)
    got = {e["message"]: e["receiver"] for e in events(sim, "delivered")}
    assert [got[i] for i in ids] == ["fast", "slow"] * 5
    ok(sim)


@pytest.mark.parametrize("dlq", [True, False])
def test_max_length_drop_head_drops_the_oldest_with_reason_max_length(dlq):
    sim = bare(max_length=2, overflow="drop-head", dlq_enabled=dlq)
    a, b, c = publish(sim, 3)
    assert list(sim.queues["q"].ready) == [b, c]
    m = sim.messages[a]
    if dlq:
        assert m.state == "dead_lettered" and m.reason == "max length"
    else:
        assert m.state == "dropped" and "max length" in m.reason
    ok(sim)


def test_max_length_reject_publish_refuses_the_new_message_and_tells_the_sender():
    sim = bare(max_length=2, overflow="reject-publish")
    publish(sim, 2)
    result = sim.apply({"action": "publish", "text": "C"})
    (c,) = result["messages"]
    assert result["refused"] == [c]
    assert "max length" in result["message"]
    assert sim.messages[c].state == "refused"
    assert len(sim.queues["q"].ready) == 2
    ok(sim)


def test_max_length_counts_ready_messages_only_not_unacked_ones():
    sim = bare(max_length=2, overflow="reject-publish")
    sim.add_receiver("q", "r1", mean_time=100.0, timing="fixed", prefetch=2)
    publish(sim, 2)
    assert len(sim.receivers["r1"].held) == 2
    more = publish(sim, 2)
    assert [sim.messages[i].state for i in more] == ["ready", "ready"]
    assert sim.apply({"action": "publish"}).get("refused")
    ok(sim)


def test_one_receiver_without_requeue_processes_in_publish_order():
    sim = bare()
    sim.add_receiver("q", "r1", mean_time=0.3)
    ids = publish(sim, 20)
    sim.advance(100)
    assert [e["message"] for e in events(sim, "acked")] == ids
    assert sim.counters["out_of_order"] == 0


def test_three_receivers_of_varied_speed_complete_out_of_order_and_the_view_flags_it():
    sim = Simulation.from_scenario("ordering", seed=3, event_log_limit=None)
    sim.advance(60)
    acked = list(events(sim, "acked"))
    seqs = [sim.messages[e["message"]].seq for e in acked if e["message"] in sim.messages]
    assert seqs != sorted(seqs)
    flagged = [e for e in acked if e["reason"] == "out of order"]
    assert len(flagged) == sim.counters["out_of_order"] > 0
    assert sim.view()["counters"]["out_of_order"] == len(flagged)
    ok(sim)


def test_fan_out_killed_subscribers_copies_wait_in_its_queue_and_the_others_carry_on():
    sim = Simulation.from_scenario("fan-out", seed=1, event_log_limit=None)
    sim.apply({"action": "set_rate", "rate": 0})
    sim.apply({"action": "kill_receiver", "receiver": "billing"})
    for _ in range(3):
        sim.apply({"action": "publish"})
    sim.advance(30)
    done = dict.fromkeys(sim.queues, 0)
    for e in events(sim, "acked"):
        done[sim.messages[e["message"]].queue] += 1
    assert done["email"] == 3 and done["shipping"] == 3 and done["billing"] == 0
    assert len(sim.queues["billing"].ready) == 3
    sim.apply({"action": "revive_receiver", "receiver": "billing"})
    sim.advance(30)
    assert len(sim.queues["billing"].ready) == 0
    ok(sim)


def test_publish_with_no_subscriber_is_dropped_as_unroutable_and_says_so():
    sim = Simulation.from_scenario("fan-out", seed=1)
    sim.apply({"action": "set_rate", "rate": 0})
    for q in ("email", "billing", "shipping"):
        sim.apply({"action": "unbind_queue", "queue": q})
    result = sim.apply({"action": "publish"})
    (mid,) = result["unroutable"]
    assert "unroutable" in result["message"]
    assert sim.messages[mid].state == "dropped" and "unroutable" in sim.messages[mid].reason
    assert sim.counters["unroutable"] == 1
    ok(sim)


def test_redrive_with_sqs_profile_makes_a_new_message_id_with_count_reset():
    sim = bare("sqs-standard", delivery_limit=2, visibility_timeout=1.0)
    sim.add_receiver("q", "r1", mean_time=0.5, timing="fixed", failure_rate=1.0)
    (mid,) = publish(sim)
    sim.advance(20)
    assert sim.messages[mid].state == "dead_lettered"
    sim.apply({"action": "set_receiver", "receiver": "r1", "failure_rate": 0.0})
    result = sim.apply({"action": "redrive", "message_id": mid})
    (new,) = result["new_ids"]
    assert new != mid and "new message" in result["message"]
    assert sim.messages[new].redriven_from == mid
    (first,) = events(sim, "delivered", new)
    assert (first["attempt"], first["reason"]) == (1, "first delivery")  # count reset
    assert sim.messages[mid].state == "dropped" and str(new) in sim.messages[mid].reason
    sim.advance(5)
    assert sim.messages[new].state == "acked"
    ok(sim)


def test_redrive_with_teaching_profile_keeps_the_id_and_resets_the_count():
    sim = bare(delivery_limit=2, retry_base=0.1)
    sim.add_receiver("q", "r1", mean_time=0.5, timing="fixed", failure_rate=1.0)
    (mid,) = publish(sim)
    sim.advance(20)
    assert sim.messages[mid].state == "dead_lettered"
    sim.apply({"action": "set_receiver", "receiver": "r1", "failure_rate": 0.0})
    result = sim.apply({"action": "redrive", "all": True})
    assert result["new_ids"] == [mid] and "same id" in result["message"]
    m = sim.messages[mid]
    assert m.redrives == 1
    again = events(sim, "delivered", mid)[-1]
    assert (again["attempt"], again["reason"]) == (1, "redelivered")  # count reset, flag honest
    assert m.total_deliveries == 3
    sim.advance(5)
    assert m.state == "acked"
    ok(sim)


def test_sync_lane_with_dead_receiver_times_out_while_async_publishes_succeed_then_backlog_drains():
    sim = Simulation.from_scenario("async-moves-on", seed=5, event_log_limit=None)
    sim.advance(5)
    sim.apply({"action": "kill_receiver", "receiver": "r1"})
    sync_before = dict(sim.sync.counts)
    blocked_before = sim.sync.blocked_time
    acked_before = sim.counters["acked"]
    sim.advance(20)
    counts = sim.sync.counts
    timeouts = counts["timeout"] - sync_before["timeout"]
    assert timeouts >= 5
    assert counts["ok"] == sync_before["ok"]  # no call succeeds while it is dead
    assert sim.sync.blocked_time - blocked_before >= timeouts * sim.sync.timeout - 1e-9
    assert sim.counters["refused"] == 0  # every publish was accepted
    assert sim.counters["acked"] == acked_before
    assert len(sim.queues["orders"].ready) >= 15  # the queue grows
    sim.apply({"action": "revive_receiver", "receiver": "r1"})
    sim.apply({"action": "set_rate", "rate": 0})
    sim.advance(60)
    assert len(sim.queues["orders"].ready) == 0
    assert sim.counters["acked"] == sim.counters["accepted"]
    assert sim.counters["lost"] == 0
    ok(sim)


def test_slow_sync_receiver_makes_the_caller_wait_for_its_processing():
    sim = Simulation.from_scenario("sync-blocks", seed=1)
    sim.advance(10.5)
    assert sim.sync.counts["ok"] >= 9
    waits = [c[2] for c in sim.sync.recent]
    assert all(w == pytest.approx(0.5) for w in waits)  # the wait includes the processing
    sim.apply({"action": "set_receiver", "receiver": "r1", "mean_time": 3.0})
    sim.advance(10)
    assert sim.sync.counts["timeout"] >= 3


def test_crash_after_work_before_ack_gives_a_duplicate_and_idempotent_receiver_applies_once():
    for idempotent, duplicates, skipped, effects in [(False, 1, 0, 2), (True, 0, 1, 1)]:
        sim = bare(detection_delay=1.0)
        sim.add_receiver(
            "q", "r1", mean_time=1.0, timing="fixed", crash_rate=1.0, idempotent=idempotent
        )
        sim.add_receiver("q", "r2", mean_time=1.0, timing="fixed", idempotent=idempotent)
        (mid,) = publish(sim)
        sim.advance(10)
        m = sim.messages[mid]
        assert m.state == "acked"
        assert m.total_deliveries == 2
        assert sim.counters["duplicates"] == duplicates
        assert sim.counters["duplicates_skipped"] == skipped
        assert m.effects == effects
        ok(sim)


def test_only_the_holder_settles_and_a_second_ack_is_rejected():
    sim = bare()
    sim.add_receiver("q", "r1", mean_time=50.0, timing="fixed")
    sim.add_receiver("q", "r2", mean_time=50.0, timing="fixed")
    (mid,) = publish(sim)
    assert sim.messages[mid].holder == "r1"
    assert sim.settle("r2", mid) is False  # not the holder
    assert sim.messages[mid].state == "in_flight"
    assert sim.settle("r1", mid) is True
    before = {i: m.state for i, m in sim.messages.items()}
    assert sim.settle("r1", mid) is False  # second ack
    assert {i: m.state for i, m in sim.messages.items()} == before
    assert sim.counters["ack_rejected"] == 2
    assert sim.counters["acked"] == 1
    ok(sim)


def test_delayed_retry_is_never_delivered_before_its_ready_at():
    sim = bare(retry="fixed", retry_base=4.0)
    sim.add_receiver("q", "r1", mean_time=0.5, timing="fixed", failure_rate=1.0)
    (mid,) = publish(sim)
    sim.advance(0.5)
    assert sim.messages[mid].state == "delayed"
    assert sim.messages[mid].ready_at == 4.5
    sim.advance(3.99)
    assert sim.messages[mid].state == "delayed"
    sim.advance(0.01)
    assert events(sim, "delivered", mid)[-1]["time"] == 4.5

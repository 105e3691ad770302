"""Backpressure under overload: unbounded growth, reject-publish with a sender that backs off,
drop-head load shedding, side by side; and the live readouts (rates, oldest age, Little's law)
checked against what the simulation then does.

Sources: RabbitMQ "Queue Length Limit" (rabbitmq.com/docs/maxlength): x-max-length counts
ready messages; overflow drop-head (the default) drops or dead-letters the oldest,
reject-publish discards the newest and, with publisher confirms, tells the publisher with a
basic.nack; a message routed to several queues and rejected by one is nacked and still
enqueued in the others. "Exponential Backoff And Jitter" (AWS Architecture Blog, 2015): full
jitter waits random(0, min(cap, base * 2 ** attempt)). Little's law L = lambda * W (Little,
Operations Research 9(3), 1961).
"""

import json

import pytest

from playground.engine import Simulation, check_invariants
from playground.engine.load import queue_load


def ok(sim):
    assert check_invariants(sim) == []


def events(sim, kind, message=None):
    return [
        e for e in sim.events_since(0)
        if e["kind"] == kind and (message is None or e["message"] == message)
    ]  # fmt: skip


def lanes(rate=3.0, retries=3, seed=1):
    """The backpressure scenario, deterministic: fixed 0.5 s work, ``rate`` per second."""
    sim = Simulation.from_scenario("backpressure", seed, event_log_limit=None)
    sim.apply({"action": "set_rate", "rate": rate})
    sim.apply({"action": "set_publisher", "retries": retries})
    return sim


def load(sim, name):
    return queue_load(sim, sim.queues[name])


def test_reject_publish_refuses_the_new_copy_and_tells_the_sender_while_drop_head_does_not():
    """maxlength: reject-publish discards the most recent message and nacks the publisher
    (confirms on); drop-head drops the oldest and the publisher is not told."""
    sim = Simulation(1, event_log_limit=None)
    sim.add_queue("reject")
    sim.add_queue("shed")
    sim.apply({"action": "set_retry_policy", "dead_letter_queue": False})  # no DLX: deleted
    sim.apply({"action": "set_max_length", "queue": "reject", "max_length": 2,
               "overflow": "reject-publish"})  # fmt: skip
    sim.apply({"action": "set_max_length", "queue": "shed", "max_length": 2,
               "overflow": "drop-head"})  # fmt: skip
    results = [sim.apply({"action": "publish", "text": t}) for t in "ABC"]
    assert "refused" not in results[0] and "refused" not in results[1]
    told = results[2]
    assert len(told["refused"]) == 1 and "reject-publish" in told["message"]
    refused = sim.messages[told["refused"][0]]
    assert (refused.queue, refused.text, refused.state) == ("reject", "C", "refused")
    # RabbitMQ: a message routed to several queues and rejected by one is still enqueued in
    # the others. The drop-head queue took C and silently pushed A out.
    shed = sim.queues["shed"]
    assert [sim.messages[i].text for i in shed.ready] == ["B", "C"]
    (gone,) = events(sim, "dropped")
    assert sim.messages[gone["message"]].text == "A" and "drop-head" in gone["reason"]
    assert [sim.messages[i].text for i in sim.queues["reject"].ready] == ["A", "B"]
    ok(sim)


def test_a_sender_that_backs_off_retries_with_full_jitter_then_gives_up_and_never_duplicates():
    """The refused copy is retried alone (to its queue), after random(0, base * 2**attempt)."""
    sim = Simulation(3, event_log_limit=None)
    sim.add_queue("full")
    sim.add_queue("other")
    sim.apply({"action": "set_max_length", "queue": "full", "max_length": 1,
               "overflow": "reject-publish"})  # fmt: skip
    sim.apply({"action": "set_publisher", "retries": 3, "backoff": 2.0})
    sim.apply({"action": "publish", "text": "first"})
    sim.apply({"action": "publish", "text": "second"})  # refused by "full", taken by "other"
    assert sim.view()["sender"]["retrying"] == 1
    sim.advance(200)  # nobody consumes "full": every retry is refused
    tries = [e for e in sim.events_since(0) if e["kind"] == "refused"]
    assert [e["attempt"] for e in tries] == [0, 1, 2, 3]
    backoffs = events(sim, "publish_backoff")
    gaps = [b["time"] - a["time"] for a, b in zip(tries, tries[1:], strict=False)]
    for attempt, gap in enumerate(gaps):
        assert 0 <= gap <= 2.0 * 2**attempt  # full jitter: random(0, base * 2**attempt)
    assert [e["attempt"] for e in backoffs] == [0, 1, 2]
    (gave_up,) = events(sim, "publish_gave_up")
    assert gave_up["message"] == tries[-1]["message"] and "4 tries" in gave_up["reason"]
    assert sim.counters["publish_retries"] == 3 and sim.counters["publish_gave_up"] == 1
    assert sim.view()["sender"]["retrying"] == 0
    # The queue that accepted "second" never got a second copy of it.
    assert [sim.messages[i].text for i in sim.queues["other"].ready] == ["first", "second"]
    ok(sim)


def test_a_retry_that_finds_room_is_accepted_and_processed():
    sim = Simulation(4, event_log_limit=None)
    sim.add_queue("q")
    sim.add_receiver("q", "r1", mean_time=1.0, timing="fixed")
    sim.apply({"action": "set_max_length", "max_length": 1, "overflow": "reject-publish"})
    sim.apply({"action": "set_publisher", "retries": 5, "backoff": 1.0})
    for text in "ABC":  # A in flight, B ready (the limit), C refused
        sim.apply({"action": "publish", "text": text})
    sim.advance(30)
    done = [sim.messages[e["message"]].text for e in events(sim, "acked")]
    assert sorted(done) == ["A", "B", "C"] and sim.counters["publish_gave_up"] == 0
    ok(sim)


def test_three_policies_side_by_side_under_the_same_overload():
    """3 a second arrive at each queue, 2 a second leave: unbounded grows by 1 a second,
    both bounded queues stay at their limit of 10; only reject-publish tells the sender."""
    sim = lanes(retries=0)
    sim.advance(60)
    ok(sim)
    grow, reject, shed = (sim.queues[n] for n in ("unbounded", "reject-publish", "drop-head"))
    assert 55 <= len(grow.ready) <= 62
    assert len(reject.ready) <= 10 and len(shed.ready) <= 10
    assert grow.refused == grow.shed == 0
    # 180 offered, 120 done, 10 ready and 1 in flight: about 49 turned away each.
    assert reject.refused >= 45 and reject.shed == 0  # the sender was told each time
    assert shed.shed >= 45 and shed.refused == 0  # nobody was told
    for q in (grow, reject, shed):
        assert q.acked in (119, 120)  # the same throughput: 2 a second
    # Without a dead-letter queue drop-head deletes; with one it dead-letters ("max length").
    sim.apply({"action": "set_retry_policy", "dead_letter_queue": True})
    sim.advance(5)
    assert shed.dlq and {sim.messages[i].reason for i in shed.dlq} == {"max length"}
    ok(sim)


def test_unbounded_overload_grows_depth_and_the_oldest_age_without_limit():
    sim = lanes(retries=0)
    ages = []
    for t in (20, 40, 60):
        sim.advance_to(t)
        ages.append(load(sim, "unbounded")["oldest_age"])
    # At 3 in and 2 out a second the head is the message published at t * 2/3: age t/3.
    assert ages == pytest.approx([20 / 3, 40 / 3, 20], abs=0.5)
    readout = load(sim, "unbounded")
    assert readout["arrival_rate"] == pytest.approx(3.0) and readout["throughput"] == 2.0
    assert readout["growth"] == pytest.approx(1.0) and readout["drain_time"] is None


def test_littles_law_predicted_wait_is_the_wait_a_message_arriving_now_gets():
    """W = L / lambda: what is ahead of a new message divided by the rate they leave."""
    sim = lanes(retries=0)
    sim.advance(40)
    predicted = load(sim, "unbounded")["predicted_wait"]
    mid = next(
        m for m in sim.apply({"action": "publish", "text": "probe"})["messages"]
        if sim.messages[m].queue == "unbounded"
    )  # fmt: skip
    sim.advance(60)
    m = sim.messages[mid]
    assert m.state == "acked"
    assert m.finished_at - m.published_at == pytest.approx(predicted, rel=0.05)


def test_littles_law_holds_in_a_steady_state_l_equals_lambda_times_w():
    """1.6 a second arrive, each spends 0.5 s in the system: L = 1.6 * 0.5 = 0.8."""
    sim = lanes(rate=1.6, retries=0)
    sim.advance(300)
    for name in ("unbounded", "reject-publish", "drop-head"):
        r = load(sim, name)
        assert r["sojourn"] == pytest.approx(0.5)
        assert r["little_l"] == pytest.approx(0.8, rel=0.1)
        assert r["average_in_system"] == pytest.approx(r["little_l"], rel=0.15), name


def test_the_predicted_drain_time_is_when_the_backlog_is_gone():
    sim = lanes(retries=0)
    sim.advance(40)
    sim.apply({"action": "set_rate", "rate": 1.0})  # now it shrinks by 1 a second
    sim.advance(11)  # the window sees only the new rate
    r = load(sim, "unbounded")
    predicted_empty = sim.now + r["drain_time"]
    while sim.queues["unbounded"].ready:
        sim.advance(0.5)
    assert sim.now == pytest.approx(predicted_empty, rel=0.05)


def test_a_broker_wide_max_length_replaces_the_queues_own_limits():
    sim = lanes()
    sim.apply({"action": "set_max_length", "max_length": 4, "overflow": "drop-head"})
    assert all(sim._limit(q) == (4, "drop-head") for q in sim.queues.values())
    sim.advance(10)
    assert all(len(q.ready) <= 4 for q in sim.queues.values())
    ok(sim)


def test_the_readouts_do_not_depend_on_how_time_is_chopped():
    one = lanes()
    one.advance(37.3)
    many = lanes()
    for _ in range(373):
        many.advance(0.1)
    for name in one.queues:
        a, b = load(one, name), load(many, name)
        assert a == pytest.approx(b), name


def test_a_run_saved_before_backpressure_existed_loads_with_the_defaults():
    sim = lanes()
    sim.advance(5)
    data = json.loads(sim.to_json())
    for q in data["queues"]:
        for key in ("own", "offered", "accepted", "refused", "shed", "acked",
                    "wait_sum", "shed_sum", "samples"):  # fmt: skip
            del q[key]
    for key in ("publish_retries", "publish_gave_up"):
        del data["counters"][key]
    for key in ("publish_retries", "publish_backoff"):
        del data["knobs"][key]
    del data["publish_waiting"]
    data["heap"] = [e for e in data["heap"] if e[2] != 8]
    old = Simulation.from_dict(data)
    assert old.knobs.publish_retries == 0 and old.counters["publish_gave_up"] == 0
    old.advance(5)
    assert check_invariants(old) == []
    json.dumps(old.to_dict(), allow_nan=False)


def test_a_run_saved_with_the_queues_limits_as_their_own_fields_keeps_them():
    """The first saved form (6555673) kept a queue's limit as ``max_length``/``overflow``."""
    sim = lanes()
    data = json.loads(sim.to_json())
    for q in data["queues"]:
        own = q.pop("own")
        q["max_length"], q["overflow"] = own.get("max_length"), own.get("overflow")
    old = Simulation.from_dict(data)
    assert old._limit(old.queues["reject-publish"]) == (10, "reject-publish")
    assert old._limit(old.queues["unbounded"]) == (0, "drop-head")
    assert old.to_dict() == sim.to_dict()

"""Every kind of bad command is refused with a clear message and changes nothing."""

import json

import pytest

from playground.engine import COMMANDS, CommandError, Simulation, parse_command
from playground.engine import limits as L


def state(sim):
    return json.dumps(sim.to_dict(), sort_keys=True)


@pytest.fixture
def sim():
    s = Simulation.from_scenario("sandbox", seed=1)
    s.apply({"action": "burst", "n": 3})
    s.advance(0.5)
    return s


BAD = [
    ("not a dict", "object"),
    ({}, "action"),
    ({"action": "explode"}, "unknown action"),
    ({"action": "burst"}, "needs 'n'"),
    ({"action": "burst", "n": "5"}, "whole number"),
    ({"action": "burst", "n": 2.5}, "whole number"),
    ({"action": "burst", "n": True}, "whole number"),
    ({"action": "burst", "n": 0}, "between"),
    ({"action": "burst", "n": L.MAX_BURST + 1}, "between"),
    ({"action": "publish", "text": "x" * (L.MAX_TEXT_LENGTH + 1)}, "too long"),
    ({"action": "publish", "text": 5}, "text"),
    ({"action": "publish", "colour": "red"}, "no field"),
    ({"action": "set_rate", "rate": -1}, "at least"),
    ({"action": "set_rate", "rate": L.MAX_RATE + 1}, "at most"),
    ({"action": "set_rate", "rate": float("nan")}, "finite"),
    ({"action": "set_speed", "speed": 5}, "at most"),
    ({"action": "set_speed", "speed": 0.1}, "at least"),
    ({"action": "set_receiver", "receiver": "r1"}, "at least one setting"),
    ({"action": "set_receiver", "receiver": "r1", "failure_rate": 1.5}, "at most"),
    ({"action": "set_receiver", "receiver": "r1", "ack_mode": "sometimes"}, "one of"),
    ({"action": "set_retry_policy", "kind": "forever"}, "one of"),
    ({"action": "set_retry_policy", "delivery_limit": L.MAX_DELIVERY_LIMIT + 1}, "between"),
    ({"action": "set_max_length", "max_length": -1}, "between"),
    ({"action": "set_max_length", "max_length": 5, "overflow": "explode"}, "one of"),
    ({"action": "set_profile", "profile": "kafka"}, "one of"),
    ({"action": "redrive"}, "either"),
    ({"action": "redrive", "message_id": 1, "all": True}, "either"),
    ({"action": "step", "dt": 0}, "more than"),
    ({"action": "set_visibility_timeout", "seconds": 0}, "at least 0.1"),
]


@pytest.mark.parametrize(("data", "words"), BAD)
def test_malformed_command_is_refused_with_a_readable_message_and_changes_nothing(sim, data, words):
    before = state(sim)
    with pytest.raises(CommandError) as err:
        sim.apply(data)
    assert words in str(err.value)
    assert state(sim) == before


REFUSED_HERE = [
    ({"action": "kill_receiver", "receiver": "r9"}, "no receiver 'r9'"),
    ({"action": "set_receiver", "receiver": "nobody", "prefetch": 2}, "no receiver"),
    ({"action": "remove_receiver", "receiver": "r9"}, "no receiver"),
    ({"action": "revive_receiver", "receiver": "r1"}, "already alive"),
    ({"action": "add_receiver", "queue": "nope"}, "no queue"),
    ({"action": "redrive", "message_id": 1}, "not in a dead-letter queue"),
    ({"action": "redrive", "all": True}, "empty"),
    ({"action": "unbind_queue", "queue": "nope"}, "no queue"),
]


@pytest.mark.parametrize(("data", "words"), REFUSED_HERE)
def test_command_that_does_not_fit_the_simulation_is_refused_and_changes_nothing(sim, data, words):
    before = state(sim)
    with pytest.raises(CommandError) as err:
        sim.apply(data)
    assert words in str(err.value)
    assert state(sim) == before


def test_a_call_without_a_sync_lane_is_refused_and_changes_nothing():
    # Every shipped scenario has a sync lane now; a bare simulation has none.
    bare = Simulation(1)
    bare.add_queue("orders")
    before = state(bare)
    with pytest.raises(CommandError, match="no sync lane"):
        bare.apply({"action": "call"})
    assert state(bare) == before


def test_killing_a_dead_receiver_is_refused(sim):
    sim.apply({"action": "kill_receiver", "receiver": "r1"})
    before = state(sim)
    with pytest.raises(CommandError, match="already dead"):
        sim.apply({"action": "kill_receiver", "receiver": "r1"})
    assert state(sim) == before


def test_more_receivers_than_the_cap_is_refused(sim):
    while len(sim.receivers) < L.MAX_RECEIVERS:
        sim.apply({"action": "add_receiver"})
    before = state(sim)
    with pytest.raises(CommandError, match=f"at most {L.MAX_RECEIVERS} receivers"):
        sim.apply({"action": "add_receiver"})
    assert state(sim) == before


def test_more_publishes_per_simulated_second_than_the_cap_is_refused(sim):
    sim.apply({"action": "burst", "n": L.MAX_PUBLISHES_PER_SECOND - 3})
    before = state(sim)
    with pytest.raises(CommandError, match="per simulated second"):
        sim.apply({"action": "publish"})
    assert state(sim) == before
    sim.advance(1.0)
    sim.apply({"action": "publish"})  # a new second


def test_a_full_system_refuses_more_messages(sim):
    sim.apply({"action": "kill_receiver", "receiver": "r1"})
    sim.apply({"action": "kill_receiver", "receiver": "r2"})
    sim.advance(1.0)
    while sim.in_system() + L.MAX_BURST <= L.MAX_MESSAGES_IN_SYSTEM:
        sim.apply({"action": "burst", "n": L.MAX_BURST})
        sim.advance(1.0)
    before = state(sim)
    with pytest.raises(CommandError, match="full"):
        sim.apply({"action": "burst", "n": L.MAX_BURST})
    assert state(sim) == before


def test_every_command_round_trips_through_plain_data():
    examples = {
        "publish": {"text": "hi", "poison": True, "ttl": 3.0, "delay": 1.0},
        "burst": {"n": 3},
        "set_rate": {"rate": 2.5},
        "set_sync": {"rate": 1.0, "timeout": 2.0},
        "add_receiver": {"mean_time": 2.0, "prefetch": 0},
        "kill_receiver": {"receiver": "r1"},
        "revive_receiver": {"receiver": "r1"},
        "remove_receiver": {"receiver": "r1"},
        "set_receiver": {"receiver": "r1", "idempotent": True},
        "set_retry_policy": {"kind": "fixed", "base_delay": 1.0},
        "set_visibility_timeout": {"seconds": 10.0, "enabled": True},
        "set_detection_delay": {"seconds": 1.0},
        "set_max_length": {"max_length": 5, "overflow": "reject-publish"},
        "set_publisher": {"retries": 3, "backoff": 0.5},
        "set_expiry": {"message_ttl": 5.0, "retention_period": 60.0, "delivery_delay": 1.0},
        "set_queue": {"queue": "orders", "message_ttl": 2.0, "dlq_enabled": False},
        "set_profile": {"profile": "sqs-standard"},
        "redrive": {"all": True},
        "settle": {"receiver": "r1", "message": 1, "ack": False},
        "set_speed": {"speed": 2.0},
        "step": {"dt": 1.0},
        "bind_queue": {"queue": "orders"},
        "unbind_queue": {"queue": "orders"},
    }
    for action in COMMANDS:
        cmd = parse_command({"action": action, **examples.get(action, {})})
        assert parse_command(cmd.to_dict()) == cmd

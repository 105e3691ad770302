"""Every accepted command leaves a state that serializes to strict JSON (no inf, no NaN).

Issue 9: ``{"action": "set_rate", "rate": "1e-320"}`` passed validation, 1/rate became
infinity, and every later save of the run failed. Numbers that would make the engine's state
non-finite are refused at validation with a readable message; a property test sends random
commands from the whole command set, extreme values included, and checks every state.
"""

import json
import math
from contextlib import suppress

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from playground.engine import COMMANDS, CommandError, Simulation, check_invariants
from playground.engine.commands import Bool, Choice, Float, Int, Text


def strict(sim):
    return json.dumps(sim.to_dict(), allow_nan=False)


TINY = [5e-324, 1e-320, 1e-300, 1e-12]


@pytest.mark.parametrize(
    "command",
    [
        {"action": "set_rate", "rate": 1e-320},
        {"action": "set_rate", "rate": 1e-300},
        {"action": "set_sync", "rate": 1e-320},
        {"action": "set_sync", "timeout": 1e-320},
        {"action": "set_visibility_timeout", "seconds": 1e-320},
    ],
)
def test_a_number_so_small_that_its_reciprocal_overflows_is_refused_readably(command):
    sim = Simulation.from_scenario("sync-blocks", 1)
    before = strict(sim)
    with pytest.raises(CommandError) as err:
        sim.apply(command)
    assert "at least" in str(err.value)
    assert strict(sim) == before


def test_a_rate_of_zero_still_stops_the_sender():
    sim = Simulation.from_scenario("sandbox", 1)
    sim.apply({"action": "set_rate", "rate": 0})
    sim.apply({"action": "set_rate", "rate": 0.5})
    strict(sim)


def _values(rule, names):
    """Values for one field: in range, at and beyond the edges, and hostile numbers."""
    if isinstance(rule, Bool):
        return st.one_of(st.booleans(), st.sampled_from([0, 1, "true", None]))
    if isinstance(rule, Choice):
        return st.one_of(st.sampled_from(rule.options), st.just("nonsense"))
    if isinstance(rule, Int):
        return st.one_of(
            st.integers(rule.lo, min(rule.hi, rule.lo + 12)),
            st.sampled_from([rule.lo - 1, rule.hi, rule.hi + 1, 10**30, 2.5]),
        )
    if isinstance(rule, Float):
        lo, hi = rule.lo, rule.hi
        return st.one_of(
            st.floats(lo, hi),
            st.sampled_from(TINY),
            st.sampled_from([lo, hi, hi * 2, -1.0, math.inf, math.nan, 10**400]),
        )
    if isinstance(rule, Text):
        if rule.min_length:  # a name: mostly one that exists
            return st.one_of(st.sampled_from(names), st.text(max_size=3))
        return st.text(max_size=8)
    raise AssertionError(f"no strategy for {rule!r}")


NAMES = ["r1", "r2", "r3", "r4", "r5", "orders", "email", "billing", "audit"]


@st.composite
def commands(draw):
    action = draw(st.sampled_from(sorted(COMMANDS)))
    rules = COMMANDS[action].RULES
    cls = COMMANDS[action]
    optional = sorted(set(rules) - set(cls.REQUIRED))
    fields = list(cls.REQUIRED)
    if optional:
        fields += draw(st.lists(st.sampled_from(optional), unique=True))
    command = {"action": action}
    for name in fields:
        command[name] = draw(_values(rules[name], NAMES))
    return command


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    scenario=st.sampled_from(["sandbox", "fan-out", "sync-blocks", "crash-before-ack"]),
    seed=st.integers(0, 1000),
    script=st.lists(st.tuples(commands(), st.floats(0.0, 3.0)), min_size=1, max_size=25),
)
def test_every_accepted_command_leaves_a_strict_json_state(scenario, seed, script):
    sim = Simulation.from_scenario(scenario, seed, event_log_limit=None)
    text = strict(sim)
    for command, dt in script:
        with suppress(CommandError):
            sim.apply(command)
        sim.advance(dt)
        text = strict(sim)  # raises ValueError on inf/NaN
        assert check_invariants(sim) == []
    again = Simulation.from_json(text)
    assert json.dumps(again.to_dict(), allow_nan=False) == text
    again.advance(5.0)
    sim.advance(5.0)
    assert again.to_dict() == sim.to_dict()

"""Every scenario file is valid, runs, and keeps the invariants; bad files are refused."""

import json

import pytest

from playground.engine import (
    PROFILES,
    ScenarioError,
    Simulation,
    check_invariants,
    list_scenarios,
    load_scenario,
)
from playground.engine.scenarios import LESSON_ORDER, parse_scenario


def test_every_lesson_scenario_has_a_file():
    assert list_scenarios() == list(LESSON_ORDER)


@pytest.mark.parametrize("name", LESSON_ORDER)
def test_scenario_file_is_valid_and_runs_keeping_every_invariant(name):
    scenario = load_scenario(name)
    assert scenario.title and scenario.description and scenario.suggested_actions
    # A run opens paused: its one-line caption says what to watch once Play is pressed.
    assert scenario.watch.startswith("Watch") and len(scenario.watch) <= 160
    # Every scenario offers the sync lane (the stage draws it, as a strip where it is not the
    # point), so the core comparison is one click away everywhere.
    assert scenario.sync is not None and scenario.sync.get("target")
    assert scenario.profile in PROFILES
    summary = scenario.summary()
    assert summary["profile"]["label"] and summary["profile"]["source"]
    sim = Simulation.from_scenario(name, seed=1)
    assert sim.command_log == []
    for _ in range(40):
        sim.advance(0.5)
        assert check_invariants(sim) == []
    json.dumps(sim.view())


def test_unknown_scenario_is_refused():
    for name in ("nope", "../etc/passwd", "", "Sandbox"):
        with pytest.raises(ScenarioError, match="unknown scenario"):
            load_scenario(name)


BASE = {"title": "T", "description": "D", "suggested_actions": ["try"]}


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        ({"title": ""}, "title"),
        ({"suggested_actions": []}, "suggested_actions"),
        ({"profile": "kafka"}, "unknown profile"),
        ({"rate": 1000}, "rate"),
        ({"knobs": {"delivery_limit": -1}}, "delivery_limit"),
        ({"knobs": {"warp": 1}}, "unknown setting"),
        ({"receivers": [{"mean_time": "slow"}]}, "mean_time"),
        ({"receivers": [{"queue": "elsewhere"}]}, "unknown queue"),
        ({"start": [{"action": "explode"}]}, "unknown action"),
        ({"goal": {"min_acked": 3}}, "description"),
        ({"goal": {"description": "x", "min_happiness": 3}}, "goal conditions"),
        ({"colour": "red"}, "unknown keys"),
        ({"watch": "two\nlines"}, "watch"),
        ({"watch": "x" * 161}, "watch"),
    ],
)
def test_malformed_scenario_data_is_refused_with_a_reason(extra, words):
    with pytest.raises(ScenarioError, match=words):
        parse_scenario("bad", {**BASE, **extra})


def test_goal_is_judged_by_the_engine_and_celebrated_once():
    sim = Simulation.from_scenario("poison-message", seed=2)
    sim.advance(30)
    view = sim.view()
    assert view["goal"]["met"] is False
    assert sim.counters["dead_lettered"] >= 1
    sim.apply({"action": "redrive", "all": True})
    view = sim.view()
    assert view["goal"]["met"] is True
    assert all(c["ok"] for c in view["goal"]["conditions"])
    sim.advance(5)
    assert [e["kind"] for e in sim.events_since(0)].count("goal_met") == 1

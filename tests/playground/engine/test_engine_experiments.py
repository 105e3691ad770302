"""Experiments (predict, run, explain): every file is valid, and the engine gives its answers."""

import copy
import json
import re
import tomllib
from pathlib import Path

import pytest
import yaml

from playground.engine import Simulation, check_invariants
from playground.engine.experiments import (
    EXPERIMENT_DIR,
    MAX_TIME,
    MEASURES,
    Experiment,
    ExperimentError,
    Result,
    advance,
    build_simulation,
    experiment_for_myth,
    experiments_for_step,
    explain,
    get_experiment,
    is_correct,
    is_decided,
    load_experiments,
    measure,
    parse_experiment,
    parse_prediction,
    play,
    run_headless,
    step,
)

ROOT = Path(__file__).resolve().parents[3]
MYTHS = ROOT / "lessons" / "content" / "quizzes" / "myths.yaml"
SEEDS = (0, 1, 7, 42, 2024)
IDS = sorted(p.stem for p in EXPERIMENT_DIR.glob("*.toml"))

# The lesson map's "try it" scenarios, per step.
STEP_SCENARIOS = {
    2: {"sync-blocks"},
    3: {"async-moves-on"},
    4: {"slow-receiver", "backpressure"},  # its backpressure section tries "backpressure"
    5: {"fan-out"},
    6: {"poison-message", "flaky-receiver", "ttl-and-retention"},
    7: {"ordering", "crash-before-ack"},
}
REQUIRED_MYTHS = ("async-means-instant", "order-is-automatic", "queue-exactly-once",
                  "retries-always-safe")  # fmt: skip


def _raw(exp_id):
    with (EXPERIMENT_DIR / f"{exp_id}.toml").open("rb") as f:
        return tomllib.load(f)


def _myths():
    return {q["id"]: q for q in yaml.safe_load(MYTHS.read_text())["questions"]}


# ---------------------------------------------------------------- the files


def test_every_file_loads_and_ids_match_files():
    exps = load_experiments()
    assert sorted(exps) == IDS
    assert len(IDS) >= 10
    for exp_id, exp in exps.items():
        assert isinstance(exp, Experiment)
        assert exp.id == exp_id
        assert get_experiment(exp_id) is exp


def test_every_lesson_step_2_to_7_has_an_experiment_on_its_scenario():
    for number, scenarios in STEP_SCENARIOS.items():
        exps = experiments_for_step(number)
        assert exps, f"step {number} has no experiment"
        assert all(e.scenario in scenarios for e in exps)
    assert experiments_for_step(9) == []


def test_the_required_myths_have_an_experiment_on_the_quiz_scenario():
    myths = _myths()
    for myth_id in REQUIRED_MYTHS:
        exp = experiment_for_myth(myth_id)
        assert exp is not None, myth_id
        assert exp.scenario == myths[myth_id]["scenario"]
    for exp in load_experiments().values():
        if exp.myth is not None:
            assert exp.myth in myths, f"{exp.id}: unknown myth {exp.myth!r}"
            assert exp.scenario == myths[exp.myth]["scenario"]
    assert experiment_for_myth("no-such-myth") is None


def test_the_step_6_dead_letter_experiment_is_the_one_from_the_issue():
    exp = get_experiment("step6-dead-letters")
    assert exp.step == 6 and exp.expected == 5
    assert "dead-letter queue" in exp.question
    assert "delivery limit 3" in exp.setup_text and "5 messages" in exp.setup_text


def test_unknown_experiment_is_refused():
    with pytest.raises(ExperimentError, match="unknown experiment"):
        get_experiment("nope")


def test_summary_is_json_and_does_not_give_the_answer_away():
    for exp in load_experiments().values():
        summary = exp.summary()
        json.dumps(summary)
        assert "expected" not in summary and "explanation" not in summary
        assert "variation_expected" not in summary
        assert summary["question"] == exp.question


# ---------------------------------------------------------------- the engine gives the answers


@pytest.mark.parametrize("exp_id", IDS)
@pytest.mark.parametrize("variation", [False, True], ids=["base", "variation"])
def test_headless_runs_give_the_stated_answer_for_every_seed(exp_id, variation):
    exp = get_experiment(exp_id)
    wanted = exp.variation_expected if variation else exp.expected
    for seed in SEEDS:
        result = run_headless(exp, seed, variation=variation)
        assert result.value == wanted, f"{exp_id} seed {seed}: {result.display}"
        assert result.decided_by == exp.decide, f"{exp_id} seed {seed}: ran into the time limit"
        assert result.variation is variation
        assert result.time <= MAX_TIME
        assert is_correct(exp, wanted, result)
        text = explain(exp, result)
        assert "{" not in text and "}" not in text
        if exp.answer == "number":
            assert re.search(rf"(?<![\d.]){result.value}(?![\d.])", text), text
        else:
            assert result.details["answer"] in text


@pytest.mark.parametrize("exp_id", IDS)
def test_the_same_seed_gives_the_same_result(exp_id):
    exp = get_experiment(exp_id)
    assert run_headless(exp, 5) == run_headless(exp, 5)


@pytest.mark.parametrize("exp_id", IDS)
@pytest.mark.parametrize("variation", [False, True], ids=["base", "variation"])
def test_a_live_run_in_small_ticks_gives_the_headless_result(exp_id, variation):
    exp = get_experiment(exp_id)
    for seed in SEEDS[:3]:
        sim = build_simulation(exp, seed, variation=variation)
        assert sim.now == 0.0 and not is_decided(exp, sim)
        ticks = 0
        while not advance(exp, sim, 0.1):
            ticks += 1
            assert ticks < MAX_TIME * 10 + 5
        assert check_invariants(sim) == []
        live = measure(exp, sim)
        headless = run_headless(exp, seed, variation=variation)
        assert live == headless
        assert explain(exp, live) == explain(exp, headless)
        # Already decided: more ticks change nothing.
        assert advance(exp, sim, 0.1) and measure(exp, sim) == live
        # A plain UI clock (sim.advance in 0.1 s ticks) reaches the same answer too.
        plain = build_simulation(exp, seed, variation=variation)
        while not is_decided(exp, plain):
            plain.advance(0.1)
        assert measure(exp, plain).value == headless.value


@pytest.mark.parametrize("exp_id", IDS)
def test_a_run_replays_from_its_command_log(exp_id):
    exp = get_experiment(exp_id)
    sim = build_simulation(exp, 3, variation=True)
    again = Simulation.replay(exp.scenario, 3, sim.command_log)
    result = run_headless(exp, 3, variation=True)
    while not advance(exp, again, 1.0):
        pass
    assert measure(exp, again) == result


@pytest.mark.parametrize("exp_id", IDS)
def test_play_stops_at_the_decision_pauses_through_the_command_log_and_replays(exp_id):
    """issue 10 item 6: the live rules live in the engine; the pause is a logged command."""
    exp = get_experiment(exp_id)
    sim = build_simulation(exp, 7)
    result, ticks = None, 0
    while result is None:
        result = play(exp, sim, 0.25, max_events=3)  # small budgets: chopped finely
        ticks += 1
        assert ticks < 100_000
    assert result == run_headless(exp, 7)
    assert sim.paused and sim.command_log[-1] == [sim.now, {"action": "pause"}]
    assert play(exp, sim, 5.0) == result and len(sim.command_log) == len(exp.commands()) + 1
    again = Simulation.replay(exp.scenario, 7, sim.command_log, until=sim.now)
    assert again.paused
    assert again.to_dict() == sim.to_dict()


def test_a_step_goes_to_the_next_event_and_never_past_the_decision():
    exp = get_experiment("step6-dead-letters")
    sim = build_simulation(exp, 1)
    nt = sim.next_event_time()
    assert step(exp, sim) is None and sim.now == nt
    result = None
    while result is None:
        result = step(exp, sim, 60.0)
    assert result == run_headless(exp, 1) and sim.now == result.time


def test_the_answer_is_measured_not_stored():
    # The variation of a different experiment changes what the engine reports.
    exp = get_experiment("step6-dead-letters")
    sim = build_simulation(exp, 0)
    sim.apply({"action": "set_receiver", "receiver": "r1", "failure_rate": 0.0})
    sim.apply({"action": "set_receiver", "receiver": "r2", "failure_rate": 0.0})
    sim.apply({"action": "set_receiver", "receiver": "r3", "failure_rate": 0.0})
    while not advance(exp, sim, 0.5):
        pass
    result = measure(exp, sim)
    assert result.value < 5 and not result.variation


# ---------------------------------------------------------------- predictions


def test_parse_prediction_for_numbers():
    exp = get_experiment("step6-dead-letters")
    assert parse_prediction(exp, " 5 ") == 5
    assert parse_prediction(exp, "0") == 0
    assert parse_prediction(exp, str(exp.maximum)) == exp.maximum
    for bad in ("", "  ", "five", "5.5", "1e3", "-1", str(exp.maximum + 1), "99999999999", None):
        with pytest.raises(ExperimentError):
            parse_prediction(exp, bad)


def test_parse_prediction_for_choices():
    exp = get_experiment("myth-order-is-automatic")
    assert exp.answer == "choice"
    assert parse_prediction(exp, "no") == "no"
    assert parse_prediction(exp, " Yes ") == "yes"
    with pytest.raises(ExperimentError, match="give an answer"):
        parse_prediction(exp, " ")
    for bad in ("maybe", "1", "n"):
        with pytest.raises(ExperimentError, match="choose one of"):
            parse_prediction(exp, bad)


def test_is_correct_compares_the_prediction_with_the_measured_value():
    num = get_experiment("step6-dead-letters")
    result = run_headless(num, 1)
    assert is_correct(num, 5, result)
    assert is_correct(num, "5", result)
    assert not is_correct(num, 4, result)
    assert not is_correct(num, "lots", result)
    assert not is_correct(num, True, Result(value=1, display="", details={}))
    choice = get_experiment("myth-order-is-automatic")
    result = run_headless(choice, 1)
    assert is_correct(choice, "no", result) and is_correct(choice, "NO", result)
    assert not is_correct(choice, "yes", result)
    assert is_correct(choice, "yes", run_headless(choice, 1, variation=True))


def test_explain_uses_the_variation_text_for_a_variation_run():
    exp = get_experiment("step2-sync-wait")
    base = explain(exp, run_headless(exp, 0))
    var = explain(exp, run_headless(exp, 0, variation=True))
    assert "10 s" in base and "15 s" in var and base != var


# ---------------------------------------------------------------- bad files are refused


BASE = "step6-dead-letters"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(scenario="nope"), "unknown scenario"),
        (lambda d: d.update(measure="nope"), "unknown measure"),
        (lambda d: d.update(surprise=1), "unknown keys"),
        (lambda d: d.pop("question"), "missing keys"),
        (lambda d: d.update(id="other"), "file name"),
        (lambda d: d.pop("step"), "'step' or a 'myth'"),
        (lambda d: d.update(step=12), "lesson step"),
        (lambda d: d["setup"].append({"action": "burst", "n": 500}), "between 1 and 50"),
        (lambda d: d["setup"].append({"action": "fly"}), "unknown action"),
        (lambda d: d["setup"].append({"action": "kill_receiver", "receiver": "zz"}), "fit"),
        (lambda d: d.update(variation=[]), "at least one command"),
        (lambda d: d.update(expected=51), "between 0 and 50"),
        (lambda d: d.update(expected="5"), "whole number"),
        (lambda d: d.update(minimum=9, maximum=3), "below"),
        (lambda d: d.update(answer="choice"), "answers a number"),
        (lambda d: d.update(answer="essay"), "'answer' must be one of"),
        (lambda d: d.update(choices=[{"id": "a", "text": "A"}]), "no 'choices'"),
        (lambda d: d.update(explanation="It was {nonsense}."), "{nonsense}"),
        (lambda d: d.update(explanation="It was {dead_lettered."), "not a valid template"),
        (lambda d: d.update(variation_explanation="{x}"), "{x}"),
        (lambda d: d.update(decide="whenever"), "'decide' must be"),
        (lambda d: d.update(decide="time"), "needs a 'max_time'"),
        (lambda d: d.update(max_time=500), "at most 120"),
        (lambda d: d.update(params={"queue": "orders"}), "no parameter"),
        (lambda d: d.update(title="  "), "non-empty"),
    ],
)
def test_bad_experiment_data_is_refused(change, message):
    data = copy.deepcopy(_raw(BASE))
    change(data)
    with pytest.raises(ExperimentError, match=re.escape(message)):
        parse_experiment(BASE, data)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(expected="maybe"), "choice ids"),
        (lambda d: d.update(choices=[{"id": "yes", "text": "Yes"}]), "at least two"),
        (
            lambda d: d.update(choices=[{"id": "yes", "text": "Y"}, {"id": "yes", "text": "Y"}]),
            "unique",
        ),
        (
            lambda d: d.update(choices=[{"id": "yes", "text": "Y"}, {"id": "a", "text": "A"}]),
            "needs a choice",
        ),
        (lambda d: d.update(choices=[{"id": "yes"}, {"id": "no", "text": "No"}]), "{id, text}"),
        (lambda d: d.update(minimum=0), "no 'minimum'"),
        (lambda d: d.update(answer="number"), "answers a choice"),
    ],
)
def test_bad_choice_data_is_refused(change, message):
    exp_id = "myth-order-is-automatic"
    data = copy.deepcopy(_raw(exp_id))
    change(data)
    with pytest.raises(ExperimentError, match=re.escape(message)):
        parse_experiment(exp_id, data)


def test_measure_parameters_are_checked():
    data = copy.deepcopy(_raw("step5-fan-out-independent"))
    data["params"] = {"queue": 3}
    with pytest.raises(ExperimentError, match="must be str"):
        parse_experiment("step5-fan-out-independent", data)
    data["params"] = {"queue": "nowhere"}
    with pytest.raises(ExperimentError, match="no queue 'nowhere'"):
        parse_experiment("step5-fan-out-independent", data)


def test_every_measure_is_used_or_documented():
    used = {e.measure for e in load_experiments().values()}
    assert used <= set(MEASURES)
    for m in MEASURES.values():
        assert m.kind in ("number", "choice") and m.description

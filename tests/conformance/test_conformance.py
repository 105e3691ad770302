"""The simulator against RabbitMQ: every behaviour script, run by both drivers.

Three checks per behaviour:
- the engine's outcome equals what RabbitMQ did (recorded in ``conformance/results.json``);
  known disagreements are strict xfails, so fixing one in the engine turns it into a failure
  that asks for the data to be updated;
- the real broker still does what the results file says (needs a broker; skipped with a hint
  otherwise, a failure under CI);
- the results file is current: rebuilt from the scripts, the recorded broker outcomes and
  the engine as it is now, it is identical (ids, wording, statuses, what each side saw).
"""

from __future__ import annotations

import os

import pytest
from behaviour_scripts import load_behaviours
from broker_driver import run_on_broker
from engine_driver import run_on_engine
from outcomes import differences
from recording import results_build, results_load

BEHAVIOURS = load_behaviours()
RESULTS = results_load()
ROWS = {row["id"]: row for row in RESULTS["behaviours"]}
RECORD = os.environ.get("CONFORMANCE_RECORD") == "1"


def _engine_param(b):
    marks = []
    if b.engine == "disagrees":
        marks.append(pytest.mark.xfail(strict=True, reason=f"known disagreement; fix: {b.fix}"))
    return pytest.param(b, id=b.id, marks=marks)


@pytest.mark.parametrize(
    "behaviour", [_engine_param(b) for b in BEHAVIOURS if b.engine != "not modelled"]
)
def test_the_engine_does_what_rabbitmq_did(behaviour, recording):
    row = ROWS.get(behaviour.id)
    if row is None or row["broker_outcome"] is None:
        pytest.skip(f"not checked against a broker: {row and row.get('not_checked_reason')}")
    engine = run_on_engine(behaviour)
    assert engine == row["broker_outcome"], (
        f"{behaviour.title} ({behaviour.source_url}): the engine differs from RabbitMQ "
        f"{RESULTS['broker']['version']}: " + "; ".join(differences(row["broker_outcome"], engine))
    )


@pytest.mark.parametrize("behaviour", [pytest.param(b, id=b.id) for b in BEHAVIOURS])
def test_the_real_broker_does_what_the_evidence_says(behaviour, recording, broker):
    if not behaviour.applies_to(broker.version):
        pytest.skip(f"needs RabbitMQ {behaviour.versions}; this broker is {broker.version}")
    outcome = run_on_broker(behaviour, broker.url)
    recording[behaviour.id] = outcome
    if RECORD:
        return
    if broker.version != RESULTS["broker"]["version"]:
        pytest.skip(
            f"the evidence was recorded on {RESULTS['broker']['version']}, this broker is "
            f"{broker.version}: make conformance records it for this one"
        )
    row = ROWS.get(behaviour.id)
    assert row is not None, f"{behaviour.id} is not in the results file: run make conformance"
    assert outcome == row["broker_outcome"], (
        f"RabbitMQ {broker.version} no longer does what the evidence says for {behaviour.id}: "
        + "; ".join(differences(row["broker_outcome"], outcome))
        + " (run make conformance to record what it does now)"
    )


@pytest.mark.skipif(RECORD, reason="being rewritten by this run")
def test_the_results_file_matches_the_scripts_and_the_engine():
    outcomes = {r["id"]: r["broker_outcome"] for r in RESULTS["behaviours"]}
    fresh = results_build(BEHAVIOURS, RESULTS["broker"]["version"], outcomes, RESULTS["recorded"])
    assert [r["id"] for r in RESULTS["behaviours"]] == [b.id for b in BEHAVIOURS], (
        "the results file lists other behaviours than the scripts: run make conformance"
    )
    for old, new in zip(RESULTS["behaviours"], fresh["behaviours"], strict=True):
        assert old == new, f"{old['id']} is out of date in results.json: run make conformance"
    assert fresh == RESULTS  # and the header: broker, date, summary

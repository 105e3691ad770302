"""Services for experiments: commit a prediction, record what the engine decided, summarise.

The engine decides every outcome (``playground.engine.experiments``); this module only stores
predictions and results against the anonymous learner.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from lessons.models import Learner
from playground import journal
from playground.engine import Simulation
from playground.engine import experiments as X
from playground.models import ExperimentRun
from playground.runs import new_seed

EXPERIMENT_SPEED = 2.0


def experiment_predict(
    *, learner: Learner, exp: X.Experiment, raw: str, variation: bool = False
) -> ExperimentRun:
    """Commit a prediction and set up a fresh run (new seed). Raises ExperimentError."""
    value = X.parse_prediction(exp, raw)
    seed = new_seed()
    sim = X.build_simulation(exp, seed, variation=variation)
    sim.speed = EXPERIMENT_SPEED  # the answer comes while the learner watches; they can slow it
    return ExperimentRun.objects.create(
        learner=learner,
        experiment=exp.id,
        prediction=str(value),
        seed=seed,
        variation=variation,
        state=sim.to_dict(),
    )


def experiment_latest(*, learner: Learner | None, experiment_id: str) -> ExperimentRun | None:
    if learner is None:
        return None
    return (
        ExperimentRun.objects.filter(learner=learner, experiment=experiment_id)
        .order_by("-created_at", "-id")
        .first()
    )


def experiment_run_get(*, learner_id, run_id: int) -> ExperimentRun | None:
    """A learner's own run; never another learner's."""
    return ExperimentRun.objects.filter(pk=run_id, learner_id=learner_id).first()


def experiment_holder(*, learner_id, run_id: int) -> str | None:
    """The channel of the socket running this run live ("" if none; None: not their run)."""
    rows = ExperimentRun.objects.filter(pk=run_id, learner_id=learner_id)
    return rows.values_list("live_channel", flat=True).first()


def _loaded(run: ExperimentRun, *, owner: str | None = None):
    """(experiment, run, simulation as it stands: snapshot, journal, clock mark), or None."""
    try:
        exp = X.get_experiment(run.experiment)
        if not run.state:
            return exp, run, X.build_simulation(exp, run.seed, variation=run.variation)
        sim = Simulation.from_dict(run.state)
    except (X.ExperimentError, KeyError, TypeError, ValueError):
        return None
    return exp, run, journal.restore(ExperimentRun, run, sim, owner=owner)


def experiment_load(*, learner_id, run_id: int):
    """(experiment, run, live simulation) for the learner's own run, or None. Read only:
    the socket takes it live with ``experiment_open``."""
    run = experiment_run_get(learner_id=learner_id, run_id=run_id)
    return None if run is None else _loaded(run)


def experiment_open(*, learner_id, run_id: int, owner: str, seen: str = ""):
    """Take the learner's own run live for the socket ``owner`` and load it, as ``run_open``
    does for a playground run. None if it is not theirs; raises ``journal.Fenced``."""
    if experiment_run_get(learner_id=learner_id, run_id=run_id) is None:
        return None
    if not journal.claim(ExperimentRun, run_id, owner, seen):
        raise journal.Fenced
    run = experiment_run_get(learner_id=learner_id, run_id=run_id)
    return None if run is None else _loaded(run, owner=owner)


def experiment_append(*, run_id: int, owner: str, start: int, entries: list, reached: float):
    """Journal accepted commands (and the clock mark) before the page is told they are done."""
    journal.append(ExperimentRun, run_id, owner, start=start, entries=entries, reached=reached)


def experiment_save_state(*, run_id: int, owner: str, sim, release: bool = False) -> None:
    """Snapshot the live run (fenced on ``owner``); ``release`` frees it for the next socket."""
    journal.snapshot(ExperimentRun, run_id, owner, sim, release=release)


def experiment_record(
    *, run_id: int, exp: X.Experiment, sim, result: X.Result, owner: str | None = None
) -> ExperimentRun | None:
    """Store the engine's answer beside the prediction (once; later calls change nothing).

    None if the run no longer exists (the learner reset their progress). ``owner``: the live
    socket recording it, fenced like its other writes.
    """
    with transaction.atomic():
        run = ExperimentRun.objects.select_for_update().filter(pk=run_id).first()
        if run is None:
            return None
        if owner is not None and run.live_channel != owner:
            raise journal.Fenced
        if run.decided_at is not None:
            return run
        run.state = sim.to_dict()
        run.reached = sim.now
        run.result = str(result.value)
        run.result_text = result.display
        run.explanation = X.explain(exp, result)
        run.correct = X.is_correct(exp, run.prediction, result)
        run.decided_at = timezone.now()
        run.save()
        journal.snapshot_taken(ExperimentRun, run.pk, run.state)
    return run


def experiment_finish(*, learner_id, run_id: int) -> ExperimentRun | None:
    """Run a learner's undecided run to its decision at once (the no-JavaScript path)."""
    loaded = experiment_load(learner_id=learner_id, run_id=run_id)
    if loaded is None:
        return None
    exp, run, sim = loaded
    if run.decided_at is not None:
        return run
    while not X.advance(exp, sim, 1.0):
        pass  # advance stops at the decision, and every experiment is decided by max_time
    return experiment_record(run_id=run.pk, exp=exp, sim=sim, result=X.measure(exp, sim))


@dataclass(frozen=True)
class ExperimentStats:
    tried: int  # experiments with at least one decided run
    right: int  # experiments whose latest decided run was predicted right
    total: int


def experiment_stats(*, learner: Learner | None) -> ExperimentStats:
    total = len(X.load_experiments())
    if learner is None:
        return ExperimentStats(0, 0, total)
    latest: dict[str, bool] = {}
    decided = ExperimentRun.objects.filter(learner=learner, decided_at__isnull=False)
    for run in decided.order_by("decided_at", "id"):
        latest[run.experiment] = bool(run.correct)
    return ExperimentStats(tried=len(latest), right=sum(latest.values()), total=total)


def prediction_text(exp: X.Experiment, value: str) -> str:
    return X.choice_text(exp, value) if exp.answer == "choice" else value

"""The journal of a live run: what makes an acknowledged command survive kill -9.

A run (a ``PlaygroundRun`` or an ``ExperimentRun``) is stored as a snapshot (``state``: the
simulation's whole state, command log included) plus ``RunCommand`` rows for the commands
accepted since, plus a clock mark (``reached``: the simulated time the live run had got to).
The live socket writes each accepted command here *before* the page is told it is done; a
load is the snapshot, then every journalled command replayed exactly as the live run applied
it (``advance_to(at); apply(command)``: the engine is deterministic and never splits an
instant), then the clock advanced to the mark. Snapshots stay periodic, for speed; the rows a
snapshot holds are deleted with it.

One socket at a time runs a run live, and it is fenced: taking a run live is one conditional
UPDATE (``live_channel`` from what the socket saw to itself), and every journal write, mark
and snapshot is conditional on still holding it, inside one transaction (the UPDATE's row
lock serialises it with a claim on PostgreSQL; SQLite takes its write lock up front). A socket
that lost the run gets ``Fenced`` and must step aside, writing nothing.
"""

from __future__ import annotations

import logging

from django.db import transaction

from playground.engine import CommandError, Simulation
from playground.models import ExperimentRun, PlaygroundRun, RunCommand

logger = logging.getLogger(__name__)

RunModel = type[PlaygroundRun] | type[ExperimentRun]


class Fenced(Exception):
    """Another socket runs this run live now: this one must step aside and write nothing."""


class RunGone(Exception):
    """The run no longer exists (the learner reset their progress)."""


def _link(model: RunModel) -> str:
    return "playground_run" if model is PlaygroundRun else "experiment_run"


def _rows(model: RunModel, pk: int):
    return RunCommand.objects.filter(**{f"{_link(model)}_id": pk})


def _fenced_update(model: RunModel, pk: int, owner: str, **fields) -> None:
    """UPDATE the run if ``owner`` still holds it live; raise Fenced or RunGone if not."""
    if model.objects.filter(pk=pk, live_channel=owner).update(**fields):
        return
    if model.objects.filter(pk=pk).exists():
        raise Fenced
    raise RunGone


def claim(model: RunModel, pk: int, owner: str, seen: str) -> bool:
    """Take the run live for ``owner`` if it is still free or held by ``seen`` (the holder
    this socket found and asked to step aside). One conditional UPDATE: of two sockets racing
    for the same run, exactly one wins."""
    holders = {"", seen}
    return bool(model.objects.filter(pk=pk, live_channel__in=holders).update(live_channel=owner))


def append(
    model: RunModel, pk: int, owner: str, *, start: int, entries: list, reached: float
) -> None:
    """Store command-log entries ``start``, ``start + 1``, ... and the clock mark, fenced.

    A retry of entries already stored (a commit whose answer was lost) changes nothing.
    """
    with transaction.atomic():
        _fenced_update(model, pk, owner, reached=reached)
        if entries:
            link = f"{_link(model)}_id"
            RunCommand.objects.bulk_create(
                [
                    RunCommand(**{link: pk}, index=start + i, at=at, command=command)
                    for i, (at, command) in enumerate(entries)
                ],
                ignore_conflicts=True,
            )


def snapshot(
    model: RunModel, pk: int, owner: str, sim: Simulation, *, release: bool = False, **fields
) -> None:
    """Store the whole state (fenced) and drop the journal rows it now holds.

    ``release``: the socket is leaving, so the run is free for the next one.
    """
    state = sim.to_dict()
    if release:
        fields["live_channel"] = ""
    with transaction.atomic():
        _fenced_update(model, pk, owner, state=state, reached=sim.now, **fields)
        snapshot_taken(model, pk, state)


def snapshot_taken(model: RunModel, pk: int, state: dict) -> None:
    """Drop the journal rows a just-stored snapshot holds (call it in the same transaction)."""
    _rows(model, pk).filter(index__lt=len(state["command_log"])).delete()


def replace(model: RunModel, pk: int, sim: Simulation, *, owner: str | None = None) -> None:
    """Make ``sim`` the run's whole state and empty its journal, in one transaction.

    ``owner``: fenced on that socket holding the run (a reset from the live page). Without
    it (a view putting a shared run in place) whoever runs it live is fenced out instead.
    """
    with transaction.atomic():
        fields = {"state": sim.to_dict(), "reached": sim.now}
        if owner is None:
            if not model.objects.filter(pk=pk).update(live_channel="", **fields):
                raise RunGone
        else:
            _fenced_update(model, pk, owner, **fields)
        _rows(model, pk).delete()


def restore(model: RunModel, run, sim: Simulation, *, owner: str | None = None) -> Simulation:
    """``sim`` (the run's snapshot) brought up to date: the journal beyond it replayed, then
    the clock advanced to the run's mark.

    A row that does not replay (never expected: the engine is deterministic) ends the replay
    there; the owner, about to write at those positions, deletes what is left behind.
    """
    rows = _rows(model, run.pk).filter(index__gte=len(sim.command_log)).order_by("index")
    for row in rows:
        if row.index != len(sim.command_log):
            logger.error("journal of %s run %s has a gap at %s", model.__name__, run.pk, row.index)
            break
        sim.advance_to(row.at)
        try:
            sim.apply(row.command)
        except CommandError:
            logger.exception("journal of %s run %s: command %s does not replay", model, run.pk)
            break
    if run.reached > sim.now:
        sim.advance_to(run.reached)
    if owner is not None:
        _rows(model, run.pk).filter(index__gte=len(sim.command_log)).delete()
    return sim

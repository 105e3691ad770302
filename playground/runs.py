"""Services for saved and shared runs; consumers call them through database_sync_to_async."""

from __future__ import annotations

import secrets

from django.utils import timezone

from playground.engine import Simulation
from playground.models import PlaygroundRun, SharedRun


def new_seed() -> int:
    return secrets.randbelow(2**31)


def run_load(*, learner_id, scenario: str) -> Simulation:
    """The learner's saved simulation of this scenario, or a fresh one (saved at once)."""
    row = PlaygroundRun.objects.filter(learner_id=learner_id, scenario=scenario).first()
    if row is not None:
        try:
            return Simulation.from_dict(row.state)
        except (KeyError, TypeError, ValueError):
            pass  # a state from an older schema: start the scenario afresh
    sim = Simulation.from_scenario(scenario, seed=new_seed())
    run_save(learner_id=learner_id, scenario=scenario, sim=sim)
    return sim


def run_save(*, learner_id, scenario: str, sim: Simulation) -> None:
    """Write the simulation's whole state (one UPDATE; the row is made on first load)."""
    state = sim.to_dict()
    updated = PlaygroundRun.objects.filter(learner_id=learner_id, scenario=scenario).update(
        state=state, updated_at=timezone.now()
    )
    if not updated:
        PlaygroundRun.objects.update_or_create(
            learner_id=learner_id, scenario=scenario, defaults={"state": state}
        )


def run_reset(*, learner_id, scenario: str, seed: int | None = None) -> Simulation:
    """Start the scenario again from the beginning, with a new seed unless one is given."""
    sim = Simulation.from_scenario(scenario, seed=new_seed() if seed is None else seed)
    run_save(learner_id=learner_id, scenario=scenario, sim=sim)
    return sim


def share_create(*, scenario: str, sim: Simulation) -> str:
    """Store the run's seed and commands under a short slug; return the slug."""
    slug = secrets.token_urlsafe(9)
    SharedRun.objects.create(
        slug=slug,
        scenario=scenario,
        seed=sim.seed,
        commands=[list(entry) for entry in sim.command_log],
        until=sim.now,
    )
    return slug


def share_get(*, slug: str) -> SharedRun | None:
    return SharedRun.objects.filter(slug=slug).first()


def share_open(*, slug: str, learner_id) -> SharedRun | None:
    """Replay a shared run into the learner's own run of that scenario."""
    shared = SharedRun.objects.filter(slug=slug).first()
    if shared is None:
        return None
    sim = Simulation.replay(shared.scenario, shared.seed, shared.commands, until=shared.until)
    run_save(learner_id=learner_id, scenario=shared.scenario, sim=sim)
    return shared

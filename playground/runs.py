"""Services for saved and shared runs; consumers call them through database_sync_to_async."""

from __future__ import annotations

import json
import secrets
import time
from importlib import import_module

from django.conf import settings
from django.utils import timezone

from lessons.models import Learner
from playground.engine import Simulation
from playground.models import PlaygroundRun, SharedRun

MAX_SHARE_BYTES = 1_000_000  # what one share may store (its command log and state, as JSON)
SHARE_INTERVAL = 10.0  # seconds between two shares of one learner
SHARED_RECENTLY = (
    "You shared this run a moment ago: that link still works. Try again in a few seconds."
)
SESSION_SHARED_AT = "playground_shared_at"  # when the learner last shared (Unix time)


def new_seed() -> int:
    return secrets.randbelow(2**31)


def fresh_run(scenario: str, seed: int) -> Simulation:
    """A new run of the scenario, paused: the learner reads what to watch, then presses Play.

    The pause is the engine's own logged command, so a share replays it too.
    """
    sim = Simulation.from_scenario(scenario, seed=seed)
    sim.apply({"action": "pause"})
    return sim


def run_holder(*, learner_id, scenario: str) -> str:
    """The channel of the socket running this run live ("" if none, or no run yet)."""
    row = PlaygroundRun.objects.filter(learner_id=learner_id, scenario=scenario)
    return row.values_list("live_channel", flat=True).first() or ""


def run_load(*, learner_id, scenario: str, holder: str = "") -> Simulation:
    """The learner's saved simulation of this scenario, or a fresh one (saved at once).

    ``holder``: the channel that runs it live from now on (see ``run_holder``).
    """
    row = PlaygroundRun.objects.filter(learner_id=learner_id, scenario=scenario).first()
    if row is not None:
        try:
            sim = Simulation.from_dict(row.state)
        except (KeyError, TypeError, ValueError):
            pass  # a state from an older schema: start the scenario afresh
        else:
            if holder:
                PlaygroundRun.objects.filter(pk=row.pk).update(live_channel=holder)
            return sim
    sim = fresh_run(scenario, new_seed())
    run_save(learner_id=learner_id, scenario=scenario, sim=sim, holder=holder)
    return sim


def run_save(
    *, learner_id, scenario: str, sim: Simulation, holder: str | None = None, release: str = ""
) -> bool:
    """Write the simulation's whole state (one UPDATE; the row is made on first load).

    ``holder`` sets the live channel; ``release`` clears it if that channel still holds it.
    False if the learner no longer exists (they reset their progress).
    """
    state = sim.to_dict()
    fields = {"state": state, "updated_at": timezone.now()}
    if holder is not None:
        fields["live_channel"] = holder
    rows = PlaygroundRun.objects.filter(learner_id=learner_id, scenario=scenario)
    updated = rows.update(**fields)
    if not updated:
        if not Learner.objects.filter(pk=learner_id).exists():
            return False  # the learner reset their progress: nothing to save into
        PlaygroundRun.objects.update_or_create(
            learner_id=learner_id,
            scenario=scenario,
            defaults={"state": state, "live_channel": holder or ""},
        )
    if release:
        rows.filter(live_channel=release).update(live_channel="")
    return True


def run_reset(*, learner_id, scenario: str, seed: int | None = None) -> Simulation:
    """Start the scenario again from the beginning, with a new seed unless one is given."""
    sim = fresh_run(scenario, new_seed() if seed is None else seed)
    run_save(learner_id=learner_id, scenario=scenario, sim=sim)
    return sim


class ShareRefused(Exception):
    """The run was not shared; ``message`` says why, for the learner."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def share_create(*, scenario: str, sim: Simulation, session_key: str | None = None) -> str:
    """Store the run's seed and commands under a short slug; return the slug.

    Raises ShareRefused if what would be stored is over MAX_SHARE_BYTES, or if the learner
    behind ``session_key`` shared less than SHARE_INTERVAL seconds ago (in any tab or socket:
    the time is kept in their session, so a reconnect does not reset it).
    """
    commands = [list(entry) for entry in sim.command_log]
    state = sim.to_dict()
    size = len(json.dumps([commands, state], separators=(",", ":")).encode())
    if size > MAX_SHARE_BYTES:
        raise ShareRefused(
            f"This run is too big to share ({size / 1e6:.1f} MB; a share may store at most "
            f"{MAX_SHARE_BYTES / 1e6:g} MB). Start again and share a shorter run."
        )
    if session_key:
        _share_allowance(session_key)
    slug = secrets.token_urlsafe(9)
    SharedRun.objects.create(
        slug=slug, scenario=scenario, seed=sim.seed, commands=commands, until=sim.now, state=state
    )
    return slug


def _share_allowance(session_key: str) -> None:
    """One share per SHARE_INTERVAL per learner (their session), across tabs and reconnects."""
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key=session_key)
    now = time.time()
    last = store.get(SESSION_SHARED_AT)
    if isinstance(last, int | float) and 0 <= now - last < SHARE_INTERVAL:
        raise ShareRefused(SHARED_RECENTLY)
    store[SESSION_SHARED_AT] = now
    store.save()


def share_get(*, slug: str) -> SharedRun | None:
    return SharedRun.objects.filter(slug=slug).first()


def share_open(*, slug: str, learner_id) -> SharedRun | None:
    """Put a shared run into the learner's own run of that scenario.

    It loads the state stored with the share (what replaying its seed and commands gives; a
    test holds the two equal), so opening a long run costs no more than opening a short one.
    Shares without a usable stored state are replayed.
    """
    shared = SharedRun.objects.filter(slug=slug).first()
    if shared is None:
        return None
    sim = None
    if shared.state:
        try:
            sim = Simulation.from_dict(shared.state)
        except (KeyError, TypeError, ValueError):
            sim = None  # stored by an older schema: replay instead
    if sim is None:
        sim = Simulation.replay(shared.scenario, shared.seed, shared.commands, until=shared.until)
    run_save(learner_id=learner_id, scenario=shared.scenario, sim=sim)
    return shared

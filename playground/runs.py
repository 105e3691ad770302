"""Services for saved and shared runs; consumers call them through database_sync_to_async."""

from __future__ import annotations

import json
import secrets
import time
from importlib import import_module

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from lessons.models import Learner
from playground import journal
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


def _restored(row: PlaygroundRun, *, owner: str | None = None) -> Simulation:
    """The run as it stands: its snapshot, the journal beyond it, its clock mark."""
    try:
        sim = Simulation.from_dict(row.state)
    except (KeyError, TypeError, ValueError):
        # A state from an older schema (or garbage): start the scenario afresh.
        sim = fresh_run(row.scenario, new_seed())
        journal.replace(PlaygroundRun, row.pk, sim, owner=owner)
        return sim
    return journal.restore(PlaygroundRun, row, sim, owner=owner)


def run_load(*, learner_id, scenario: str) -> Simulation:
    """The learner's simulation of this scenario as it stands, or a fresh one (saved at once).

    Read only (the page's first render): the socket takes it live with ``run_open``.
    """
    row = PlaygroundRun.objects.filter(learner_id=learner_id, scenario=scenario).first()
    if row is not None:
        return _restored(row)
    sim = fresh_run(scenario, new_seed())
    with transaction.atomic():
        PlaygroundRun.objects.get_or_create(
            learner_id=learner_id, scenario=scenario, defaults={"state": sim.to_dict()}
        )
    return sim


def run_open(*, learner_id, scenario: str, owner: str, seen: str = "") -> tuple[int, Simulation]:
    """Take the learner's run live for the socket ``owner`` and load it: (run id, simulation).

    ``seen``: the holder the socket found (``run_holder``) and asked to step aside; the run
    is taken only if it is free or still held by that one. Raises ``journal.Fenced`` if
    another socket took it first, ``journal.RunGone`` if the learner no longer exists.
    """
    row = PlaygroundRun.objects.filter(learner_id=learner_id, scenario=scenario).first()
    if row is None:
        if not Learner.objects.filter(pk=learner_id).exists():
            raise journal.RunGone
        sim = fresh_run(scenario, new_seed())
        try:
            with transaction.atomic():
                row = PlaygroundRun.objects.create(
                    learner_id=learner_id,
                    scenario=scenario,
                    state=sim.to_dict(),
                    live_channel=owner,
                )
        except IntegrityError:  # another socket made it at the same instant: it runs it
            raise journal.Fenced from None
        return row.pk, sim
    if not journal.claim(PlaygroundRun, row.pk, owner, seen):
        raise journal.Fenced
    row.refresh_from_db()
    return row.pk, _restored(row, owner=owner)


def run_append(*, run_id: int, owner: str, start: int, entries: list, reached: float) -> None:
    """Journal accepted commands (and the clock mark) before the page is told they are done."""
    journal.append(PlaygroundRun, run_id, owner, start=start, entries=entries, reached=reached)


def run_snapshot(*, run_id: int, owner: str, sim: Simulation, release: bool = False) -> None:
    """Snapshot the live run (fenced on ``owner``); ``release`` frees it for the next socket."""
    journal.snapshot(PlaygroundRun, run_id, owner, sim, release=release, updated_at=timezone.now())


def run_reset(*, run_id: int, owner: str, scenario: str, seed: int | None = None) -> Simulation:
    """Start the scenario again from the beginning, with a new seed unless one is given.

    The fresh state and the emptied journal are one transaction, so no old command returns.
    """
    sim = fresh_run(scenario, new_seed() if seed is None else seed)
    journal.replace(PlaygroundRun, run_id, sim, owner=owner)
    return sim


def run_save(*, learner_id, scenario: str, sim: Simulation) -> bool:
    """Make ``sim`` the learner's run of that scenario, whole (a share opened, a test's
    setup): the journal is emptied and a socket running the old run is fenced out.

    False if the learner no longer exists (they reset their progress).
    """
    row = PlaygroundRun.objects.filter(learner_id=learner_id, scenario=scenario).first()
    if row is not None:
        try:
            journal.replace(PlaygroundRun, row.pk, sim)
        except journal.RunGone:
            return False
        return True
    if not Learner.objects.filter(pk=learner_id).exists():
        return False
    PlaygroundRun.objects.update_or_create(
        learner_id=learner_id, scenario=scenario, defaults={"state": sim.to_dict()}
    )
    return True


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

"""The playground's WebSocket consumer: thin. Frames go to the LiveSession, HTML comes back.

One consumer per open playground. It owns one timer task (cancelled on disconnect) and
sends the full view on every (re)connect so a client that missed updates re-syncs from the
authoritative state. Every accepted command is written to the run's journal before the page
is told it is done (``playground.journal``), with a clock mark every few seconds; a snapshot
is stored every few seconds while the run changes and on every way out.

One tab at a time runs a given run live. A consumer that opens a run another socket holds
asks that one (over the channel layer) to save and step aside first, then takes the run with
one conditional UPDATE; every write it makes is fenced on still holding the run, so no tab
overwrites what another did. The tab that stepped aside says so and offers to continue there.
Frames that arrive while the run is still being taken over or loaded wait, in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from playground import experiment_runs, frames, journal, runs
from playground.catalog import scenario_names
from playground.live import ExperimentSession, LiveSession

logger = logging.getLogger(__name__)
FRAME_FAILED = "Something went wrong handling that; nothing was changed. Please try again."
SAVE_INTERVAL = 10.0  # seconds between snapshots while the simulation changes (and on leaving)
MARK_INTERVAL = 2.0  # seconds between two clock marks (simulated time reached) while it runs
RETRY_INTERVAL = 1.0  # seconds before a failed write of commands is tried again
EARLY_FRAMES = 16  # frames kept while the run is still loading (the command burst)
HANDOVER_WAIT = 1.0  # seconds to wait for another tab to save and step aside
CLOSE_NOT_FOUND = 4404  # unknown scenario or run, or no learner: the client does not retry
CLOSE_GONE = 4410  # the learner reset their progress: this run no longer exists
CLOSE_FAILED = 1011  # the server failed opening the run (logged); the page says so, retries
CLOSE_ELSEWHERE = 4409  # the run went live in another tab: the client does not retry
LAYER_SEND_WAIT = 2.0  # seconds a message to another tab may take before it counts as unsent
HANDOVER_UNSENT = (
    "This run was open in another tab that could not be asked to hand it over (messages "
    "between servers are paused). It continues here from its last save."
)
STILL_CONNECTING = "Still connecting to the simulation: nothing was changed. Try again in a moment."
NOT_STORED = (
    "Not saved yet: the server could not store that just now. It keeps trying, and says "
    "so here once it is stored."
)
STORED_AGAIN = "Saved: everything you did is stored again."
SESSION_LEARNER_KEY = "learner_id"


class NotFoundConsumer(AsyncWebsocketConsumer):
    """Any other WebSocket path: refused with a code the page understands (no retry loop)."""

    async def connect(self) -> None:
        await self.refuse(CLOSE_NOT_FOUND)

    async def refuse(self, code: int) -> None:
        # Accept first: a socket refused during the handshake looks like a network failure
        # to the browser, which would then retry for ever.
        await self.accept()
        await self.close(code=code)


class PlaygroundConsumer(NotFoundConsumer):
    session: LiveSession | None = None
    task: asyncio.Task | None = None
    learner_id = None
    run_id: int | None = None
    loaded = False  # the run is loaded: frames are handled (before that they wait, in order)
    persisted = 0  # command-log entries known to be stored (journal or snapshot)
    marked = 0.0  # simulated time of the last stored clock mark
    marked_at = 0.0  # when (monotonic) that mark was stored
    retry_at = 0.0  # after a failed write: when to try again
    told_unsaved = False  # the page was told something is not stored yet

    async def __call__(self, scope, receive, send):
        try:
            await super().__call__(scope, receive, send)
        finally:  # however the connection ended (a layer failure, a kill by the server too)
            if self.task is not None and not self.task.done():
                self.task.cancel()  # its clock must not outlive it
            await self.leave()

    async def dispatch(self, message: dict) -> None:
        try:
            await super().dispatch(message)
        except StopConsumer:
            raise
        except Exception:
            # A handler failed: the connection is dropped without disconnect(), so stop the
            # clock and save here, or the run would tick (and be overwritten) with no owner.
            with contextlib.suppress(Exception):
                await self.stop_clock()
            await self.leave()
            raise

    async def connect(self) -> None:
        self.scenario = self.scope["url_route"]["kwargs"]["scenario"]
        session = self.scope.get("session")
        self.learner_id = session.get(SESSION_LEARNER_KEY) if session is not None else None
        if self.scenario not in scenario_names() or not self.learner_id:
            await self.refuse(CLOSE_NOT_FOUND)  # open the page first
            return
        await self.accept_and_start(
            await database_sync_to_async(runs.run_holder)(
                learner_id=self.learner_id, scenario=self.scenario
            )
        )

    async def accept_and_start(self, holder: str) -> None:
        self.handed_over = asyncio.Event()
        self.turn = asyncio.Lock()  # one frame or tick at a time, each stored before it is sent
        self.early: list[str | None] = []
        await self.accept()
        self.task = asyncio.create_task(self.start(holder))

    async def start(self, holder: str) -> None:
        """Take the run over from the tab that holds it (if any), load it, send it, tick.

        A failure here is logged and closes the socket with 1011, which the page explains
        (and retries after a pause), instead of leaving a socket open with nothing behind it.
        """
        try:
            await self._start(holder)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("starting a playground socket failed")
            with contextlib.suppress(Exception):
                await self.close(code=CLOSE_FAILED)

    async def _start(self, holder: str) -> None:
        unsent = False
        if holder and holder != self.channel_name:
            unsent = not await self.layer_send(
                holder, {"type": "run.takeover", "reply_to": self.channel_name}
            )
            if not unsent:
                with contextlib.suppress(TimeoutError):  # that tab is gone: its last save stands
                    await asyncio.wait_for(self.handed_over.wait(), HANDOVER_WAIT)
        try:
            found = await self.load(holder)
        except journal.Fenced:  # another tab took it live first: that one runs it
            await self.step_aside()
            return
        except journal.RunGone:
            await self.gone()
            return
        except Exception:  # the database failed us: the client retries after a pause
            logger.exception("loading a playground run failed")
            await self.close(code=CLOSE_FAILED)
            return
        if not found:
            await self.close(code=CLOSE_NOT_FOUND)  # accepted already: the code reaches the page
            return
        self.persisted = len(self.session.sim.command_log)
        self.marked, self.marked_at = self.session.sim.now, time.monotonic()
        async with self.turn:
            self.loaded = True
            await self.send_all(self.session.full())
            if unsent:  # the other tab could not be asked: what it saved last is what loaded
                await self.send_all([self.session.notice(HANDOVER_UNSENT, kind="info")])
            while self.early and self.session is not None:  # what the learner did meanwhile
                await self.handle_frame(self.early.pop(0))
        if self.session is not None:
            await self.run_clock()

    def layer_outage(self) -> bool:
        """Whether the channel layer (Redis) is out: see config/channel_layer.py."""
        return bool(getattr(self.channel_layer, "outage", False))

    async def layer_send(self, channel: str, message: dict) -> bool:
        """Send to another consumer (maybe in another process); False if the layer failed.

        A channel-layer failure (Redis out or slow) never takes this socket down: the caller
        degrades to "the last saved state wins".
        """
        try:
            await asyncio.wait_for(self.channel_layer.send(channel, message), LAYER_SEND_WAIT)
        except Exception:
            logger.warning("channel layer send failed (%s)", message.get("type"), exc_info=True)
            return False
        return True

    async def load(self, holder: str) -> bool:
        self.run_id, sim = await database_sync_to_async(runs.run_open)(
            learner_id=self.learner_id, scenario=self.scenario, owner=self.channel_name, seen=holder
        )
        self.session = LiveSession(self.scenario, sim)
        return True

    async def gone(self) -> None:
        """The learner reset their progress: the run is gone, say so and stop."""
        self.session = None
        await self.close(code=CLOSE_GONE)

    async def step_aside(self) -> None:
        """Another socket runs this run live now: stop, write nothing more, say so."""
        if asyncio.current_task() is not self.task:
            await self.stop_clock()
        self.session = None
        await self.close(code=CLOSE_ELSEWHERE)

    async def run_takeover(self, event: dict) -> None:
        """Another tab opened this run: save it, hand it over, and step aside."""
        await self.stop_clock()
        await self.leave()
        await self.layer_send(event["reply_to"], {"type": "run.handed_over"})  # else it waits
        await self.close(code=CLOSE_ELSEWHERE)

    async def run_handed_over(self, event: dict) -> None:
        self.handed_over.set()

    async def disconnect(self, code: int) -> None:
        """Stop the clock and save, however the clock task ended (cancelled or failed)."""
        try:
            await self.stop_clock()
        finally:
            await self.leave()

    async def leave(self) -> None:
        """Snapshot the run and free it for the next socket (every way out comes here).

        Nothing acknowledged depends on it (the journal holds every such command): it makes
        the next load quicker and frees the run at once. A failure is logged, never raised.
        """
        if self.session is None:
            return
        try:
            await self.save(release=True)
        except (journal.Fenced, journal.RunGone):
            pass  # another socket runs it, or it is gone: nothing of ours to keep
        except Exception:
            logger.exception("saving a playground run on the way out failed (its journal stands)")
        finally:
            self.session = None

    async def stop_clock(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.task
            self.task = None

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.task is None:  # refused, or never started: nothing to apply frames to
            return
        if not self.loaded:  # still taking the run over or loading it: keep the frame
            if self.session is None and len(self.early) < EARLY_FRAMES:
                self.early.append(text_data)
            else:
                await self.send_all([LiveSession.notice(STILL_CONNECTING)])
            return
        async with self.turn:
            if self.session is not None:
                await self.handle_frame(text_data)

    async def handle_frame(self, text_data: str | None) -> None:
        """One frame: apply it, store what it changed, and only then say it is done."""
        try:
            outcome = self.session.handle(text_data)
        except Exception:  # a bug must not take the run down: say so, change nothing more
            logger.exception("playground frame failed")
            await self.send_all([self.session.notice(FRAME_FAILED)])
            return
        try:
            stored = await self.persist()
        except journal.Fenced:
            await self.step_aside()
            return
        except journal.RunGone:
            await self.gone()
            return
        fragments = list(outcome.fragments)
        if outcome.ack is not None:
            fragments.append(outcome.ack if stored else self.unsaved_notice())
        elif not stored:
            fragments.append(self.unsaved_notice())
        await self.send_all(fragments)
        if outcome.effect == "reset":
            try:
                sim = await database_sync_to_async(runs.run_reset)(
                    run_id=self.run_id, owner=self.channel_name, scenario=self.scenario
                )
            except journal.Fenced:
                await self.step_aside()
                return
            except journal.RunGone:
                await self.gone()
                return
            self.persisted = len(sim.command_log)
            self.marked = sim.now
            await self.send_all(self.session.replace(sim))
        elif outcome.effect == "share":
            try:
                await self.save()
            except journal.Fenced:
                await self.step_aside()
                return
            except journal.RunGone:
                await self.gone()
                return
            session = self.scope.get("session")
            try:
                slug = await database_sync_to_async(runs.share_create)(
                    scenario=self.scenario,
                    sim=self.session.sim,
                    session_key=session.session_key if session is not None else None,
                )
            except runs.ShareRefused as refused:  # too big, or shared a moment ago
                await self.send_all([self.session.notice(refused.message, kind="info")])
                return
            await self.send_all(self.session.shared(slug))

    def unsaved_notice(self) -> str:
        self.told_unsaved = True
        return self.session.notice(NOT_STORED)

    async def persist(self, *, force: bool = True) -> bool:
        """Store the commands not stored yet, with the clock mark (one small transaction).

        True when everything is stored. False when the write failed: it is retried at a
        later tick (and before the next acknowledgement). Raises ``journal.Fenced`` (another
        socket runs the run now) and ``journal.RunGone``.
        """
        sim = self.session.sim
        start = self.persisted
        entries = sim.command_log[start:]
        now = time.monotonic()
        if not entries:
            if not force and (sim.now == self.marked or now - self.marked_at < MARK_INTERVAL):
                return True
            if sim.now == self.marked:
                return True
        if not force and now < self.retry_at:
            return False
        try:
            await self.append(start=start, entries=entries, reached=sim.now)
        except (journal.Fenced, journal.RunGone):
            raise
        except Exception:
            logger.exception("storing a playground command failed; it is retried")
            self.retry_at = now + RETRY_INTERVAL
            return False
        self.persisted = start + len(entries)
        self.marked, self.marked_at = sim.now, now
        return True

    async def append(self, *, start: int, entries: list, reached: float) -> None:
        await database_sync_to_async(runs.run_append)(
            run_id=self.run_id,
            owner=self.channel_name,
            start=start,
            entries=entries,
            reached=reached,
        )

    async def run_clock(self) -> None:
        last = time.monotonic()
        last_save = last
        while True:
            await asyncio.sleep(self.session.next_interval())  # longer while the run is heavy
            async with self.turn:
                if self.session is None:
                    return
                now = time.monotonic()
                fragments = self.session.tick(now - last)
                fragments += self.session.layer_state(self.layer_outage())
                last = now
                try:  # what the tick logged itself (an experiment's pause), and the clock mark
                    stored = await self.persist(force=False)
                except journal.Fenced:
                    await self.step_aside()
                    return
                except journal.RunGone:
                    await self.gone()
                    return
                if (
                    stored
                    and self.told_unsaved
                    and self.persisted == len(self.session.sim.command_log)
                ):
                    self.told_unsaved = False
                    fragments.append(self.session.notice(STORED_AGAIN, kind="ok"))
                try:
                    await self.send_all(fragments)
                except Exception:  # the socket closed under us: disconnect() saves the run
                    return
                if self.session is None:
                    return
                if now - last_save >= SAVE_INTERVAL and self.session.dirty:
                    last_save = now
                    try:
                        await self.save()
                    except journal.Fenced:
                        await self.step_aside()
                        return
                    except journal.RunGone:
                        await self.gone()
                        return
                    except Exception:  # the journal holds every command; the next save retries
                        logger.exception("saving a playground run failed")
                        self.session.dirty = True

    async def save(self, *, release: bool = False) -> None:
        """Snapshot the run (fenced); raises journal.Fenced or journal.RunGone."""
        session = self.session
        session.dirty = False
        await self.store_snapshot(release=release)
        self.persisted = len(session.sim.command_log)
        self.marked, self.marked_at = session.sim.now, time.monotonic()

    async def store_snapshot(self, *, release: bool) -> None:
        await database_sync_to_async(runs.run_snapshot)(
            run_id=self.run_id, owner=self.channel_name, sim=self.session.sim, release=release
        )

    async def send_all(self, fragments: list[str]) -> None:
        # Frames that each fit the server's frame limit, however big the view (frames.py).
        for frame in frames.pack(fragments, settings.PLAYGROUND_FRAME_BYTES):
            await self.send(text_data=frame)


class ExperimentConsumer(PlaygroundConsumer):
    """An experiment's embedded run: the learner's own ExperimentRun, decided by the engine."""

    async def connect(self) -> None:
        session = self.scope.get("session")
        self.learner_id = session.get(SESSION_LEARNER_KEY) if session is not None else None
        self.run_id = self.scope["url_route"]["kwargs"]["run_id"]
        holder = None
        if self.learner_id:
            holder = await database_sync_to_async(experiment_runs.experiment_holder)(
                learner_id=self.learner_id, run_id=self.run_id
            )
        if holder is None:
            await self.refuse(CLOSE_NOT_FOUND)  # not this learner's run, or no such run
            return
        await self.accept_and_start(holder)

    async def load(self, holder: str) -> bool:
        loaded = await database_sync_to_async(experiment_runs.experiment_open)(
            learner_id=self.learner_id, run_id=self.run_id, owner=self.channel_name, seen=holder
        )
        if loaded is None:
            return False
        self.session = ExperimentSession(*loaded)
        return True

    async def send_all(self, fragments: list[str]) -> None:
        await super().send_all(fragments)
        if self.session is not None and self.session.newly_decided:
            session = self.session
            try:
                run = await database_sync_to_async(experiment_runs.experiment_record)(
                    run_id=self.run_id,
                    exp=session.exp,
                    sim=session.sim,
                    result=session.result,
                    owner=self.channel_name,
                )
            except journal.Fenced:
                await self.step_aside()
                return
            if run is None:
                await self.gone()
                return
            session.run = run
            await super().send_all(session.render_changed(force_keys=("experiment",)))

    async def append(self, *, start: int, entries: list, reached: float) -> None:
        await database_sync_to_async(experiment_runs.experiment_append)(
            run_id=self.run_id,
            owner=self.channel_name,
            start=start,
            entries=entries,
            reached=reached,
        )

    async def store_snapshot(self, *, release: bool) -> None:
        await database_sync_to_async(experiment_runs.experiment_save_state)(
            run_id=self.run_id, owner=self.channel_name, sim=self.session.sim, release=release
        )

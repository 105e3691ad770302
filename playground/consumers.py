"""The playground's WebSocket consumer: thin. Frames go to the LiveSession, HTML comes back.

One consumer per open playground. It owns one timer task (cancelled on disconnect), saves
the simulation every few seconds and on disconnect, and sends the full view on every
(re)connect so a client that missed updates re-syncs from the authoritative state.

One tab at a time runs a given run live. A consumer that opens a run another socket holds
asks that one (over the channel layer) to save and step aside first, so no tab overwrites
what another did; the tab that stepped aside says so and offers to continue there.
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

from playground import experiment_runs, frames, runs
from playground.catalog import scenario_names
from playground.live import ExperimentSession, LiveSession

logger = logging.getLogger(__name__)
FRAME_FAILED = "Something went wrong handling that; nothing was changed. Please try again."
SAVE_INTERVAL = 10.0  # seconds between saves while the simulation changes (and on disconnect)
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

    async def __call__(self, scope, receive, send):
        try:
            await super().__call__(scope, receive, send)
        finally:  # however the connection ended, its clock must not outlive it
            if self.task is not None and not self.task.done():
                self.task.cancel()

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
                if self.session is not None:
                    await self.save(release=True)
            self.session = None
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
            found = await self.load()
        except Exception:  # the database failed us: the client retries after a pause
            logger.exception("loading a playground run failed")
            await self.close(code=CLOSE_FAILED)
            return
        if not found:
            await self.close(code=CLOSE_NOT_FOUND)  # accepted already: the code reaches the page
            return
        await self.send_all(self.session.full())
        if unsent:  # the other tab could not be asked: what it saved last is what loaded
            await self.send_all([self.session.notice(HANDOVER_UNSENT, kind="info")])
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

    async def load(self) -> bool:
        sim = await database_sync_to_async(runs.run_load)(
            learner_id=self.learner_id, scenario=self.scenario, holder=self.channel_name
        )
        self.session = LiveSession(self.scenario, sim)
        return True

    async def gone(self) -> None:
        """The learner reset their progress: the run is gone, say so and stop."""
        self.session = None
        await self.close(code=CLOSE_GONE)

    async def run_takeover(self, event: dict) -> None:
        """Another tab opened this run: save it, hand it over, and step aside."""
        await self.stop_clock()
        if self.session is not None:
            await self.save(release=True)
            self.session = None
        await self.layer_send(event["reply_to"], {"type": "run.handed_over"})  # else it waits
        await self.close(code=CLOSE_ELSEWHERE)

    async def run_handed_over(self, event: dict) -> None:
        self.handed_over.set()

    async def disconnect(self, code: int) -> None:
        """Stop the clock and save, however the clock task ended (cancelled or failed)."""
        try:
            await self.stop_clock()
        finally:
            if self.session is not None:
                await self.save(release=True)

    async def stop_clock(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.task
            self.task = None

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.session is None:
            await self.send_all([LiveSession.notice(STILL_CONNECTING)])
            return
        try:
            outcome = self.session.handle(text_data)
        except Exception:  # a bug must not take the run down: say so, change nothing more
            logger.exception("playground frame failed")
            await self.send_all([self.session.notice(FRAME_FAILED)])
            return
        await self.send_all(outcome.fragments)
        if outcome.effect == "reset":
            sim = await database_sync_to_async(runs.run_reset)(
                learner_id=self.learner_id, scenario=self.scenario
            )
            await self.send_all(self.session.replace(sim))
        elif outcome.effect == "share":
            if not await self.save():
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

    async def run_clock(self) -> None:
        last = time.monotonic()
        last_save = last
        while True:
            await asyncio.sleep(self.session.next_interval())  # longer while the run is heavy
            now = time.monotonic()
            try:
                await self.send_all(self.session.tick(now - last))
                await self.send_all(self.session.layer_state(self.layer_outage()))
            except Exception:  # the socket closed under us: disconnect() saves the run
                return
            last = now
            if now - last_save >= SAVE_INTERVAL and self.session.dirty:
                last_save = now
                try:
                    kept = await self.save()
                except Exception:  # keep the clock going; the next save tries again
                    logger.exception("saving a playground run failed")
                    self.session.dirty = True
                    continue
                if not kept:
                    await self.gone()
                    return

    async def save(self, *, release: bool = False) -> bool:
        """Save the run; False if it no longer exists (the learner reset their progress)."""
        self.session.dirty = False
        return await database_sync_to_async(runs.run_save)(
            learner_id=self.learner_id,
            scenario=self.scenario,
            sim=self.session.sim,
            release=self.channel_name if release else "",
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

    async def load(self) -> bool:
        loaded = await database_sync_to_async(experiment_runs.experiment_load)(
            learner_id=self.learner_id, run_id=self.run_id, holder=self.channel_name
        )
        if loaded is None:
            return False
        self.session = ExperimentSession(*loaded)
        return True

    async def send_all(self, fragments: list[str]) -> None:
        await super().send_all(fragments)
        if self.session is not None and self.session.newly_decided:
            session = self.session
            run = await database_sync_to_async(experiment_runs.experiment_record)(
                run_id=self.run_id, exp=session.exp, sim=session.sim, result=session.result
            )
            if run is None:
                await self.gone()
                return
            session.run = run
            await super().send_all(session.render_changed(force_keys=("experiment",)))

    async def save(self, *, release: bool = False) -> bool:
        self.session.dirty = False
        return await database_sync_to_async(experiment_runs.experiment_save_state)(
            run_id=self.run_id, sim=self.session.sim, release=self.channel_name if release else ""
        )

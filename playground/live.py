"""One open playground: the simulation plus what this browser is looking at.

A ``LiveSession`` turns frames into engine commands, moves the clock, and works out which
fragments of the page changed since they were last sent. The consumer only moves bytes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from django.conf import settings
from django.template.loader import render_to_string

from playground import presenters as P
from playground.engine import PROFILES, CommandError, Simulation, load_scenario
from playground.engine import experiments as X
from playground.engine import limits as L
from playground.engine.commands import parse_command
from playground.protocol import EVENT_FILTERS, FrameError, Request, engine_command, parse_frame
from playground.runs import SHARE_INTERVAL, SHARED_RECENTLY  # the per-learner limit: runs.py

THROTTLED = "That was a lot of commands at once. Give the simulation a moment, then try again."
NOT_IN_EXPERIMENT = (
    "An experiment keeps its setup until the question is decided; only pause, resume, step "
    "and speed work here. Open the full playground to change knobs."
)
EXPERIMENT_ACTIONS = frozenset(
    {"pause", "resume", "step", "set_speed", "story", "close_story", "filter_events", "sync"}
)
VIEW_EVENTS = 30  # events shown in the log
MIN_UPDATE_INTERVAL = 0.1  # seconds: at most 10 updates a second
NARRATION_INTERVAL = 2.0  # seconds between two spoken summaries, so they stay readable
COMMANDS_PER_SECOND = 8  # sustained rate a learner may send; bursts up to COMMAND_BURST
COMMAND_BURST = 16
# Cost isolation: one learner's run never holds the server's event loop for long. A tick runs
# at most MAX_EVENTS_PER_TICK engine events (a step command at most MAX_EVENTS_PER_COMMAND; the
# engine continues a long step over the next ticks); a run that needs more falls behind real
# time, and the page says it runs slower than asked.
_TICK_SETTING = getattr(settings, "PLAYGROUND_TICK_EVENTS", None)
TICK_EVENTS = L.MAX_EVENTS_PER_TICK if _TICK_SETTING is None else (_TICK_SETTING or None)
HEAVY_UPDATE_INTERVAL = 0.3  # seconds between ticks while a run uses its whole event budget
# A slow machine (or a costly mix of events) makes events dearer than limits.py assumes: the
# budget adapts so that one tick's engine work stays near TICK_ENGINE_SECONDS.
TICK_ENGINE_SECONDS = 0.015
MIN_TICK_EVENTS = 200
EVENTS_PER_TOKEN = 500  # a command that made this many events costs one more command token
SLOW_SHOWN = 3.0  # seconds the "slower than asked" line stays after the run last fell behind


@dataclass
class Outcome:
    """What handling a frame produced: fragments to send, and a side effect for the consumer."""

    fragments: list[str] = field(default_factory=list)
    effect: str | None = None  # "reset" or "share": needs the database
    # The "done" notice of an accepted command: sent only once the command is stored.
    ack: str | None = None


@dataclass
class Fragment:
    key: str
    template: str


FRAGMENTS = (
    Fragment("clock", "playground/_clock.html"),
    Fragment("playctl", "playground/_playctl.html"),
    Fragment("sender", "playground/_sender.html"),
    Fragment("producer", "playground/_producer.html"),
    Fragment("sync", "playground/_sync.html"),
    Fragment("queues", "playground/_queues.html"),
    Fragment("rnodes", "playground/_rnodes.html"),
    Fragment("done", "playground/_done.html"),
    Fragment("receivers", "playground/_receivers.html"),
    Fragment("dlq", "playground/_dlq.html"),
    Fragment("broker", "playground/_broker.html"),
    Fragment("counters", "playground/_counters.html"),
    Fragment("charts", "playground/_charts.html"),
    Fragment("events", "playground/_events.html"),
    Fragment("goal", "playground/_goal.html"),
    Fragment("story", "playground/_story.html"),
)


class LiveSession:
    LOG_SHOWN = True  # the page has an event log to point to

    def __init__(self, scenario: str, sim: Simulation, *, clock=time.monotonic) -> None:
        self.scenario = scenario
        setup = load_scenario(scenario)
        self.info = setup.summary()
        # Where the sync lane is not the point (it makes no calls by itself), the stage draws
        # it as a slim strip: the comparison stays one click away.
        self.sync_strip = not (setup.sync and (setup.sync.get("rate") or setup.sync.get("mirror")))
        self.clock = clock
        self.sim = sim
        self.story_id: int | None = None
        self.event_filter = "all"
        self.last_seq = 0
        self.sent: dict[str, object] = {}
        self.tokens = float(COMMAND_BURST)
        self.tokens_at = clock()
        self.narrated_seq = sim.event_seq
        self.narrated_at = 0.0
        self.shared_at = float("-inf")
        self.share_slug: str | None = None
        self.dirty = False  # changed since the last save
        self.layer_outage = False  # what the page last heard about messages between servers
        self.behind_at = float("-inf")  # when a tick last ran out of its event budget
        self.tick_events = TICK_EVENTS  # this run's budget now (adapted to what events cost)
        self.pace: tuple[float, float] = (0.0, 0.0)  # (simulated, wall) seconds while behind
        self._cache: dict[str, tuple] = {}
        self._rows: dict[int, dict] = {}  # event seq -> its log row, worded once

    # ----- contexts -----------------------------------------------------------------------

    def _cached(self, name: str, key, build):
        """Recompute a costly context part only when its key (what it depends on) changed."""
        hit = self._cache.get(name)
        if hit is not None and hit[0] == key:
            return hit[1]
        value = build()
        self._cache[name] = (key, value)
        return value

    def contexts(self) -> dict[str, dict]:
        """The template context of every fragment, from one engine view.

        Charts change once a simulated second and the log only with new events, so those
        parts are rebuilt only then: this runs up to ten times a second per playground.
        """
        sim = self.sim
        seq = sim.event_seq
        buckets = sim.metrics.buckets
        view = sim.view(series=False, events=0)
        many_queues = len(view["queues"]) > 1
        receivers = [P.receiver_context(r, many_queues) for r in view["receivers"]]
        by_id = {r["id"]: r for r in receivers}
        queues = [
            {
                **P.queue_context(q),
                "load": P.load_context(q["load"]) if self.info["load_readouts"] else None,
            }
            for q in view["queues"]
        ]
        done = self._cached(
            "done",
            (seq, view["counters"]["acked"]),
            lambda: P.done_context(sim.events_since(seq - VIEW_EVENTS), view["counters"]["acked"]),
        )
        story = self._cached(
            "story",
            (self.story_id, seq),
            lambda: sim.story(self.story_id) if self.story_id is not None else None,
        )
        charts = self._cached(
            "charts",
            (len(buckets), buckets[-1][0] if buckets else None),
            lambda: P.chart_context(sim.metrics.series()),
        )
        rows = self._cached(
            "events",
            (seq, self.event_filter),
            lambda: P.event_rows(
                sim.events_since(seq - VIEW_EVENTS), self.event_filter, self._rows
            ),
        )
        return {
            "clock": {
                "time": f"{view['time']:.1f}",
                "paused": view["paused"],
                "speed": f"{view['speed']:g}",
                "profile": view["profile"],
                "slow": self.slow_text(),
            },
            # Play/Pause changes only with the clock's state, not with its time: not re-sent
            # every tick, so it never moves under the learner's pointer.
            "playctl": {"paused": view["paused"], "watch": self.info["watch"]},
            "sender": {
                "rate": f"{view['sender']['rate']:g}",
                # Async sending makes sense only where a message can reach a queue: one is
                # subscribed, or the queues' buttons can subscribe one again.
                "offered": many_queues or any(q["bound"] for q in view["queues"]),
            },
            "producer": {
                "rate": f"{view['sender']['rate']:g}",
                "sending": view["sender"]["rate"] > 0,
                "sent": view["counters"]["published"],
            },
            "sync": {
                "sync": P.sync_context(
                    view["sync"], by_id.get(view["sync"]["target"]), strip=self.sync_strip
                )
            },
            "queues": {"queues": queues, "many": many_queues, "interactive": True},
            # The receivers on the stage, grouped by queue (each one's live state is its own
            # fragment, rlive:<id>, inside this container).
            "rnodes": {
                "groups": [
                    {"queue": q["name"], "receivers": [by_id[r] for r in q["consumers"]]}
                    for q in view["queues"]
                ],
                "many": many_queues,
                "interactive": True,
            },
            **{f"rlive:{r['id']}": {"r": r} for r in receivers},
            "done": done,
            "receivers": {
                "receivers": receivers,
                "queues": [q["name"] for q in view["queues"]],
                "interactive": True,
            },
            "dlq": P.dlq_context(view["queues"], view["knobs"], True),
            "broker": {"knobs": view["knobs"], "profile": view["profile"], "profiles": PROFILES},
            "counters": {
                "counters": P.counters_context(view),
                "latency": {
                    "p50": P.seconds(view["latency"]["p50"]),
                    "p95": P.seconds(view["latency"]["p95"]),
                },
                "in_system": view["in_system"],
                "copies": sum(1 for q in view["queues"] if q["bound"]) > 1,
            },
            "charts": charts,
            "events": {
                "rows": rows,
                "filter": self.event_filter,
                "filters": P.FILTER_CHOICES,
            },
            "goal": {"goal": P.goal_context(view["goal"])},
            "story": {"story": P.story_context(story)},
        }

    def visible_contexts(self) -> dict[str, dict]:
        """The contexts of the fragments this page shows (all of them, in the playground)."""
        return self.contexts()

    def page_context(self) -> dict:
        """Everything the full page needs for its first HTTP render: the same fragments."""
        contexts = self.visible_contexts()
        pieces = {
            key: render_to_string(_template(key), ctx)
            for key, ctx in contexts.items()
            if not key.startswith("rlive:")
        }
        return {
            "info": self.info,
            "pieces": pieces,
            "sync_strip": self.sync_strip,
            "queue_rows": len(self.sim.queues),
            "profile": self.sim.view(False, 0)["profile"],
            "speed": contexts["clock"]["speed"],
        }

    # ----- rendering ----------------------------------------------------------------------

    def render_changed(self, *, force: bool = False, force_keys: tuple = ()) -> list[str]:
        """Render only fragments whose data changed since they were last sent.

        A receiver's live status (progress, what it holds) is its own small fragment, so the
        receiver's controls are not replaced, and lose no focus, while it works.
        """
        out = []
        contexts = self.visible_contexts()
        container_sent = False
        for key, ctx in contexts.items():
            signature = _signature(key, ctx)
            if key.startswith("rlive:") and container_sent:
                self.sent[key] = signature  # already inside the stage's receivers container
                continue
            if not force and key not in force_keys and self.sent.get(key) == signature:
                continue
            self.sent[key] = signature
            container_sent = container_sent or key == "rnodes"
            out.append(render_to_string(_template(key), {**ctx, "oob": True}))
        return out

    def full(self) -> list[str]:
        """Every fragment, for a (re)connecting client that may have missed updates."""
        out = self.render_changed(force=True)
        sent = self.sim.counters["published"]
        if sent:  # a resumed run: the "Latest" line says where it stands, not "nothing yet"
            text = (
                f"Resumed at {self.sim.now:.1f} s: "
                f"{sent} message{'s' if sent != 1 else ''} sent so far."
            )
            out.append(render_to_string("playground/_narration.html", {"text": text}))
        return out

    def layer_state(self, outage: bool) -> list[str]:
        """The "between servers" status, when it changed: paused while the channel layer
        (Redis) is out, which only hand-overs between tabs need; gone once it is back."""
        if outage == self.layer_outage:
            return []
        self.layer_outage = outage
        return [render_to_string("playground/_layer.html", {"outage": outage, "oob": True})]

    @staticmethod
    def notice(message: str, *, kind: str = "error") -> str:
        return render_to_string("playground/_notice.html", {"message": message, "kind": kind})

    # ----- time ---------------------------------------------------------------------------

    def tick(self, wall_seconds: float) -> list[str]:
        before = self.sim.event_seq, self.sim.now
        started = time.perf_counter()
        reached = self.sim.tick(wall_seconds, max_events=self.tick_events)
        self.adapt(time.perf_counter() - started, reached)
        self.paced(reached, self.sim.now - before[1], wall_seconds)
        if (self.sim.event_seq, self.sim.now) != before:
            self.dirty = True
        out = self.render_changed()
        narration = self.narrate()
        if narration:
            out.append(narration)
        return out

    # ----- cost: slower than asked rather than stalling everyone else ----------------------

    def adapt(self, seconds: float, reached: bool) -> None:
        """Halve the event budget after a tick that took too long; grow it back slowly.
        (How the work is split never changes the run: the engine is deterministic.)"""
        if self.tick_events is None:
            return
        if seconds > TICK_ENGINE_SECONDS:
            self.tick_events = max(MIN_TICK_EVENTS, self.tick_events // 2)
        elif not reached and seconds < TICK_ENGINE_SECONDS / 2:
            self.tick_events = min(TICK_EVENTS, self.tick_events + self.tick_events // 4 + 50)

    def paced(self, reached: bool, simulated: float, wall: float) -> None:
        """Note whether this tick ran out of its event budget (and how fast the run went)."""
        if reached:
            return
        now = self.clock()
        if now - self.behind_at > SLOW_SHOWN:
            self.pace = (0.0, 0.0)  # a new slow spell: measure it afresh
        self.behind_at = now
        sim_s, wall_s = self.pace
        self.pace = (sim_s + simulated, wall_s + wall)

    @property
    def behind(self) -> bool:
        return self.clock() - self.behind_at <= SLOW_SHOWN

    def next_interval(self) -> float:
        """Seconds until the next tick: longer while the run uses its whole event budget."""
        return HEAVY_UPDATE_INTERVAL if self.behind else MIN_UPDATE_INTERVAL

    def slow_text(self) -> str:
        """In plain words, why the clock runs slower than asked ("" when it does not)."""
        if not self.behind:
            return ""
        if self.sim.step_target is not None:
            return (
                f"Stepping to {self.sim.step_target:.1f} s: this run has a lot going on, so "
                "the step takes a few moments."
            )
        sim_s, wall_s = self.pace
        actual = sim_s / wall_s if wall_s > 0 else 0.0
        return (
            f"Running slower than asked (about {actual:.2g}× instead of "
            f"{self.sim.speed:g}×): this run makes more events than the server works through "
            "for one learner at once, so that other learners are not slowed down. Fewer failing "
            "receivers or a lower rate bring it back to speed."
        )

    def narrate(self) -> str | None:
        """At a readable pace, one sentence about the most notable thing that happened."""
        now = self.clock()
        if now - self.narrated_at < NARRATION_INTERVAL or self.sim.event_seq <= self.narrated_seq:
            return None
        events = self.sim.events_since(self.narrated_seq)
        self.narrated_seq = self.sim.event_seq
        self.narrated_at = now
        text = P.narration_text(events, log_shown=self.LOG_SHOWN)
        if not text:
            return None
        return render_to_string("playground/_narration.html", {"text": text})

    # ----- commands -----------------------------------------------------------------------

    def _allow(self) -> bool:
        now = self.clock()
        self.tokens = min(COMMAND_BURST, self.tokens + (now - self.tokens_at) * COMMANDS_PER_SECOND)
        self.tokens_at = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True

    def handle(self, text: str | None) -> Outcome:
        """Handle one frame from the browser. Bad input changes nothing and says why."""
        if not self._allow():  # every frame counts, malformed ones too
            return Outcome([self.notice(THROTTLED)])
        try:
            request = parse_frame(text)
        except FrameError as exc:
            return Outcome([self.notice(str(exc))])
        if request.seq is not None:
            if request.seq <= self.last_seq:
                return Outcome()  # a replayed or duplicate command: already handled
            self.last_seq = request.seq
        refusal = self.refusal(request)
        if refusal:
            return Outcome([self.notice(refusal)])
        if request.is_ui:
            return self._handle_ui(request)
        events = self.sim.event_seq
        try:
            result = self.apply(request)
        except CommandError as exc:
            return Outcome([self.notice(f"Not done: {exc.message}")])
        # Throttle by cost: a command that set off many events costs more than one token.
        self.tokens -= (self.sim.event_seq - events) / EVENTS_PER_TOKEN
        self.dirty = True
        message = result.get("message")
        return Outcome(self.render_changed(), ack=self.notice(message or "", kind="ok"))

    def refusal(self, request: Request) -> str | None:
        """Why this page does not take ``request`` at all (None: it does)."""
        return None

    def apply(self, request: Request) -> dict:
        """Apply an engine command (raises CommandError, changing nothing)."""
        return self.sim.apply(engine_command(request))

    def _handle_ui(self, request: Request) -> Outcome:
        p = request.params
        if request.action == "story":
            message = p.get("message")
            if isinstance(message, bool) or not isinstance(message, int | str):
                return Outcome([self.notice("Choose a message to see its life story.")])
            try:
                self.story_id = int(str(message).strip()[:15])
            except ValueError:
                return Outcome([self.notice("Choose a message to see its life story.")])
        elif request.action == "close_story":
            self.story_id = None
        elif request.action == "filter_events":
            value = p.get("filter")
            if not isinstance(value, str) or value not in EVENT_FILTERS:
                return Outcome([self.notice(f"Unknown event filter {str(value)[:30]!r}.")])
            self.event_filter = value
        elif request.action == "sync":
            return Outcome(self.full())
        elif request.action == "share":
            now = self.clock()
            if now - self.shared_at < SHARE_INTERVAL:  # each share stores the whole state
                return Outcome([self.notice(SHARED_RECENTLY, kind="info")])
            self.shared_at = now
            return Outcome(effect="share")
        elif request.action == "reset":
            return Outcome(effect="reset")
        return Outcome(self.render_changed())

    def replace(self, sim: Simulation) -> list[str]:
        """Swap in another simulation (after a reset) and resend everything."""
        self.sim = sim
        self.story_id = None
        self.narrated_seq = sim.event_seq
        self.dirty = False
        return self.full() + [self.notice("Started again from the beginning.", kind="ok")]

    def shared(self, slug: str) -> list[str]:
        self.share_slug = slug
        return [
            render_to_string(
                "playground/_share.html",
                {"share_slug": slug, "scenario": self.scenario, "oob": True},
            )
        ]


FRAGMENT_TEMPLATES = {f.key: f.template for f in FRAGMENTS}
# What the receivers container (the controls) shows; everything else is live status.
RECEIVER_CONTROL_FIELDS = (
    "id",
    "queue",
    "alive",
    "mean_time",
    "timing",
    "failure_rate",
    "crash_rate",
    "prefetch",
    "idempotent",
    "ack_mode",
)


def _template(key: str) -> str:
    return "playground/_receiver_live.html" if key.startswith("rlive:") else FRAGMENT_TEMPLATES[key]


def _signature(key: str, ctx: dict):
    """What must change for a fragment to be sent again."""
    if key == "receivers":  # the controls: not the fast-changing live status
        return (
            ctx["queues"],
            [tuple(r[k] for k in RECEIVER_CONTROL_FIELDS) for r in ctx["receivers"]],
        )
    if key == "rnodes":  # the container: which receivers, where, up or down (not their work)
        return ctx["interactive"], [
            (g["queue"], [(r["id"], r["alive"]) for r in g["receivers"]]) for g in ctx["groups"]
        ]
    return ctx


class ExperimentSession(LiveSession):
    """An experiment's embedded live run: the same engine and fragments, fewer of them, and
    a clock that stops exactly when the experiment's question is decided."""

    SHOWN = (
        *("clock", "sync", "producer", "queues", "rnodes", "done", "dlq"),
        *("counters", "experiment"),
    )
    LOG_SHOWN = False

    def __init__(self, exp, run, sim: Simulation, **kw) -> None:
        super().__init__(exp.scenario, sim, **kw)
        self.exp = exp
        self.run = run
        self.result = None
        if X.is_decided(exp, sim):
            self.result = X.measure(exp, sim)

    def visible_contexts(self) -> dict[str, dict]:
        return {
            k: v for k, v in self.contexts().items() if k in self.SHOWN or k.startswith("rlive:")
        }

    def tick(self, wall_seconds: float) -> list[str]:
        if self.result is None and not self.sim.paused and wall_seconds > 0:
            # The engine stops at the decision and pauses the run (a logged command).
            self.result = X.play(
                self.exp, self.sim, wall_seconds * self.sim.speed, max_events=self.tick_events
            )
            self.dirty = True
        out = self.render_changed()
        narration = self.narrate()
        if narration:
            out.append(narration)
        return out

    def refusal(self, request: Request) -> str | None:
        """An experiment's setup cannot change mid-run: only the clock (pause, resume, step,
        speed) and viewing actions are taken."""
        return None if request.action in EXPERIMENT_ACTIONS else NOT_IN_EXPERIMENT

    def apply(self, request: Request) -> dict:
        """A step never goes past the moment the question is decided (as the clock does)."""
        if request.action != "step":
            return super().apply(request)
        step = parse_command(engine_command(request))  # the engine's own checks
        if self.result is not None:
            return {"message": "The question is decided; this run stays as it ended."}
        self.result = X.step(self.exp, self.sim, step.dt)
        return {}

    def contexts(self) -> dict[str, dict]:
        contexts = super().contexts()
        contexts["experiment"] = experiment_status(self.exp, self.run, self.result, live=True)
        for key in ("queues", "receivers", "rnodes", "dlq"):
            contexts[key]["interactive"] = False  # no knobs mid-experiment
        contexts["sync"]["sync"]["interactive"] = False
        return contexts

    @property
    def newly_decided(self) -> bool:
        return self.result is not None and self.run.decided_at is None


def experiment_status(exp, run, result=None, *, live: bool) -> dict:
    """What the experiment's status box shows: the prediction, and once decided, the result.

    ``result`` is the engine's Result in a live run; a stored run carries its own result.
    """
    decided = result is not None or run.decided_at is not None
    if result is not None:
        result_text = result.display
        correct = X.is_correct(exp, run.prediction, result)
        explanation = X.explain(exp, result)
    else:
        result_text, correct, explanation = run.result_text, run.correct, run.explanation
    return {
        "exp": exp,
        "run_id": run.pk,
        "variation": run.variation,
        "live": live,
        "decided": decided,
        "prediction_text": X.choice_text(exp, run.prediction)
        if exp.answer == "choice"
        else run.prediction,
        "result_text": result_text if decided else "",
        "correct": correct if decided else None,
        "explanation": explanation if decided else "",
    }


FRAGMENT_TEMPLATES["experiment"] = "playground/_experiment_status.html"

"""Experiments: predict, run, explain.

An experiment is data (``experiments/<id>.toml``): a scenario, a few setup commands, a question
with a checkable answer (a whole number or one of a few choices), the name of a *measure* that
reads the answer out of the simulation, when the question is decided, and an explanation
template. The engine decides every outcome from the seed; the stated ``expected`` answers in
the files are checked by the tests, never shown as the result.

    exp = get_experiment("step6-dead-letters")
    sim = build_simulation(exp, seed=7)          # ready to run live
    while not advance(exp, sim, 0.1):            # one UI tick of simulated time
        ...
    result = measure(exp, sim)                   # or: run_headless(exp, seed=7)
    is_correct(exp, parse_prediction(exp, "5"), result), explain(exp, result)
"""

from __future__ import annotations

import re
import string
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .commands import CommandError, parse_command
from .model import ACKED, DEAD_LETTERED, DELAYED, IN_FLIGHT, READY
from .scenarios import list_scenarios
from .simulation import Simulation

EXPERIMENT_DIR = Path(__file__).parent / "experiments"

MAX_TIME = 120.0  # every experiment is decided within this many simulated seconds
DECIDE_KINDS = ("settled", "quiet", "time")
ANSWER_KINDS = ("number", "choice")
_EPS = 1e-9
_ID_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


class ExperimentError(ValueError):
    """An experiment file is malformed, an id is unknown, or a prediction is not acceptable."""


@dataclass(frozen=True)
class Experiment:
    """One validated experiment file. Commands are stored normalised (``parse_command``)."""

    id: str
    title: str
    scenario: str
    setup_text: str
    question: str
    answer: str  # "number" | "choice"
    measure: str
    expected: int | str
    explanation: str
    variation_text: str
    variation_expected: int | str
    step: int | None = None
    myth: str | None = None
    setup: tuple = ()  # commands applied after ``from_scenario`` (configuration)
    start: tuple = ()  # commands that set the run going (publishes, calls), applied last
    variation: tuple = ()  # commands applied after ``setup`` (before ``start``) for the variation
    params: dict = field(default_factory=dict)  # arguments of the measure
    minimum: int = 0  # number answers: the input's range
    maximum: int = 50
    choices: tuple = ()  # choice answers: ({"id", "text"}, ...)
    decide: str = "settled"  # "settled" | "quiet" | "time"
    max_time: float = MAX_TIME
    variation_explanation: str | None = None

    def commands(self, variation=False):
        """The commands that turn the scenario into this experiment, in order."""
        return list(self.setup) + (list(self.variation) if variation else []) + list(self.start)

    def summary(self):
        """What a page may show *before* the learner commits: no expected answer, no explanation."""
        return {
            "id": self.id,
            "title": self.title,
            "scenario": self.scenario,
            "step": self.step,
            "myth": self.myth,
            "setup_text": self.setup_text,
            "question": self.question,
            "answer": self.answer,
            "minimum": self.minimum if self.answer == "number" else None,
            "maximum": self.maximum if self.answer == "number" else None,
            "choices": [dict(c) for c in self.choices],
            "variation_text": self.variation_text,
            "decide": self.decide,
            "max_time": self.max_time,
        }


@dataclass(frozen=True)
class Result:
    """What the engine answered. ``value`` is an int or a choice id."""

    value: int | str
    display: str
    details: dict
    time: float = 0.0  # simulated time of the measurement
    decided_by: str = ""  # "settled", "quiet", "time" (the time limit), or "" if not decided
    variation: bool = False


# ---------------------------------------------------------------- measures


def _times(n):
    return {1: "once", 2: "twice"}.get(n, f"{n} times")


def _span(values):
    if not values:
        return "0"
    lo, hi = min(values), max(values)
    return str(lo) if lo == hi else f"{lo} to {hi}"


def _plural(n, word):
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _alive(sim, queue=None):
    return sum(r.alive and (queue is None or r.queue == queue) for r in sim.receivers.values())


def _receivers_text(sim, queue=None):
    n = _alive(sim, queue)
    return "no receiver" if n == 0 else ("one receiver" if n == 1 else f"{n} receivers")


def _limit(sim):
    return sim.knobs.delivery_limit or "none"


def _acked_seqs(sim):
    return [e[3] for e in sim.events if e[2] == "acked"]


def _queue(sim, name):
    if name is None:
        return next(iter(sim.queues.values()))
    q = sim.queues.get(name)
    if q is None:
        raise ExperimentError(f"there is no queue {name!r} in this simulation")
    return q


def _m_dead_lettered(sim):
    c = sim.counters
    dlq = [sim.messages[mid] for q in sim.queues.values() for mid in q.dlq]
    per = sorted({m.deliveries for m in dlq})
    n = c["dead_lettered"]
    details = {
        "dead_lettered": n,
        "deliveries": _span(per),
        "deliveries_text": _times(per[0]) if len(per) == 1 else f"{_span(per)} times",
        "limit": _limit(sim),
        "acked": c["acked"],
        "failed": c["failed"],
        "dropped": c["dropped"],
        "expired": c["expired"],
    }
    return n, f"{_plural(n, 'message')} dead-lettered", details


def _m_message_deliveries(sim, message=1):
    m = sim.messages.get(message)
    n = m.total_deliveries if m is not None else 0
    if m is None:
        fate = "it was never published"
    elif m.state == ACKED:
        fate = "it was processed"
    elif m.state == DEAD_LETTERED:
        fate = f"then it was dead-lettered ({m.reason})"
    elif m.state in (DELAYED, READY, IN_FLIGHT):
        fate = "it is still being retried"
    else:
        fate = f"it ended {m.state.replace('_', ' ')}"
    details = {
        "message": message,
        "deliveries": n,
        "deliveries_text": _times(n),
        "limit": _limit(sim),
        "fate": fate,
        "failed": sim.counters["failed"],
    }
    return n, f"{_plural(n, 'delivery')} of message {message}", details


def _m_sync_blocked(sim):
    s = sim.sync
    blocked = s.blocked_time + (sim.now - s.call[1] if s.call is not None else 0.0)
    seconds = round(blocked)
    c = s.counts
    failed = c["timeout"] + c["error"] + c["rejected"]
    details = {
        "seconds": seconds,
        "calls": c["calls"],
        "ok": c["ok"],
        "failed": failed,
        "timeout": f"{s.timeout:g}",
        "per_call": f"{blocked / c['calls']:.3g}" if c["calls"] else "0",
    }
    return seconds, f"blocked for {seconds} s", details


def _m_accepted(sim):
    c = sim.counters
    s = sim.sync
    failed = s.counts["timeout"] + s.counts["error"] + s.counts["rejected"]
    n = c["accepted"]
    details = {
        "accepted": n,
        "published": c["published"],
        "refused": c["refused"],
        "waiting": sum(len(q.ready) for q in sim.queues.values()),
        "calls_failed": failed,
        "blocked": round(s.blocked_time),
    }
    return n, f"{_plural(n, 'message')} accepted", details


def _m_queue_waiting(sim, queue=None):
    q = _queue(sim, queue)
    acked = sum(1 for m in sim.messages.values() if m.state == ACKED and m.queue == q.name)
    others = sum(1 for m in sim.messages.values() if m.state == ACKED and m.queue != q.name)
    n = len(q.ready)
    details = {
        "waiting": n,
        "queue": q.name,
        "acked": acked,
        "others_acked": others,
        "in_flight": sum(1 for m in sim.messages.values() if m.state == IN_FLIGHT),
        "receivers_text": _receivers_text(sim, q.name),
        "seconds": f"{sim.now:g}",
    }
    return n, f"{_plural(n, 'message')} waiting in the “{q.name}” queue", details


def _m_last_done(sim):
    times = [e[1] for e in sim.events if e[2] == "acked"]
    seconds = round(max(times)) if times else 0
    details = {
        "seconds": seconds,
        "acked": len(times),
        "published": sim.counters["published"],
        "receivers_text": _receivers_text(sim),
    }
    return seconds, f"last one done after {seconds} s", details


def _order_details(sim):
    seqs = _acked_seqs(sim)
    return {
        "order": ", ".join(map(str, seqs)) or "none",
        "out_of_order": sim.counters["out_of_order"],
        "acked": len(seqs),
        "receivers_text": _receivers_text(sim),
    }


def _m_in_order(sim):
    details = _order_details(sim)
    in_order = details["acked"] > 0 and details["out_of_order"] == 0
    value = "yes" if in_order else "no"
    details["answer"] = "in the order they were sent" if in_order else "out of order"
    return value, f"finished {details['answer']}", details


def _m_out_of_order(sim):
    details = _order_details(sim)
    n = details["out_of_order"]
    return n, f"{_plural(n, 'completion')} out of order", details


def _m_duplicates(sim):
    c = sim.counters
    n = c["duplicates"]
    details = {
        "duplicates": n,
        "skipped": c["duplicates_skipped"],
        "crashes": c["crashes"],
        "redelivered": c["redelivered"],
        "acked": c["acked"],
        "effects": sum(m.effects for m in sim.messages.values()),
    }
    return n, f"{_plural(n, 'duplicate effect')}", details


def _m_acked(sim):
    c = sim.counters
    n = c["acked"]
    poison = [m for m in sim.messages.values() if m.poison]
    details = {
        "acked": n,
        "published": c["published"],
        "poison_deliveries": sum(m.total_deliveries for m in poison),
        "dead_lettered": c["dead_lettered"],
        "limit": _limit(sim),
        "seconds": f"{sim.now:g}",
    }
    return n, f"{_plural(n, 'message')} processed", details


def _m_oldest_age(sim, queue=None):
    from .load import queue_load

    q = _queue(sim, queue)
    r = queue_load(sim, q)
    seconds = round(r["oldest_age"] or 0.0)

    def num(x, unit=""):
        return "unknown" if x is None else f"{x:.3g}{unit}"

    details = {
        "seconds": seconds,
        "queue": q.name,
        "waiting": len(q.ready),
        "in_system": r["in_system"],
        "arrival_rate": num(r["accepted_rate"]),
        "throughput": num(r["throughput"]),
        "predicted_wait": num(r["predicted_wait"], " s"),
        "growth": num(r["growth"]),
        "shed": q.shed,
        "refused": q.refused,
        "time": f"{sim.now:g}",
    }
    return seconds, f"the oldest message had waited {seconds} s", details


@dataclass(frozen=True)
class Measure:
    """How an answer is read: ``fn(sim, **params) -> (value, display, details)``."""

    name: str
    kind: str  # "number" | "choice"
    description: str
    fn: object
    details: frozenset
    params: dict = field(default_factory=dict)  # name -> type
    values: tuple = ()  # choice measures: every value it can give


def _keys(*names):
    return frozenset(names)


MEASURES = {
    m.name: m
    for m in (
        Measure("dead_lettered", "number", "messages dead-lettered", _m_dead_lettered,
                _keys("dead_lettered", "deliveries", "deliveries_text", "limit", "acked",
                      "failed", "dropped", "expired")),
        Measure("message_deliveries", "number", "deliveries of one message",
                _m_message_deliveries,
                _keys("message", "deliveries", "deliveries_text", "limit", "fate", "failed"),
                {"message": int}),
        Measure("sync_blocked_seconds", "number", "seconds the sync caller was blocked",
                _m_sync_blocked,
                _keys("seconds", "calls", "ok", "failed", "timeout", "per_call")),
        Measure("accepted", "number", "publishes accepted by the broker", _m_accepted,
                _keys("accepted", "published", "refused", "waiting", "calls_failed", "blocked")),
        Measure("queue_waiting", "number", "messages waiting in a queue", _m_queue_waiting,
                _keys("waiting", "queue", "acked", "others_acked", "in_flight", "receivers_text",
                      "seconds"),
                {"queue": str}),
        Measure("last_done_seconds", "number", "when the last message was done", _m_last_done,
                _keys("seconds", "acked", "published", "receivers_text")),
        Measure("in_order", "choice", "whether completions kept publish order", _m_in_order,
                _keys("order", "out_of_order", "acked", "receivers_text", "answer"),
                values=("yes", "no")),
        Measure("out_of_order", "number", "out-of-order completions", _m_out_of_order,
                _keys("order", "out_of_order", "acked", "receivers_text")),
        Measure("duplicates", "number", "duplicate effects", _m_duplicates,
                _keys("duplicates", "skipped", "crashes", "redelivered", "acked", "effects")),
        Measure("oldest_age", "number", "seconds the oldest ready message has waited",
                _m_oldest_age,
                _keys("seconds", "queue", "waiting", "in_system", "arrival_rate", "throughput",
                      "predicted_wait", "growth", "shed", "refused"),
                {"queue": str}),
        Measure("acked", "number", "messages processed (acked)", _m_acked,
                _keys("acked", "published", "poison_deliveries", "dead_lettered", "limit",
                      "seconds")),
    )
}  # fmt: skip

# Every result also offers these placeholders.
COMMON_DETAILS = frozenset({"value", "display", "time"})


# ---------------------------------------------------------------- loading and validation


_REQUIRED = (
    "id", "title", "scenario", "setup_text", "question", "answer", "measure", "expected",
    "explanation", "variation_text", "variation", "variation_expected",
)  # fmt: skip
_OPTIONAL = (
    "step", "myth", "setup", "start", "params", "minimum", "maximum", "choices", "decide",
    "max_time", "variation_explanation",
)  # fmt: skip


def _text(data, key, where, required=True):
    value = data.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ExperimentError(f"{where}: {key!r} must be a non-empty text")
    return " ".join(value.split())


def _int(value, key, where):
    if isinstance(value, bool) or not isinstance(value, int):
        raise ExperimentError(f"{where}: {key!r} must be a whole number, got {value!r}")
    return value


def _commands(data, key, where):
    raw = data.get(key, [])
    if not isinstance(raw, list):
        raise ExperimentError(f"{where}: {key!r} must be a list of commands")
    try:
        return tuple(parse_command(c).to_dict() for c in raw)
    except CommandError as e:
        raise ExperimentError(f"{where} {key}: {e}") from None


def _placeholders(template, allowed, where, key):
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as e:
        raise ExperimentError(f"{where}: {key!r} is not a valid template: {e}") from None
    for _literal, name, _spec, _conv in parsed:
        if name is None:
            continue
        if name not in allowed:
            raise ExperimentError(
                f"{where}: {key!r} uses {{{name}}}, which measure results do not provide "
                f"(available: {', '.join(sorted(allowed))})"
            )


def parse_experiment(name, data):
    """Validate raw TOML data of ``experiments/<name>.toml``; returns an :class:`Experiment`."""
    where = f"experiment {name!r}"
    extra = set(data) - set(_REQUIRED) - set(_OPTIONAL)
    if extra:
        raise ExperimentError(f"{where}: unknown keys {sorted(extra)}")
    missing = [k for k in _REQUIRED if k not in data]
    if missing:
        raise ExperimentError(f"{where}: missing keys {missing}")
    if data["id"] != name or not _ID_RE.match(name):
        raise ExperimentError(f"{where}: 'id' must equal the file name (lowercase-with-dashes)")
    scenario = data["scenario"]
    if scenario not in list_scenarios():
        raise ExperimentError(f"{where}: unknown scenario {scenario!r}")

    step = data.get("step")
    if step is not None and not 1 <= _int(step, "step", where) <= 9:
        raise ExperimentError(f"{where}: 'step' must be a lesson step, 1 to 9")
    myth = _text(data, "myth", where, required=False)
    if step is None and myth is None:
        raise ExperimentError(f"{where}: needs a 'step' or a 'myth'")

    m = MEASURES.get(data["measure"])
    if m is None:
        raise ExperimentError(
            f"{where}: unknown measure {data['measure']!r}; known: {', '.join(sorted(MEASURES))}"
        )
    params = data.get("params", {})
    if not isinstance(params, dict):
        raise ExperimentError(f"{where}: 'params' must be a table")
    for key, value in params.items():
        kind = m.params.get(key)
        if kind is None:
            raise ExperimentError(f"{where}: measure {m.name!r} takes no parameter {key!r}")
        if isinstance(value, bool) or not isinstance(value, kind):
            raise ExperimentError(f"{where}: parameter {key!r} must be {kind.__name__}")

    answer = data["answer"]
    if answer not in ANSWER_KINDS:
        raise ExperimentError(f"{where}: 'answer' must be one of {', '.join(ANSWER_KINDS)}")
    if answer != m.kind:
        raise ExperimentError(f"{where}: measure {m.name!r} answers a {m.kind}, not a {answer}")
    minimum = maximum = None
    choices = ()
    if answer == "number":
        if "choices" in data:
            raise ExperimentError(f"{where}: a number answer has no 'choices'")
        minimum = _int(data.get("minimum", 0), "minimum", where)
        maximum = _int(data.get("maximum", 50), "maximum", where)
        if minimum >= maximum:
            raise ExperimentError(f"{where}: 'minimum' must be below 'maximum'")
        for key in ("expected", "variation_expected"):
            if not minimum <= _int(data[key], key, where) <= maximum:
                raise ExperimentError(f"{where}: {key!r} must be between {minimum} and {maximum}")
    else:
        if "minimum" in data or "maximum" in data:
            raise ExperimentError(f"{where}: a choice answer has no 'minimum'/'maximum'")
        raw = data.get("choices")
        if not isinstance(raw, list) or len(raw) < 2:
            raise ExperimentError(f"{where}: 'choices' must list at least two {{id, text}}")
        out = []
        for c in raw:
            if not isinstance(c, dict) or set(c) != {"id", "text"}:
                raise ExperimentError(f"{where}: every choice is exactly {{id, text}}")
            out.append({"id": _text(c, "id", where), "text": _text(c, "text", where)})
        choices = tuple(out)
        ids = [c["id"] for c in choices]
        if len(set(ids)) != len(ids):
            raise ExperimentError(f"{where}: choice ids must be unique")
        if set(m.values) - set(ids):
            raise ExperimentError(
                f"{where}: measure {m.name!r} can answer {list(m.values)}; every one needs a choice"
            )
        for key in ("expected", "variation_expected"):
            if data[key] not in ids:
                raise ExperimentError(f"{where}: {key!r} must be one of the choice ids {ids}")

    decide = data.get("decide", "settled")
    if decide not in DECIDE_KINDS:
        raise ExperimentError(f"{where}: 'decide' must be one of {', '.join(DECIDE_KINDS)}")
    if decide == "time" and "max_time" not in data:
        raise ExperimentError(f"{where}: decide = 'time' needs a 'max_time'")
    max_time = data.get("max_time", MAX_TIME)
    if isinstance(max_time, bool) or not isinstance(max_time, int | float):
        raise ExperimentError(f"{where}: 'max_time' must be a number of seconds")
    if not 0 < max_time <= MAX_TIME:
        raise ExperimentError(f"{where}: 'max_time' must be more than 0 and at most {MAX_TIME:g}")

    allowed = m.details | COMMON_DETAILS
    explanation = _text(data, "explanation", where)
    _placeholders(explanation, allowed, where, "explanation")
    variation_explanation = _text(data, "variation_explanation", where, required=False)
    if variation_explanation is not None:
        _placeholders(variation_explanation, allowed, where, "variation_explanation")

    variation = _commands(data, "variation", where)
    if not variation:
        raise ExperimentError(f"{where}: 'variation' needs at least one command")
    exp = Experiment(
        id=name,
        title=_text(data, "title", where),
        scenario=scenario,
        step=step,
        myth=myth,
        setup_text=_text(data, "setup_text", where),
        setup=_commands(data, "setup", where),
        start=_commands(data, "start", where),
        question=_text(data, "question", where),
        answer=answer,
        minimum=minimum if minimum is not None else 0,
        maximum=maximum if maximum is not None else 0,
        choices=choices,
        measure=m.name,
        params=dict(params),
        expected=data["expected"],
        decide=decide,
        max_time=float(max_time),
        explanation=explanation,
        variation_text=_text(data, "variation_text", where),
        variation=variation,
        variation_expected=data["variation_expected"],
        variation_explanation=variation_explanation,
    )
    # The commands must fit the scenario, and the measure must be readable from it.
    for var in (False, True):
        try:
            sim = build_simulation(exp, 0, variation=var)
        except CommandError as e:
            raise ExperimentError(f"{where}: a command does not fit the scenario: {e}") from None
        measure(exp, sim)
    return exp


@lru_cache(maxsize=1)
def _load_all():
    out = {}
    for path in sorted(EXPERIMENT_DIR.glob("*.toml")):
        with path.open("rb") as f:
            try:
                data = tomllib.load(f)
            except tomllib.TOMLDecodeError as e:
                raise ExperimentError(f"experiment {path.stem!r}: {e}") from None
        out[path.stem] = parse_experiment(path.stem, data)
    return out


def load_experiments():
    """Every experiment file, validated, by id (step experiments in lesson order first)."""
    exps = _load_all()
    order = sorted(exps.values(), key=lambda e: (e.step is None, e.step or 0, e.myth or "", e.id))
    return {e.id: e for e in order}


def get_experiment(experiment_id):
    """The experiment with this id (:class:`ExperimentError` if there is none)."""
    exp = _load_all().get(experiment_id)
    if exp is None:
        raise ExperimentError(f"unknown experiment {experiment_id!r}")
    return exp


def experiments_for_step(step):
    """The experiments of a lesson step (possibly none), in id order."""
    return [e for e in load_experiments().values() if e.step == step]


def experiment_for_myth(myth_id):
    """The experiment that tests a myth of the myth-busters quiz, or None."""
    for e in load_experiments().values():
        if e.myth == myth_id:
            return e
    return None


# ---------------------------------------------------------------- running


def build_simulation(exp, seed, *, variation=False):
    """A new simulation of ``exp``: its scenario, then setup, (variation), start commands.

    The commands are in ``sim.command_log``, so ``Simulation.replay(exp.scenario, seed,
    sim.command_log)`` rebuilds it. Drive it with :func:`advance` (live) or :func:`run_headless`.
    """
    sim = Simulation.from_scenario(exp.scenario, seed)
    for command in exp.commands(variation):
        sim.apply(command)
    return sim


def _settled(sim):
    c = sim.counts
    s = sim.sync
    return not (c[DELAYED] or c[READY] or c[IN_FLIGHT] or s.call is not None or s.pending)


def _decided_by(exp, sim):
    if sim.now >= exp.max_time - _EPS:
        return "time"
    if exp.decide == "settled" and _settled(sim):
        return "settled"
    if exp.decide == "quiet" and sim.next_event_time() is None:
        return "quiet"
    return ""


def is_decided(exp, sim):
    """True once the question is decided.

    ``settled``: no message is waiting, delayed or in flight (each is acked, dead-lettered,
    dropped, refused or lost) and the sync caller is idle. ``quiet``: nothing more is scheduled
    to happen. ``time``: ``max_time`` has passed. Every experiment is decided at ``max_time``.
    """
    return bool(_decided_by(exp, sim))


def advance(exp, sim, dt, *, max_events=None):
    """Let up to ``dt`` simulated seconds pass, stopping exactly when the question is decided.

    Returns :func:`is_decided`. The clock never goes past the moment of decision, so a live run
    in ticks of any size measures the same as :func:`run_headless`. ``max_events`` bounds the
    work of one call (counted in instants: all events of one instant are handled together);
    the run then continues from where it stopped on the next call.
    """
    if is_decided(exp, sim):
        return True
    target = min(sim.now + dt, exp.max_time)
    if exp.max_time - target < _EPS:
        target = exp.max_time  # ticks of 0.1 s add up to 89.99999999999916, not 90
    instants = 0
    while True:
        nt = sim.next_event_time()
        if nt is None or nt > target:
            break
        if max_events is not None and instants >= max_events:
            return False  # budget spent; the next call goes on from here
        sim.advance_to(nt)
        instants += 1
        if is_decided(exp, sim):
            return True
    if target > sim.now:
        sim.advance_to(target)
    return is_decided(exp, sim)


def play(exp, sim, dt, *, max_events=None):
    """One live tick of an experiment run (what the embedded playground calls).

    Lets up to ``dt`` simulated seconds pass, never past the decision. Once the question is
    decided, the run is paused with a ``pause`` command (so the pause is in the command log
    and a replay ends paused too) and the engine's :class:`Result` is returned; ``None``
    while the question is still open.
    """
    if not is_decided(exp, sim):
        advance(exp, sim, dt, max_events=max_events)
    if not is_decided(exp, sim):
        return None
    if not sim.paused:
        sim.apply({"action": "pause"})
    return measure(exp, sim)


def step(exp, sim, dt=None, *, max_events=None):
    """The learner's "step" in an experiment run: ``dt`` seconds on, or (``None``) on to the
    next scheduled event (or to the end of the experiment if nothing is scheduled). Like
    :func:`play`, it stops at the decision and returns the Result then (else ``None``)."""
    if dt is None:
        nt = sim.next_event_time()
        dt = max(0.0, (nt if nt is not None else exp.max_time) - sim.now)
    return play(exp, sim, dt, max_events=max_events)


def _is_variation(exp, sim):
    wanted = exp.commands(True)
    log = [c for _t, c in sim.command_log[: len(wanted)]]
    return log == wanted


def measure(exp, sim):
    """Read the answer to ``exp``'s question from ``sim`` (its state, events and counters)."""
    m = MEASURES[exp.measure]
    value, display, details = m.fn(sim, **exp.params)
    details = dict(details, value=value, display=display, time=f"{sim.now:g}")
    return Result(
        value=value,
        display=display,
        details=details,
        time=sim.now,
        decided_by=_decided_by(exp, sim),
        variation=_is_variation(exp, sim),
    )


def run_headless(exp, seed, *, variation=False, max_steps=100_000):
    """Build, run until decided, and measure. Deterministic from ``seed``."""
    sim = build_simulation(exp, seed, variation=variation)
    steps = 0
    while not is_decided(exp, sim):
        nt = sim.next_event_time()
        sim.advance_to(exp.max_time if nt is None else min(nt, exp.max_time))
        steps += 1
        if steps > max_steps:
            raise ExperimentError(f"experiment {exp.id!r} was not decided in {max_steps} steps")
    return measure(exp, sim)


# ---------------------------------------------------------------- predictions


def parse_prediction(exp, raw):
    """A learner's typed or chosen answer as an int (number) or a choice id.

    Raises :class:`ExperimentError` with a readable message when it is not acceptable.
    """
    text = raw.strip() if isinstance(raw, str) else ""
    if not text:
        raise ExperimentError("please give an answer first")
    if exp.answer == "number":
        if not re.fullmatch(r"[+-]?\d{1,9}", text):
            raise ExperimentError("please enter a whole number")
        value = int(text)
        if not exp.minimum <= value <= exp.maximum:
            raise ExperimentError(f"please enter a number from {exp.minimum} to {exp.maximum}")
        return value
    for c in exp.choices:
        if text.lower() == c["id"].lower():
            return c["id"]
    raise ExperimentError(f"please choose one of: {', '.join(c['id'] for c in exp.choices)}")


def is_correct(exp, prediction, result):
    """Whether the prediction (parsed, or raw text) matches what the engine measured."""
    if isinstance(prediction, str):
        try:
            prediction = parse_prediction(exp, prediction)
        except ExperimentError:
            return False
    if isinstance(prediction, bool):
        return False
    return prediction == result.value


def choice_text(exp, choice_id):
    """The text shown for a choice id (the id itself if unknown)."""
    for c in exp.choices:
        if c["id"] == choice_id:
            return c["text"]
    return str(choice_id)


def explain(exp, result):
    """The explanation for this result, with the measured details filled in."""
    template = exp.explanation
    if result.variation and exp.variation_explanation:
        template = exp.variation_explanation
    return template.format(**result.details)

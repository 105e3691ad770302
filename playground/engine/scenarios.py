"""Scenarios: the named starting points of the lesson, stored as TOML data files.

Each ``scenarios/<name>.toml`` holds a title, a description, a broker profile, the setup
(queues, receivers, sender rate, sync lane, knob overrides, start commands), suggested
actions, and optionally a goal the engine can judge.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from . import limits as L
from .commands import RECEIVER_RULES, parse_command
from .goals import CONDITIONS
from .profiles import PROFILES
from .rules import NAME, RATE, SYNC_TIMEOUT, Bool, CommandError, Text
from .spec import KNOBS, QUEUE_SETTINGS

SCENARIO_DIR = Path(__file__).parent / "scenarios"

# The lesson's order; "sandbox" is the free playground.
LESSON_ORDER = (
    "phone-vs-letter",
    "sync-blocks",
    "async-moves-on",
    "slow-receiver",
    "backpressure",
    "fan-out",
    "poison-message",
    "ttl-and-retention",
    "flaky-receiver",
    "ordering",
    "crash-before-ack",
    "under-the-hood",
    "sandbox",
)

_NAME_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")

# A scenario's [knobs] table: any knob of the spec, by its name.
KNOB_RULES = {k.name: k.rule for k in KNOBS}

SYNC_RULES = {
    "target": NAME,
    "timeout": SYNC_TIMEOUT,
    "rate": RATE,
    "mirror": Bool(),
}


class ScenarioError(ValueError):
    """A scenario file is missing or malformed."""


@dataclass(frozen=True)
class Scenario:
    """A validated scenario file."""

    name: str
    title: str
    description: str
    profile: str
    suggested_actions: tuple
    watch: str = ""  # one line: what to watch once Play is pressed (a run starts paused)
    rate: float = 0.0
    knobs: dict = field(default_factory=dict)
    queues: tuple = ()
    receivers: tuple = ()
    sync: dict | None = None
    start: tuple = ()
    goal: dict | None = None
    load_readouts: bool = False  # the page shows each queue's load readouts (load.py)

    def summary(self):
        """Title, description, profile and suggestions, for a scenario list or page header."""
        p = PROFILES[self.profile]
        return {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "profile": p.to_dict(),
            "suggested_actions": list(self.suggested_actions),
            "watch": self.watch,
            "goal": self.goal.get("description") if self.goal else None,
            "load_readouts": self.load_readouts,
        }


def list_scenarios():
    """Names of all scenario files, in lesson order (unknown extra files last)."""
    names = {p.stem for p in SCENARIO_DIR.glob("*.toml")}
    ordered = [n for n in LESSON_ORDER if n in names]
    return ordered + sorted(names - set(ordered))


def _table(data, key, where):
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ScenarioError(f"{where}: '{key}' must be a table")
    return value


def _checked(values, rules, where):
    out = {}
    for key, value in values.items():
        rule = rules.get(key)
        if rule is None:
            raise ScenarioError(f"{where}: unknown setting {key!r}")
        try:
            out[key] = rule.check(key, value)
        except CommandError as e:
            raise ScenarioError(f"{where}: {e}") from None
    return out


def parse_scenario(name, data):
    """Validate raw TOML data for scenario ``name``; returns a :class:`Scenario`."""
    where = f"scenario {name!r}"
    known = {"title", "description", "watch", "profile", "suggested_actions", "rate", "knobs",
             "queues", "receivers", "sync", "start", "goal", "load_readouts"}  # fmt: skip
    extra = set(data) - known
    if extra:
        raise ScenarioError(f"{where}: unknown keys {sorted(extra)}")
    for key in ("title", "description"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            raise ScenarioError(f"{where}: needs a non-empty {key!r}")
    profile = data.get("profile", "teaching")
    if profile not in PROFILES:
        raise ScenarioError(f"{where}: unknown profile {profile!r}")
    actions = data.get("suggested_actions", [])
    if (
        not isinstance(actions, list)
        or not actions
        or not all(isinstance(a, str) and a for a in actions)
    ):
        raise ScenarioError(f"{where}: 'suggested_actions' must be a non-empty list of short texts")
    if any(len(a) > 160 for a in actions):
        raise ScenarioError(f"{where}: suggested actions must be short (160 characters at most)")
    watch = data.get("watch", "")
    if not isinstance(watch, str) or len(watch) > 160 or "\n" in watch:
        raise ScenarioError(f"{where}: 'watch' must be one line of at most 160 characters")
    try:
        rate = RATE.check("rate", data.get("rate", 0.0))
    except CommandError as e:
        raise ScenarioError(f"{where}: {e}") from None
    knobs = _checked(_table(data, "knobs", where), KNOB_RULES, f"{where} knobs")

    queues = data.get("queues", [{"name": "orders"}])
    if not isinstance(queues, list) or len(queues) > L.MAX_QUEUES:
        raise ScenarioError(f"{where}: 'queues' must be a list of at most {L.MAX_QUEUES} tables")
    # A queue may set its own length limit, overflow, TTL, ... (spec.QUEUE_SETTINGS).
    qrules = {"name": NAME, "bound": Bool(), **{n: KNOB_RULES[n] for n in QUEUE_SETTINGS}}
    queues = tuple(_checked(q, qrules, f"{where} queue") for q in queues)
    qnames = [q.get("name") for q in queues]
    if None in qnames or len(set(qnames)) != len(qnames):
        raise ScenarioError(f"{where}: every queue needs a unique name")

    receivers = data.get("receivers", [])
    if not isinstance(receivers, list) or len(receivers) > L.MAX_RECEIVERS:
        raise ScenarioError(
            f"{where}: 'receivers' must be a list of at most {L.MAX_RECEIVERS} tables"
        )
    rrules = {"id": NAME, "queue": NAME, "alive": Bool(), **RECEIVER_RULES}
    receivers = tuple(_checked(r, rrules, f"{where} receiver") for r in receivers)
    rids = [r["id"] for r in receivers if "id" in r]
    if len(set(rids)) != len(rids):
        raise ScenarioError(f"{where}: receiver ids must be unique")
    for r in receivers:
        if r.get("queue", qnames[0] if qnames else None) not in qnames:
            raise ScenarioError(f"{where}: receiver on unknown queue {r.get('queue')!r}")

    sync = None
    if "sync" in data:
        sync = _checked(_table(data, "sync", where), SYNC_RULES, f"{where} sync")

    start = data.get("start", [])
    if not isinstance(start, list):
        raise ScenarioError(f"{where}: 'start' must be a list of commands")
    try:
        start = tuple(parse_command(c).to_dict() for c in start)
    except CommandError as e:
        raise ScenarioError(f"{where} start: {e}") from None

    goal = None
    if "goal" in data:
        goal = dict(_table(data, "goal", where))
        if not isinstance(goal.get("description"), str) or not goal["description"]:
            raise ScenarioError(f"{where}: a goal needs a 'description'")
        conditions = set(goal) - {"description"}
        if not conditions or conditions - CONDITIONS:
            raise ScenarioError(f"{where}: goal conditions must be some of {sorted(CONDITIONS)}")
        for key in conditions:
            if isinstance(goal[key], bool) or not isinstance(goal[key], int | float):
                raise ScenarioError(f"{where}: goal {key!r} must be a number")
        Text(200, 1).check("description", goal["description"])

    try:
        load_readouts = Bool().check("load_readouts", data.get("load_readouts", False))
    except CommandError as e:
        raise ScenarioError(f"{where}: {e}") from None

    return Scenario(
        load_readouts=load_readouts,
        name=name,
        title=data["title"].strip(),
        description=data["description"].strip(),
        profile=profile,
        suggested_actions=tuple(actions),
        watch=watch.strip(),
        rate=rate,
        knobs=knobs,
        queues=queues,
        receivers=receivers,
        sync=sync,
        start=start,
        goal=goal,
    )


@lru_cache(maxsize=64)
def load_scenario(name):
    """Read and validate ``scenarios/<name>.toml`` (:class:`ScenarioError` if unknown or bad)."""
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise ScenarioError(f"unknown scenario {name!r}")
    path = SCENARIO_DIR / f"{name}.toml"
    if not path.is_file():
        raise ScenarioError(f"unknown scenario {name!r}")
    with path.open("rb") as f:
        try:
            data = tomllib.load(f)
        except tomllib.TOMLDecodeError as e:
            raise ScenarioError(f"scenario {name!r}: {e}") from None
    return parse_scenario(name, data)


def build_simulation(cls, scenario, seed, *, event_log_limit=L.EVENT_LOG_KEPT):
    """Make a simulation of class ``cls`` set up as ``scenario``."""
    sim = cls(seed, profile=scenario.profile, event_log_limit=event_log_limit)
    sim.scenario = scenario.name
    sim.load_sampling = scenario.load_readouts
    sim.set_knobs(scenario.knobs)
    for q in scenario.queues:
        sim.add_queue(q["name"], q.get("bound", True))
        sim.queues[q["name"]].own = {n: q[n] for n in QUEUE_SETTINGS if n in q}
    sim._note_timed()
    first = scenario.queues[0]["name"] if scenario.queues else None
    for spec in scenario.receivers:
        settings = {k: v for k, v in spec.items() if k not in ("id", "queue", "alive")}
        r = sim.add_receiver(spec.get("queue", first), spec.get("id"), **settings)
        if not spec.get("alive", True):
            sim._kill(r, "starts dead")
    if scenario.sync is not None:
        s = sim.sync
        s.enabled = True
        s.target = scenario.sync.get("target")
        if s.target is not None and s.target not in sim.receivers:
            raise ScenarioError(
                f"scenario {scenario.name!r}: sync target {s.target!r} is not a receiver"
            )
        s.timeout = scenario.sync.get("timeout", s.timeout)
        s.mirror = scenario.sync.get("mirror", False)
        if scenario.sync.get("rate"):
            sim._set_sync_rate(scenario.sync["rate"])
    if scenario.rate:
        sim._set_rate(scenario.rate)
    sim.advance_to(sim.now)  # anything the setup made due at once (say, a 0 s detection)
    for command in scenario.start:
        sim.apply(command)
    sim.command_log.clear()
    sim.goal = dict(scenario.goal) if scenario.goal else None
    return sim

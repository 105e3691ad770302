"""The conformance scripts: one broker behaviour each, written once as data, run by two drivers.

A script lives in ``behaviours/*.toml`` as a ``[[behaviour]]`` table. It declares queues and
consumers the way an AMQP 0-9-1 application would (queue type, ``x-max-length`` + overflow,
``x-delivery-limit``, a dead-letter exchange, ``basic.qos`` prefetch or none, ack mode), then a
list of steps (publish, ack, nack, reject, close, kill the process, cut the network, wait) and
the observations to compare. ``engine_driver`` runs it on the simulator, ``broker_driver`` on
a real RabbitMQ; both return an outcome (see ``outcomes``) and the suite compares them.

Loading validates everything, so a typo in a script is an error here and not a silent pass.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from packaging.specifiers import InvalidSpecifier, SpecifierSet

HERE = Path(__file__).parent
BEHAVIOUR_DIR = HERE / "behaviours"

QUEUE_TYPES = ("classic", "quorum")
OVERFLOWS = ("drop-head", "reject-publish", "reject-publish-dlx")
OBSERVABLES = ("deliveries", "confirms", "ready", "dead_letters", "channels_closed", "snapshots")
ENGINE_STATUSES = ("agrees", "disagrees", "not modelled")
SETTLE_ACTIONS = ("ack", "nack", "reject")
STEP_KINDS = (
    "publish",
    "ack",
    "nack",
    "reject",
    "close",
    "kill",
    "silence",
    "consume",
    "wait",
    "snapshot",
)


class ScriptError(ValueError):
    """A behaviour script that does not make sense."""


@dataclass(frozen=True)
class QueueDecl:
    name: str = "work"
    bound: bool = True  # bound to the script's fan-out exchange (publishes reach it)
    max_length: int | None = None  # x-max-length
    overflow: str | None = None  # x-overflow (RabbitMQ's default is drop-head)
    delivery_limit: int | None = None  # x-delivery-limit (quorum queues only)
    dead_letter: bool = False  # x-dead-letter-exchange pointing at a fan-out exchange + queue
    message_ttl: int | None = None  # x-message-ttl, milliseconds
    single_active_consumer: bool = False  # x-single-active-consumer


@dataclass(frozen=True)
class ConsumerDecl:
    name: str
    queue: str = "work"
    prefetch: int | None = None  # basic.qos prefetch_count; None: basic.qos is never sent
    auto_ack: bool = False
    process: bool = False  # runs as its own OS process (needed to kill it or freeze it)
    heartbeat: int | None = None  # seconds, asked for by this consumer's connection
    later: bool = False  # subscribes at a ``consume`` step instead of before the first step


@dataclass(frozen=True)
class Step:
    kind: str
    consumer: str | None = None  # ack/nack/reject/close/kill/silence/consume
    count: int = 1  # publish: how many; ack/nack/reject: how many times (stops when none held)
    mandatory: bool = False  # publish
    requeue: bool = True  # nack/reject
    newest: bool = False  # settle the newest unacked delivery instead of the oldest
    again: bool = False  # ack: repeat this consumer's previous ack (same delivery tag)
    of: str | None = None  # ack: use the oldest delivery that consumer ``of`` holds
    seconds: float = 0.0  # wait
    until: dict = field(default_factory=dict)  # wait: {consumer: deliveries received}
    label: str = ""  # snapshot


@dataclass(frozen=True)
class Behaviour:
    id: str
    title: str
    claim: str
    source_title: str
    source_url: str
    topic: str
    queue_type: str
    queues: tuple[QueueDecl, ...]
    consumers: tuple[ConsumerDecl, ...]
    steps: tuple[Step, ...]
    observe: tuple[str, ...]
    engine: str
    versions: str = ""  # a version specifier for the broker ("" = any version)
    version_note: str = ""
    engine_note: str = ""  # what the engine does instead (disagrees / not modelled)
    fix: str = ""  # what the engine should do (disagrees)

    def applies_to(self, broker_version: str) -> bool:
        """Whether a broker of this version shows the behaviour (so it can be compared)."""
        return not self.versions or SpecifierSet(self.versions).contains(broker_version)

    def queue(self, name: str) -> QueueDecl:
        return next(q for q in self.queues if q.name == name)

    def consumer(self, name: str) -> ConsumerDecl:
        return next(c for c in self.consumers if c.name == name)

    def summary(self) -> dict:
        """What the results file and the evidence page say about the behaviour itself."""
        return {
            "id": self.id,
            "title": self.title,
            "claim": self.claim,
            "topic": self.topic,
            "source": {"title": self.source_title, "url": self.source_url},
            "queue_type": self.queue_type,
            "versions": self.versions,
            "version_note": self.version_note,
        }


def _take(data: dict, where: str, allowed: set[str]) -> None:
    unknown = set(data) - allowed
    if unknown:
        raise ScriptError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")


def _step(raw: dict, where: str, consumers: dict[str, ConsumerDecl]) -> Step:
    kinds = [k for k in STEP_KINDS if k in raw]
    if len(kinds) != 1:
        raise ScriptError(f"{where}: a step names exactly one of {', '.join(STEP_KINDS)}")
    kind = kinds[0]
    value = raw[kind]
    extra = {k: v for k, v in raw.items() if k != kind}
    allowed = {
        "publish": {"mandatory"},
        "ack": {"times", "newest", "again", "of"},
        "nack": {"times", "newest", "requeue"},
        "reject": {"times", "newest", "requeue"},
        "wait": {"until"},
    }.get(kind, set())
    _take(extra, f"{where} ({kind})", allowed)
    if kind == "publish":
        if not isinstance(value, int) or not 1 <= value <= 40:
            raise ScriptError(f"{where}: publish takes a count from 1 to 40")
        return Step(kind, count=value, mandatory=bool(extra.get("mandatory", False)))
    if kind == "wait":
        until = dict(extra.get("until", {}))
        for name in until:
            if name not in consumers:
                raise ScriptError(f"{where}: wait until names unknown consumer {name!r}")
        if not 0 < float(value) <= 120:
            raise ScriptError(f"{where}: wait takes 0 to 120 seconds")
        return Step(kind, seconds=float(value), until=until)
    if kind == "snapshot":
        return Step(kind, label=str(value))
    if value not in consumers:
        raise ScriptError(f"{where}: {kind} names unknown consumer {value!r}")
    c = consumers[value]
    if kind in SETTLE_ACTIONS:
        if c.process or c.auto_ack:
            raise ScriptError(f"{where}: {value} cannot {kind} (it is a process or auto-ack)")
        of = extra.get("of")
        if of is not None and of not in consumers:
            raise ScriptError(f"{where}: ack of unknown consumer {of!r}")
        return Step(
            kind,
            consumer=value,
            count=int(extra.get("times", 1)),
            newest=bool(extra.get("newest", False)),
            again=bool(extra.get("again", False)),
            of=of,
            requeue=bool(extra.get("requeue", True)),
        )
    if kind in ("kill", "silence") and not c.process:
        raise ScriptError(f"{where}: only a consumer with process = true can be killed or frozen")
    if kind == "consume" and not c.later:
        raise ScriptError(f"{where}: consume is for a consumer declared with later = true")
    return Step(kind, consumer=value)


def _behaviour(raw: dict, topic: str) -> Behaviour:
    where = f"behaviour {raw.get('id', '?')!r}"
    _take(
        raw,
        where,
        {
            "id",
            "title",
            "claim",
            "source",
            "queue_type",
            "queues",
            "consumers",
            "steps",
            "observe",
            "engine",
            "versions",
            "version_note",
            "engine_note",
            "fix",
        },
    )
    for name in ("id", "title", "claim", "source", "queue_type", "steps", "observe", "engine"):
        if name not in raw:
            raise ScriptError(f"{where}: missing {name}")
    if raw["queue_type"] not in QUEUE_TYPES:
        raise ScriptError(f"{where}: queue_type must be one of {QUEUE_TYPES}")
    queues = tuple(QueueDecl(**q) for q in raw.get("queues", [{}]))
    names = [q.name for q in queues]
    if len(set(names)) != len(names):
        raise ScriptError(f"{where}: queue names repeat")
    for q in queues:
        if q.overflow is not None and q.overflow not in OVERFLOWS:
            raise ScriptError(f"{where}: overflow must be one of {OVERFLOWS}")
        if q.delivery_limit is not None and raw["queue_type"] != "quorum":
            raise ScriptError(f"{where}: x-delivery-limit is a quorum-queue argument")
    consumers = {}
    for c in raw.get("consumers", []):
        decl = ConsumerDecl(**c)
        if decl.queue not in names:
            raise ScriptError(f"{where}: consumer {decl.name} reads unknown queue {decl.queue}")
        if decl.name in consumers:
            raise ScriptError(f"{where}: consumer {decl.name} is declared twice")
        consumers[decl.name] = decl
    steps = tuple(_step(s, f"{where} step {i + 1}", consumers) for i, s in enumerate(raw["steps"]))
    observe = tuple(raw["observe"])
    if not observe or any(o not in OBSERVABLES for o in observe):
        raise ScriptError(f"{where}: observe some of {', '.join(OBSERVABLES)}")
    if "snapshots" in observe and not any(s.kind == "snapshot" for s in steps):
        raise ScriptError(f"{where}: observes snapshots but takes none")
    source = raw["source"]
    if set(source) != {"title", "url"} or not source["url"].startswith("https://"):
        raise ScriptError(f"{where}: source needs a title and an https url")
    engine = raw["engine"]
    if engine not in ENGINE_STATUSES:
        raise ScriptError(f"{where}: engine must be one of {ENGINE_STATUSES}")
    if engine != "agrees" and not raw.get("engine_note"):
        raise ScriptError(f"{where}: say what the engine does instead (engine_note)")
    if engine == "disagrees" and not raw.get("fix"):
        raise ScriptError(f"{where}: a known disagreement names its fix")
    versions = raw.get("versions", "")
    try:
        SpecifierSet(versions)
    except InvalidSpecifier as exc:
        raise ScriptError(f"{where}: versions {versions!r} is not a version specifier") from exc
    if versions and not raw.get("version_note"):
        raise ScriptError(f"{where}: a version-dependent behaviour says why (version_note)")
    return Behaviour(
        id=raw["id"],
        title=raw["title"],
        claim=" ".join(raw["claim"].split()),
        source_title=source["title"],
        source_url=source["url"],
        topic=topic,
        queue_type=raw["queue_type"],
        queues=queues,
        consumers=tuple(consumers.values()),
        steps=steps,
        observe=observe,
        engine=engine,
        versions=versions,
        version_note=" ".join(raw.get("version_note", "").split()),
        engine_note=" ".join(raw.get("engine_note", "").split()),
        fix=" ".join(raw.get("fix", "").split()),
    )


def load_behaviours(directory: Path = BEHAVIOUR_DIR) -> list[Behaviour]:
    """Every behaviour script, in file then table order. Raises ScriptError on bad data."""
    out = []
    for path in sorted(directory.glob("*.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        _take(data, path.name, {"topic", "behaviour"})
        topic = data.get("topic", path.stem)
        out.extend(_behaviour(raw, topic) for raw in data.get("behaviour", []))
    ids = [b.id for b in out]
    dupes = {i for i in ids if ids.count(i) > 1}
    if dupes:
        raise ScriptError(f"behaviour ids repeat: {', '.join(sorted(dupes))}")
    return out

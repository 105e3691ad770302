"""Runs a behaviour script on the simulator, through its public API only.

The translation is the one a learner makes in the playground: a RabbitMQ queue type picks
the engine's RabbitMQ profile, queue arguments become the engine's knobs (``x-delivery-limit``
-> ``delivery_limit``, ``x-max-length`` + overflow -> ``set_max_length``, a dead-letter
exchange -> ``dead_letter_queue``), ``basic.qos`` becomes the receiver's prefetch (left out
when the script never sends ``basic.qos``, so the profile's default shows), a consumer's
heartbeat becomes the detection delay. Receivers are made slow (60 s fixed) so that nothing
happens unless the script says so. Acks, nacks and rejects go through ``Simulation.settle``;
a clean close is ``remove_receiver``, a killed process and a cut network are both
``kill_receiver`` (the engine has one kind of death). Nothing here reaches inside the engine.
"""

from __future__ import annotations

from outcomes import Recorder

from playground.engine import PROFILES, Simulation

# The engine profile that stands for each queue type, best first (phase 2 of issue 14 adds a
# classic-queue profile; until then the quorum profile is the engine's only RabbitMQ one).
PROFILE_CHOICES = {
    "classic": ("rabbitmq-classic", "rabbitmq-quorum"),
    "quorum": ("rabbitmq-quorum",),
}
SLOW = 60.0  # seconds a receiver works on a message: longer than any script waits for it
STEP_TIME = 0.05  # simulated time after each step, like the broker driver's settling pause
REASONS = {"delivery limit": "delivery_limit", "max length": "maxlen", "rejected": "rejected"}


class NotExpressible(Exception):
    """The script uses something the engine has no way to say."""


def engine_profile(queue_type: str) -> str:
    return next(p for p in PROFILE_CHOICES[queue_type] if p in PROFILES)


def _uniform(values, what):
    values = set(values)
    if len(values) > 1:
        raise NotExpressible(f"the engine has one {what} for all queues")
    return values.pop() if values else None


class EngineRun:
    def __init__(self, behaviour):
        self.b = behaviour
        self.rec = Recorder(behaviour)
        self.sim = Simulation(
            seed=0, profile=engine_profile(behaviour.queue_type), event_log_limit=None
        )
        self.rids = {}  # consumer name -> receiver id
        self.names = {}  # receiver id -> consumer name
        self.labels = {}  # message id -> label (fan-out copies share a label)
        self.published = 0
        self.seen = 0  # last event seq read
        self.last_acked = {}  # consumer -> message id of its previous ack

    # -------------------------------------------------------------- setup

    def setup(self):
        b, sim = self.b, self.sim
        for q in b.queues:
            if q.message_ttl is not None or q.single_active_consumer:
                raise NotExpressible("the engine has no message TTL or single active consumer")
            if q.overflow == "reject-publish-dlx":
                raise NotExpressible("the engine has no reject-publish-dlx overflow")
            sim.add_queue(q.name, bound=q.bound)
        limit = _uniform(
            (q.delivery_limit for q in b.queues if q.delivery_limit is not None), "delivery limit"
        )
        if limit is not None:
            sim.apply({"action": "set_retry_policy", "delivery_limit": limit})
        dlx = _uniform((q.dead_letter for q in b.queues), "dead-letter setting")
        sim.apply({"action": "set_retry_policy", "dead_letter_queue": bool(dlx)})
        limited = [q for q in b.queues if q.max_length is not None]
        if limited:
            if len(limited) != len(b.queues):
                raise NotExpressible("the engine's length limit applies to every queue")
            length = _uniform((q.max_length for q in limited), "length limit")
            overflow = _uniform((q.overflow or "drop-head" for q in limited), "overflow")
            sim.apply({"action": "set_max_length", "max_length": length, "overflow": overflow})
        heartbeat = _uniform((c.heartbeat for c in b.consumers if c.heartbeat), "heartbeat")
        if heartbeat:
            sim.apply({"action": "set_detection_delay", "seconds": float(heartbeat)})
        for c in b.consumers:
            if not c.later:
                self.subscribe(c)
        self.pause()

    def subscribe(self, c):
        command = {
            "action": "add_receiver",
            "queue": c.queue,
            "mean_time": SLOW,
            "timing": "fixed",
            "ack_mode": "auto" if c.auto_ack else "manual",
        }
        if c.prefetch is not None:
            command["prefetch"] = c.prefetch
        rid = self.sim.apply(command)["receiver"]
        self.rids[c.name] = rid
        self.names[rid] = c.name
        self.read_events()

    # -------------------------------------------------------------- events

    def read_events(self):
        for e in self.sim.events_since(self.seen):
            self.seen = e["seq"]
            if e["kind"] == "delivered" and e["receiver"] in self.names:
                count = None
                if self.b.queue_type == "quorum" and e["attempt"] > 1:
                    count = e["attempt"] - 1  # x-delivery-count counts earlier deliveries
                self.rec.delivered(
                    self.names[e["receiver"]],
                    self.labels[e["message"]],
                    e["reason"] == "redelivered",
                    count,
                )

    def pause(self, seconds=STEP_TIME):
        self.sim.advance(seconds)
        self.read_events()

    def held(self, name):
        rid = self.rids[name]
        view = next(r for r in self.sim.view(series=False, events=0)["receivers"] if r["id"] == rid)
        return list(view["held"])

    # -------------------------------------------------------------- steps

    def run(self):
        self.setup()
        for step in self.b.steps:
            getattr(self, "do_" + step.kind)(step)
            self.pause()
        return self.finish()

    def do_publish(self, step):
        for _ in range(step.count):
            self.published += 1
            label = f"m{self.published}"
            result = self.sim.apply({"action": "publish", "text": label})
            for mid in result["messages"]:  # before reading events: the publish may deliver
                self.labels[mid] = label
            if "refused" in result:
                self.rec.confirms.append("nack")
            elif "unroutable" in result:
                self.rec.confirms.append("returned")
            else:
                self.rec.confirms.append("ack")
            self.read_events()

    def _settle(self, step, ack):
        name = step.consumer
        for _ in range(step.count):
            if step.again:
                mid = self.last_acked.get(name)
            else:
                held = self.held(step.of or name)
                if not held:
                    return
                mid = held[-1] if step.newest else held[0]
            if mid is None:
                return
            if not ack and not step.requeue:
                self.sim.apply({"action": "set_retry_policy", "requeue": False})
            accepted = self.sim.settle(self.rids[name], mid, ack=ack)
            if not ack and not step.requeue:
                self.sim.apply({"action": "set_retry_policy", "requeue": True})
            if ack and accepted:
                self.last_acked[name] = mid
            self.pause()

    def do_ack(self, step):
        self._settle(step, ack=True)

    def do_nack(self, step):
        self._settle(step, ack=False)

    def do_reject(self, step):
        self._settle(step, ack=False)

    def do_close(self, step):
        self.sim.apply({"action": "remove_receiver", "receiver": self.rids[step.consumer]})

    def do_kill(self, step):
        self.sim.apply({"action": "kill_receiver", "receiver": self.rids[step.consumer]})

    def do_silence(self, step):
        self.sim.apply({"action": "kill_receiver", "receiver": self.rids[step.consumer]})

    def do_consume(self, step):
        self.subscribe(self.b.consumer(step.consumer))

    def do_wait(self, step):
        sim = self.sim
        deadline = sim.now + step.seconds
        while not self._waited_enough(step):
            t = sim.next_event_time()
            if t is None or t > deadline:
                break
            sim.advance_to(t)
            self.read_events()
        if not step.until or not self._waited_enough(step):
            sim.advance_to(deadline)
        self.read_events()

    def _waited_enough(self, step):
        return bool(step.until) and all(
            self.rec.received(name) >= n for name, n in step.until.items()
        )

    def do_snapshot(self, step):
        self.rec.snapshot(step.label)

    # -------------------------------------------------------------- the end

    def finish(self):
        view = self.sim.view(series=False, events=0)
        for q in view["queues"]:
            self.rec.ready[q["name"]] = [self.labels[c["id"]] for c in q["ready"]]
            if self.b.queue(q["name"]).dead_letter:
                self.rec.dead_letters[q["name"]] = [
                    [self.labels[c["id"]], REASONS.get(c["reason"], c["reason"]), 1]
                    for c in q["dlq"]
                ]
        return self.rec.outcome()


def run_on_engine(behaviour) -> dict:
    """The behaviour's outcome on the simulator (raises NotExpressible if it cannot say it)."""
    return EngineRun(behaviour).run()

"""Random command sequences over the whole command set, on the one event loop.

Every profile, profile switches and visibility toggles mid-run, fan-out, the sync lane, manual
acks, redrives, budgets and steps. After every step: every invariant of the semantics note
(``check_invariants``), counters only grow, the event stream keeps the rules, the state is
strict JSON. Snapshots restore to runs that continue identically, and at the end the command
log replays to the same run.
"""

import json

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from playground.engine import COMMANDS, PROFILES, CommandError, Simulation, check_invariants
from playground.engine.events import EVENT_KINDS
from playground.engine.spec import RECEIVER_SETTINGS, knobs_of, queue_settings

SCENARIOS = ["sandbox", "fan-out", "crash-before-ack", "sync-blocks", "ordering", "backpressure",
             "ttl-and-retention"]  # fmt: skip

# Values worth trying per setting (small, so that things happen within a few seconds).
INTERESTING = {
    "mean_time": [0.05, 0.3, 1.0, 5.0],
    "failure_rate": [0.0, 0.3, 1.0],
    "crash_rate": [0.0, 0.0, 0.5],
    "prefetch": [0, 1, 2, 4],
    "delivery_limit": [0, 1, 2, 4],
    "retry_base": [0.0, 0.5, 2.0],
    "retry_jitter": [0.0, 0.5],
    "retry_max": [1.0, 60.0],
    "detection_delay": [0.0, 1.0, 3.0],
    "visibility_timeout": [0.5, 2.0, 5.0],
    "max_length": [0, 1, 3],
    "publish_retries": [0, 1, 3],
    "publish_backoff": [0.1, 1.0],
    "message_ttl": [0.0, 0.5, 2.0, 6.0],
    "retention_period": [0.0, 60.0],
    "delivery_delay": [0.0, 0.5, 3.0],
}


def setting_values(s):
    if s.name in INTERESTING:
        return st.sampled_from(INTERESTING[s.name])
    return st.sampled_from([value for value, _label in s.choices])


def command_values(k):
    """Values of a knob command's field (in the command's own terms)."""
    if k.field_values:
        return st.sampled_from([cv for cv, _v in k.field_values])
    return setting_values(k)


class EngineMachine(RuleBasedStateMachine):
    @initialize(
        scenario=st.sampled_from(SCENARIOS),
        seed=st.integers(0, 2**16),
        profile=st.sampled_from(sorted(PROFILES)),
    )
    def start(self, scenario, seed, profile):
        self.scenario, self.seed = scenario, seed
        self.sim = Simulation.from_scenario(scenario, seed, event_log_limit=None)
        self.sim.apply({"action": "set_rate", "rate": 0})
        self.sim.apply({"action": "set_profile", "profile": profile})
        self.sim.apply({"action": "set_detection_delay", "seconds": 2.0})
        self.sim.apply({"action": "set_visibility_timeout", "seconds": 3.0})
        self.seen_seq = 0
        self.delivered_ids = set()
        self.dead = set()  # dead-lettered and not redriven since
        self.placed = {}  # message id -> the state its last placing event left it in
        self.counters = dict(self.sim.counters)
        self.per_message = {}
        self.grace = {}
        self.mode = self.sim.knobs.return_mode

    def try_apply(self, command):
        before = json.dumps(self.sim.to_dict(), sort_keys=True)
        try:
            return self.sim.apply(command)
        except CommandError:
            # An invalid command changes nothing.
            assert json.dumps(self.sim.to_dict(), sort_keys=True) == before, command
            return None

    def pick(self, data, options, fallback):
        return data.draw(st.sampled_from(sorted(options))) if options else fallback

    def receiver_id(self, data):
        return self.pick(data, self.sim.receivers, "r1")

    # ---------------------------------------------------------------- senders

    @rule(
        text=st.text(max_size=5),
        poison=st.booleans(),
        ttl=st.sampled_from([None, None, 0.3, 1.0, 4.0]),
        delay=st.sampled_from([None, None, 0.0, 1.5]),
    )
    def publish(self, text, poison, ttl, delay):
        ready_before = {name: len(q.ready) for name, q in self.sim.queues.items()}
        command = {"action": "publish", "text": text, "poison": poison}
        if ttl is not None:
            command["ttl"] = ttl
        if delay is not None:
            command["delay"] = delay
        result = self.try_apply(command)
        if result is None:
            return
        for mid in result["messages"]:
            m = self.sim.messages.get(mid)
            if m is None or m.queue is None:
                continue
            max_length, overflow = self.sim._limit(self.sim.queues[m.queue])
            if not max_length or overflow != "reject-publish":
                continue
            refused_for_length = m.state == "refused" and "max length" in m.reason
            # 8. the length limit (the queue's own or the broker's) counts ready messages only
            assert refused_for_length == (ready_before[m.queue] >= max_length)

    @rule(n=st.integers(1, 6))
    def burst(self, n):
        self.try_apply({"action": "burst", "n": n})

    @rule(rate=st.sampled_from([0.0, 0.5, 2.0, 6.0]))
    def set_rate(self, rate):
        self.try_apply({"action": "set_rate", "rate": rate})

    @rule(data=st.data())
    def sync(self, data):
        if data.draw(st.booleans()):
            self.try_apply({"action": "call"})
        else:
            command = {"action": "set_sync"}
            if data.draw(st.booleans()):
                command["rate"] = data.draw(st.sampled_from([0.0, 1.0, 3.0]))
            if data.draw(st.booleans()):
                command["timeout"] = data.draw(st.sampled_from([0.5, 2.0]))
            self.try_apply(command)

    # ---------------------------------------------------------------- receivers

    @rule(data=st.data())
    def add(self, data):
        command = {"action": "add_receiver"}
        for s in RECEIVER_SETTINGS:
            if data.draw(st.booleans()):
                command[s.name] = data.draw(setting_values(s))
        if data.draw(st.booleans()):
            command["queue"] = self.pick(data, self.sim.queues, "orders")
        self.try_apply(command)

    @rule(data=st.data(), action=st.sampled_from(["kill", "revive", "remove"]))
    def lifecycle(self, data, action):
        self.try_apply({"action": f"{action}_receiver", "receiver": self.receiver_id(data)})

    @rule(data=st.data())
    def set_receiver(self, data):
        rid = self.receiver_id(data)
        command = {"action": "set_receiver", "receiver": rid}
        for s in RECEIVER_SETTINGS:
            if data.draw(st.booleans()):
                command[s.name] = data.draw(setting_values(s))
        if self.try_apply(command) is not None:
            self.grace[rid] = self.sim.receivers[rid].local_count()

    @rule(data=st.data(), ack=st.booleans(), stale=st.booleans())
    def settle(self, data, ack, stale):
        """3. Only the live holder settles, once; everything else is rejected and changes
        nothing else. A settle is a command, so the final replay covers it."""
        sim = self.sim
        in_flight = [i for i, m in sim.messages.items() if m.state == "in_flight"]
        mid = self.pick(data, in_flight or sim.messages, 1)
        rid = self.receiver_id(data)
        m = sim.messages.get(mid)
        r = sim.receivers.get(rid)
        tag = (m.tag + 1000 if stale else m.tag) if m is not None and m.tag > 0 else None
        allowed = (
            m is not None
            and r is not None
            and r.alive
            and m.state == "in_flight"
            and m.holder == rid
            and not m.auto_ack
            and not (stale and tag is not None)
        )
        states = {i: x.state for i, x in sim.messages.items()}
        accepted = sim.settle(rid, mid, ack=ack, tag=tag)
        assert accepted == allowed
        if not accepted:
            assert {i: x.state for i, x in sim.messages.items()} == states
            return
        states = {i: x.state for i, x in sim.messages.items()}
        assert sim.settle(rid, mid, ack=True, tag=tag) is False  # a second ack
        assert {i: x.state for i, x in sim.messages.items()} == states

    # ---------------------------------------------------------------- broker

    @rule(data=st.data(), action=st.sampled_from(
        ["set_retry_policy", "set_visibility_timeout", "set_detection_delay", "set_max_length",
         "set_publisher", "set_expiry"]
    ))  # fmt: skip
    def knobs(self, data, action):
        command = {"action": action}
        for k in knobs_of(action):
            if k.command_field in COMMANDS[action].REQUIRED or data.draw(st.booleans()):
                command[k.command_field] = data.draw(command_values(k))
        if action == "set_max_length" and data.draw(st.booleans()):
            command["queue"] = self.pick(data, self.sim.queues, "orders")  # its own limit
        self.try_apply(command)

    @rule(data=st.data())
    def queue_settings(self, data):
        """A queue's own settings (its TTL, dead-letter queue, length limit, delay)."""
        command = {"action": "set_queue", "queue": self.pick(data, self.sim.queues, "orders")}
        for k in queue_settings():
            if data.draw(st.booleans()):
                command[k.name] = data.draw(setting_values(k))
        self.try_apply(command)

    @rule(profile=st.sampled_from(sorted(PROFILES)))
    def profile(self, profile):
        self.try_apply({"action": "set_profile", "profile": profile})

    @rule(data=st.data())
    def redrive(self, data):
        dead = [mid for q in self.sim.queues.values() for mid in q.dlq]
        if dead and data.draw(st.booleans()):
            self.try_apply({"action": "redrive", "message_id": data.draw(st.sampled_from(dead))})
        else:
            self.try_apply({"action": "redrive", "all": True})

    @rule(data=st.data(), bind=st.booleans())
    def binding(self, data, bind):
        queue = self.pick(data, self.sim.queues, "orders")
        self.try_apply({"action": "bind_queue" if bind else "unbind_queue", "queue": queue})

    # ---------------------------------------------------------------- time

    @rule(dt=st.floats(0.0, 6.0))
    def advance(self, dt):
        self.sim.advance(dt)

    @rule(wall=st.sampled_from([0.1, 0.5, 2.0]), budget=st.sampled_from([1, 5, 50, None]))
    def tick(self, wall, budget):
        self.sim.tick(wall, max_events=budget)

    @rule(dt=st.sampled_from([None, 0.5, 5.0, 60.0]))
    def step(self, dt):
        self.try_apply({"action": "step"} if dt is None else {"action": "step", "dt": dt})

    @rule(action=st.sampled_from(["pause", "resume"]), speed=st.sampled_from([0.5, 1.0, 4.0]))
    def clock(self, action, speed):
        self.try_apply({"action": action})
        self.try_apply({"action": "set_speed", "speed": speed})

    @precondition(lambda self: self.sim.now < 400)
    @rule(dt=st.sampled_from([0.3, 4.0]))
    def snapshot_and_restore(self, dt):
        """A restored run continues exactly like the original (and the test goes on with it)."""
        text = json.dumps(self.sim.to_dict(), allow_nan=False)
        restored = Simulation.from_dict(json.loads(text))
        assert json.dumps(restored.to_dict(), allow_nan=False) == text
        self.sim.advance(dt)
        restored.advance(dt)
        assert restored.to_dict() == self.sim.to_dict()
        self.sim = restored

    # ---------------------------------------------------------------- invariants

    @invariant()
    def state_invariants_hold(self):
        # 1 conservation, 2 one holder, 4 death returns, 10 not before ready-at, stories
        assert check_invariants(self.sim) == []

    @invariant()
    def the_state_is_strict_json(self):
        json.dumps(self.sim.to_dict(), allow_nan=False)

    @invariant()
    def counters_only_grow(self):
        sim = self.sim
        for name, value in sim.counters.items():
            assert value >= self.counters.get(name, 0), name
        self.counters = dict(sim.counters)
        for mid, m in sim.messages.items():
            now = (m.redrives, m.total_deliveries, m.effects)
            before = self.per_message.get(mid, (0, 0, 0))
            assert now[0] >= before[0] and now[1] >= before[1] and now[2] >= before[2]
            if now[0] == before[0]:
                old = self.per_message.get(("d", mid), 0)
                assert m.deliveries >= old  # reset only by a redrive
            self.per_message[mid] = now
            self.per_message[("d", mid)] = m.deliveries

    @invariant()
    def events_respect_the_rules(self):
        sim = self.sim
        limit = sim._max_deliveries()
        sqs_rules = self.mode == "visibility" == sim.knobs.return_mode
        for e in sim.events_since(self.seen_seq):
            assert e["kind"] in EVENT_KINDS
            mid = e["message"]
            if e["kind"] == "delivered":
                # 11. redelivered=false means never delivered before
                assert (e["reason"] == "first delivery") == (mid not in self.delivered_ids)
                self.delivered_ids.add(mid)
                # 6. never delivered beyond the limit, never after dead-lettering
                assert not limit or e["attempt"] <= limit
                assert mid not in self.dead
            elif e["kind"] == "dead_lettered":
                if e["reason"] == "delivery limit":
                    assert limit and e["attempt"] >= limit  # never before the limit
                    if sqs_rules:  # SQS moves it at a receive: it was visible (ready) then
                        assert self.placed.get(mid) == "ready", (mid, self.placed.get(mid))
                self.dead.add(mid)
            elif e["kind"] == "redriven":
                self.dead.discard(mid)
            leaves = EVENT_KINDS[e["kind"]].leaves
            if mid is not None and leaves is not None and len(leaves) == 1:
                self.placed[mid] = leaves[0]
            self.seen_seq = e["seq"]
        self.mode = sim.knobs.return_mode

    @invariant()
    def prefetch_and_length_bounds_hold(self):
        sim = self.sim
        for rid, r in sim.receivers.items():
            if r.ack_mode == "auto":  # prefetch binds manual acks only (RabbitMQ confirms)
                self.grace[rid] = r.local_count()
            elif r.prefetch and r.alive:
                allowed = max(r.prefetch, self.grace.get(rid, 0))
                # 7. prefetch bound (a lowered prefetch is honoured as messages drain)
                assert len(r.held) <= allowed and r.local_count() <= allowed
                self.grace[rid] = min(self.grace.get(rid, 0), r.local_count())
        for q in sim.queues.values():
            max_length, overflow = sim._limit(q)
            if max_length and overflow == "drop-head":
                assert len(q.ready) <= max_length  # 8. counts ready only

    def teardown(self):
        """The command log (with the scenario and seed) replays to the very same run."""
        sim = getattr(self, "sim", None)
        if sim is None:
            return
        again = Simulation.replay(
            self.scenario, self.seed, sim.command_log, until=sim.now, event_log_limit=None
        )
        mine, theirs = sim.events_since(0), again.events_since(0)
        for a, b in zip(mine, theirs, strict=False):
            assert a == b, (a, b, sim.command_log)
        assert len(mine) == len(theirs)
        assert again.to_dict() == sim.to_dict()


EngineMachine.TestCase.settings = settings(
    max_examples=80,
    stateful_step_count=35,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestEngineInvariants = EngineMachine.TestCase

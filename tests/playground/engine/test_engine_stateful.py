"""Random commands and time steps; every invariant of the semantics note checked each step."""

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from playground.engine import CommandError, Simulation, check_invariants

PROFILES = ["teaching", "rabbitmq-quorum", "sqs-standard"]


class EngineMachine(RuleBasedStateMachine):
    @initialize(seed=st.integers(0, 2**16), profile=st.sampled_from(PROFILES))
    def start(self, seed, profile):
        self.sim = Simulation.from_scenario("sandbox", seed, event_log_limit=None)
        self.sim.apply({"action": "set_profile", "profile": profile})
        self.sim.apply({"action": "set_detection_delay", "seconds": 2.0})
        self.sim.apply({"action": "set_visibility_timeout", "seconds": 3.0})
        self.seen_seq = 0
        self.delivered_ids = set()
        self.dead = {}  # message id -> dead-lettered and not redriven since
        self.counters = dict(self.sim.counters)
        self.per_message = {}
        self.grace = {}

    def try_apply(self, command):
        try:
            return self.sim.apply(command)
        except CommandError:
            return None

    def receiver_id(self, data):
        ids = sorted(self.sim.receivers)
        return data.draw(st.sampled_from(ids)) if ids else "r1"

    # ---------------------------------------------------------------- rules

    @rule(text=st.text(max_size=5), poison=st.booleans())
    def publish(self, text, poison):
        ready_before = {name: len(q.ready) for name, q in self.sim.queues.items()}
        result = self.try_apply({"action": "publish", "text": text, "poison": poison})
        k = self.sim.knobs
        if result is None or not k.max_length or k.overflow != "reject-publish":
            return
        for mid in result["messages"]:
            m = self.sim.messages.get(mid)
            if m is None or m.queue is None:
                continue
            refused_for_length = m.state == "refused" and "max length" in m.reason
            # 8. the length limit counts ready messages only
            assert refused_for_length == (ready_before[m.queue] >= k.max_length)

    @rule(n=st.integers(1, 6))
    def burst(self, n):
        self.try_apply({"action": "burst", "n": n})

    @rule(dt=st.floats(0.0, 6.0))
    def advance(self, dt):
        self.sim.advance(dt)

    @rule()
    def step(self):
        self.try_apply({"action": "step"})

    @rule(data=st.data())
    def kill(self, data):
        self.try_apply({"action": "kill_receiver", "receiver": self.receiver_id(data)})

    @rule(data=st.data())
    def revive(self, data):
        self.try_apply({"action": "revive_receiver", "receiver": self.receiver_id(data)})

    @rule(data=st.data())
    def remove(self, data):
        self.try_apply({"action": "remove_receiver", "receiver": self.receiver_id(data)})

    @rule(prefetch=st.integers(0, 4), ack=st.sampled_from(["manual", "manual", "auto"]))
    def add(self, prefetch, ack):
        self.try_apply({"action": "add_receiver", "prefetch": prefetch, "ack_mode": ack})

    @rule(
        data=st.data(),
        failure=st.sampled_from([0.0, 0.3, 1.0]),
        crash=st.sampled_from([0.0, 0.0, 0.5]),
        mean=st.sampled_from([0.2, 1.0, 5.0]),
        prefetch=st.integers(0, 4),
        idempotent=st.booleans(),
        ack=st.sampled_from(["manual", "manual", "auto"]),
    )
    def set_receiver(self, data, failure, crash, mean, prefetch, idempotent, ack):
        rid = self.receiver_id(data)
        result = self.try_apply(
            {
                "action": "set_receiver",
                "receiver": rid,
                "failure_rate": failure,
                "crash_rate": crash,
                "mean_time": mean,
                "prefetch": prefetch,
                "idempotent": idempotent,
                "ack_mode": ack,
            }
        )
        if result is not None:
            r = self.sim.receivers[rid]
            self.grace[rid] = r.local_count()

    @rule(
        kind=st.sampled_from(["none", "fixed", "exponential"]),
        base=st.sampled_from([0.0, 0.5, 2.0]),
        jitter=st.sampled_from([0.0, 0.5]),
        limit=st.integers(0, 4),
        requeue=st.booleans(),
        dlq=st.booleans(),
    )
    def retry_policy(self, kind, base, jitter, limit, requeue, dlq):
        self.try_apply(
            {
                "action": "set_retry_policy",
                "kind": kind,
                "base_delay": base,
                "jitter": jitter,
                "delivery_limit": limit,
                "requeue": requeue,
                "dead_letter_queue": dlq,
            }
        )

    @rule(n=st.integers(0, 4), overflow=st.sampled_from(["drop-head", "reject-publish"]))
    def max_length(self, n, overflow):
        self.try_apply({"action": "set_max_length", "max_length": n, "overflow": overflow})

    @rule(profile=st.sampled_from(PROFILES))
    def profile(self, profile):
        self.try_apply({"action": "set_profile", "profile": profile})

    @rule(seconds=st.sampled_from([1.0, 3.0]), enabled=st.booleans())
    def visibility(self, seconds, enabled):
        self.try_apply({"action": "set_visibility_timeout", "seconds": seconds, "enabled": enabled})

    @rule(data=st.data())
    def redrive(self, data):
        dead = [mid for q in self.sim.queues.values() for mid in q.dlq]
        if dead and data.draw(st.booleans()):
            self.try_apply({"action": "redrive", "message_id": data.draw(st.sampled_from(dead))})
        else:
            self.try_apply({"action": "redrive", "all": True})

    @rule(data=st.data(), ack=st.booleans())
    def settle(self, data, ack):
        """3. Only the holder settles, once; everything else is rejected and changes nothing."""
        sim = self.sim
        ids = sorted(sim.messages)
        if not ids:
            return
        mid = data.draw(st.sampled_from(ids))
        rid = self.receiver_id(data)
        m = sim.messages[mid]
        tag = m.tag
        allowed = m.state == "in_flight" and m.holder == rid and not m.auto_ack
        states = {i: x.state for i, x in sim.messages.items()}
        accepted = sim.settle(rid, mid, ack=ack)
        assert accepted == allowed
        if not accepted:
            assert {i: x.state for i, x in sim.messages.items()} == states
            return
        states = {i: x.state for i, x in sim.messages.items()}
        assert sim.settle(rid, mid, ack=True, tag=tag) is False  # a second ack
        assert {i: x.state for i, x in sim.messages.items()} == states

    # ---------------------------------------------------------------- invariants

    @invariant()
    def state_invariants_hold(self):
        # 1 conservation, 2 one holder, 10 not before ready-at, structures agree
        assert check_invariants(self.sim) == []

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
        limit = sim.knobs.delivery_limit
        for e in sim.events_since(self.seen_seq):
            mid = e["message"]
            if e["kind"] == "delivered":
                # 11. redelivered=false means never delivered before
                assert (e["reason"] == "first delivery") == (mid not in self.delivered_ids)
                self.delivered_ids.add(mid)
                # 6. never delivered at or beyond the limit, never after dead-lettering
                assert not limit or e["attempt"] <= limit
                assert mid not in self.dead
            elif e["kind"] == "dead_lettered":
                if e["reason"] == "delivery limit":
                    assert limit and e["attempt"] >= limit  # never before the limit
                self.dead[mid] = True
            elif e["kind"] == "redriven":
                self.dead.pop(mid, None)
            self.seen_seq = e["seq"]

    @invariant()
    def prefetch_and_length_bounds_hold(self):
        sim = self.sim
        for rid, r in sim.receivers.items():
            if r.prefetch and r.alive:
                allowed = max(r.prefetch, self.grace.get(rid, 0))
                # 7. prefetch bound (a lowered prefetch is honoured as messages drain)
                assert len(r.held) <= allowed and r.local_count() <= allowed
                self.grace[rid] = min(self.grace.get(rid, 0), r.local_count())
        k = sim.knobs
        if k.max_length and k.overflow == "drop-head":
            for q in sim.queues.values():
                assert len(q.ready) <= k.max_length  # 8. counts ready only


EngineMachine.TestCase.settings = settings(
    max_examples=60,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestEngineInvariants = EngineMachine.TestCase

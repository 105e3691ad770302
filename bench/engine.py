"""Benchmark: our engine vs SimPy on the reference scenario, plus snapshot/restore time and
what one live UI tick costs the engine.

Reference scenario (issue 4): one producer sends N messages, one per time unit, into one FIFO
queue; 3 competing receivers with exponential processing time (mean 2.5); each attempt fails
with probability 0.1; a failed message is retried after 0.5 * 2^(attempt-1); at most 3 retries,
then it is dead-lettered.

Our engine does its real work here: every message is tracked individually, every transition is
logged, metrics are kept. It is compared with three SimPy models of the same scenario:

- "same work": SimPy doing the bookkeeping our engine does (a record per message, an event log
  entry per transition, state counts, per-second metric buckets), written the natural SimPy
  way. ``ratio_vs_simpy`` is measured against this one.
- "textbook": totals only, written as SimPy's own examples are (a process per message, the
  receivers a ``Resource``): ``ratio_vs_simpy_textbook``.
- "minimal": totals only, a store and one process per receiver (``ratio_vs_simpy_minimal``),
  the cheapest SimPy model of the scenario we know.

And with "ceiling" (``bench/ceiling.py``): not an engine, one loop specialised to this
scenario that keeps only the essential bookkeeping. Its ratios (``ceiling_vs_simpy`` ...) bound
what any pure-Python engine doing the real work can reach on this interpreter.

All print their totals (processed, retried, dead-lettered) so a reader can check they simulate
the same thing. Run: ``python bench/engine.py [N] [runs]`` (median of the runs).
"""

from __future__ import annotations

import json
import random
import statistics
import sys
import time
from collections import deque
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import simpy  # noqa: E402

# bench/ceiling.py, beside this script: the bare loop, and the reference scenario's numbers.
from ceiling import BASE, FAILURE, MEAN, RECEIVERS, RETRIES, run_ceiling  # noqa: E402

from playground.engine import Simulation, check_invariants  # noqa: E402
from playground.engine import limits as L  # noqa: E402


def run_engine(n, seed):
    sim = Simulation(seed, profile="teaching")
    sim.set_knobs(
        {
            "delivery_limit": RETRIES + 1,
            "retry": "exponential",
            "retry_base": BASE,
            "retry_jitter": 0.0,
            "retry_max": 1e6,
            "requeue_on_failure": True,
            "dlq_enabled": True,
        }
    )
    sim.add_queue("q")
    for _ in range(RECEIVERS):
        sim.add_receiver("q", mean_time=MEAN, failure_rate=FAILURE, prefetch=1)
    start = time.process_time()
    sim.apply({"action": "set_rate", "rate": 1.0})
    sim.advance_to(float(n))
    sim.apply({"action": "set_rate", "rate": 0.0})
    while sim.in_system() - sim.counts["dead_lettered"]:
        sim.advance(1000.0)
    cpu = time.process_time() - start
    c = sim.counters
    assert c["published"] == n, c["published"]
    assert check_invariants(sim) == []
    return cpu, {
        "processed": c["acked"],
        "retried": c["retried"],
        "dead_lettered": c["dead_lettered"],
    }


def run_simpy(n, seed):
    """The minimal SimPy model: totals only (no per-message record, no log, no metrics)."""
    rng = random.Random(seed)
    env = simpy.Environment()
    store = simpy.Store(env)
    totals = {"processed": 0, "retried": 0, "dead_lettered": 0}

    def producer():
        for i in range(n):
            yield env.timeout(1)
            store.put([i, 0])

    def retry(msg, delay):
        yield env.timeout(delay)
        store.put(msg)

    def worker():
        while True:
            msg = yield store.get()
            yield env.timeout(rng.expovariate(1.0 / MEAN))
            msg[1] += 1
            if rng.random() < FAILURE:
                if msg[1] > RETRIES:
                    totals["dead_lettered"] += 1
                else:
                    totals["retried"] += 1
                    env.process(retry(msg, BASE * 2 ** (msg[1] - 1)))
            else:
                totals["processed"] += 1

    start = time.process_time()
    env.process(producer())
    for _ in range(RECEIVERS):
        env.process(worker())
    env.run()
    return time.process_time() - start, totals


def run_simpy_textbook(n, seed):
    """Totals only, the way SimPy's examples model customers: a process per message."""
    rng = random.Random(seed)
    env = simpy.Environment()
    receivers = simpy.Resource(env, capacity=RECEIVERS)
    totals = {"processed": 0, "retried": 0, "dead_lettered": 0}

    def message():
        attempt = 0
        while True:
            with receivers.request() as req:
                yield req
                yield env.timeout(rng.expovariate(1.0 / MEAN))
            attempt += 1
            if rng.random() >= FAILURE:
                totals["processed"] += 1
                return
            if attempt > RETRIES:
                totals["dead_lettered"] += 1
                return
            totals["retried"] += 1
            yield env.timeout(BASE * 2 ** (attempt - 1))

    def producer():
        for _ in range(n):
            yield env.timeout(1)
            env.process(message())

    start = time.process_time()
    env.process(producer())
    env.run()
    return time.process_time() - start, totals


class TrackedMessage:
    """The SimPy model's record of one message (what our engine keeps per message)."""

    __slots__ = (
        "id",
        "seq",
        "state",
        "reason",
        "published_at",
        "ready_at",
        "delivered_at",
        "finished_at",
        "deliveries",
        "holder",
        "tag",
    )

    def __init__(self, mid, now):
        self.id = mid
        self.seq = mid
        self.state = "ready"
        self.reason = ""
        self.published_at = now
        self.ready_at = now
        self.delivered_at = -1.0
        self.finished_at = -1.0
        self.deliveries = 0
        self.holder = None
        self.tag = 0


def run_simpy_tracked(n, seed):
    """SimPy doing the same bookkeeping as our engine, built the natural SimPy way.

    One record per message (state, deliveries, holder, delivery tag, times), a bounded event
    log entry per transition, state counts and counters, finished messages forgotten beyond
    the same bound, out-of-order detection, and per-second metric buckets (depths, counts,
    latency p50/p95) closed by a SimPy process.
    """
    rng = random.Random(seed)
    env = simpy.Environment()
    store = simpy.Store(env)
    messages = {}
    finished = deque()
    events = deque(maxlen=L.EVENT_LOG_KEPT)
    counts = dict.fromkeys(("delayed", "ready", "in_flight", "acked", "dead_lettered"), 0)
    counters = dict.fromkeys(
        ("published", "delivered", "redelivered", "acked", "failed", "retried"), 0
    )
    counters.update(dead_lettered=0, out_of_order=0)
    buckets = deque(maxlen=L.METRIC_BUCKETS_KEPT)
    bucket = {"published": 0, "acked": 0, "failed": 0, "dead_lettered": 0, "latencies": []}
    recent_latencies = deque(maxlen=L.LATENCY_SAMPLES_KEPT)
    state = {"seq": 0, "tag": 0, "max_acked": 0, "producing": True}

    def log(kind, mid, rid, attempt, reason):
        state["seq"] += 1
        events.append((state["seq"], env.now, kind, mid, rid, attempt, reason))

    def move(m, new):
        counts[m.state] -= 1
        counts[new] += 1
        m.state = new

    def pct(values, p):
        return values[max(0, min(len(values) - 1, int(round(p * len(values) + 0.5)) - 1))]

    def metrics():
        t = 0
        while state["producing"] or counts["delayed"] + counts["ready"] + counts["in_flight"]:
            yield env.timeout(1)
            lat = sorted(bucket["latencies"])
            buckets.append(
                (
                    t,
                    bucket["published"],
                    bucket["acked"],
                    bucket["failed"],
                    bucket["dead_lettered"],
                    counts["ready"],
                    counts["in_flight"],
                    counts["delayed"],
                    counts["dead_lettered"],
                    pct(lat, 0.5) if lat else None,
                    pct(lat, 0.95) if lat else None,
                )
            )
            bucket.update(published=0, acked=0, failed=0, dead_lettered=0, latencies=[])
            t += 1

    def producer():
        for i in range(1, n + 1):
            yield env.timeout(1)
            m = TrackedMessage(i, env.now)
            messages[i] = m
            counts["ready"] += 1
            counters["published"] += 1
            bucket["published"] += 1
            log("published", i, None, 0, "q")
            store.put(m)
        state["producing"] = False

    def retry(m, delay):
        move(m, "delayed")
        m.ready_at = env.now + delay
        log("delayed", m.id, None, m.deliveries, "retry after backoff")
        yield env.timeout(delay)
        move(m, "ready")
        log("ready", m.id, None, m.deliveries, "delay over")
        store.put(m)

    def worker(rid):
        while True:
            m = yield store.get()
            state["tag"] += 1
            m.tag = state["tag"]
            redelivered = m.deliveries > 0
            m.deliveries += 1
            move(m, "in_flight")
            m.holder = rid
            m.delivered_at = env.now
            counters["delivered"] += 1
            if redelivered:
                counters["redelivered"] += 1
            log(
                "delivered",
                m.id,
                rid,
                m.deliveries,
                "redelivered" if redelivered else "first delivery",
            )
            yield env.timeout(rng.expovariate(1.0 / MEAN))
            m.holder = None
            if rng.random() < FAILURE:
                counters["failed"] += 1
                bucket["failed"] += 1
                log("failed", m.id, rid, m.deliveries, "processing failed")
                if m.deliveries > RETRIES:
                    move(m, "dead_lettered")
                    m.reason = "delivery limit"
                    counters["dead_lettered"] += 1
                    bucket["dead_lettered"] += 1
                    log("dead_lettered", m.id, None, m.deliveries, "delivery limit")
                else:
                    counters["retried"] += 1
                    env.process(retry(m, BASE * 2 ** (m.deliveries - 1)))
            else:
                move(m, "acked")
                m.finished_at = env.now
                finished.append(m.id)
                if len(finished) > L.FINISHED_MESSAGES_KEPT:
                    del messages[finished.popleft()]
                counters["acked"] += 1
                bucket["acked"] += 1
                lat = env.now - m.published_at
                bucket["latencies"].append(lat)
                recent_latencies.append(lat)
                if m.seq < state["max_acked"]:
                    counters["out_of_order"] += 1
                    reason = "out of order"
                else:
                    state["max_acked"] = m.seq
                    reason = ""
                log("acked", m.id, rid, m.deliveries, reason)

    start = time.process_time()
    env.process(metrics())
    env.process(producer())
    for i in range(RECEIVERS):
        env.process(worker(f"r{i + 1}"))
    env.run()
    cpu = time.process_time() - start
    assert counters["published"] == n and counts["ready"] == counts["in_flight"] == 0
    return cpu, {
        "processed": counters["acked"],
        "retried": counters["retried"],
        "dead_lettered": counters["dead_lettered"],
    }


def snapshot_times(repeats=5):
    sim = Simulation(1, profile="teaching")
    sim.add_queue("q")
    for _ in range(3):
        sim.add_receiver("q", mean_time=1.0, prefetch=10)
    sim.apply({"action": "set_rate", "rate": L.MAX_RATE})
    while sim.in_system() < L.MAX_MESSAGES_IN_SYSTEM:
        sim.advance(1.0)
        if sim.now > 400:
            break
    sim.apply({"action": "set_rate", "rate": 0.0})
    held = sim.in_system()
    snaps, restores = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        text = json.dumps(sim.to_dict(), separators=(",", ":"))
        t1 = time.perf_counter()
        again = Simulation.from_dict(json.loads(text))
        t2 = time.perf_counter()
        snaps.append((t1 - t0) * 1000)
        restores.append((t2 - t1) * 1000)
    assert again.to_dict() == sim.to_dict()
    return held, len(text), statistics.median(snaps), statistics.median(restores)


def tick_costs(ticks=600, dt=0.1):
    """What a live playground pays the engine per UI tick (0.1 s of simulated time): the
    tick itself, and the view it then draws from, on a quiet lesson scenario and on a busy
    run (50 messages a second, 3 receivers, the backpressure lanes' readouts included)."""
    out = {}
    busy = Simulation.from_scenario("backpressure", 1)
    busy.apply({"action": "set_rate", "rate": L.MAX_RATE})
    for name, sim in (("slow-receiver", Simulation.from_scenario("slow-receiver", 1)),
                      ("busy", busy)):  # fmt: skip
        sim.advance(30.0)  # warm: a backlog, metric buckets, load samples
        tick_ms, view_ms = [], []
        for _ in range(ticks):
            t0 = time.perf_counter()
            sim.tick(dt, max_events=L.MAX_EVENTS_PER_TICK)
            t1 = time.perf_counter()
            sim.view(series=False, events=0)
            t2 = time.perf_counter()
            tick_ms.append((t1 - t0) * 1000)
            view_ms.append((t2 - t1) * 1000)
        out[name] = (statistics.median(tick_ms), statistics.median(view_ms))
    return out


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    contenders = {
        "engine": run_engine,
        "ceiling": run_ceiling,
        "simpy same work": run_simpy_tracked,
        "simpy textbook": run_simpy_textbook,
        "simpy minimal": run_simpy,
    }
    baselines = {"simpy same work": "", "simpy textbook": "_textbook", "simpy minimal": "_minimal"}
    rates = {name: [] for name in contenders}
    ratios = {(who, base): [] for who in ("engine", "ceiling") for base in baselines}
    print(f"reference scenario: {n:,} messages, {RECEIVERS} receivers, {runs} runs (median)")
    for i in range(runs):
        seed = 1000 + i
        run = {}
        for name, fn in contenders.items():
            cpu, totals = fn(n, seed)
            run[name] = n / cpu
            rates[name].append(n / cpu)
            print(f"run {i + 1}: {name:<16} {n / cpu:>9,.0f} msg/CPU-s  {totals}")
        for who, base in ratios:
            ratios[who, base].append(run[who] / run[base])
        print(
            f"run {i + 1}: engine vs "
            + ", ".join(f"{b} {run['engine'] / run[b]:.2f}x" for b in baselines)
        )
    held, size, snap_ms, restore_ms = snapshot_times()
    ticks = tick_costs()
    print()
    print(f"{'median msg/CPU-s':<18}" + "".join(f"{name:>17}" for name in contenders))
    print(f"{'':<18}" + "".join(f"{statistics.median(rates[k]):>17,.0f}" for k in contenders))
    for who in ("engine", "ceiling"):
        print(
            f"{who + ' ratio':<18}"
            + "".join(
                f"{statistics.median(ratios[who, k]):>16.2f}x" if k in baselines else f"{'':>17}"
                for k in contenders
            )
        )
    print(f"snapshot of {held} messages: {size / 1e6:.2f} MB JSON")
    print(f"snapshot {snap_ms:.1f} ms, restore {restore_ms:.1f} ms (median of 5)")
    for name, (tick, view) in ticks.items():
        print(f"per UI tick (0.1 s), {name}: engine {tick:.3f} ms, view {view:.3f} ms (median)")
    fields = [
        f"ratio_vs_simpy{baselines[b]}={statistics.median(ratios['engine', b]):.2f}"
        for b in baselines
    ]
    fields += [f"snapshot_ms={snap_ms:.1f}", f"restore_ms={restore_ms:.1f}"]
    fields += [f"engine_msgs_per_cpu_s={statistics.median(rates['engine']):.0f}"]
    fields += [f"tick_ms_{name.replace('-', '_')}={tick:.3f}" for name, (tick, _v) in ticks.items()]
    fields += [f"view_ms_{name.replace('-', '_')}={view:.3f}" for name, (_t, view) in ticks.items()]
    fields += [
        f"ceiling_vs_simpy{baselines[b]}={statistics.median(ratios['ceiling', b]):.2f}"
        for b in baselines
    ]
    print("RESULT " + " ".join(fields))


if __name__ == "__main__":
    main()

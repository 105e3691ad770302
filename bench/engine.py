"""Benchmark: our engine vs SimPy on the reference scenario, plus snapshot/restore time.

Reference scenario (issue 4): one producer sends N messages, one per time unit, into one FIFO
queue; 3 competing receivers with exponential processing time (mean 2.5); each attempt fails
with probability 0.1; a failed message is retried after 0.5 * 2^(attempt-1); at most 3 retries,
then it is dead-lettered.

Our engine does its real work here: every message is tracked individually, every transition is
logged, metrics are kept. Run: ``python bench/engine.py [N]``.
"""

from __future__ import annotations

import json
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import simpy  # noqa: E402

from playground.engine import Simulation, check_invariants  # noqa: E402
from playground.engine import limits as L  # noqa: E402

MEAN = 2.5
FAILURE = 0.1
RETRIES = 3
BASE = 0.5
RECEIVERS = 3


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


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    ratios, engine_rates, simpy_rates = [], [], []
    for i in range(runs):
        seed = 1000 + i
        e_cpu, e_tot = run_engine(n, seed)
        s_cpu, s_tot = run_simpy(n, seed)
        e_rate, s_rate = n / e_cpu, n / s_cpu
        engine_rates.append(e_rate)
        simpy_rates.append(s_rate)
        ratios.append(e_rate / s_rate)
        print(f"run {i + 1}: engine {e_rate:,.0f} msg/CPU-s {e_tot}")
        print(f"run {i + 1}: simpy  {s_rate:,.0f} msg/CPU-s {s_tot}")
        print(f"run {i + 1}: ratio {e_rate / s_rate:.2f}x")
    held, size, snap_ms, restore_ms = snapshot_times()
    ratio = statistics.median(ratios)
    print(f"median engine {statistics.median(engine_rates):,.0f} msg/CPU-s")
    print(f"median simpy  {statistics.median(simpy_rates):,.0f} msg/CPU-s")
    print(f"snapshot of {held} messages: {size / 1e6:.2f} MB JSON")
    print(
        f"RESULT ratio_vs_simpy={ratio:.2f} snapshot_ms={snap_ms:.1f} restore_ms={restore_ms:.1f}"
    )


if __name__ == "__main__":
    main()

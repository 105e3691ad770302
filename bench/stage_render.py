"""What one live tick costs to render: the playground's hot path, measured in-process.

Drives a LiveSession through a busy, seeded run (messages arriving faster than the receivers
finish them, a receiver killed and revived, dead letters) at 10 ticks a simulated second, and
times ``tick()``: the engine's advance plus rendering the fragments that changed. Prints the
time per tick and the bytes sent per tick for each scenario, then a RESULT line.

    .venv/bin/python bench/stage_render.py                 # sandbox, fan-out, poison-message
    .venv/bin/python bench/stage_render.py --ticks 300
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_TESTING", "1")


def run(scenario: str, ticks: int) -> tuple[float, float, float]:
    from playground.engine import Simulation
    from playground.live import LiveSession

    sim = Simulation.from_scenario(scenario, seed=7)
    session = LiveSession(scenario, sim, clock=lambda: 0.0)
    session.full()
    sim.apply({"action": "set_rate", "rate": 4.0})
    first = next(iter(sim.receivers))
    times, sizes = [], []
    for i in range(ticks):
        if i == ticks // 4:
            sim.apply({"action": "kill_receiver", "receiver": first})
        if i == ticks // 2:
            sim.apply({"action": "revive_receiver", "receiver": first})
        if i % 50 == 0:
            sim.apply({"action": "burst", "n": 10})
        start = time.perf_counter()
        out = session.tick(0.1)
        times.append(time.perf_counter() - start)
        sizes.append(sum(len(f.encode()) for f in out))
    times.sort()
    return (
        statistics.fmean(times) * 1000,
        times[int(len(times) * 0.95)] * 1000,
        statistics.fmean(sizes),
    )


def main() -> None:
    import django

    django.setup()
    parser = argparse.ArgumentParser()
    parser.add_argument("--ticks", type=int, default=200)
    parser.add_argument("--scenarios", default="sandbox,fan-out,poison-message")
    args = parser.parse_args()
    print(f"{'scenario':16} {'ms/tick':>8} {'p95 ms':>8} {'bytes/tick':>11}")
    results = {}
    for name in args.scenarios.split(","):
        mean, p95, size = run(name, args.ticks)
        results[name] = (mean, p95, size)
        print(f"{name:16} {mean:8.2f} {p95:8.2f} {size:11.0f}")
    worst = max(results.values(), key=lambda r: r[0])
    print(f"RESULT tick_ms_mean_worst={worst[0]:.2f} tick_ms_p95_worst={worst[1]:.2f}")


if __name__ == "__main__":
    main()

"""Cost isolation: does one learner's heavy run slow the other learners down?

One Daphne process (the README's production flags, its own SQLite database) serves OTHERS
learners whose sandbox clocks run (an update every 0.1 s), and one learner running the
heaviest run the caps allow: 20 receivers that always fail, retries straight back with no
limit, 50 messages a second, and a "step 60 s" sent every half second (16 in the window,
within the 8/s command throttle). For each learner the interval between two updates is
recorded, and the home page is fetched every half second.

It runs twice, side by side: without the per-tick event budget (``DJANGO_PLAYGROUND_TICK_EVENTS=0``,
what the playground did before) and with it (the default). The target: other learners' p95
update interval at or under 250 ms.

    .venv/bin/python bench/isolation.py [--seconds 10] [--others 10]

Only loopback addresses are used; every loop is bounded in count and time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.reliability.harness import Stack, learner_cookie, open_socket  # noqa: E402

TARGET_P95_MS = 250.0
STORE = (
    "from tests.reliability.big_runs import heavy_sandbox, store_for_session; "
    "store_for_session({key!r}, 'sandbox', heavy_sandbox())"
)


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def watch(server, cookie: str, until: float, intervals: list[float]) -> None:
    """Another learner: record the time between two updates of its running clock."""
    async with open_socket(server, cookie, max_size=None) as ws:
        await ws.recv()  # the full view
        await ws.send(json.dumps({"action": "resume", "seq": 1}))  # runs open paused
        await ws.recv()
        last = time.monotonic()
        while time.monotonic() < until:
            try:
                await asyncio.wait_for(ws.recv(), max(0.01, until - time.monotonic()))
            except TimeoutError:
                break
            now = time.monotonic()
            intervals.append(now - last)
            last = now


async def heavy(server, cookie: str, until: float, answers: list[str]) -> None:
    """The heavy learner: a "step 60 s" every half second."""
    async with open_socket(server, cookie, max_size=None) as ws:
        await ws.recv()
        seq = 0

        async def drain() -> None:
            while True:
                frame = await ws.recv()
                if "Not done" in frame or "notice-ok" in frame:
                    answers.append(frame)

        reader = asyncio.create_task(drain())
        try:
            while time.monotonic() < until and seq < 16:
                seq += 1
                await ws.send(json.dumps({"action": "step", "dt": "60", "seq": seq}))
                await asyncio.sleep(0.5)
        finally:
            reader.cancel()


async def home(server, until: float, latencies: list[float]) -> None:
    while time.monotonic() < until:
        t = time.monotonic()
        await asyncio.to_thread(lambda: urllib.request.urlopen(server.url + "/", timeout=30).read())
        latencies.append(time.monotonic() - t)
        await asyncio.sleep(0.5)


async def measure(budget: bool, seconds: float, others: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        stack = Stack(Path(tmp), redis_url="", name="isolation")
        env = {} if budget else {"DJANGO_PLAYGROUND_TICK_EVENTS": "0"}
        try:
            server = stack.daphne("bench", env=env)
            cookies = [learner_cookie(server) for _ in range(others)]
            heavy_cookie = learner_cookie(server)
            stack.manage("shell", "-c", STORE.format(key=heavy_cookie.split("=", 1)[1]))
            intervals: list[float] = []
            latencies: list[float] = []
            answers: list[str] = []
            until = time.monotonic() + seconds
            await asyncio.gather(
                *(watch(server, c, until, intervals) for c in cookies),
                heavy(server, heavy_cookie, until, answers),
                home(server, until, latencies),
            )
        finally:
            stack.close()
    return {
        "p50": pct(intervals, 0.50) * 1000,
        "p95": pct(intervals, 0.95) * 1000,
        "worst": max(intervals, default=float("nan")) * 1000,
        "updates": len(intervals),
        "home_p50": statistics.median(latencies) * 1000 if latencies else float("nan"),
        "home_max": max(latencies, default=float("nan")) * 1000,
        "steps_done": sum(1 for a in answers if "Not done" not in a),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--others", type=int, default=10)
    args = parser.parse_args()
    before = asyncio.run(measure(False, args.seconds, args.others))
    after = asyncio.run(measure(True, args.seconds, args.others))
    print(
        f"{args.others} other learners, one heavy learner, {args.seconds:.0f} s, one Daphne process"
    )
    print(f"{'':32}{'no budget':>12}{'budget':>12}")
    rows = (
        ("others' update interval p50 ms", "p50"),
        ("others' update interval p95 ms", "p95"),
        ("others' worst interval ms", "worst"),
        ("others' updates received", "updates"),
        ("home page p50 ms", "home_p50"),
        ("home page worst ms", "home_max"),
        ("heavy steps accepted", "steps_done"),
    )
    for label, key in rows:
        print(f"{label:32}{before[key]:>12.0f}{after[key]:>12.0f}")
    verdict = "met" if after["p95"] <= TARGET_P95_MS else "missed"
    print(f"target: others' p95 <= {TARGET_P95_MS:.0f} ms with the budget: {verdict}")
    print(
        f"RESULT p95_ms_before={before['p95']:.0f} p95_ms_after={after['p95']:.0f} "
        f"worst_ms_before={before['worst']:.0f} worst_ms_after={after['worst']:.0f} "
        f"home_max_ms_before={before['home_max']:.0f} home_max_ms_after={after['home_max']:.0f}"
    )


if __name__ == "__main__":
    main()

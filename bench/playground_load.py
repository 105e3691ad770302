"""How many live playgrounds can one Daphne process serve?

Starts the app under one Daphne process (its own SQLite database), then drives N concurrent
simulated learners over real WebSockets from a separate client process. Each learner opens
the sandbox page (getting its own session), connects, sends a message about every second,
and now and then kills or revives a receiver. For each N it reports the p50/p95 interval
between updates a learner receives, the server's CPU use and memory, and finally the largest
N whose p95 interval stays at or under 250 ms.

    .venv/bin/python bench/playground_load.py            # N = 25, 50, 100, 150, 200, 250, 300
    .venv/bin/python bench/playground_load.py --steps 50,200 --seconds 8

Only loopback addresses are used; every loop is bounded in count and time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_P95_MS = 250.0
CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(tmp: Path, port: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_TESTING": "1",
        "DJANGO_DEBUG": "0",
        "DJANGO_VAR_DIR": str(tmp),
        "DATABASE_URL": f"sqlite:///{tmp / 'bench.sqlite3'}",
    }
    env.pop("REDIS_URL", None)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "daphne",
            "-b",
            "127.0.0.1",
            "-p",
            str(port),
            "config.asgi:application",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(tmp / "daphne.log").open("wb"),
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2).close()
            return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("Daphne did not start")


def proc_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime


def proc_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


# ----- the client process ---------------------------------------------------------------------


def open_session(port: int) -> str:
    """GET the sandbox page like a browser: returns the session cookie header."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.open(f"http://127.0.0.1:{port}/playground/sandbox/", timeout=30).read()
    return "; ".join(f"{c.name}={c.value}" for c in jar)


async def learner(port: int, cookie: str, seconds: float, warmup: float, out: list, seed: int):
    import websockets

    rng = random.Random(seed)
    url = f"ws://127.0.0.1:{port}/ws/playground/sandbox/"
    headers = {"Cookie": cookie, "Origin": f"http://127.0.0.1:{port}"}
    intervals: list[float] = []
    async with websockets.connect(url, additional_headers=headers, max_size=2**22) as ws:
        start = time.monotonic()
        end = start + warmup + seconds
        next_send = start + rng.random()
        seq = 1
        await ws.send(json.dumps({"action": "resume", "seq": seq}))  # a run opens paused: Play
        last = None
        alive = True
        while True:
            now = time.monotonic()
            if now >= end:
                break
            if now >= next_send:
                seq += 1
                if rng.random() < 0.1:
                    action = "kill_receiver" if alive else "revive_receiver"
                    alive = not alive
                    frame = {"action": action, "receiver": "r1", "seq": seq}
                else:
                    frame = {"action": "publish", "text": f"m{seq}", "seq": seq}
                await ws.send(json.dumps(frame))
                next_send = now + 0.8 + rng.random() * 0.4
            try:
                await asyncio.wait_for(ws.recv(), timeout=min(0.5, max(0.01, next_send - now)))
            except TimeoutError:
                continue
            got = time.monotonic()
            if last is not None and got - start > warmup:
                intervals.append(got - last)
            last = got
    out.extend(intervals)


async def run_clients(port: int, n: int, seconds: float, warmup: float) -> list[float]:
    cookies = await asyncio.gather(*(asyncio.to_thread(open_session, port) for _ in range(n)))
    out: list[float] = []
    await asyncio.gather(
        *(learner(port, c, seconds, warmup, out, seed=i) for i, c in enumerate(cookies))
    )
    return out


def client_main(port: int, n: int, seconds: float, warmup: float, conn) -> None:
    conn.send(asyncio.run(run_clients(port, n, seconds, warmup)))
    conn.close()


# ----- orchestration --------------------------------------------------------------------------


def measure(server: subprocess.Popen, port: int, n: int, seconds: float, warmup: float) -> dict:
    parent, child = multiprocessing.Pipe()
    client = multiprocessing.Process(target=client_main, args=(port, n, seconds, warmup, child))
    client.start()
    time.sleep(warmup + min(2.0, n / 100))  # page loads and warm-up before measuring CPU
    cpu0, t0 = proc_cpu_seconds(server.pid), time.monotonic()
    intervals = parent.recv() if parent.poll(seconds + warmup + 120) else []
    cpu1, t1 = proc_cpu_seconds(server.pid), time.monotonic()
    client.join(timeout=30)
    if not intervals:
        return {"n": n, "p50": float("inf"), "p95": float("inf"), "cpu": 0.0, "rss": 0.0}
    q = statistics.quantiles(intervals, n=100)
    return {
        "n": n,
        "p50": statistics.median(intervals) * 1000,
        "p95": q[94] * 1000,
        "cpu": 100 * (cpu1 - cpu0) / max(1e-9, t1 - t0),
        "rss": proc_rss_mb(server.pid),
        "updates": len(intervals),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", default="25,50,100,150,200,250,300")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    args = parser.parse_args()
    steps = [int(s) for s in args.steps.split(",")]
    multiprocessing.set_start_method("spawn")
    with tempfile.TemporaryDirectory(prefix="decoupled-bench-") as tmp:
        port = free_port()
        server = start_server(Path(tmp), port)
        try:
            print(f"Daphne pid {server.pid} on 127.0.0.1:{port}; {args.seconds:g} s per step")
            print(f"{'N':>5} {'p50 ms':>8} {'p95 ms':>8} {'CPU %':>7} {'RSS MB':>7} {'updates':>8}")
            best, best_p95 = 0, float("nan")
            for n in steps:
                r = measure(server, port, n, args.seconds, args.warmup)
                print(
                    f"{r['n']:>5} {r['p50']:>8.0f} {r['p95']:>8.0f} {r['cpu']:>7.0f} "
                    f"{r['rss']:>7.0f} {r.get('updates', 0):>8}",
                    flush=True,
                )
                if r["p95"] <= TARGET_P95_MS:
                    best, best_p95 = n, r["p95"]
                elif r["p95"] > 4 * TARGET_P95_MS:
                    break  # far past the limit: larger N only take longer
        finally:
            server.terminate()
            server.wait(timeout=10)
            errors = [
                line
                for line in (Path(tmp) / "daphne.log").read_text().splitlines()
                if "Error" in line
            ]
            if errors:
                print("Server errors (first 5):", *errors[:5], sep="\n  ")
    print(f"Largest N with p95 update interval <= {TARGET_P95_MS:.0f} ms: {best}")
    print(f"RESULT max_playgrounds={best} p95_ms_at_max={best_p95:.0f}")


if __name__ == "__main__":
    main()

"""Idle sockets on the Redis channel layer: how often do they drop?

Holds SOCKETS playground sockets (one learner each) open on a Daphne process with the README's
production flags for SECONDS, reconnecting any that closes, and counts the drops. Before the fix
(redis-py 8's 5 s read timeout under channels-redis' 5 s BZPOPMIN) every socket dropped about
every 5.5 s. Needs REDIS_URL (and uses DATABASE_URL, else a SQLite file).

    REDIS_URL=redis://127.0.0.1:6379/2 .venv/bin/python bench/redis_idle.py [seconds] [sockets]
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.reliability.harness import Stack, learner_cookie, open_socket  # noqa: E402

SECONDS = float(sys.argv[1]) if len(sys.argv) > 1 else 60.0
SOCKETS = int(sys.argv[2]) if len(sys.argv) > 2 else 5


async def hold(server, cookie: str, until: float, drops: list) -> None:
    while time.monotonic() < until:
        try:
            async with open_socket(server, cookie) as ws:
                while time.monotonic() < until:
                    try:
                        await asyncio.wait_for(ws.recv(), max(0.01, until - time.monotonic()))
                    except TimeoutError:
                        return
        except Exception as exc:  # a dropped socket: count it, reconnect
            drops.append(getattr(exc, "rcvd", None) and exc.rcvd.code)
            await asyncio.sleep(0.2)


async def main() -> None:
    if not os.environ.get("REDIS_URL"):
        print("redis_idle: set REDIS_URL to measure the Redis channel layer; skipped")
        print("RESULT skipped=1")
        return
    with tempfile.TemporaryDirectory() as tmp:
        stack = Stack(Path(tmp), name="idle")
        try:
            server = stack.daphne("idle")
            cookies = [learner_cookie(server) for _ in range(SOCKETS)]
            drops: list = []
            until = time.monotonic() + SECONDS
            await asyncio.gather(*(hold(server, c, until, drops) for c in cookies))
        finally:
            stack.close()
        if drops:  # what the server said about them
            errors = [line for line in server.log_text().splitlines() if "Error" in line]
            print("server log, errors:", *errors[-5:], sep="\n  ")
    per_minute = len(drops) * 60 / SECONDS
    print(f"{SOCKETS} idle sockets for {SECONDS:.0f} s on {os.environ['REDIS_URL']}")
    print(f"drops: {len(drops)} (close codes {sorted(set(map(str, drops)))})")
    print(f"drops per minute: {per_minute:.1f} in all, {per_minute / SOCKETS:.1f} per socket")
    print(
        f"RESULT sockets={SOCKETS} seconds={SECONDS:.0f} drops={len(drops)} "
        f"drops_per_minute={per_minute:.1f}"
    )


if __name__ == "__main__":
    asyncio.run(main())

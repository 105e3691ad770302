"""kill -9 of the Daphne process loses no command the page was told is done.

A real Daphne process (the production command, on the suite's database and channel layer:
SQLite and the in-memory layer, or PostgreSQL and Redis when DATABASE_URL and REDIS_URL say
so) serves one learner, who sends N commands over a real WebSocket and waits for each one's
acknowledgement. Then the process is killed with SIGKILL (no disconnect, no save), started
again, and the learner reconnects: all N commands are there. (Before the journal, all of
them were lost: the run was saved every 10 s and on disconnect only.)
"""

from __future__ import annotations

import asyncio
import json
import re

from tests.reliability.harness import learner_cookie, open_socket, recv_until

COMMANDS = 12  # within the page's command burst, so none is throttled
GAP = 0.13  # seconds between two commands: under the page's 8 commands a second
DEPTH = re.compile(r"In the system now</dt><dd>(\d+)</dd>")


def _acked(frame: str) -> bool:
    """The page is told the command is done: its notice came back, and not as an error."""
    return 'id="pg-notice"' in frame and "notice-error" not in frame


async def test_kill_9_loses_no_acknowledged_command(stack):
    server = stack.daphne("kill9")
    cookie = learner_cookie(server)
    async with open_socket(server, cookie) as ws:
        await recv_until(ws, lambda f: 'id="pg-counters"' in f)  # the full view
        await ws.send(json.dumps({"action": "pause", "seq": 1}))
        await recv_until(ws, _acked)
        for i in range(COMMANDS):
            await ws.send(json.dumps({"action": "publish", "text": f"m{i}", "seq": i + 2}))
            await recv_until(ws, _acked)  # the page is told this one is done
            await asyncio.sleep(GAP)
        server.kill9()  # no disconnect, no save: the process just stops
    server.start()
    async with open_socket(server, cookie) as ws:
        view = await recv_until(ws, lambda f: 'id="pg-counters"' in f, timeout=30)
    kept = int(DEPTH.findall(view)[-1])
    assert kept == COMMANDS, f"{COMMANDS - kept} of {COMMANDS} acknowledged commands were lost"
    assert "Paused" in view  # the command before them, too

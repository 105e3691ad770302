"""A production-shaped stack for reliability tests: real Daphne processes, one database, one Redis.

Reusable by any test (``from tests.reliability.harness import ...``; the fixtures are in
``tests/reliability/conftest.py``):

- ``Stack``: the shared environment (its own fresh database, the ``REDIS_URL`` channel layer)
  and the Daphne processes started on it, all stopped at the end whatever happened.
- ``Daphne``: one server process (``start``, ``stop``, ``kill9``, ``restart``), started with
  the README's production flags (``PRODUCTION_FLAGS``), on a free port of ``PORT_RANGE``.
- ``learner_cookie``: a learner (and their session cookie) made by opening a page, as a browser.
- ``open_socket``: a WebSocket to the playground with that cookie and the page's Origin.
- ``recv_until`` / ``recv_for``: read frames until one matches, or for a while.
- ``Stack.manage(...)``: run a management command (``shell -c``) against the servers' database.
- ``RedisServer``: a throwaway ``redis-server`` on a free port (never the shared one).

Ports: ``RELIABILITY_PORTS`` (``first-last``) picks the range; by default 18200-18299.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.cookiejar
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse, urlunparse

from websockets.asyncio.client import connect

ROOT = Path(__file__).resolve().parents[2]
# The README's production command (one Daphne per core); the tests start exactly this.
PRODUCTION_FLAGS = ("--http-timeout", "30", "--websocket-max-message-size", "65536")
_first, _last = os.environ.get("RELIABILITY_PORTS", "18200-18299").split("-")
PORT_RANGE = range(int(_first), int(_last) + 1)
_taken: set[int] = set()


def free_port() -> int:
    """A port of PORT_RANGE nothing listens on (and this run has not handed out)."""
    for port in PORT_RANGE:
        if port in _taken:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        _taken.add(port)
        return port
    raise RuntimeError(f"no free port in {PORT_RANGE.start}-{PORT_RANGE.stop - 1}")


def _wait_port(port: int, proc: subprocess.Popen, log: Path, what: str, limit=30.0) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited early (code {proc.returncode}); see {log}")
        with socket.socket() as s:
            s.settimeout(0.5)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not listen on {port} within {limit:.0f} s; see {log}")


def _stop(proc: subprocess.Popen | None, sig=signal.SIGTERM) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def fresh_database_url(tmp: Path, suffix: str) -> str:
    """A new database for the servers: PostgreSQL's DATABASE_URL + suffix, or a SQLite file."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return f"sqlite:///{tmp / f'{suffix}.sqlite3'}"
    import psycopg

    parsed = urlparse(url)
    name = (parsed.path.lstrip("/") or "decoupled") + f"_{suffix}"
    admin = urlunparse(parsed._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return urlunparse(parsed._replace(path=f"/{name}"))


class Daphne:
    """One Daphne process of the stack."""

    def __init__(self, name: str, env: dict[str, str], log: Path, flags=PRODUCTION_FLAGS) -> None:
        self.name, self.env, self.log, self.flags = name, env, log, tuple(flags)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def start(self) -> Daphne:
        cmd = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port)]
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [*cmd, *self.flags, "config.asgi:application"],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        _wait_port(self.port, self.proc, self.log, f"Daphne {self.name}")
        return self

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        _stop(self.proc)

    def kill9(self) -> None:
        """The process dies at once: no disconnect(), no save, no goodbye to any socket."""
        _stop(self.proc, signal.SIGKILL)

    def restart(self) -> Daphne:
        self.stop()
        return self.start()

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


class Stack:
    """Daphne processes sharing one fresh database and the REDIS_URL channel layer."""

    def __init__(self, tmp: Path, *, redis_url: str | None = None, name: str = "reliability"):
        """``name``: the database's suffix; stacks alive at the same time need different ones."""
        self.tmp = tmp
        self.redis_url = os.environ.get("REDIS_URL", "") if redis_url is None else redis_url
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DJANGO_TESTING": "1",
            "DJANGO_DEBUG": "0",
            "DJANGO_VAR_DIR": str(tmp),
            "DATABASE_URL": fresh_database_url(tmp, name),
            "REDIS_URL": self.redis_url,
            "PYTHONUNBUFFERED": "1",
            "DJANGO_LOG_LEVEL": "INFO",
        }
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
            cwd=ROOT,
            env=self.env,
            check=True,
        )
        self.servers: list[Daphne] = []

    def manage(self, *args: str) -> str:
        """Run ``manage.py`` with the servers' settings (e.g. ``"shell", "-c", code``)."""
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            check=True,
            capture_output=True,
            text=True,
        )
        return done.stdout

    def daphne(self, name: str, *, env: dict[str, str] | None = None, flags=PRODUCTION_FLAGS):
        """Start (and keep track of) one more Daphne process on this stack."""
        server = Daphne(name, {**self.env, **(env or {})}, self.tmp / f"daphne-{name}.log", flags)
        self.servers.append(server)
        return server.start()

    def close(self) -> None:
        for server in self.servers:
            server.stop()


class RedisServer:
    """A throwaway redis-server on a free port, for outage tests (never the shared one)."""

    def __init__(self, tmp: Path) -> None:
        self.binary = shutil.which("redis-server")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.tmp = tmp
        self.log = tmp / f"redis-{self.port}.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> RedisServer:
        cmd = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1"]
        cmd += ["--save", "", "--appendonly", "no", "--dir", str(self.tmp)]
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
        _wait_port(self.port, self.proc, self.log, "redis-server")
        return self

    def stop(self) -> None:
        _stop(self.proc)


def learner_cookie(server: Daphne, path: str = "/playground/sandbox/") -> str:
    """Open a page as a browser does: a learner and their session cookie (``sessionid=...``)."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(server.url + path, timeout=30) as response:
        response.read()
    return "; ".join(f"{c.name}={c.value}" for c in jar if c.name == "sessionid")


def open_socket(server: Daphne, cookie: str, scenario: str = "sandbox", **kw):
    """``async with open_socket(...) as ws``: the playground's socket, as its page opens it."""
    return connect(
        f"{server.ws_url}/ws/playground/{scenario}/",
        additional_headers={"Cookie": cookie, "Origin": server.url},
        open_timeout=10,
        **kw,
    )


async def recv_until(ws, predicate, timeout: float = 10.0) -> str:
    """Frames until one for which ``predicate(frame)`` holds; that frame. TimeoutError if none."""
    async with asyncio.timeout(timeout):
        while True:
            frame = await ws.recv()
            if predicate(frame):
                return frame


async def recv_for(ws, seconds: float) -> list[str]:
    """Every frame that arrives within ``seconds`` (raises if the socket closes meanwhile)."""
    frames = []
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            while True:
                frames.append(await ws.recv())
    return frames

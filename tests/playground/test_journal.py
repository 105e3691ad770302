"""Nothing acknowledged is lost, and one tab at a time runs a run live.

Every command the page is told is done was written to the run's journal first, so a process
that dies without saving (kill -9, a crash) loses none of it: the next load is the last
snapshot plus the journal. Taking a run live is one conditional UPDATE, and every write of a
live socket is fenced on still holding the run, so two tabs can never both run it.
"""

import asyncio
import html
import json

import pytest
from channels.db import database_sync_to_async
from test_consumer import _connect, _depth, _drain, _learner_cookie, _paused, _send

from playground.consumers import PlaygroundConsumer
from playground.models import PlaygroundRun

pytestmark = pytest.mark.django_db(transaction=True)

ELSEWHERE = {"type": "websocket.close", "code": 4409}


def _acked(reply: str) -> bool:
    """The page was told the command is done: its notice came back, and not as an error."""
    return 'id="pg-notice"' in reply and "notice-error" not in reply


def _crash_when_cancelled(monkeypatch, victims: list):
    """Make the consumers in ``victims`` die like a killed process: no save on the way out."""
    real_save = PlaygroundConsumer.save

    async def save(self, *args, **kwargs):
        if self in victims:
            return True  # a killed process writes nothing more
        return await real_save(self, *args, **kwargs)

    monkeypatch.setattr(PlaygroundConsumer, "save", save)
    real_start = PlaygroundConsumer.start
    started = []

    async def start(self, *args, **kwargs):
        started.append(self)
        await real_start(self, *args, **kwargs)

    monkeypatch.setattr(PlaygroundConsumer, "start", start)
    return started


async def _kill(comm) -> None:
    """Drop the connection without disconnect(): the application task is just cancelled."""
    comm.future.cancel()
    with pytest.raises(asyncio.CancelledError):
        await comm.future


async def test_an_acknowledged_command_survives_a_crash_without_any_save(monkeypatch):
    victims: list = []
    started = _crash_when_cancelled(monkeypatch, victims)
    _, cookie = await _learner_cookie()
    comm = await _paused(cookie=cookie)
    victims.append(started[0])
    reply = html.unescape(await _send(comm, action="burst", n="4"))
    assert _acked(reply)  # the page was told it is done
    assert _depth(reply) == 4
    await _kill(comm)

    again, connected, _ = await _connect(cookie=cookie)
    assert connected
    view = await again.receive_from(timeout=5)
    assert _depth(view) == 4, "an acknowledged command was lost"
    assert "Paused" in view  # the pause before it, too
    await again.disconnect()


async def _collect(comm, seconds: float, settled: asyncio.Event | None = None) -> list[dict]:
    """Every output of ``comm`` for ``seconds`` (without cancelling it on a quiet spell), or
    until it closes, or until a second after ``settled`` is set."""
    out = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while loop.time() < deadline:
        if settled is not None and settled.is_set():
            deadline = min(deadline, settled.at + 1.0)
        if not await comm.receive_nothing(timeout=0.05, interval=0.01):
            out.append(await comm.receive_output())
            if out[-1]["type"] == "websocket.close":
                if settled is not None and not settled.is_set():
                    settled.at = loop.time()
                    settled.set()
                break
    return out


@database_sync_to_async
def _live_channel(learner_id: str, scenario: str = "sandbox") -> str:
    return PlaygroundRun.objects.get(learner_id=learner_id, scenario=scenario).live_channel


async def test_two_tabs_opening_at_the_same_instant_never_both_run_live():
    for _ in range(8):
        learner_id, cookie = await _learner_cookie()
        (a, ok_a, _), (b, ok_b, _) = await asyncio.gather(
            _connect(cookie=cookie), _connect(cookie=cookie)
        )
        assert ok_a and ok_b
        settled = asyncio.Event()
        outs = await asyncio.gather(_collect(a, 10, settled), _collect(b, 10, settled))
        closed = [o[-1] == ELSEWHERE if o else False for o in outs]
        kinds = [[m.get("code", m["type"]) for m in o][-3:] for o in outs]
        assert closed.count(True) == 1, f"both tabs ran the run live (or neither did): {kinds}"
        live = b if closed[0] else a
        assert any(m["type"] == "websocket.send" for m in outs[closed.index(False)])
        reply = html.unescape(await _send(live, action="pause"))
        assert _acked(reply)
        assert await _live_channel(learner_id)  # held by the one live tab
        await live.disconnect()
        await (a if closed[0] else b).disconnect()


async def test_a_fenced_out_tab_steps_aside_and_cannot_overwrite_the_run():
    learner_id, cookie = await _learner_cookie()
    comm = await _paused(cookie=cookie)
    await _send(comm, action="burst", n="2")
    await comm.disconnect()
    comm = await _paused(cookie=cookie)

    @database_sync_to_async
    def _claimed_elsewhere():  # another process took the run live (its claim won)
        PlaygroundRun.objects.filter(learner_id=learner_id).update(live_channel="other.proc!x")
        return PlaygroundRun.objects.get(learner_id=learner_id).state

    before = await _claimed_elsewhere()
    await comm.send_to(text_data=json.dumps({"action": "burst", "n": "5"}))
    outs = await _collect(comm, 3)
    sent = "".join(m.get("text", "") for m in outs if m["type"] == "websocket.send")
    assert not _acked(sent)  # never told "done"
    assert outs and outs[-1] == ELSEWHERE  # steps aside, like a tab that handed over
    await comm.disconnect()
    row = await database_sync_to_async(PlaygroundRun.objects.get)(learner_id=learner_id)
    assert row.state == before and row.live_channel == "other.proc!x"

    @database_sync_to_async
    def _release():
        PlaygroundRun.objects.filter(learner_id=learner_id).update(live_channel="")

    await _release()
    again, _, _ = await _connect(cookie=cookie)
    assert _depth(await again.receive_from(timeout=5)) == 2  # the fenced burst never landed
    await again.disconnect()


async def test_a_reset_clears_the_journal_so_old_commands_never_come_back(monkeypatch):
    victims: list = []
    started = _crash_when_cancelled(monkeypatch, victims)
    _, cookie = await _learner_cookie()
    comm = await _paused(cookie=cookie)
    victims.append(started[0])
    await _send(comm, action="burst", n="3")
    await comm.send_to(text_data=json.dumps({"action": "reset"}))  # a fresh run: not paused
    await comm.send_to(text_data=json.dumps({"action": "pause"}))
    assert "Started again" in html.unescape(await _drain(comm))
    depth = _depth(await _send(comm, action="burst", n="2"))
    assert depth >= 2
    await _kill(comm)

    again, _, _ = await _connect(cookie=cookie)
    assert _depth(await again.receive_from(timeout=5)) == depth  # not 3 more, nor the burst lost
    await again.disconnect()


async def test_frames_sent_before_the_run_is_loaded_are_applied_in_order():
    learner_id, cookie = await _learner_cookie()
    comm = await _paused(cookie=cookie)
    await comm.disconnect()

    @database_sync_to_async
    def _held_by_a_vanished_socket():  # the new socket waits for a handover that never comes
        PlaygroundRun.objects.filter(learner_id=learner_id).update(live_channel="gone.nobody!x")

    await _held_by_a_vanished_socket()
    comm, connected, _ = await _connect(cookie=cookie)
    assert connected
    for seq, n in ((1, 1), (2, 2), (3, 3)):  # out of order, a later seq would drop an earlier
        await comm.send_to(text_data=json.dumps({"action": "burst", "n": str(n), "seq": seq}))
    replies = html.unescape(await _drain(comm, timeout=1.5, limit=10))  # after the wait
    assert "Still connecting" not in replies
    assert replies.count('id="pg-notice"') == 3 and _acked(replies)  # each one acknowledged
    view = await _send(comm, action="sync")
    assert _depth(view) == 6 and "Paused" in view
    await comm.disconnect()


async def test_a_connection_the_server_kills_still_saves_and_frees_the_run():
    """Daphne cancels an application that outlives its close timeout: that way out saves
    (a snapshot) and frees the run too, so the next tab opens it at once."""
    learner_id, cookie = await _learner_cookie()
    comm = await _paused(cookie=cookie)
    await _send(comm, action="burst", n="3")
    await _kill(comm)  # cancelled, as Daphne's application-close timeout does
    row = await database_sync_to_async(PlaygroundRun.objects.get)(learner_id=learner_id)
    assert row.live_channel == ""
    assert len(row.state["command_log"]) >= 2  # the pause and the burst are in the snapshot
    assert row.state["paused"] is True


async def test_a_command_the_database_could_not_store_is_not_shown_as_done_and_is_retried(
    monkeypatch,
):
    from playground import runs

    real_append = runs.run_append
    failures = []

    def flaky_append(**kwargs):
        if failures:
            failures.pop()
            raise RuntimeError("the database is out for a moment")
        return real_append(**kwargs)

    monkeypatch.setattr(runs, "run_append", flaky_append)
    victims: list = []
    started = _crash_when_cancelled(monkeypatch, victims)
    _, cookie = await _learner_cookie()
    comm = await _paused(cookie=cookie)
    victims.append(started[0])
    failures.append(1)  # the next write fails
    await comm.send_to(text_data=json.dumps({"action": "burst", "n": "2"}))
    first = html.unescape(await comm.receive_from(timeout=5))
    assert "Not saved yet" in first and not _acked(first)  # not told "done"
    later = ""
    for _ in range(5):  # the clock retries it within about a second, and says so
        later += html.unescape(await _drain(comm, limit=10, first=1.5))
        if "Saved:" in later:
            break
    assert "Saved: everything you did is stored again." in later
    await _kill(comm)

    again, _, _ = await _connect(cookie=cookie)
    assert _depth(await again.receive_from(timeout=5)) == 2  # stored by the retry
    await again.disconnect()


async def test_an_experiment_runs_pause_and_step_survive_a_crash(monkeypatch):
    """The embedded experiment run is journalled too: its pause (a command) and its step (the
    clock moved, kept as the clock mark stored with the step's result)."""
    import re

    from django.test import Client
    from test_experiments_web import _connect as _connect_experiment
    from test_experiments_web import _predicted_run, _until

    from playground.consumers import ExperimentConsumer

    victims: list = []
    started = _crash_when_cancelled(monkeypatch, victims)
    client = Client()
    run = await _predicted_run(client, "3", htmx=True)
    comm, connected = await _connect_experiment(client, run.pk)
    assert connected
    await comm.send_to(text_data=json.dumps({"action": "pause"}))
    await _until(comm, r"Paused.*pg-notice")
    victims.extend(c for c in started if isinstance(c, ExperimentConsumer))
    await comm.send_to(text_data=json.dumps({"action": "step", "dt": "1.5"}))
    stepped = await _until(comm, r"pg-notice")
    at = re.findall(r"Simulated time</span> <strong>([\d.]+) s", stepped)[-1]
    await _kill(comm)

    again, _ = await _connect_experiment(client, run.pk)
    view = await _until(again, r"Simulated time")
    assert "Paused" in view
    assert re.findall(r"Simulated time</span> <strong>([\d.]+) s", view)[0] == at
    await again.disconnect()

"""The playground's WebSocket consumer, driven like a browser would drive it.

Time is paused first and moved with "step", so every test is deterministic.
"""

import asyncio
import html
import json
import re

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.sessions.backends.db import SessionStore

from config.asgi import application
from lessons.models import Learner
from playground.models import PlaygroundRun

pytestmark = pytest.mark.django_db(transaction=True)


@database_sync_to_async
def _learner_cookie() -> tuple[str, str]:
    learner = Learner.objects.create()
    session = SessionStore()
    session["learner_id"] = str(learner.pk)
    session.create()
    return str(learner.pk), f"sessionid={session.session_key}"


async def _connect(scenario="sandbox", *, cookie=None, origin=b"http://localhost"):
    if cookie is None:
        _, cookie = await _learner_cookie()
    headers = [(b"host", b"localhost"), (b"cookie", cookie.encode())]
    if origin is not None:
        headers.append((b"origin", origin))
    comm = WebsocketCommunicator(application, f"/ws/playground/{scenario}/", headers=headers)
    connected, code = await comm.connect()
    return comm, connected, code


async def _drain(comm, timeout=0.2, limit=5.0, first=1.0) -> str:
    """Everything the server sent until it has been quiet for ``timeout`` seconds.

    The first reply may take up to ``first`` seconds: a command's result is sent only once
    the command is stored (one database write, slower on a busy machine).
    """
    chunks = []
    deadline = asyncio.get_running_loop().time() + limit
    while asyncio.get_running_loop().time() < deadline:
        # receive_nothing waits without cancelling the consumer (receive_from's timeout would)
        quiet = timeout if chunks else max(timeout, first)
        if await comm.receive_nothing(timeout=quiet, interval=0.02):
            return "".join(chunks)
        chunks.append(await comm.receive_from())
    raise AssertionError("the server kept sending: is the clock paused?")


async def _send(comm, **frame) -> str:
    await comm.send_to(text_data=json.dumps(frame))
    return await _drain(comm)


async def _paused(scenario="sandbox", **kw):
    comm, connected, _ = await _connect(scenario, **kw)
    assert connected
    await comm.receive_from(timeout=5)  # the full view
    await _send(comm, action="pause")
    return comm


def _depth(html: str) -> int:
    """Messages in the system (ready, in flight, delayed), from the counters panel."""
    return int(re.search(r"In the system now</dt><dd>(\d+)</dd>", html).group(1))


def _time(html: str) -> str:
    return re.search(r"Simulated time</span> <strong>([\d.]+) s", html).group(1)


async def test_connecting_sends_the_full_current_view():
    comm, connected, _ = await _connect()
    assert connected
    first = await comm.receive_from(timeout=5)
    for fragment in ("pg-clock", "pg-queues", "pg-receivers", "pg-dlq", "pg-counters", "pg-events"):
        assert f'id="{fragment}"' in first
    assert 'hx-swap-oob="true"' in first
    await comm.disconnect()


async def test_publishing_grows_the_queue_while_time_is_paused():
    comm = await _paused()
    before = _depth(await _send(comm, action="sync"))
    after = _depth(await _send(comm, action="burst", n="7"))
    assert after == before + 7
    await comm.disconnect()


async def test_a_killed_receivers_message_is_redelivered_to_the_other_receiver():
    comm = await _paused()
    await _send(comm, action="set_receiver", receiver="r1", mean_time="30")
    await _send(comm, action="set_receiver", receiver="r2", mean_time="30")
    await _send(comm, action="publish", text="important")
    html = await _send(comm, action="step", dt="0.1")
    holder = re.search(r"(r[12])</strong>.{0,400}?Working on #1", html, re.S).group(1)
    other = "r2" if holder == "r1" else "r1"
    await _send(comm, action="kill_receiver", receiver=holder)
    await _send(comm, action="step", dt="10")
    story = await _send(comm, action="story", message="1")
    assert re.search(rf"Message 1 delivered to {other} \(delivery 2\) — redelivered", story)
    assert "lost" not in story.split('id="pg-story"')[1]
    await comm.disconnect()


async def test_a_message_that_always_fails_is_dead_lettered_after_the_limit():
    comm = await _paused()
    await _send(comm, action="set_receiver", receiver="r1", failure_rate="1", mean_time="0.1")
    await _send(comm, action="remove_receiver", receiver="r2")
    await _send(comm, action="set_retry_policy", kind="none", delivery_limit="3")
    await _send(comm, action="publish")
    html = await _send(comm, action="step", dt="5")
    assert re.search(r"Dead-letter queue <span class=\"depth depth-bad\">1</span>", html)
    assert "after 3 deliveries" in html
    await comm.disconnect()


BAD_FRAMES = [
    ("not json at all", "not valid JSON"),
    ("[1, 2, 3]", "JSON object"),
    ('{"nope": 1}', "needs an 'action'"),
    ('{"action": "explode"}', "Unknown action"),
    ('{"action": "burst", "n": "lots"}', "'n' must be a whole number"),
    ('{"action": "burst", "n": "5000"}', "between 1 and 50"),
    ('{"action": "set_speed", "speed": "99"}', "speed"),
    ('{"action": "kill_receiver", "receiver": "r9"}', "r9"),
    ('{"action": "burst", "n": "5", "seq": "x"}', "'seq' must be a whole number"),
    ('{"action": "publish", "text": "' + "x" * 200 + '"}', "too long"),
    ('{"action": "filter_events", "filter": "secret"}', "Unknown event filter"),
    ('{"action": "filter_events", "filter": [1]}', "Unknown event filter"),
    ('{"action": "story", "message": {"a": 1}}', "Choose a message"),
    ('{"action": "publish", "text": "' + "y" * 5000 + '"}', "too large"),
]


@pytest.mark.parametrize(("frame", "message"), BAD_FRAMES)
async def test_bad_frames_get_a_clear_error_and_change_nothing(frame, message):
    comm = await _paused()
    before = await _send(comm, action="sync")
    await comm.send_to(text_data=frame)
    reply = await _drain(comm)
    assert 'id="pg-notice"' in reply and "notice-error" in reply
    assert message in html.unescape(reply)
    after = await _send(comm, action="sync")
    assert after == before, "a refused frame must not change the simulation"
    await comm.disconnect()


async def test_binary_frames_are_refused_with_an_error_and_the_connection_stays_open():
    comm = await _paused()
    await comm.send_to(bytes_data=b"\x00\x01")
    assert "Only text frames" in await _drain(comm)
    assert "pg-queues" in await _send(comm, action="sync")
    await comm.disconnect()


async def test_repeated_sequence_numbers_are_ignored():
    comm = await _paused()
    base = _depth(await _send(comm, action="sync"))
    await _send(comm, action="burst", n="3", seq=1)
    assert await _send(comm, action="burst", n="3", seq=1) == ""
    assert _depth(await _send(comm, action="sync")) == base + 3
    await comm.disconnect()


async def test_a_flood_of_commands_is_throttled_with_a_message():
    comm = await _paused()
    for _ in range(40):
        await comm.send_to(text_data=json.dumps({"action": "close_story"}))
    assert "a lot of commands at once" in await _drain(comm)
    await comm.disconnect()


async def test_message_text_is_shown_escaped():
    comm = await _paused()
    await _send(comm, action="publish", text="<script>alert(1)</script>")
    story = await _send(comm, action="story", message="1")
    assert "<script>alert(1)</script>" not in story
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in story
    await comm.disconnect()


async def test_a_foreign_origin_is_refused():
    comm, connected, _ = await _connect(origin=b"http://evil.example")
    assert not connected
    await comm.disconnect()


NOT_FOUND = {"type": "websocket.close", "code": 4404}  # the page stops retrying on this code


async def test_without_a_learner_session_the_socket_is_closed():
    comm, connected, code = await _connect(cookie="sessionid=nonsense")
    assert connected  # accepted, so the close code reaches the page...
    assert await comm.receive_output(timeout=5) == NOT_FOUND  # ...and it says why
    await comm.disconnect()


async def test_an_unknown_scenario_is_refused():
    comm, connected, _ = await _connect("no-such-scenario")
    assert await comm.receive_output(timeout=5) == NOT_FOUND
    await comm.disconnect()


async def test_an_unknown_socket_path_is_refused_without_a_traceback():
    _, cookie = await _learner_cookie()
    headers = [
        (b"host", b"localhost"),
        (b"cookie", cookie.encode()),
        (b"origin", b"http://localhost"),
    ]
    comm = WebsocketCommunicator(application, "/ws/nope/", headers=headers)
    connected, _ = await comm.connect()
    assert connected
    assert await comm.receive_output(timeout=5) == NOT_FOUND
    await comm.disconnect()


async def test_state_is_saved_on_disconnect_and_resumed_on_reconnect():
    learner_id, cookie = await _learner_cookie()
    comm = await _paused(cookie=cookie)
    await _send(comm, action="burst", n="4")
    await _send(comm, action="step", dt="0.5")
    before = await _send(comm, action="sync")
    await comm.disconnect()
    saved = await database_sync_to_async(PlaygroundRun.objects.get)(learner_id=learner_id)
    assert saved.state["paused"] is True
    comm, connected, _ = await _connect(cookie=cookie)
    assert connected
    again = await comm.receive_from(timeout=5)
    assert _depth(again) == _depth(before)
    assert _time(again) == _time(before)
    await comm.disconnect()


async def test_one_learner_never_sees_another_learners_run():
    comm_a = await _paused()
    await _send(comm_a, action="burst", n="9")
    depth_a = _depth(await _send(comm_a, action="sync"))
    comm_b = await _paused()
    depth_b = _depth(await _send(comm_b, action="sync"))
    assert depth_a == depth_b + 9
    await comm_a.disconnect()
    await comm_b.disconnect()


async def test_a_run_opens_paused_and_the_clock_runs_once_play_is_pressed():
    comm, connected, _ = await _connect()
    first = await comm.receive_from(timeout=5)
    assert "Paused" in first and 'id="btn-play"' in first and "Watch this" in first
    assert await comm.receive_nothing(timeout=0.5)  # paused: no clock updates
    await comm.send_to(text_data=json.dumps({"action": "resume"}))  # the learner presses Play
    assert "Running at" in await comm.receive_from(timeout=2)
    await comm.send_to(text_data=json.dumps({"action": "burst", "n": "3"}))
    # The burst's result and the next tick, in either order (a tick may go first).
    updates = [await comm.receive_from(timeout=2) for _ in range(2)]
    assert any('id="pg-clock"' in update for update in updates)
    await comm.disconnect()


async def test_the_run_is_saved_even_when_the_clock_failed_on_a_closed_socket():
    """A reload can close the socket while the clock is sending; nothing may be lost then."""
    from playground.consumers import PlaygroundConsumer

    consumer = PlaygroundConsumer()
    saved = []

    async def failing_clock():
        raise RuntimeError("Attempt to send on a closed protocol")

    async def save(*, release=False):
        saved.append(release)

    consumer.session = object()
    consumer.task = asyncio.ensure_future(failing_clock())
    await asyncio.sleep(0)
    consumer.save = save
    await consumer.disconnect(1001)
    assert saved == [True]  # saved, and the run released for another tab


@database_sync_to_async
def _live_channel(learner_id: str, scenario: str = "sandbox") -> str:
    return PlaygroundRun.objects.get(learner_id=learner_id, scenario=scenario).live_channel


async def test_a_second_tab_takes_the_run_over_with_what_the_first_tab_did():
    """Two tabs never overwrite each other: the first saves and steps aside for the second."""
    learner_id, cookie = await _learner_cookie()
    first = await _paused(cookie=cookie)
    assert _depth(await _send(first, action="burst", n="5")) == 5  # not saved yet
    assert await _live_channel(learner_id)

    second, connected, _ = await _connect(cookie=cookie)
    assert connected
    view = await second.receive_from(timeout=5)
    assert _depth(view) == 5  # the first tab saved its burst before the second loaded
    assert "Paused" in view
    closed = await first.receive_output(timeout=5)
    assert closed == {"type": "websocket.close", "code": 4409}  # the client does not retry

    await _send(second, action="publish")
    await second.disconnect()
    assert await _live_channel(learner_id) == ""  # released on disconnect
    third, _, _ = await _connect(cookie=cookie)
    assert _depth(await third.receive_from(timeout=5)) == 6  # the second tab's publish kept
    await third.disconnect()


async def test_a_run_held_by_a_vanished_socket_still_opens():
    """A stale holder (say, a server that was killed) costs a short wait, nothing more."""
    learner_id, cookie = await _learner_cookie()
    first = await _paused(cookie=cookie)
    await _send(first, action="burst", n="3")
    await first.disconnect()  # saved and released

    @database_sync_to_async
    def _stale():
        PlaygroundRun.objects.filter(learner_id=learner_id).update(live_channel="gone.nobody!x")

    await _stale()
    second, connected, _ = await _connect(cookie=cookie)
    assert connected
    assert _depth(await second.receive_from(timeout=5)) == 3
    assert await _live_channel(learner_id) not in ("", "gone.nobody!x")
    await second.disconnect()


async def test_odd_frames_get_readable_refusals_and_change_nothing():
    comm = await _paused()
    before = _depth(await _send(comm, action="sync"))
    frames = [
        json.dumps({"action": "publish", "text": "broken \ud800 unicode"}),
        json.dumps({"action": "publish", "text": "nul \x00 byte"}),
        '{"action": "set_rate", "rate": ' + "9" * 3000 + "}",
        '{"action": "pause", "x": ' + "[" * 1500 + "]" * 1500 + "}",
    ]
    replies = []
    for frame in frames:
        await comm.send_to(text_data=frame)
        replies.append(html.unescape(await _drain(comm)))
    assert "control character or broken Unicode" in replies[0]
    assert "control character or broken Unicode" in replies[1]
    assert "must be a finite number" in replies[2]
    assert "nested too deeply" in replies[3]
    assert not any("Something went wrong" in r for r in replies)
    assert _depth(await _send(comm, action="sync")) == before
    await comm.disconnect()


async def test_a_failing_handler_stops_the_clock_and_saves_the_run(monkeypatch):
    """If a handler fails outside the session (say, the database), the run is saved and
    released, and no clock keeps ticking for a connection that is gone."""
    from playground import consumers, runs

    def broken_share(**kwargs):
        raise RuntimeError("the database is down")

    monkeypatch.setattr(runs, "share_create", broken_share)
    started = []
    real_start = consumers.PlaygroundConsumer.start

    async def spy_start(self, holder):
        started.append(self)
        await real_start(self, holder)

    monkeypatch.setattr(consumers.PlaygroundConsumer, "start", spy_start)
    learner_id, cookie = await _learner_cookie()
    comm = await _paused(cookie=cookie)
    await _send(comm, action="burst", n="2")
    await comm.send_to(text_data=json.dumps({"action": "share"}))
    with pytest.raises(RuntimeError):
        await comm.receive_from(timeout=5)
    consumer = started[0]
    assert consumer.task is None or consumer.task.done()
    assert await _live_channel(learner_id) == ""
    again, _, _ = await _connect(cookie=cookie)
    assert _depth(await again.receive_from(timeout=5)) == 2
    await again.disconnect()


async def test_resetting_progress_with_a_playground_open_closes_it_cleanly():
    learner_id, cookie = await _learner_cookie()
    comm = await _paused(cookie=cookie)
    await database_sync_to_async(Learner.objects.filter(pk=learner_id).delete)()
    await comm.send_to(text_data=json.dumps({"action": "share"}))
    out = await comm.receive_output(timeout=5)
    assert out == {"type": "websocket.close", "code": 4410}  # the page explains, no retry
    await comm.disconnect()
    assert not await database_sync_to_async(PlaygroundRun.objects.exists)()


async def test_sharing_again_at_once_reuses_the_link_instead_of_storing_another_copy():
    from playground.models import SharedRun

    comm = await _paused()
    first = await _send(comm, action="share")
    assert "share-link" in first
    again = html.unescape(await _send(comm, action="share"))
    assert "You shared this run a moment ago" in again
    assert await database_sync_to_async(SharedRun.objects.count)() == 1
    await comm.disconnect()


async def test_a_goal_shows_its_progress_and_a_resumed_run_says_where_it_stands():
    _, cookie = await _learner_cookie()
    comm = await _paused("phone-vs-letter", cookie=cookie)
    view = html.unescape(await _send(comm, action="sync"))
    assert 'aria-label="Goal progress"' in view
    assert "Sync calls failed or timed out: 0" in view and "(at least 3, not yet)" in view
    await _send(comm, action="burst", n="3")
    await comm.disconnect()
    again, _, _ = await _connect("phone-vs-letter", cookie=cookie)
    assert "Resumed at" in await again.receive_from(timeout=5)
    await again.disconnect()

"""Shares are limited per learner, not per socket, and a share's stored size is capped.

Before, the limit of one share per 10 s lived in the socket's session: a reconnect (or a second
tab) reset it, and every share stored the whole state, up to 2.4 MB each.
"""

import html
import json

import pytest
from channels.db import database_sync_to_async

from playground import runs
from playground.models import SharedRun
from tests.playground.test_consumer import _learner_cookie, _paused

pytestmark = pytest.mark.django_db(transaction=True)


async def _share(comm) -> str:
    """Ask to share; the answer: the link, or a notice saying why not (however slow the save)."""
    await comm.send_to(text_data=json.dumps({"action": "share"}))
    while True:
        frame = html.unescape(await comm.receive_from(timeout=10))
        if "share-link" in frame or "notice-" in frame:
            return frame


async def _shares() -> int:
    return await database_sync_to_async(SharedRun.objects.count)()


async def test_reconnecting_does_not_reset_the_share_limit():
    _, cookie = await _learner_cookie()
    comm = await _paused(cookie=cookie)
    assert "share-link" in await _share(comm)
    await comm.disconnect()

    again = await _paused(cookie=cookie)  # a reconnect, or a second tab: the same learner
    answer = await _share(again)
    assert "You shared this run a moment ago" in answer
    assert await _shares() == 1
    await again.disconnect()


async def test_another_learner_is_not_held_back_by_someone_elses_share():
    first = await _paused()
    assert "share-link" in await _share(first)
    other = await _paused()
    assert "share-link" in await _share(other)
    assert await _shares() == 2
    await first.disconnect()
    await other.disconnect()


async def test_a_run_too_big_to_share_is_refused_with_a_clear_message(monkeypatch):
    monkeypatch.setattr(runs, "MAX_SHARE_BYTES", 2_000)
    comm = await _paused()
    answer = await _share(comm)
    assert "too big to share" in answer and "share-link" not in answer
    assert await _shares() == 0
    await comm.disconnect()


def test_the_stored_share_is_capped_at_one_megabyte():
    assert runs.MAX_SHARE_BYTES == 1_000_000

"""A failure while opening a run is logged and closes the socket with a code the page explains.

Before, an exception inside the consumer's start task was swallowed: the socket stayed open with
nothing behind it (every command then got "Still connecting"), until it closed 1011 unexplained.
"""

import logging

import pytest
from channels.testing import WebsocketCommunicator

from config.asgi import application
from playground import consumers
from playground.live import LiveSession
from tests.playground.test_consumer import _learner_cookie

pytestmark = pytest.mark.django_db(transaction=True)


async def test_a_failure_while_opening_a_run_is_logged_and_closes_with_1011(monkeypatch, caplog):
    def broken(self):
        raise RuntimeError("rendering the view failed")

    monkeypatch.setattr(LiveSession, "full", broken)
    _, cookie = await _learner_cookie()
    headers = [
        (b"host", b"localhost"),
        (b"cookie", cookie.encode()),
        (b"origin", b"http://localhost"),
    ]
    comm = WebsocketCommunicator(application, "/ws/playground/sandbox/", headers=headers)
    with caplog.at_level(logging.ERROR, logger="playground.consumers"):
        connected, _ = await comm.connect()
        assert connected
        closed = await comm.receive_output(timeout=5)
    assert closed == {"type": "websocket.close", "code": consumers.CLOSE_FAILED}
    assert consumers.CLOSE_FAILED == 1011  # the page explains 1011 and retries (playground.js)
    assert "rendering the view failed" in caplog.text
    await comm.wait()

"""Fixtures of the conformance suite: the real broker (or a skip with a hint) and recording.

The broker is the one at ``AMQP_URL`` (default ``amqp://guest:guest@127.0.0.1:5672/``). If
none answers, the live tests are skipped with a hint, except under ``CI=true``, where that is
a failure. ``CONFORMANCE_RECORD=1`` (``make conformance``) rewrites ``conformance/results.json``
at the end of the session from what this run saw.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest
from behaviour_scripts import load_behaviours
from broker_driver import broker_version
from recording import RESULTS_PATH, results_build, results_load, results_write, today

AMQP_URL = os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
RECORD = os.environ.get("CONFORMANCE_RECORD") == "1"


@dataclass(frozen=True)
class Broker:
    url: str
    version: str


_broker = []  # the session's answer, looked up once


def broker_here() -> Broker | None:
    if not _broker:
        version = broker_version(AMQP_URL)
        _broker.append(Broker(AMQP_URL, version) if version else None)
    return _broker[0]


@pytest.fixture(scope="session")
def broker() -> Broker:
    found = broker_here()
    if found is None:
        message = (
            f"no RabbitMQ answers at {AMQP_URL}, so the conformance suite cannot compare the "
            "engine with it (sudo apt-get install rabbitmq-server; or set AMQP_URL)"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return found


@pytest.fixture(scope="session")
def recording():
    """Broker outcomes seen live in this session, written out at the end when recording."""
    live = {}
    yield live
    if not RECORD:
        return
    behaviours = load_behaviours()
    found = broker_here()
    if found is None:  # refresh the engine side only, keep what the broker was seen doing
        old = results_load()
        outcomes = {r["id"]: r["broker_outcome"] for r in old["behaviours"]}
        data = results_build(behaviours, old["broker"]["version"], outcomes, old["recorded"])
    else:
        missing = [b.id for b in behaviours if b.applies_to(found.version) and b.id not in live]
        if missing:
            raise RuntimeError(
                "not recording: these behaviours did not run on the broker: " + ", ".join(missing)
            )
        data = results_build(behaviours, found.version, live, today())
    results_write(data)
    print(f"\nwrote {RESULTS_PATH}: {data['summary']}")  # noqa: T201 - make conformance says so

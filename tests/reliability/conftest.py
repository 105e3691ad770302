"""Fixtures for the reliability tests (see harness.py): real Daphne processes on one stack.

Tests that need several processes (``two_servers``) need the Redis channel layer and skip,
with the reason, on the embedded defaults; CI's PostgreSQL + Redis pass runs them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.reliability.harness import Stack

NEEDS_REDIS = (
    "needs REDIS_URL: several Daphne processes share a Redis channel layer "
    "(CI's PostgreSQL + Redis pass runs this)"
)


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "reliability: real Daphne processes behind one database (and Redis)"
    )


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.reliability)


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    """One fresh database and the REDIS_URL layer (if any), for Daphne processes to share."""
    made = Stack(tmp_path_factory.mktemp("reliability"))
    yield made
    made.close()


@pytest.fixture(scope="session")
def prod_server(stack):
    """One Daphne process started exactly as the README's production command starts it."""
    return stack.daphne("prod")


@pytest.fixture(scope="session")
def redis_stack(request):
    if not os.environ.get("REDIS_URL"):
        pytest.skip(NEEDS_REDIS)
    return request.getfixturevalue("stack")


@pytest.fixture(scope="session")
def two_servers(redis_stack):
    """Two Daphne processes, A and B, behind the same Redis and database (restarted if killed)."""
    servers = [redis_stack.daphne("a"), redis_stack.daphne("b")]
    yield servers


@pytest.fixture
def servers(two_servers):
    for server in two_servers:  # a test that kill -9'd one leaves the next a live one
        if not server.running:
            server.start()
    return two_servers

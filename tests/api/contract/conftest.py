"""A live server for contract tests: no worker (queued jobs stay pending, nothing renders)
and no limit on wrong keys (schemathesis sends many on purpose)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from devkit.server import GazeServer
from tests.support.gaze_servers import GazeServers

CONTRACT_ENV = {"GAZE_AUTH_FAILURE_LIMIT": "1000000"}


@pytest.fixture(scope="module")
def contract_server(gaze_servers: GazeServers) -> Iterator[GazeServer]:
    """Shared by the read-only checks."""
    with gaze_servers.running("--no-worker", name="contract", env=CONTRACT_ENV) as server:
        yield server


@pytest.fixture
def fuzzed_server(gaze_servers: GazeServers) -> Iterator[GazeServer]:
    """A server of its own for schemathesis, which changes and deletes library data."""
    with gaze_servers.running("--no-worker", name="contract", env=CONTRACT_ENV) as server:
        yield server

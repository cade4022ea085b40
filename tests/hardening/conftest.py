"""Servers for the tests of GAZE's HTTP edge: one on loopback, one exposed behind a proxy."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from devkit.server import GazeServer
from tests.support.gaze_servers import GazeServers

EDGE_TIMEOUT = 3
PROXIED_PASSWORD = "proxied admin secret"


@pytest.fixture(scope="session")
def edge_server(gaze_servers: GazeServers) -> Iterator[GazeServer]:
    """Loopback, info log, 3 s for request heads and bodies, 3 wrong keys per minute."""
    env = {
        "GAZE_LOG_LEVEL": "info",
        "GAZE_AUTH_FAILURE_LIMIT": "3",
        "GAZE_HEADER_TIMEOUT_SECONDS": str(EDGE_TIMEOUT),
        "GAZE_BODY_TIMEOUT_SECONDS": str(EDGE_TIMEOUT),
    }
    with gaze_servers.running(name="edge", env=env) as running:
        yield running


@pytest.fixture(scope="session")
def proxied_server(gaze_servers: GazeServers) -> Iterator[GazeServer]:
    """`--host 0.0.0.0` behind a proxy on 127.0.0.1, reached as gaze.example."""
    env = {
        "GAZE_ADMIN_PASSWORD": PROXIED_PASSWORD,
        "GAZE_ALLOWED_HOSTS": "gaze.example, *.gaze.test",
        "GAZE_TRUSTED_PROXIES": "127.0.0.1",
        "GAZE_AUTH_FAILURE_LIMIT": "3",
    }
    with gaze_servers.running("--host", "0.0.0.0", name="proxied", env=env) as running:
        yield running

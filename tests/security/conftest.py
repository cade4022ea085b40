"""The server exposed behind a proxy (the loopback `edge_server` is in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from devkit.server import GazeServer
from tests.support.gaze_servers import PROXIED_PASSWORD, GazeServers


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

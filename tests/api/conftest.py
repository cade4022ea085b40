"""One real server for the library API tests, on a private copy of the prepared data.

The tests share it, so each one works on resources and presets with ids of its own
(`tests.support.ids.unique_id`) and filters its lists to them (by a unique name prefix).
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from devkit.server import GazeServer
from tests.support.gaze_servers import SHARED_SERVER_ENV, GazeServers


@pytest.fixture(scope="package")
def library_server(gaze_servers: GazeServers) -> Iterator[GazeServer]:
    with gaze_servers.running(name="library_api", env=SHARED_SERVER_ENV) as running:
        yield running


@pytest.fixture(scope="package")
def api(library_server: GazeServer) -> Iterator[httpx.Client]:
    """An HTTP client with the API key, on the library server's /api/v1."""
    with httpx.Client(
        base_url=f"{library_server.url}/api/v1", headers=library_server.headers, timeout=60
    ) as client:
        yield client

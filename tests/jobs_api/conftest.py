"""Servers for the jobs API tests: a shared one with quick webhook retries and heartbeats,
and private ones for tests that need their own backends or processes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from devkit.server import GazeServer
from tests.comfyui_standin.fixtures import standin_factory
from tests.support.gaze_servers import GazeServers, ServerFactory

__all__ = ["jobs_server", "server_factory", "standin_factory"]

JOBS_ENV = {
    "GAZE_WEBHOOK_ALLOW_PRIVATE": "true",
    "GAZE_WEBHOOK_RETRY_SECONDS": "0.2",
    "GAZE_WEBHOOK_TIMEOUT_SECONDS": "3",
    "GAZE_EVENTS_HEARTBEAT_SECONDS": "1",
}


@pytest.fixture(scope="session")
def jobs_server(gaze_servers: GazeServers) -> Iterator[GazeServer]:
    """A `gaze serve` with the embedded engine, webhooks to loopback allowed."""
    with gaze_servers.running(name="jobs_api", env=JOBS_ENV) as running:
        yield running


@pytest.fixture
def server_factory(gaze_server_factory: ServerFactory) -> ServerFactory:
    """``server_factory(*extra_args, **env)``: servers of the test, with the jobs settings."""

    def start(*extra_args: str, **env: str) -> GazeServer:
        return gaze_server_factory(*extra_args, env={**JOBS_ENV, **env})

    return start

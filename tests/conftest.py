"""Shared fixtures: one prepared data folder per session, real servers on copies of it, and
ComfyUI stand-ins.

A folder's conftest states only what its servers change: `gaze_servers.running(...)` in a
fixture of any scope, or `gaze_server_factory(...)` for servers of one test. Servers used by
more than one folder are here.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from devkit.server import GazeServer, copy_data, init_data
from tests.comfyui_standin.fixtures import closed_port_url, standin, standin_factory
from tests.support.gaze_servers import (
    EDGE_TIMEOUT,
    JOBS_ENV,
    SHARED_SERVER_ENV,
    GazeServers,
    ServerFactory,
)

__all__ = [
    "closed_port_url",
    "edge_server",
    "fresh_data",
    "gaze_server_factory",
    "gaze_servers",
    "jobs_server",
    "prepared_data",
    "server",
    "standin",
    "standin_factory",
]


@pytest.fixture(scope="session")
def prepared_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder after `gaze init`: database, demo checkpoint, example library."""
    return init_data(tmp_path_factory.mktemp("prepared") / "data")


@pytest.fixture
def fresh_data(prepared_data: Path, tmp_path: Path) -> Path:
    """A private copy of the prepared data folder for a test that changes it."""
    return copy_data(prepared_data, tmp_path / "data")


@pytest.fixture(scope="session")
def gaze_servers(prepared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> GazeServers:
    return GazeServers(prepared_data, tmp_path_factory)


@pytest.fixture
def gaze_server_factory(gaze_servers: GazeServers) -> Iterator[ServerFactory]:
    """Starts servers as `gaze_servers.running` does; all are stopped after the test."""
    with ExitStack() as started:

        def start(*extra_args: str, **options: Any) -> GazeServer:
            return started.enter_context(gaze_servers.running(*extra_args, **options))

        yield start


@pytest.fixture(scope="session")
def server(gaze_servers: GazeServers) -> Iterator[GazeServer]:
    """A running `gaze serve` shared by the tests that only add jobs."""
    with gaze_servers.running(name="shared", env=SHARED_SERVER_ENV) as running:
        yield running


@pytest.fixture(scope="session")
def jobs_server(gaze_servers: GazeServers) -> Iterator[GazeServer]:
    """A `gaze serve` with the embedded engine, webhooks to loopback allowed (jobs, events and
    webhooks tests)."""
    with gaze_servers.running(name="jobs", env=JOBS_ENV) as running:
        yield running


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


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """`make test`'s workers: by file, PostgreSQL and Redis users together (see the module)."""
    from tests.support.xdist_groups import ServiceAwareFileScheduling

    return ServiceAwareFileScheduling(config, log)

"""Servers for the jobs API tests: a shared one with quick webhook retries and heartbeats,
and private ones for tests that need their own backends or processes."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.comfyui_standin.fixtures import standin_factory
from tests.support.server import GazeServer

__all__ = ["jobs_server", "server_factory", "standin_factory"]

JOBS_ENV = {
    "GAZE_WEBHOOK_ALLOW_PRIVATE": "true",
    "GAZE_WEBHOOK_RETRY_SECONDS": "0.2",
    "GAZE_WEBHOOK_TIMEOUT_SECONDS": "3",
    "GAZE_EVENTS_HEARTBEAT_SECONDS": "1",
}

ServerFactory = Callable[..., GazeServer]


def copy_data(source: Path, target: Path) -> Path:
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("*-wal", "*-shm"))
    return target


@pytest.fixture(scope="session")
def jobs_server(
    tmp_path_factory: pytest.TempPathFactory, prepared_data: Path
) -> Iterator[GazeServer]:
    """A `gaze serve` with the embedded engine, webhooks to loopback allowed."""
    data_dir = copy_data(prepared_data, tmp_path_factory.mktemp("jobs_api") / "data")
    running = GazeServer(data_dir, env=dict(JOBS_ENV)).start()
    running.regenerate_key()
    yield running
    running.stop()


@pytest.fixture
def server_factory(prepared_data: Path, tmp_path: Path) -> Iterator[ServerFactory]:
    """Starts `gaze serve` on private copies of the prepared data, stopped afterwards."""
    servers: list[GazeServer] = []

    def start(*extra_args: str, data_dir: Path | None = None, **env: str) -> GazeServer:
        if data_dir is None:
            data_dir = copy_data(prepared_data, tmp_path / f"server{len(servers)}" / "data")
        server = GazeServer(data_dir, env={**JOBS_ENV, **env}, extra_args=extra_args)
        servers.append(server)
        server.start()
        if not server.api_key:
            server.regenerate_key()
        return server

    yield start
    for server in servers:
        server.stop()

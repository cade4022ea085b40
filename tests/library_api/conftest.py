"""One real server for the library API tests, on a private copy of the prepared data.

The tests share it, so each one works on resources and presets with ids of its own
(`unique_id`) and filters its lists to them (by a unique name prefix).
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.server import GazeServer


@pytest.fixture(scope="package")
def library_server(
    tmp_path_factory: pytest.TempPathFactory, prepared_data: Path
) -> Iterator[GazeServer]:
    data_dir = tmp_path_factory.mktemp("library_api") / "data"
    shutil.copytree(prepared_data, data_dir, ignore=shutil.ignore_patterns("*-wal", "*-shm"))
    running = GazeServer(data_dir, env={"GAZE_AUTH_FAILURE_LIMIT": "1000"}).start()
    running.regenerate_key()
    yield running
    running.stop()


@pytest.fixture(scope="package")
def api(library_server: GazeServer) -> Iterator[httpx.Client]:
    """An HTTP client with the API key, on the library server's /api/v1."""
    with httpx.Client(
        base_url=f"{library_server.url}/api/v1", headers=library_server.headers, timeout=60
    ) as client:
        yield client


def unique_id(prefix: str = "t") -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"

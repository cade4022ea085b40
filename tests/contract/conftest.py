"""A live server for contract tests: no worker (queued jobs stay pending, nothing renders)
and no limit on wrong keys (schemathesis sends many on purpose)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.server import GazeServer


@pytest.fixture(scope="module")
def contract_server(
    tmp_path_factory: pytest.TempPathFactory, prepared_data: Path
) -> Iterator[GazeServer]:
    """Shared by the read-only checks."""
    yield from _server(tmp_path_factory, prepared_data)


@pytest.fixture
def fuzzed_server(
    tmp_path_factory: pytest.TempPathFactory, prepared_data: Path
) -> Iterator[GazeServer]:
    """A server of its own for schemathesis, which changes and deletes library data."""
    yield from _server(tmp_path_factory, prepared_data)


def _server(tmp_path_factory: pytest.TempPathFactory, prepared_data: Path) -> Iterator[GazeServer]:
    data_dir = tmp_path_factory.mktemp("contract") / "data"
    shutil.copytree(prepared_data, data_dir, ignore=shutil.ignore_patterns("*-wal", "*-shm"))
    server = GazeServer(
        data_dir, env={"GAZE_AUTH_FAILURE_LIMIT": "1000000"}, extra_args=("--no-worker",)
    ).start()
    server.regenerate_key()
    yield server
    server.stop()

"""Shared fixtures: one prepared data folder per session, and real servers on it."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.server import GazeServer, run_gaze


@pytest.fixture(scope="session")
def prepared_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder after `gaze init`: database, demo checkpoint, example library."""
    data_dir = tmp_path_factory.mktemp("prepared") / "data"
    run_gaze(data_dir, "init")
    return data_dir


@pytest.fixture
def fresh_data(prepared_data: Path, tmp_path: Path) -> Path:
    """A private copy of the prepared data folder for a test that changes it."""
    target = tmp_path / "data"
    shutil.copytree(prepared_data, target, ignore=shutil.ignore_patterns("*-wal", "*-shm"))
    return target


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory, prepared_data: Path) -> Iterator[GazeServer]:
    """A running `gaze serve` shared by the tests that only add jobs."""
    data_dir = tmp_path_factory.mktemp("shared") / "data"
    shutil.copytree(prepared_data, data_dir)
    running = GazeServer(data_dir, env={"GAZE_AUTH_FAILURE_LIMIT": "1000"}).start()
    running.regenerate_key()
    yield running
    running.stop()

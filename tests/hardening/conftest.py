"""Servers for the tests of GAZE's HTTP edge: one on loopback, one exposed behind a proxy."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.server import GazeServer

EDGE_TIMEOUT = 3
PROXIED_PASSWORD = "proxied admin secret"


def _copy(prepared_data: Path, factory: pytest.TempPathFactory, name: str) -> Path:
    target = factory.mktemp(name) / "data"
    shutil.copytree(prepared_data, target, ignore=shutil.ignore_patterns("*-wal", "*-shm"))
    return target


@pytest.fixture(scope="session")
def edge_server(
    prepared_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GazeServer]:
    """Loopback, info log, 3 s for request heads and bodies, 3 wrong keys per minute."""
    running = GazeServer(
        _copy(prepared_data, tmp_path_factory, "edge"),
        env={
            "GAZE_LOG_LEVEL": "info",
            "GAZE_AUTH_FAILURE_LIMIT": "3",
            "GAZE_HEADER_TIMEOUT_SECONDS": str(EDGE_TIMEOUT),
            "GAZE_BODY_TIMEOUT_SECONDS": str(EDGE_TIMEOUT),
        },
    ).start()
    running.regenerate_key()
    yield running
    running.stop()


@pytest.fixture(scope="session")
def proxied_server(
    prepared_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GazeServer]:
    """`--host 0.0.0.0` behind a proxy on 127.0.0.1, reached as gaze.example."""
    running = GazeServer(
        _copy(prepared_data, tmp_path_factory, "proxied"),
        env={
            "GAZE_ADMIN_PASSWORD": PROXIED_PASSWORD,
            "GAZE_ALLOWED_HOSTS": "gaze.example, *.gaze.test",
            "GAZE_TRUSTED_PROXIES": "127.0.0.1",
            "GAZE_AUTH_FAILURE_LIMIT": "3",
        },
        extra_args=("--host", "0.0.0.0"),
    ).start()
    running.regenerate_key()
    yield running
    running.stop()

"""Servers of one jobs test, for tests that need their own backends or processes (the shared
`jobs_server` is in tests/conftest.py)."""

from __future__ import annotations

import pytest

from devkit.server import GazeServer
from tests.support.gaze_servers import JOBS_ENV, ServerFactory


@pytest.fixture
def server_factory(gaze_server_factory: ServerFactory) -> ServerFactory:
    """``server_factory(*extra_args, **env)``: servers of the test, with the jobs settings."""

    def start(*extra_args: str, **env: str) -> GazeServer:
        return gaze_server_factory(*extra_args, env={**JOBS_ENV, **env})

    return start

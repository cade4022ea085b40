"""pytest fixtures for tests that talk to stand-in ComfyUI servers on loopback ports.

tests/conftest.py makes them available to every test.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

from tests.comfyui_standin.server import ComfyUIStandIn, StandInFactory


@pytest.fixture
def standin_factory() -> Iterator[StandInFactory]:
    """Starts stand-ins with the given settings; all are stopped after the test."""
    started: list[ComfyUIStandIn] = []

    def make(**settings: Any) -> ComfyUIStandIn:
        settings.setdefault("step_delay", 0.005)
        standin = ComfyUIStandIn(**settings).start()
        started.append(standin)
        return standin

    yield make
    for standin in started:
        standin.stop()


@pytest.fixture
def standin(standin_factory: StandInFactory) -> ComfyUIStandIn:
    return standin_factory()


@pytest.fixture
def closed_port_url() -> str:
    """A loopback URL where nothing listens (connections are refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"

"""Real `gaze serve` processes whose GAZE_BACKENDS point at stand-in ComfyUI servers."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.comfyui_e2e.library_setup import add_test_library
from tests.comfyui_standin.fixtures import closed_port_url, standin_factory
from tests.support.server import GazeServer, run_gaze

__all__ = ["closed_port_url", "comfy_data", "gaze_with", "standin_factory"]

GazeFactory = Callable[..., GazeServer]
"""``gaze_with(url_or_local, ...)``: a started `gaze serve` with those backends."""


@dataclass(frozen=True)
class PreparedData:
    path: Path
    api_key: str


def _copy(source: Path, target: Path) -> None:
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("*-wal", "*-shm"))


@pytest.fixture(scope="session")
def comfy_data(prepared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> PreparedData:
    """The prepared data folder plus the test presets, with a known API key."""
    target = tmp_path_factory.mktemp("comfy_e2e") / "data"
    _copy(prepared_data, target)
    add_test_library(target)
    api_key = run_gaze(target, "apikey", "regenerate").stdout.strip()
    return PreparedData(target, api_key)


@pytest.fixture
def gaze_with(comfy_data: PreparedData, tmp_path: Path) -> Iterator[GazeFactory]:
    """Starts `gaze serve` on a private copy of the data with the given backends."""
    servers: list[GazeServer] = []

    def start(*backends: str, **env: str) -> GazeServer:
        data_dir = tmp_path / f"gaze{len(servers)}" / "data"
        _copy(comfy_data.path, data_dir)
        server = GazeServer(data_dir, env={"GAZE_BACKENDS": ",".join(backends), **env})
        servers.append(server)
        server.start(timeout=60)
        server.api_key = comfy_data.api_key
        return server

    yield start
    for server in servers:
        server.stop()

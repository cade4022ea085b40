"""Real `gaze serve` processes whose GAZE_BACKENDS point at stand-in ComfyUI servers."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from devkit.server import GazeServer, copy_data, run_gaze
from tests.engines.comfyui.e2e.library_setup import add_test_library
from tests.support.gaze_servers import GazeFactory, ServerFactory


@dataclass(frozen=True)
class PreparedData:
    path: Path
    api_key: str


@pytest.fixture(scope="session")
def comfy_data(prepared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> PreparedData:
    """The prepared data folder plus the test presets, with a known API key."""
    target = copy_data(prepared_data, tmp_path_factory.mktemp("comfy_e2e") / "data")
    add_test_library(target)
    api_key = run_gaze(target, "apikey", "regenerate").stdout.strip()
    return PreparedData(target, api_key)


@pytest.fixture
def gaze_with(comfy_data: PreparedData, gaze_server_factory: ServerFactory) -> GazeFactory:
    """Starts `gaze serve` on a private copy of the data with the given backends."""

    def start(*backends: str, **env: str) -> GazeServer:
        return gaze_server_factory(
            name="gaze",
            source=comfy_data.path,
            api_key=comfy_data.api_key,
            timeout=60,
            env={"GAZE_BACKENDS": ",".join(backends), **env},
        )

    return start

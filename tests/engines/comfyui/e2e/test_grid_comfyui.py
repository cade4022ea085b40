"""A grid through a `gaze serve` whose only backend is the stand-in ComfyUI: the cells' graphs
carry the LoRA weight and checkpoint of their cell, and the sheet holds ComfyUI's pictures."""

from __future__ import annotations

import io
import time
from typing import Any

import httpx
from PIL import Image

from devkit.server import GazeServer
from gaze.grids.sheet import SheetCell, render_sheet
from tests.comfyui_standin import StandInFactory
from tests.engines.comfyui.e2e.gaze_calls import is_standin_picture, sent_graphs
from tests.engines.comfyui.e2e.library_setup import DEMO, INK_LORA, SDXL
from tests.support.gaze_servers import GazeFactory

MODELS = {"checkpoints": [DEMO, SDXL], "loras": [INK_LORA], "vae": []}


def wait_for_grid(server: GazeServer, grid_id: str, timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        grid: dict[str, Any] = server.get(f"/api/v1/grid/{grid_id}").json()
        if grid["status"] == "finished":
            return grid
        time.sleep(0.1)
    raise TimeoutError(f"grid {grid_id} did not finish")


def png(server: GazeServer, url: str) -> Image.Image:
    response = httpx.get(f"{server.url}{url}", timeout=30)
    assert response.status_code == 200
    image = Image.open(io.BytesIO(response.content))
    image.load()
    return image


def lora_weights(graph: dict[str, Any]) -> list[float]:
    return [
        node["inputs"]["strength_model"]
        for node in graph.values()
        if node["class_type"] == "LoraLoader"
    ]


def checkpoint_of(graph: dict[str, Any]) -> str:
    [name] = [
        node["inputs"]["ckpt_name"]
        for node in graph.values()
        if node["class_type"] == "CheckpointLoaderSimple"
    ]
    return str(name)


def test_a_grid_of_lora_weight_by_checkpoint_on_comfyui(
    standin_factory: StandInFactory, gaze_with: GazeFactory
) -> None:
    comfy = standin_factory(models=MODELS)
    server = gaze_with(comfy.url)
    body = {
        "preset": "example_01",
        "seed": 77,
        "width": 64,
        "height": 64,
        "x": {"axis": "lora_weight", "lora": INK_LORA, "values": [0.25, 0.75]},
        "y": {"axis": "checkpoint", "values": [DEMO, SDXL]},
    }
    response = server.post("/api/v1/grids", json=body)
    assert response.status_code == 202, response.text
    grid = wait_for_grid(server, response.json()["grid_id"])
    assert grid["progress"]["done"] == 4, grid

    graphs = sent_graphs(comfy)
    assert sorted((checkpoint_of(g), *lora_weights(g)) for g in graphs) == [
        (DEMO, 0.25),
        (DEMO, 0.75),
        (SDXL, 0.25),
        (SDXL, 0.75),
    ]
    for cell in grid["cells"]:
        assert is_standin_picture(png(server, cell["image_url"]), 77, 64, 64)

    sheet = png(server, grid["image_url"])
    cells = [[SheetCell(Image.new("RGB", (64, 64)))] * 2] * 2
    x = ["ink: 0.25", "ink: 0.75"]
    y = ["Checkpoint: gaze-demo-sd15-tiny", "Checkpoint: illustrious"]
    expected, layout = render_sheet(cells, x, y)
    assert sheet.size == expected.size
    first = png(server, grid["cells"][0]["image_url"]).convert("RGB")
    box = layout.cell_box(0, 0)
    assert sheet.convert("RGB").crop(box).tobytes() == first.tobytes()

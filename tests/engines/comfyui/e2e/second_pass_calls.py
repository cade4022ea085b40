"""What the second-pass end-to-end tests do often: upload images to GAZE, read the files GAZE
uploaded to the stand-in, and look nodes up in the graph it received."""

from __future__ import annotations

import io
from typing import Any

import httpx
from PIL import Image, ImageDraw

from devkit.server import GazeServer
from tests.comfyui_standin import ComfyUIStandIn
from tests.engines.comfyui.e2e.gaze_calls import sent_graphs
from tests.engines.comfyui.e2e.library_setup import DEMO

Graph = dict[str, dict[str, Any]]

UPSCALE_MODEL = "4x-Tiny.pth"
SECOND_PASS_MODELS = {"checkpoints": [DEMO], "upscale_models": [UPSCALE_MODEL]}
PRESET = "comfy_demo"


def upload(server: GazeServer, image: Image.Image) -> str:
    """POST /api/v1/uploads; the upload's relative_path."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    response = server.post("/api/v1/uploads", files={"file": ("picture.png", buffer.getvalue())})
    assert response.status_code == 201, response.text
    path: str = response.json()["relative_path"]
    return path


def three_bands(width: int = 96, height: int = 64) -> Image.Image:
    """Red, green and blue vertical thirds: where a resize mode put the middle shows."""
    picture = Image.new("RGB", (width, height), (230, 20, 20))
    draw = ImageDraw.Draw(picture)
    draw.rectangle((width // 3, 0, 2 * width // 3 - 1, height), fill=(20, 230, 20))
    draw.rectangle((2 * width // 3, 0, width, height), fill=(20, 20, 230))
    return picture


def square_mask(size: tuple[int, int] = (64, 64)) -> Image.Image:
    mask = Image.new("RGB", size, "black")
    ImageDraw.Draw(mask).rectangle((16, 16, 47, 47), fill="white")
    return mask


def last_graph(standin: ComfyUIStandIn) -> Graph:
    graphs = sent_graphs(standin)
    assert graphs, "the stand-in received no prompt"
    return graphs[-1]


def nodes_of(graph: Graph, class_type: str) -> list[dict[str, Any]]:
    """The inputs of every node of ``class_type``, in node id order."""
    return [
        graph[node_id]["inputs"]
        for node_id in sorted(graph, key=int)
        if graph[node_id]["class_type"] == class_type
    ]


def class_types(graph: Graph) -> set[str]:
    return {node["class_type"] for node in graph.values()}


def input_file(standin: ComfyUIStandIn, name: str) -> Image.Image:
    """A file GAZE uploaded to the stand-in's input folder, read back through /view."""
    response = httpx.get(
        f"{standin.url}/view", params={"filename": name, "type": "input"}, trust_env=False
    )
    assert response.status_code == 200, (name, response.status_code)
    image = Image.open(io.BytesIO(response.content))
    image.load()
    return image


def refusal(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 400, response.text
    body: dict[str, Any] = response.json()
    assert set(body) == {"error", "code"}, body
    return body

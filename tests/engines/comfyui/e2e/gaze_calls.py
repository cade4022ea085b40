"""The API guide's calls, as the end-to-end tests make them, and what they check often."""

from __future__ import annotations

import io
import json
import re
import time
from collections.abc import Callable
from typing import Any

import httpx
from PIL import Image, ImageChops

from devkit.server import GazeServer
from tests.comfyui_standin import ComfyUIStandIn, expected_image

IMAGE_URL = re.compile(r"^/static/uploads/presets/(?P<slug>[a-z0-9_]+)/gen_\d{10}(_\d+)?\.png$")


def queue_generation(server: GazeServer, slug: str, **body: Any) -> list[str]:
    """POST /api/v1/generate/<slug>; the job ids of the 202 answer."""
    response = server.post(f"/api/v1/generate/{slug}", json=body)
    assert response.status_code == 202, response.text
    return [job["job_id"] for job in response.json()["jobs"]]


def finished_jobs(
    server: GazeServer, job_ids: list[str], timeout: float = 60
) -> list[dict[str, Any]]:
    return [server.wait_for_job(job_id, timeout=timeout) for job_id in job_ids]


def png_of(server: GazeServer, job: dict[str, Any]) -> Image.Image:
    """The job's image as served at its image_url (no API key, as the guide says)."""
    response = httpx.get(f"{server.url}{job['result']['image_url']}", timeout=30)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    image.load()
    return image


def gaze_chunk(image: Image.Image) -> dict[str, Any]:
    chunk: dict[str, Any] = json.loads(image.info["gaze"])
    return chunk


def is_standin_picture(image: Image.Image, seed: int, width: int, height: int) -> bool:
    """Whether ``image`` has exactly the pixels the stand-in renders for seed and size."""
    expected = expected_image(seed, width, height)
    actual = image.convert("RGB")
    return (
        actual.size == expected.size and ImageChops.difference(actual, expected).getbbox() is None
    )


def sent_graphs(standin: ComfyUIStandIn) -> list[dict[str, Any]]:
    """The API-format graphs of every prompt the stand-in finished, oldest first."""
    return [entry["prompt"][2] for entry in standin.history().values()]


def backends_by_name(server: GazeServer) -> dict[str, dict[str, Any]]:
    response = server.get("/api/v1/backends")
    assert response.status_code == 200, response.text
    return {backend["name"]: backend for backend in response.json()["backends"]}


def wait_until(condition: Callable[[], bool], timeout: float = 10.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"not within {timeout} s: {what}"
        time.sleep(0.02)

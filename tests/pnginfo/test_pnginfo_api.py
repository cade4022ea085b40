"""POST /api/v1/pnginfo through a live server: a GAZE image it made is read and reproduced
pixel for pixel from the answer alone; an A1111 image's recipe queues a job; files without
metadata, not images, or without a key get clear errors."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import httpx
from PIL import Image, ImageChops

from devkit.server import GazeServer
from tests.api.test_second_pass_end_to_end import finished
from tests.pnginfo import comfyui_graphs
from tests.pnginfo.images import image_with_user_comment, png_with_texts, user_comment

CHECKPOINT = "gaze-demo-sd15-tiny.safetensors"


def png_info(server: GazeServer, data: bytes, name: str = "image.png") -> httpx.Response:
    return server.post("/api/v1/pnginfo", files={"file": (name, data, "image/png")})


def image_bytes(server: GazeServer, job: dict[str, Any]) -> bytes:
    response = httpx.get(f"{server.url}{job['result']['image_url']}", timeout=30)
    assert response.status_code == 200
    return response.content


def test_a_gaze_image_is_read_and_reproduced_from_the_answer(server: GazeServer) -> None:
    recipe = {
        "slots": {"characters": "aria_vale", "outfits": {"mode": "random"}},
        "checkpoint": CHECKPOINT,
        "width": 64,
        "height": 64,
        "steps": 3,
    }
    original = finished(
        server, server.post("/api/v1/generate", json={"recipe": recipe, "seed": 777})
    )
    first = image_bytes(server, original)

    response = png_info(server, first)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["source"] == "gaze"
    spec = json.loads(Image.open(io.BytesIO(first)).info["gaze"])["spec"]
    parameters = answer["parameters"]
    assert (parameters["seed"], parameters["steps"], parameters["width"]) == (777, 3, 64)
    assert parameters["positive"] == spec["positive"]
    assert answer["checkpoint"] == CHECKPOINT
    assert answer["recipe"]["characters"] == {"mode": "fixed", "id": "aria_vale"}
    assert answer["generate_body"]["seed"] == 777
    assert answer["raw"]["spec"] == spec

    again = finished(server, server.post("/api/v1/generate", json=answer["generate_body"]))
    second = image_bytes(server, again)
    assert json.loads(Image.open(io.BytesIO(second)).info["gaze"])["spec"] == spec
    first_pixels = Image.open(io.BytesIO(first)).convert("RGB")
    second_pixels = Image.open(io.BytesIO(second)).convert("RGB")
    assert ImageChops.difference(first_pixels, second_pixels).getbbox() is None


def test_an_a1111_jpeg_gives_a_recipe_that_queues(server: GazeServer) -> None:
    text = (
        "a lighthouse <lora:not_here:0.5>\nNegative prompt: fog\nSteps: 2, Sampler: Euler a, "
        "Schedule type: Karras, CFG scale: 5, Seed: 31337, Size: 64x64, Model hash: 0123abcd, "
        "Model: gaze-demo-sd15-tiny"
    )
    data = image_with_user_comment(user_comment(text, "utf-16-be"), "JPEG")
    response = png_info(server, data, "photo.jpg")
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["source"] == "a1111"
    assert answer["recipe"]["checkpoint"] == CHECKPOINT
    assert answer["recipe"]["sampler"] == "euler_ancestral"
    assert answer["loras"] == [{"name": "not_here", "strength": 0.5, "installed": None}]
    assert any("'not_here' is not installed" in warning for warning in answer["warnings"])
    job = finished(server, server.post("/api/v1/generate", json=answer["generate_body"]))
    assert job["result"]["seed"] == 31337


def test_a_comfyui_image_names_an_unknown_checkpoint_in_the_warnings(server: GazeServer) -> None:
    data = png_with_texts({"prompt": json.dumps(comfyui_graphs.with_hires_fix())})
    answer = png_info(server, data).json()
    assert answer["source"] == "comfyui"
    assert answer["parameters"]["hires"]["upscale"] == 1.5
    assert answer["recipe"]["hires"] == {
        "scale": 1.5,
        "denoise": 0.5,
        "steps": 12,
        "upscaler": "latent-bicubic",
        "sampler": "dpmpp_2m",
        "scheduler": "karras",
    }
    assert "checkpoint" not in answer["recipe"]
    assert any("v1-5-pruned-emaonly" in warning for warning in answer["warnings"])


def test_an_image_without_metadata_is_a_422_naming_what_was_looked_for(
    server: GazeServer,
) -> None:
    response = png_info(server, png_with_texts({"Title": "holiday"}))
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "no_generation_metadata"
    assert "'parameters'" in body["error"] and "'workflow'" in body["error"]


def test_files_that_are_not_images_and_missing_fields_are_400s(server: GazeServer) -> None:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as written:
        written.writestr("a.txt", "hello")
    response = png_info(server, archive.getvalue(), "sneaky.png")
    assert response.status_code == 400
    assert response.json()["code"] == "unsupported_image_format"
    assert "ZIP archive" in response.json()["error"]
    response = server.post("/api/v1/pnginfo", data={"other": "x"})
    assert (response.status_code, response.json()["code"]) == (400, "missing_file")
    truncated = png_with_texts({"prompt": "{}"})[:20]
    response = png_info(server, truncated)
    assert response.status_code == 422 and "truncated" in response.json()["error"]


def test_the_key_is_required(server: GazeServer) -> None:
    response = httpx.post(
        f"{server.url}/api/v1/pnginfo", files={"file": ("a.png", b"x")}, timeout=30
    )
    assert response.status_code == 401

"""A preset's own LoRAs through a live server with the embedded engine and two tiny SD1 LoRA
files: saved, resolved, generated (the PNG's spec and resolution list them), refused when not
installed; and the PNG info of A1111 and ComfyUI two-LoRA images gives recipes that carry them
and queue, and a GAZE image made from such a recipe is reproduced pixel for pixel."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image, ImageChops

from devkit.server import GazeServer, copy_data
from devkit.tiny_lora import kohya_training_metadata, write_tiny_lora
from tests.api.test_second_pass_end_to_end import finished
from tests.pnginfo import comfyui_graphs
from tests.pnginfo.images import png_with_texts
from tests.support.gaze_servers import SHARED_SERVER_ENV, GazeServers
from tests.support.ids import unique_id

CHECKPOINT = "gaze-demo-sd15-tiny.safetensors"
WATERCOLOR = "styles/watercolor_v2.safetensors"
DETAIL = "add_detail.safetensors"
XL_LORA = "xl_only.safetensors"
TINY = {"checkpoint": CHECKPOINT, "width": 64, "height": 64, "steps": 3}


@pytest.fixture(scope="module")
def lora_server(
    gaze_servers: GazeServers, prepared_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GazeServer]:
    data = copy_data(prepared_data, tmp_path_factory.mktemp("preset_loras") / "data")
    for seed, name in enumerate((WATERCOLOR, DETAIL)):
        path = data / "models" / "loras" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        write_tiny_lora(path, "sd1", seed=seed + 3)
    xl = data / "models" / "loras" / XL_LORA
    write_tiny_lora(xl, "sdxl", metadata=kohya_training_metadata("sdxl"))
    with gaze_servers.running(data_dir=data, env=SHARED_SERVER_ENV) as running:
        yield running


def gaze_chunk(server: GazeServer, job: dict[str, Any]) -> tuple[bytes, dict[str, Any]]:
    response = httpx.get(f"{server.url}{job['result']['image_url']}", timeout=30)
    assert response.status_code == 200
    return response.content, json.loads(Image.open(io.BytesIO(response.content)).info["gaze"])


def test_a_preset_with_loras_resolves_and_generates_with_them(lora_server: GazeServer) -> None:
    slug = unique_id("own_loras")
    loras = [{"file": WATERCOLOR, "weight": 0.8, "clip_weight": 0.5}, {"file": DETAIL}]
    created = lora_server.post(
        "/api/v1/presets", json={"id": slug, "name": "Own LoRAs", **TINY, "loras": loras}
    )
    assert created.status_code == 201, created.text

    resolved = lora_server.post(f"/api/v1/presets/{slug}/resolve", json={"seed": 4}).json()
    expected = [
        {"name": WATERCOLOR, "model_weight": 0.8, "clip_weight": 0.5},
        {"name": DETAIL, "model_weight": 1.0, "clip_weight": 1.0},
    ]
    assert resolved["loras"] == expected
    assert [pick["file"] for pick in resolved["choices"]["loras"]] == [WATERCOLOR, DETAIL]

    job = finished(lora_server, lora_server.post(f"/api/v1/generate/{slug}", json={"seed": 4}))
    _, chunk = gaze_chunk(lora_server, job)
    assert chunk["spec"]["loras"] == resolved["spec"]["loras"]
    assert [pick["applied"] for pick in chunk["resolution"]["loras"]] == [True, True]


def test_a_lora_that_is_not_installed_is_a_400_naming_it(lora_server: GazeServer) -> None:
    document = {"id": unique_id("lost_lora"), "name": "Lost", "loras": [{"file": "gone.pt"}]}

    response = lora_server.post("/api/v1/presets", json=document)

    assert response.status_code == 400, response.text
    body = response.json()
    assert body["code"] == "unknown_reference"
    assert "loras.0.file: 'gone.pt' is not an installed LoRA" in body["error"]


def test_a_recipe_with_a_lora_that_is_not_installed_is_refused(lora_server: GazeServer) -> None:
    recipe = {**TINY, "loras": [{"file": "gone.safetensors"}]}

    response = lora_server.post("/api/v1/generate", json={"recipe": recipe, "seed": 1})

    assert 400 <= response.status_code < 500, response.text
    assert "gone.safetensors" in response.json()["error"]


def test_a_recipe_lora_for_another_model_family_is_refused(lora_server: GazeServer) -> None:
    recipe = {**TINY, "loras": [{"file": DETAIL}, {"file": XL_LORA}]}

    response = lora_server.post("/api/v1/generate", json={"recipe": recipe, "seed": 1})

    assert response.status_code == 400, response.text
    body = response.json()
    assert body["code"] == "lora_model_mismatch"
    assert "recipe.loras.1.file" in body["error"] and XL_LORA in body["error"]
    assert "sdxl" in body["error"] and CHECKPOINT in body["error"]


@pytest.mark.parametrize(
    ("texts", "expected"),
    [
        (
            {
                "parameters": "a harbour <lora:add_detail:0.8> <lora:watercolor_v2:1>\n"
                "Negative prompt: fog\nSteps: 3, Sampler: Euler a, CFG scale: 5, Seed: 31337, "
                "Size: 64x64, Model: gaze-demo-sd15-tiny"
            },
            [{"file": DETAIL, "weight": 0.8}, {"file": WATERCOLOR, "weight": 1.0}],
        ),
        (
            {"prompt": json.dumps(comfyui_graphs.with_two_loras())},
            [
                {"file": WATERCOLOR, "weight": 0.7, "clip_weight": 0.6},
                {"file": DETAIL, "weight": 1.2, "clip_weight": 1.0},
            ],
        ),
    ],
    ids=["a1111", "comfyui"],
)
def test_two_lora_images_give_recipes_with_their_loras_that_queue(
    lora_server: GazeServer, texts: dict[str, str], expected: list[dict[str, Any]]
) -> None:
    response = lora_server.post(
        "/api/v1/pnginfo", files={"file": ("image.png", png_with_texts(texts), "image/png")}
    )
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["recipe"]["loras"] == expected
    assert not any("LoRA" in warning for warning in answer["warnings"])

    body = answer["generate_body"]
    body["recipe"].update(TINY)  # the ComfyUI graph asks for 512x768 on another checkpoint
    job = finished(lora_server, lora_server.post("/api/v1/generate", json=body))
    _, chunk = gaze_chunk(lora_server, job)
    assert [lora["name"] for lora in chunk["spec"]["loras"]] == [lora["file"] for lora in expected]


def test_a_gaze_image_of_a_recipe_with_loras_is_reproduced(lora_server: GazeServer) -> None:
    recipe = {**TINY, "positive": "a harbour", "loras": [{"file": DETAIL, "weight": 0.6}]}
    original = finished(
        lora_server, lora_server.post("/api/v1/generate", json={"recipe": recipe, "seed": 9})
    )
    first, chunk = gaze_chunk(lora_server, original)
    assert chunk["spec"]["loras"][0]["name"] == DETAIL

    response = lora_server.post(
        "/api/v1/pnginfo", files={"file": ("image.png", first, "image/png")}
    )
    answer = response.json()
    assert answer["recipe"]["loras"] == [{"file": DETAIL, "weight": 0.6}]

    again = finished(
        lora_server, lora_server.post("/api/v1/generate", json=answer["generate_body"])
    )
    second, again_chunk = gaze_chunk(lora_server, again)
    assert again_chunk["spec"] == chunk["spec"]
    first_pixels = Image.open(io.BytesIO(first)).convert("RGB")
    second_pixels = Image.open(io.BytesIO(second)).convert("RGB")
    assert ImageChops.difference(first_pixels, second_pixels).getbbox() is None

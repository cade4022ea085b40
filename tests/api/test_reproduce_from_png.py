"""Reproduction from the PNG alone on the embedded engine: an inpainting job with a hires pass is
generated, then a new generate request is built only from what its PNG holds (A1111's
`parameters` text and the `gaze` JSON chunk, read with Pillow) and gives the same pixels."""

from __future__ import annotations

import hashlib
import io
import json
import re
from typing import Any

import httpx
from PIL import Image, ImageChops, ImageDraw

from devkit.server import GazeServer
from tests.api.test_second_pass_end_to_end import finished, upload

PRESET = "example_01"


def png_bytes(server: GazeServer, job: dict[str, Any]) -> bytes:
    response = httpx.get(f"{server.url}{job['result']['image_url']}", timeout=30)
    assert response.status_code == 200, response.text
    return response.content


def a1111_settings(parameters: str) -> dict[str, str]:
    """The ``Key: value`` pairs of the last line of an A1111 ``parameters`` text."""
    pairs = re.findall(r"(?:^|, )([A-Za-z][A-Za-z0-9 ]*): ([^,]*)", parameters.splitlines()[-1])
    return dict(pairs)


def request_from_png(data: bytes) -> tuple[str, dict[str, Any]]:
    """The preset slug and generate body that remake the image, from its PNG file only."""
    with Image.open(io.BytesIO(data)) as image:
        parameters = image.info["parameters"]
        chunk = json.loads(image.info["gaze"])
    settings = a1111_settings(parameters)
    spec = chunk["spec"]
    width, height = (int(side) for side in settings["Size"].split("x"))
    hires = spec["hires"]
    body = {
        "seed": int(settings["Seed"]),
        "width": width,
        "height": height,
        "checkpoint": spec["checkpoint"],
        "init_image": spec["init_image"]["path"],
        "denoise": float(settings["Init denoising strength"]),
        "resize": spec["resize"],
        "mask": spec["mask"]["path"],
        "mask_blur": int(settings["Mask blur"]),
        "mask_grow": spec["mask_grow"],
        "hires": {
            "scale": float(settings["Hires upscale"]),
            "denoise": float(settings["Denoising strength"]),
            "steps": int(settings["Hires steps"]),
            "upscaler": hires["upscaler"],
            "sampler": hires["sampler"],
            "scheduler": hires["scheduler"],
        },
    }
    return chunk["preset"]["slug"], {key: value for key, value in body.items() if value is not None}


def sha256_file(server: GazeServer, relative_path: str) -> str:
    return hashlib.sha256((server.data_dir / "uploads" / relative_path).read_bytes()).hexdigest()


def test_an_inpainted_hires_image_is_reproduced_from_its_png_alone(server: GazeServer) -> None:
    picture = Image.new("RGB", (64, 64), (30, 60, 140))
    ImageDraw.Draw(picture).ellipse((8, 8, 56, 56), fill=(240, 200, 30))
    mask = Image.new("RGB", (64, 64), "black")
    ImageDraw.Draw(mask).rectangle((24, 0, 63, 40), fill="white")
    init_path = upload(server, picture)["relative_path"]
    mask_path = upload(server, mask)["relative_path"]
    original = finished(
        server,
        server.post(
            f"/api/v1/generate/{PRESET}",
            json={
                "init_image": init_path,
                "mask": mask_path,
                "denoise": 0.8,
                "mask_blur": 3,
                "mask_grow": 2,
                "hires": {"scale": 1.5, "denoise": 0.45, "steps": 3, "upscaler": "latent-bicubic"},
                "seed": 424242,
            },
        ),
    )
    first_png = png_bytes(server, original)

    slug, body = request_from_png(first_png)
    assert slug == PRESET
    first_spec = json.loads(Image.open(io.BytesIO(first_png)).info["gaze"])["spec"]
    for source in ("init_image", "mask"):  # the chunk names the very files used
        recorded = first_spec[source]
        assert recorded["sha256"] == sha256_file(server, recorded["path"]), source
    assert first_spec["init_image"]["path"] == init_path

    again = finished(server, server.post(f"/api/v1/generate/{slug}", json=body))
    second_png = png_bytes(server, again)
    first_image = Image.open(io.BytesIO(first_png)).convert("RGB")
    second_image = Image.open(io.BytesIO(second_png)).convert("RGB")
    assert first_image.size == second_image.size == (96, 96)
    assert ImageChops.difference(first_image, second_image).getbbox() is None
    second_spec = json.loads(Image.open(io.BytesIO(second_png)).info["gaze"])["spec"]
    assert second_spec == first_spec

"""The second pass end to end on the embedded engine: an upload inpainted with a hires pass, a
gallery image as init image, and the upscale and vary follow-ups, each read back from its PNG."""

from __future__ import annotations

import hashlib
import io
import json
from typing import Any

import httpx
from PIL import Image, ImageDraw

from devkit.server import GazeServer

PRESET = "example_01"


def upload(server: GazeServer, image: Image.Image) -> dict[str, Any]:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    response = server.post("/api/v1/uploads", files={"file": ("image.png", buffer.getvalue())})
    assert response.status_code == 201, response.text
    answer: dict[str, Any] = response.json()
    return answer


def finished(server: GazeServer, response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 202, response.text
    [queued] = response.json()["jobs"]
    job = server.wait_for_job(queued["job_id"])
    assert job["status"] == "done", job
    assert set(job["result"]) == {"image_url", "relative_path", "seed"}
    return job


def png_of(server: GazeServer, job: dict[str, Any]) -> tuple[Image.Image, dict[str, Any]]:
    response = httpx.get(f"{server.url}{job['result']['image_url']}", timeout=30)
    assert response.status_code == 200
    image = Image.open(io.BytesIO(response.content))
    image.load()
    return image, json.loads(image.info["gaze"])["spec"]


def sha256_of(server: GazeServer, relative_path: str) -> str:
    return hashlib.sha256((server.data_dir / "uploads" / relative_path).read_bytes()).hexdigest()


def test_an_upload_inpainted_with_a_hires_pass_records_everything_in_its_png(
    server: GazeServer,
) -> None:
    picture = Image.new("RGB", (80, 64), (40, 90, 160))
    ImageDraw.Draw(picture).ellipse((20, 12, 60, 52), fill=(220, 200, 40))
    mask = Image.new("RGB", (80, 64), "black")
    ImageDraw.Draw(mask).rectangle((0, 0, 39, 63), fill="white")
    init, mask_upload = upload(server, picture), upload(server, mask)
    job = finished(
        server,
        server.post(
            f"/api/v1/generate/{PRESET}",
            json={
                "init_image": init["relative_path"],
                "mask": mask_upload["relative_path"],
                "denoise": 0.6,
                "mask_blur": 2,
                "hires": {"scale": 1.5, "denoise": 0.4, "steps": 3, "upscaler": "pixel-lanczos"},
                "seed": 77,
            },
        ),
    )
    image, spec = png_of(server, job)
    assert image.size == (120, 96)
    assert job["result"]["seed"] == 77
    parameters = image.info["parameters"]
    for entry in (
        "Seed: 77",
        "Size: 80x64",
        "Denoising strength: 0.4",
        "Init denoising strength: 0.6",
        "Hires upscale: 1.5",
        "Hires steps: 3",
        "Hires upscaler: Lanczos",
        "Mask blur: 2",
    ):
        assert entry in parameters, (entry, parameters)
    assert spec["init_image"] == {
        "path": init["relative_path"],
        "sha256": sha256_of(server, init["relative_path"]),
    }
    assert spec["mask"]["path"] == mask_upload["relative_path"]
    assert (spec["denoise"], spec["mask_blur"], spec["mask_grow"]) == (0.6, 2, 6)
    assert spec["hires"]["scale"] == 1.5 and spec["hires"]["upscaler"] == "pixel-lanczos"


def test_a_gallery_image_starts_an_img2img_and_the_follow_ups_run(server: GazeServer) -> None:
    first = finished(
        server,
        server.post(f"/api/v1/generate/{PRESET}", json={"width": 64, "height": 64, "seed": 9}),
    )
    source = first["result"]["relative_path"]
    source_sha = sha256_of(server, source)

    again = finished(
        server,
        server.post(f"/api/v1/generate/{PRESET}", json={"init_image": source, "denoise": 0.5}),
    )
    image, spec = png_of(server, again)
    assert image.size == (64, 64)
    assert spec["init_image"] == {"path": source, "sha256": source_sha}
    assert "Denoising strength: 0.5" in image.info["parameters"]

    upscaled = finished(server, server.post(f"/api/v1/job/{first['id']}/upscale"))
    image, spec = png_of(server, upscaled)
    assert image.size == (128, 128)
    assert upscaled["result"]["seed"] == 9, "an upscale keeps the job's seed"
    assert upscaled["label"].startswith("Upscale ×2: ")
    assert spec["init_image"] == {"path": source, "sha256": source_sha}
    assert (spec["width"], spec["height"], spec["denoise"]) == (64, 64, 0.0)
    assert spec["hires"]["denoise"] == 0.35 and spec["hires"]["upscaler"] == "pixel-lanczos"
    assert "Hires upscale: 2" in image.info["parameters"]

    varied = finished(
        server,
        server.post(f"/api/v1/job/{first['id']}/vary", json={"denoise": 0.6, "seed": 1234}),
    )
    image, spec = png_of(server, varied)
    assert image.size == (64, 64)
    assert varied["result"]["seed"] == 1234
    assert spec["init_image"]["path"] == source and spec["denoise"] == 0.6
    assert spec["hires"] is None

    by_default = finished(server, server.post(f"/api/v1/job/{first['id']}/vary"))
    image, spec = png_of(server, by_default)
    assert by_default["result"]["seed"] != 9, "a new random seed"
    assert spec["denoise"] == 0.35

"""Generating from a preset and polling jobs to a real PNG."""

from __future__ import annotations

import io
import re

import httpx
import numpy as np
from PIL import Image

from devkit.server import GazeServer

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
IMAGE_URL = re.compile(r"^/static/uploads/presets/example_01/gen_\d{10}(_\d+)?\.png$")


def _generate(server: GazeServer, **body: object) -> list[str]:
    response = server.post("/api/v1/generate/example_01", json=body)
    assert response.status_code == 202, response.text
    jobs = response.json()["jobs"]
    for job in jobs:
        assert set(job) == {"job_id", "status"}
        assert job["status"] == "queued"
        assert UUID.match(job["job_id"])
    return [job["job_id"] for job in jobs]


def _image(server: GazeServer, job: dict) -> Image.Image:  # type: ignore[type-arg]
    response = httpx.get(f"{server.url}{job['result']['image_url']}", timeout=30)
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    image.load()
    return image


def test_no_body_and_empty_object_both_queue_one_job(server: GazeServer) -> None:
    response = httpx.post(
        f"{server.url}/api/v1/generate/example_01", headers=server.headers, timeout=30
    )
    assert response.status_code == 202
    assert len(response.json()["jobs"]) == 1
    assert len(_generate(server)) == 1


def test_job_reaches_done_with_the_guide_shape(server: GazeServer) -> None:
    [job_id] = _generate(server)
    pending = server.get(f"/api/v1/job/{job_id}").json()
    assert pending["status"] in ("pending", "processing", "done")
    if pending["status"] != "done":
        assert "result" not in pending
    job = server.wait_for_job(job_id)
    assert job["status"] == "done", job
    assert job["id"] == job_id
    assert job["label"] == "Preset: Example Preset – preview"
    assert job["error"] is None
    assert set(job["result"]) == {"image_url", "relative_path", "seed"}
    assert IMAGE_URL.match(job["result"]["image_url"])
    assert job["result"]["image_url"] == f"/static/uploads/{job['result']['relative_path']}"
    assert isinstance(job["result"]["seed"], int)
    image = _image(server, job)
    assert image.format == "PNG"
    assert f"Seed: {job['result']['seed']}" in image.info["parameters"]
    assert "Negative prompt:" in image.info["parameters"]
    assert '"spec"' in image.info["gaze"] and '"preset"' in image.info["gaze"]


def test_unknown_job_is_404(server: GazeServer) -> None:
    response = server.get("/api/v1/job/783f0268-ba85-4426-8ca2-6393c844c887")
    assert response.status_code == 404
    assert response.json()["code"] == "job_not_found"


def test_count_and_seed_sequence(server: GazeServer) -> None:
    job_ids = _generate(server, count=3, seed=1000)
    assert len(job_ids) == 3
    seeds = [server.wait_for_job(job_id)["result"]["seed"] for job_id in job_ids]
    assert seeds == [1000, 1001, 1002]


def test_random_seeds_differ_per_image(server: GazeServer) -> None:
    job_ids = _generate(server, count=2)
    seeds = {server.wait_for_job(job_id)["result"]["seed"] for job_id in job_ids}
    assert len(seeds) == 2


def test_same_seed_gives_identical_pixels_and_never_overwrites(server: GazeServer) -> None:
    first, second = (_generate(server, seed=4242)[0] for _ in range(2))
    job_a, job_b = server.wait_for_job(first), server.wait_for_job(second)
    assert job_a["result"]["relative_path"] != job_b["result"]["relative_path"]
    pixels_a = np.asarray(_image(server, job_a).convert("RGB"))
    pixels_b = np.asarray(_image(server, job_b).convert("RGB"))
    assert np.array_equal(pixels_a, pixels_b)
    [other] = _generate(server, seed=4243)
    pixels_c = np.asarray(_image(server, server.wait_for_job(other)).convert("RGB"))
    assert not np.array_equal(pixels_a, pixels_c)


def test_size_override(server: GazeServer) -> None:
    [job_id] = _generate(server, width=128, height=192, seed=7)
    image = _image(server, server.wait_for_job(job_id))
    assert image.size == (128, 192)


def test_extra_prompts_reach_the_image(server: GazeServer) -> None:
    [job_id] = _generate(
        server, extra_positive="smiling, outdoors", extra_negative="blurry", seed=3
    )
    parameters = _image(server, server.wait_for_job(job_id)).info["parameters"]
    positive, negative = parameters.split("\nNegative prompt: ")
    assert "smiling" in positive and "outdoors" in positive
    assert "blurry" in negative.splitlines()[0]

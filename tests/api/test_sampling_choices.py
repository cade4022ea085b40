"""Samplers and schedulers through a real `gaze serve` on the tiny demo checkpoint.

Every ComfyUI sampler and scheduler runs on the embedded engine; a seed gives the same image
again; a sampler or scheduler no backend runs is refused when the job is asked for, naming it
and the backends; `GET /api/v1/backends` lists what each backend runs.
"""

from __future__ import annotations

import io

import httpx
import numpy as np
import pytest
from PIL import Image

from devkit.server import GazeServer
from gaze.sampling.names import COMFYUI_SAMPLER_ORDER, SCHEDULER_NAMES
from tests.support.ids import unique_id

DEMO = "gaze-demo-sd15-tiny.safetensors"
MATRIX = (
    ("euler", "normal"),
    ("euler_ancestral", "karras"),
    ("dpmpp_2m", "exponential"),
    ("dpmpp_2m_sde", "beta"),
    ("dpmpp_3m_sde_gpu", "sgm_uniform"),
    ("uni_pc_bh2", "simple"),
    ("dpm_2_ancestral", "ddim_uniform"),
    ("lcm", "linear_quadratic"),
    ("sa_solver", "kl_optimal"),
    ("dpm_adaptive", "karras"),
)


def _preset(api: httpx.Client, sampler: str, scheduler: str) -> str:
    slug = unique_id(f"sampling_{sampler}")
    document = {
        "id": slug,
        "name": f"Sampling {sampler} {scheduler}",
        "checkpoint": DEMO,
        "positive": "a (lighthouse:1.2) at dusk",
        "negative": "blurry",
        "width": 64,
        "height": 64,
        "steps": 4,
        "sampler": sampler,
        "scheduler": scheduler,
    }
    created = api.post("/presets", json=document)
    assert created.status_code == 201, created.text
    return slug


def _pixels(server: GazeServer, api: httpx.Client, slug: str, seed: int) -> np.ndarray:
    queued = api.post(f"/generate/{slug}", json={"seed": seed})
    assert queued.status_code == 202, queued.text
    job = server.wait_for_job(queued.json()["jobs"][0]["job_id"])
    assert job["status"] == "done", job
    png = httpx.get(f"{server.url}{job['result']['image_url']}", timeout=30)
    assert png.status_code == 200
    return np.asarray(Image.open(io.BytesIO(png.content)).convert("RGB"))


def test_the_embedded_engine_lists_every_comfyui_sampler_and_scheduler(
    api: httpx.Client,
) -> None:
    answer = api.get("/backends")
    assert answer.status_code == 200
    [local] = [backend for backend in answer.json()["backends"] if backend["name"] == "local"]
    assert local["samplers"] == list(COMFYUI_SAMPLER_ORDER)
    assert local["schedulers"] == list(SCHEDULER_NAMES)
    assert local["prompt_weightings"] == ["comfyui", "a1111"]


@pytest.mark.parametrize(("sampler", "scheduler"), MATRIX, ids=["-".join(p) for p in MATRIX])
def test_a_seed_gives_the_same_image_again(
    api: httpx.Client, library_server: GazeServer, sampler: str, scheduler: str
) -> None:
    slug = _preset(api, sampler, scheduler)
    first = _pixels(library_server, api, slug, seed=1234)
    again = _pixels(library_server, api, slug, seed=1234)
    other = _pixels(library_server, api, slug, seed=1235)
    assert first.shape == (64, 64, 3)
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)


@pytest.mark.parametrize(("field", "value"), [("sampler", "warp_drive"), ("scheduler", "whenever")])
def test_a_choice_no_backend_runs_is_refused_when_asked_for(
    api: httpx.Client, field: str, value: str
) -> None:
    slug = _preset(api, "euler", "normal")
    changed = api.patch(f"/presets/{slug}", json={field: value})
    assert changed.status_code == 200, changed.text
    before = api.get("/jobs", params={"limit": 1}).json()
    refused = api.post(f"/generate/{slug}", json={"seed": 3})
    assert refused.status_code == 400, refused.text
    error = refused.json()["error"]
    assert f"{field} {value!r}" in error
    assert "local" in error
    assert api.get("/jobs", params={"limit": 1}).json() == before

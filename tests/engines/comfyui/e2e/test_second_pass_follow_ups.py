"""The follow-ups (/upscale, /vary, /inpaint) and a cancel during the hires pass, through a
real `gaze serve` whose backend is the stand-in ComfyUI."""

from __future__ import annotations

from typing import Any

import httpx

from devkit.server import GazeServer
from tests.comfyui_standin import StandInFactory
from tests.engines.comfyui.e2e.gaze_calls import finished_jobs, png_of, queue_generation
from tests.engines.comfyui.e2e.second_pass_calls import (
    PRESET,
    SECOND_PASS_MODELS,
    UPSCALE_MODEL,
    class_types,
    input_file,
    last_graph,
    nodes_of,
    square_mask,
    upload,
)
from tests.support.gaze_servers import GazeFactory
from tests.support.job_calls import job, wait_for_status, wait_until

PRESET_STEPS = 4
HIRES_STEPS = 100


def done(server: GazeServer, response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 202, response.text
    [queued] = response.json()["jobs"]
    [finished] = finished_jobs(server, [queued["job_id"]])
    assert finished["status"] == "done", finished
    return finished


def gallery_pngs(server: GazeServer) -> list[str]:
    folder = server.data_dir / "uploads" / "presets" / PRESET
    return sorted(path.name for path in folder.glob("*.png")) if folder.is_dir() else []


def test_upscale_vary_and_inpaint_a_done_job(
    standin_factory: StandInFactory, gaze_with: GazeFactory
) -> None:
    comfy = standin_factory(models=SECOND_PASS_MODELS)
    server = gaze_with(comfy.url)
    [first] = finished_jobs(server, queue_generation(server, PRESET, seed=21, width=64, height=64))
    assert first["status"] == "done", first
    original = png_of(server, first).convert("RGB")

    upscaled = done(server, server.post(f"/api/v1/job/{first['id']}/upscale"))
    assert png_of(server, upscaled).size == (128, 128)
    assert upscaled["result"]["seed"] == 21
    graph = last_graph(comfy)
    [loaded] = nodes_of(graph, "LoadImage")
    assert input_file(comfy, loaded["image"]).convert("RGB").tobytes() == original.tobytes()
    first_pass, second_pass = nodes_of(graph, "KSampler")
    assert first_pass["denoise"] == 0.0  # the image as it is, then the hires pass
    assert (second_pass["denoise"], second_pass["seed"]) == (0.35, 21)
    [resize] = nodes_of(graph, "ImageScale")
    assert (resize["upscale_method"], resize["width"], resize["height"]) == ("lanczos", 128, 128)

    by_model = done(
        server,
        server.post(
            f"/api/v1/job/{first['id']}/upscale",
            json={"scale": 1.5, "upscaler": UPSCALE_MODEL, "denoise": 0.2},
        ),
    )
    assert png_of(server, by_model).size == (96, 96)
    graph = last_graph(comfy)
    assert {"UpscaleModelLoader", "ImageUpscaleWithModel"} <= class_types(graph)
    assert nodes_of(graph, "KSampler")[1]["denoise"] == 0.2

    missing = server.post(f"/api/v1/job/{first['id']}/upscale", json={"upscaler": "4x-No.pth"})
    assert missing.status_code == 400, missing.text
    assert missing.json()["code"] == "model_not_available"
    assert "'4x-No.pth'" in missing.json()["error"]

    varied = done(
        server, server.post(f"/api/v1/job/{first['id']}/vary", json={"denoise": 0.6, "seed": 5})
    )
    assert png_of(server, varied).size == (64, 64)
    graph = last_graph(comfy)
    [sampler] = nodes_of(graph, "KSampler")
    assert (sampler["denoise"], sampler["seed"], sampler["latent_image"]) == (0.6, 5, ["13", 0])

    mask = upload(server, square_mask())
    inpainted = done(
        server,
        server.post(
            f"/api/v1/job/{first['id']}/inpaint",
            json={"mask": mask, "denoise": 0.9, "mask_blur": 0, "mask_grow": 0},
        ),
    )
    assert png_of(server, inpainted).size == (64, 64)
    assert inpainted["result"]["seed"] == 21  # the job's seed: what is kept stays
    graph = last_graph(comfy)
    [loader] = nodes_of(graph, "LoadImageMask")
    sent_mask = input_file(comfy, loader["image"]).convert("L")
    assert sent_mask.tobytes() == square_mask().convert("L").tobytes()
    [sampler] = nodes_of(graph, "KSampler")
    assert (sampler["denoise"], sampler["latent_image"]) == (0.9, ["15", 0])


def test_a_cancel_in_the_hires_pass_interrupts_comfyui_and_saves_nothing(
    standin_factory: StandInFactory, gaze_with: GazeFactory
) -> None:
    comfy = standin_factory(models=SECOND_PASS_MODELS, step_delay=0.05)
    server = gaze_with(comfy.url)
    hires = {"scale": 2, "denoise": 0.5, "steps": HIRES_STEPS}
    [job_id] = queue_generation(server, PRESET, seed=31, width=64, height=64, hires=hires)
    # Progress is shared by steps: past PRESET_STEPS + 2 of the 104 the second KSampler runs.
    wait_until(
        lambda: job(server, job_id)["progress"] > (PRESET_STEPS + 2) / (PRESET_STEPS + HIRES_STEPS),
        timeout=60,
        what="the hires pass to run",
    )
    answer = server.post(f"/api/v1/job/{job_id}/cancel")
    assert answer.status_code == 200, answer.text
    cancelled = wait_for_status(server, job_id, ("cancelled", "done", "failed"), timeout=30)
    assert cancelled["status"] == "cancelled", cancelled
    assert cancelled.get("result") is None
    assert gallery_pngs(server) == []

    [entry] = comfy.history().values()
    interrupted = [data for kind, data in entry["status"]["messages"] if kind.endswith("rupted")]
    assert interrupted[0]["node_id"] == "106"  # the second KSampler
    assert len(comfy.stats().interrupted_prompts) == 1

    comfy.set_behaviour(step_delay=0.005)
    [after] = finished_jobs(server, queue_generation(server, PRESET, seed=32, width=64, height=64))
    assert after["status"] == "done", after  # the worker takes the next job normally
    assert len(gallery_pngs(server)) == 1

"""The API guide's flow through a real `gaze serve` whose only backend is a ComfyUI server."""

from __future__ import annotations

import time

import httpx

from tests.comfyui_standin import StandInFactory
from tests.comfyui_standin.node_catalog import SAMPLER_NAMES as STANDIN_SAMPLERS
from tests.comfyui_standin.node_catalog import SCHEDULER_NAMES as STANDIN_SCHEDULERS
from tests.engines.comfyui.e2e.gaze_calls import (
    IMAGE_URL,
    backends_by_name,
    finished_jobs,
    gaze_chunk,
    is_standin_picture,
    png_of,
    queue_generation,
    sent_graphs,
    wait_until,
)
from tests.engines.comfyui.e2e.library_setup import (
    BAD_SAMPLER,
    DEMO,
    INK_LORA,
    MISSING_VAE,
    NEEDS_VAE,
    SDXL,
)
from tests.support.gaze_servers import GazeFactory

ALL_MODELS = {"checkpoints": [DEMO, SDXL, NEEDS_VAE], "loras": [INK_LORA], "vae": []}


def test_generate_and_poll_saves_the_backends_image_like_the_embedded_engine(
    standin_factory: StandInFactory, gaze_with: GazeFactory
) -> None:
    comfy = standin_factory(models=ALL_MODELS)
    server = gaze_with(comfy.url)
    jobs = finished_jobs(server, queue_generation(server, "example_01", count=2, seed=1234))

    for offset, job in enumerate(jobs):
        seed = 1234 + offset
        assert job["status"] == "done", job
        assert job["error"] is None
        assert job["label"] == "Preset: Example Preset – preview"
        assert job["backend"] == comfy.url
        assert set(job["result"]) == {"image_url", "relative_path", "seed"}
        assert job["result"]["seed"] == seed
        match = IMAGE_URL.match(job["result"]["image_url"])
        assert match and match["slug"] == "example_01"
        assert (server.data_dir / "uploads" / job["result"]["relative_path"]).is_file()

        image = png_of(server, job)
        assert is_standin_picture(image, seed, 512, 512)  # ComfyUI's pixels, seed honoured
        parameters = image.info["parameters"]
        assert f"Seed: {seed}" in parameters
        assert "Steps: 20, Sampler: Euler, Schedule type: Normal, CFG scale: 7" in parameters
        assert "Size: 512x512, Model: gaze-demo-sd15-tiny" in parameters
        chunk = gaze_chunk(image)
        assert chunk["spec"]["seed"] == seed and chunk["spec"]["checkpoint"] == DEMO
        assert chunk["backend"] == comfy.url
        assert chunk["preset"]["slug"] == "example_01"
        assert chunk["job_id"] == job["id"]

    # ComfyUI was sent exactly these two generations, as the PNGs describe them.
    graphs = sorted(sent_graphs(comfy), key=lambda graph: graph["3"]["inputs"]["seed"])
    assert [graph["3"]["inputs"]["seed"] for graph in graphs] == [1234, 1235]
    for graph, job in zip(graphs, jobs, strict=True):
        spec = gaze_chunk(png_of(server, job))["spec"]
        assert graph["4"]["inputs"]["ckpt_name"] == DEMO
        assert graph["6"]["inputs"]["text"] == spec["positive"]
        assert graph["7"]["inputs"]["text"] == spec["negative"]
        assert graph["5"]["inputs"] == {"width": 512, "height": 512, "batch_size": 1}


def test_size_and_extra_prompts_reach_comfyui(
    standin_factory: StandInFactory, gaze_with: GazeFactory
) -> None:
    comfy = standin_factory(models=ALL_MODELS)
    server = gaze_with(comfy.url)
    [job] = finished_jobs(
        server,
        queue_generation(
            server, "example_01", seed=77, width=128, height=192, extra_positive="lighthouse"
        ),
    )
    assert job["status"] == "done", job
    assert is_standin_picture(png_of(server, job), 77, 128, 192)
    [graph] = sent_graphs(comfy)
    assert graph["5"]["inputs"]["width"] == 128 and graph["5"]["inputs"]["height"] == 192
    assert "lighthouse" in graph["6"]["inputs"]["text"]


def test_what_the_server_cannot_run_is_refused_before_a_job_is_queued(
    standin_factory: StandInFactory, gaze_with: GazeFactory
) -> None:
    comfy = standin_factory(models=ALL_MODELS)
    server = gaze_with(comfy.url)
    [backend] = server.get("/api/v1/backends").json()["backends"]
    assert "euler_ancestral" in backend["samplers"] and BAD_SAMPLER not in backend["samplers"]
    assert "karras" in backend["schedulers"]
    assert backend["prompt_weightings"] == ["comfyui"]
    for slug, missing in (
        ("comfy_bad_sampler", f"sampler {BAD_SAMPLER!r}"),
        ("comfy_a1111", "prompt weighting 'a1111'"),
    ):
        answer = server.post(f"/api/v1/generate/{slug}", json={"seed": 1})
        assert answer.status_code == 400, answer.text
        assert answer.json()["error"] == (
            f"preset {slug!r}: not available on any backend ({comfy.url}): {missing}"
        )
    assert comfy.history() == {}
    assert sent_graphs(comfy) == []


def test_an_execution_error_fails_the_job_naming_node_and_exception(
    standin_factory: StandInFactory, gaze_with: GazeFactory
) -> None:
    comfy = standin_factory(
        models=ALL_MODELS, fail_on_node="KSampler", fail_message="CUDA out of memory"
    )
    server = gaze_with(comfy.url)
    [job] = finished_jobs(server, queue_generation(server, "comfy_demo", seed=2))
    assert job["status"] == "failed"
    assert job["error"] == "ComfyUI failed at node 3 (KSampler): RuntimeError: CUDA out of memory"
    assert len(comfy.stats().failed_prompts) == 1  # run once, not retried

    comfy.set_behaviour(fail_on_node=None)
    [job] = finished_jobs(server, queue_generation(server, "comfy_demo", seed=2))
    assert job["status"] == "done", job  # the backend stays in service


def test_a_websocket_drop_mid_job_completes_through_history(
    standin_factory: StandInFactory, gaze_with: GazeFactory
) -> None:
    outage = 4.0
    comfy = standin_factory(
        models=ALL_MODELS,
        step_delay=0.05,
        drop_websocket_at_step=2,
        websocket_outage=outage,
    )
    server = gaze_with(comfy.url)
    started = time.monotonic()
    [job] = finished_jobs(server, queue_generation(server, "comfy_demo", seed=3))
    elapsed = time.monotonic() - started
    assert job["status"] == "done", job
    assert is_standin_picture(png_of(server, job), 3, 128, 128)
    # /ws refused reconnection for longer than the job took: only /history could tell.
    assert elapsed < outage, elapsed
    state = httpx.get(f"{comfy.url}/_standin/state", trust_env=False).json()
    assert state["websocket_drops"] == 1
    assert state["refused_websockets"] >= 1  # GAZE tried to reconnect and was turned away
    assert len(state["executed_prompts"]) == 1


def test_preflight_refuses_models_the_backend_lacks_naming_them(
    standin_factory: StandInFactory, gaze_with: GazeFactory
) -> None:
    comfy = standin_factory(models={"checkpoints": [DEMO, NEEDS_VAE], "loras": [], "vae": []})
    server = gaze_with(comfy.url)

    response = server.post(
        "/api/v1/generate/example_01", json={"checkpoint": "Illustrious/other.safetensors"}
    )
    assert response.status_code == 400
    assert response.json() == {
        "error": "checkpoint 'Illustrious/other.safetensors' is not available on any backend",
        "code": "unknown_checkpoint",
    }

    response = server.post("/api/v1/generate/comfy_lora", json={"seed": 1})
    assert response.status_code == 400
    assert response.json()["code"] == "model_not_available"
    assert f"LoRA {INK_LORA!r}" in response.json()["error"]

    response = server.post("/api/v1/generate/comfy_sdxl", json={})
    assert response.status_code == 400
    assert response.json()["code"] == "model_not_available"
    assert f"checkpoint {SDXL!r}" in response.json()["error"]

    response = server.post("/api/v1/generate/comfy_vae", json={})
    assert response.status_code == 400
    assert response.json()["code"] == "model_not_available"
    assert f"VAE {MISSING_VAE!r}" in response.json()["error"]
    assert NEEDS_VAE not in response.json()["error"]  # the backend has that one

    assert comfy.history() == {}
    [job] = finished_jobs(server, queue_generation(server, "comfy_demo", seed=4))
    assert job["status"] == "done", job  # what it has, it runs


def test_backends_shows_state_busy_checkpoint_and_queue(
    standin_factory: StandInFactory, gaze_with: GazeFactory
) -> None:
    comfy = standin_factory(models=ALL_MODELS, step_delay=0.25)
    server = gaze_with(comfy.url)
    [before] = backends_by_name(server).values()
    assert before == {
        "name": comfy.url,
        "up": True,
        "busy": False,
        "current_checkpoint": None,
        "queue_remaining": 0,
        "detail": before["detail"],
        "samplers": list(STANDIN_SAMPLERS),
        "schedulers": list(STANDIN_SCHEDULERS),
        "prompt_weightings": ["comfyui"],
    }
    assert before["detail"].startswith("ComfyUI 0.3.40-standin on ")

    [job_id] = queue_generation(server, "comfy_sdxl", seed=5)
    wait_until(lambda: backends_by_name(server)[comfy.url]["busy"], what="backend busy")
    [job] = finished_jobs(server, [job_id])
    assert job["status"] == "done", job
    after = backends_by_name(server)[comfy.url]
    assert after["busy"] is False
    assert after["current_checkpoint"] == SDXL

"""`gaze serve` over two or three ComfyUI servers: routing, affinity, and backends that fail."""

from __future__ import annotations

import time

import httpx

from gaze.engines.base import CancelToken
from gaze.engines.comfyui.engine import ComfyUIEngine
from gaze.generation_spec import GenerationSpec
from tests.comfyui_standin import ComfyUIStandIn, StandInFactory
from tests.engines.comfyui.e2e.gaze_calls import (
    backends_by_name,
    finished_jobs,
    is_standin_picture,
    png_of,
    queue_generation,
    sent_graphs,
    wait_until,
)
from tests.engines.comfyui.e2e.library_setup import DEMO, INK_LORA, SDXL
from tests.support.gaze_servers import GazeFactory

BOTH = {"checkpoints": [DEMO, SDXL], "loras": [INK_LORA], "vae": []}


def loaded_models(graph: dict) -> set[str]:  # type: ignore[type-arg]
    """Every model file a sent graph names."""
    names = set()
    for node in graph.values():
        for name in ("ckpt_name", "lora_name", "vae_name"):
            if name in node["inputs"]:
                names.add(node["inputs"][name])
    return names


def running(standin: ComfyUIStandIn) -> bool:
    state = httpx.get(f"{standin.url}/_standin/state", trust_env=False).json()
    return bool(state["running"])


def test_each_job_goes_to_a_backend_that_has_its_models(
    standin_factory: StandInFactory, gaze_with: GazeFactory
) -> None:
    only_demo = standin_factory(models={"checkpoints": [DEMO]}, step_delay=0.02)
    only_sdxl = standin_factory(models={"checkpoints": [SDXL]}, step_delay=0.02)
    everything = standin_factory(models=BOTH, step_delay=0.02)
    server = gaze_with(only_demo.url, only_sdxl.url, everything.url)

    job_ids = {
        "comfy_lora": queue_generation(server, "comfy_lora", count=3, seed=10),
        "comfy_sdxl": queue_generation(server, "comfy_sdxl", count=4, seed=20),
        "comfy_demo": queue_generation(server, "comfy_demo", count=4, seed=30),
    }
    allowed = {
        "comfy_lora": {everything.url},
        "comfy_sdxl": {only_sdxl.url, everything.url},
        "comfy_demo": {only_demo.url, everything.url},
    }
    for slug, ids in job_ids.items():
        for job in finished_jobs(server, ids):
            assert job["status"] == "done", job
            assert job["backend"] in allowed[slug], (slug, job["backend"])

    for standin in (only_demo, only_sdxl, everything):
        have = set(standin.models["checkpoints"]) | set(standin.models["loras"])
        for graph in sent_graphs(standin):
            assert loaded_models(graph) <= have  # never asked for a model it lacks
    assert sum(len(sent_graphs(s)) for s in (only_demo, only_sdxl, everything)) == 11


def test_jobs_follow_the_checkpoint_each_backend_holds(
    standin_factory: StandInFactory, gaze_with: GazeFactory
) -> None:
    holds_demo = standin_factory(models=BOTH, load_delay=0.3)
    holds_sdxl = standin_factory(models=BOTH, load_delay=0.3)
    # Before GAZE starts, each ComfyUI last ran (so holds) a different checkpoint.
    for standin, checkpoint in ((holds_demo, DEMO), (holds_sdxl, SDXL)):
        ComfyUIEngine(standin.url).generate(
            GenerationSpec("warm", "", checkpoint, width=64, height=64, steps=1),
            lambda _: None,
            CancelToken(),
        )
    server = gaze_with(holds_sdxl.url, holds_demo.url)
    states = backends_by_name(server)
    assert states[holds_demo.url]["current_checkpoint"] == DEMO
    assert states[holds_sdxl.url]["current_checkpoint"] == SDXL

    for seed in range(3):
        for slug, expected in (("comfy_demo", holds_demo), ("comfy_sdxl", holds_sdxl)):
            [job] = finished_jobs(server, queue_generation(server, slug, seed=seed))
            assert job["status"] == "done", job
            assert job["backend"] == expected.url, (slug, seed)
    assert holds_demo.stats().checkpoint_loads == 1  # only the warm-up loaded anything
    assert holds_sdxl.stats().checkpoint_loads == 1


def test_a_backend_down_at_start_is_shown_down_and_skipped(
    standin_factory: StandInFactory, gaze_with: GazeFactory, closed_port_url: str
) -> None:
    live = standin_factory(models=BOTH)
    server = gaze_with(closed_port_url, live.url)
    states = backends_by_name(server)
    assert states[closed_port_url]["up"] is False
    assert "cannot reach ComfyUI" in states[closed_port_url]["detail"]
    assert states[live.url]["up"] is True

    started = time.monotonic()
    jobs = finished_jobs(server, queue_generation(server, "comfy_demo", count=4, seed=40))
    assert [job["status"] for job in jobs] == ["done"] * 4
    assert {job["backend"] for job in jobs} == {live.url}
    assert time.monotonic() - started < 10


def test_a_job_on_a_backend_that_dies_finishes_on_another(
    standin_factory: StandInFactory, gaze_with: GazeFactory
) -> None:
    doomed = standin_factory(models=BOTH, step_delay=0.5)
    spare = standin_factory(models=BOTH)
    server = gaze_with(doomed.url, spare.url)

    [job_id] = queue_generation(server, "comfy_demo", seed=50)
    wait_until(lambda: running(doomed), what="the job running on the first backend")
    doomed.stop()
    stopped = time.monotonic()
    [job] = finished_jobs(server, [job_id], timeout=30)
    assert job["status"] == "done", job
    assert job["backend"] == spare.url
    assert time.monotonic() - stopped < 10
    assert is_standin_picture(png_of(server, job), 50, 128, 128)
    assert backends_by_name(server)[doomed.url]["up"] is False

    [job] = finished_jobs(server, queue_generation(server, "comfy_demo", seed=51))
    assert job["status"] == "done" and job["backend"] == spare.url


def test_a_hanging_backend_costs_seconds_not_a_stuck_job(
    standin_factory: StandInFactory, gaze_with: GazeFactory
) -> None:
    hanging = standin_factory(models=BOTH)
    spare = standin_factory(models=BOTH)
    server = gaze_with(hanging.url, spare.url)
    hanging.set_behaviour(hang=True)  # accepts connections, never answers

    started = time.monotonic()
    jobs = finished_jobs(server, queue_generation(server, "comfy_demo", count=3, seed=60))
    assert [job["status"] for job in jobs] == ["done"] * 3
    assert {job["backend"] for job in jobs} == {spare.url}
    assert time.monotonic() - started < 15
    assert hanging.history() == {}


def test_the_only_backend_dying_fails_the_job_in_bounded_time(
    standin_factory: StandInFactory, gaze_with: GazeFactory
) -> None:
    comfy = standin_factory(models=BOTH, step_delay=0.5)
    server = gaze_with(comfy.url)
    [job_id] = queue_generation(server, "comfy_demo", seed=70)
    wait_until(lambda: running(comfy), what="the job running")
    comfy.stop()
    stopped = time.monotonic()
    [job] = finished_jobs(server, [job_id], timeout=30)
    assert time.monotonic() - stopped < 10
    assert job["status"] == "failed"
    assert comfy.url in job["error"]
    assert "no other backend to retry on" in job["error"]

    # A new request is answered at once and says why (not queued to fail later).
    started = time.monotonic()
    response = server.post("/api/v1/generate/comfy_demo", json={})
    assert time.monotonic() - started < 5
    assert response.status_code in (400, 503), response.text
    assert "no backend is reachable" in response.json()["error"]
    assert backends_by_name(server)[comfy.url]["up"] is False

"""POST /api/v1/job/<id>/cancel: pending jobs leave the queue, running ones stop on their
backend (the embedded engine, a ComfyUI stand-in, a worker in another process)."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import httpx

from devkit.server import GAZE, GazeServer, gaze_env
from tests.comfyui_standin import ComfyUIStandIn, StandInFactory
from tests.support.gaze_servers import ServerFactory
from tests.support.job_calls import (
    FAST,
    SLOW,
    EventRecorder,
    is_event,
    job,
    job_ids,
    queue_jobs,
    wait_for_status,
    wait_until,
    wait_until_sampling,
)

DEMO = "gaze-demo-sd15-tiny.safetensors"


def cancel(server: GazeServer, job_id: str) -> httpx.Response:
    return server.post(f"/api/v1/job/{job_id}/cancel")


def test_cancelling_a_pending_job_removes_it_from_the_queue(jobs_server: GazeServer) -> None:
    running, waiting = job_ids(queue_jobs(jobs_server, count=2, seed=30, **SLOW))
    wait_until_sampling(jobs_server, running)
    response = cancel(jobs_server, waiting)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "cancelled" and body["finished_at"] is not None
    assert body["started_at"] is None and body["queue_position"] is None
    assert wait_for_status(jobs_server, running, ("done",))["status"] == "done"
    time.sleep(0.5)  # the worker has long taken the cancelled job's id off the queue
    after = job(jobs_server, waiting)
    assert after["status"] == "cancelled" and after["started_at"] is None
    assert "result" not in after


def test_cancelling_a_running_job_stops_the_embedded_engine(jobs_server: GazeServer) -> None:
    [job_id] = job_ids(queue_jobs(jobs_server, seed=31, **SLOW))
    wait_until_sampling(jobs_server, job_id)
    started = time.monotonic()
    response = cancel(jobs_server, job_id)
    elapsed = time.monotonic() - started
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "cancelled", body
    assert elapsed < 2.0, f"cancel took {elapsed:.2f} s"
    assert body["progress"] < 1.0 and "result" not in body
    assert body["backend"] == "local" and body["finished_at"] is not None
    assert cancel(jobs_server, job_id).json()["status"] == "cancelled"


def test_cancelling_a_finished_job_changes_nothing(jobs_server: GazeServer) -> None:
    [job_id] = job_ids(queue_jobs(jobs_server, seed=32, **FAST))
    done = wait_for_status(jobs_server, job_id, ("done",))
    response = cancel(jobs_server, job_id)
    assert response.status_code == 200
    assert response.json() == done
    assert job(jobs_server, job_id) == done


def test_cancelling_an_unknown_job_is_404(jobs_server: GazeServer) -> None:
    response = cancel(jobs_server, "783f0268-ba85-4426-8ca2-6393c844c887")
    assert response.status_code == 404
    assert response.json()["code"] == "job_not_found"


def test_cancel_interrupts_only_its_own_prompt_on_comfyui(
    standin_factory: StandInFactory, server_factory: ServerFactory
) -> None:
    models = {"checkpoints": [DEMO]}
    first, second = (
        standin_factory(models=models, step_delay=0.02, stall_at_step=3) for _ in range(2)
    )
    server = server_factory(GAZE_BACKENDS=f"{first.url},{second.url}")
    ids = job_ids(queue_jobs(server, count=2, seed=40, **FAST))
    for job_id in ids:
        wait_until_sampling(server, job_id)
    wait_until(lambda: len({job(server, job_id)["backend"] for job_id in ids} - {None}) == 2)
    on = {job(server, job_id)["backend"]: job_id for job_id in ids}
    assert set(on) == {first.url, second.url}, on

    response = cancel(server, on[first.url])
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    first_state = standin_state(first)
    assert len(first_state["interrupted_prompts"]) == 1, first_state
    assert first_state["running"] == [] and first_state["executed_prompts"] == []
    second_state = standin_state(second)
    assert second_state["interrupted_prompts"] == [], "the other backend's prompt goes on"
    assert len(second_state["running"]) == 1
    assert job(server, on[second.url])["status"] == "processing"

    assert cancel(server, on[second.url]).json()["status"] == "cancelled"
    assert len(standin_state(second)["interrupted_prompts"]) == 1


def standin_state(standin: ComfyUIStandIn) -> dict[str, list[str]]:
    state: dict[str, list[str]] = httpx.get(f"{standin.url}/_standin/state", timeout=10).json()
    return state


def test_cancel_reaches_a_worker_in_another_process(
    server_factory: ServerFactory, tmp_path: Path
) -> None:
    api = server_factory("--no-worker")
    log = (tmp_path / "worker.log").open("wb")
    worker = subprocess.Popen(
        [GAZE, "worker"], env=gaze_env(api.data_dir), stdout=log, stderr=subprocess.STDOUT
    )
    try:
        with EventRecorder(api) as events:
            [job_id] = job_ids(queue_jobs(api, seed=50, **SLOW))
            wait_until_sampling(api, job_id)
            started = time.monotonic()
            body = cancel(api, job_id).json()
            if body["status"] != "cancelled":
                body = wait_for_status(api, job_id, ("cancelled", "done", "failed"), timeout=10)
            elapsed = time.monotonic() - started
            assert body["status"] == "cancelled", body
            assert elapsed < 2.0, f"the worker took {elapsed:.2f} s to notice the cancel"
            # the worker process wrote these events; the API process streams them
            kinds = [
                events.wait_for(is_event(kind, job_id), timeout=10, what=kind).type
                for kind in ("job.queued", "job.started", "job.progress", "job.cancelled")
            ]
            assert kinds == ["job.queued", "job.started", "job.progress", "job.cancelled"]
    finally:
        worker.terminate()
        worker.wait(timeout=30)

"""Retry, the job list with filters and cursors, and batches."""

from __future__ import annotations

import io

import httpx
import numpy as np
from PIL import Image

from devkit.server import GazeServer
from tests.support.job_calls import (
    FAST,
    SLOW,
    job,
    job_ids,
    queue_jobs,
    wait_for_status,
    wait_until_sampling,
)


def pixels(server: GazeServer, body: dict) -> np.ndarray:  # type: ignore[type-arg]
    response = httpx.get(f"{server.url}{body['result']['image_url']}", timeout=30)
    return np.asarray(Image.open(io.BytesIO(response.content)).convert("RGB"))


def test_retry_runs_the_same_generation_again(jobs_server: GazeServer) -> None:
    [original] = job_ids(queue_jobs(jobs_server, seed=90, extra_positive="smiling", **FAST))
    first = wait_for_status(jobs_server, original, ("done",))
    response = jobs_server.post(f"/api/v1/job/{original}/retry")
    assert response.status_code == 202
    answer = response.json()
    assert set(answer) == {"jobs", "batch_id"}
    [retried] = job_ids(answer)
    assert answer["jobs"][0]["status"] == "queued"
    again = wait_for_status(jobs_server, retried, ("done",))
    assert again["retry_of"] == original and again["batch_id"] == answer["batch_id"]
    assert again["batch_id"] != first["batch_id"]
    assert again["label"] == first["label"] and again["preset"] == first["preset"]
    assert again["result"]["seed"] == 90
    assert again["result"]["relative_path"] != first["result"]["relative_path"]
    assert np.array_equal(pixels(jobs_server, first), pixels(jobs_server, again))


def test_retry_of_an_active_job_is_409_and_of_an_unknown_one_404(
    jobs_server: GazeServer,
) -> None:
    [running] = job_ids(queue_jobs(jobs_server, seed=91, **SLOW))
    wait_until_sampling(jobs_server, running)
    busy = jobs_server.post(f"/api/v1/job/{running}/retry")
    assert busy.status_code == 409 and busy.json()["code"] == "job_active"
    jobs_server.post(f"/api/v1/job/{running}/cancel")
    cancelled = wait_for_status(jobs_server, running, ("cancelled",))
    assert cancelled["status"] == "cancelled"
    retried = jobs_server.post(f"/api/v1/job/{running}/retry")
    assert retried.status_code == 202, "a cancelled job can be retried"
    jobs_server.post(f"/api/v1/batch/{retried.json()['batch_id']}/cancel")
    missing = jobs_server.post("/api/v1/job/nope/retry")
    assert missing.status_code == 404 and missing.json()["code"] == "job_not_found"


def test_jobs_list_newest_first_with_filters_and_cursors(jobs_server: GazeServer) -> None:
    answer = queue_jobs(jobs_server, count=5, seed=100, **FAST)
    ids = job_ids(answer)
    for job_id in ids:
        wait_for_status(jobs_server, job_id, ("done",))
    listed: list[str] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, object] = {"batch_id": answer["batch_id"], "limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = jobs_server.get("/api/v1/jobs", params=params).json()
        pages += 1
        listed += [body["id"] for body in page["jobs"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert listed == ids[::-1], "newest first, no job twice, none missing"

    done = jobs_server.get("/api/v1/jobs", params={"status": "done", "limit": 200}).json()
    assert all(body["status"] == "done" for body in done["jobs"])
    assert set(ids) <= {body["id"] for body in done["jobs"]}
    both = jobs_server.get(
        "/api/v1/jobs", params=[("status", "failed"), ("status", "cancelled")]
    ).json()
    assert all(body["status"] in ("failed", "cancelled") for body in both["jobs"])
    by_preset = jobs_server.get("/api/v1/jobs", params={"preset": "example_02"}).json()
    assert all(body["preset"] == "example_02" for body in by_preset["jobs"])
    assert not set(ids) & {body["id"] for body in by_preset["jobs"]}


def test_jobs_list_rejects_bad_parameters(jobs_server: GazeServer) -> None:
    for params, code in (
        ({"status": "sleeping"}, "invalid_request"),
        ({"limit": 0}, "invalid_request"),
        ({"limit": 201}, "invalid_request"),
        ({"limit": "many"}, "invalid_request"),
        ({"cursor": "not-a-cursor"}, "invalid_cursor"),
    ):
        response = jobs_server.get("/api/v1/jobs", params=params)
        assert response.status_code == 400, params
        assert response.json()["code"] == code, params
        assert response.json()["error"]


def test_batch_counts_and_cancel(jobs_server: GazeServer) -> None:
    answer = queue_jobs(jobs_server, count=3, seed=110, **SLOW)
    ids = job_ids(answer)
    wait_until_sampling(jobs_server, ids[0])
    batch = jobs_server.get(f"/api/v1/batch/{answer['batch_id']}").json()
    assert batch["batch_id"] == answer["batch_id"] and batch["total"] == 3
    assert [body["id"] for body in batch["jobs"]] == ids
    assert batch["counts"]["processing"] == 1 and batch["counts"]["pending"] == 2
    assert batch["status"] == "processing"

    response = jobs_server.post(f"/api/v1/batch/{answer['batch_id']}/cancel")
    assert response.status_code == 200
    for job_id in ids:
        assert wait_for_status(jobs_server, job_id, ("cancelled", "done"))["status"] == "cancelled"
    final = jobs_server.get(f"/api/v1/batch/{answer['batch_id']}").json()
    assert final["counts"] == {
        "pending": 0,
        "processing": 0,
        "done": 0,
        "failed": 0,
        "cancelled": 3,
    }
    assert final["status"] == "cancelled"
    again = jobs_server.post(f"/api/v1/batch/{answer['batch_id']}/cancel")
    assert again.status_code == 200 and again.json()["counts"] == final["counts"]
    assert job(jobs_server, ids[1])["started_at"] is None


def test_unknown_batch_is_404(jobs_server: GazeServer) -> None:
    for response in (
        jobs_server.get("/api/v1/batch/nope"),
        jobs_server.post("/api/v1/batch/nope/cancel"),
    ):
        assert response.status_code == 404
        assert response.json()["code"] == "batch_not_found"


def test_queue_overview(jobs_server: GazeServer) -> None:
    body = jobs_server.get("/api/v1/queue").json()
    assert set(body) == {"pending", "processing"}
    assert all(isinstance(value, int) and value >= 0 for value in body.values())

"""GET /api/v1/job/<id>: the guide's fields, plus progress, queue position, ETA, timestamps,
backend (from the moment the job runs), preset, batch and retry links."""

from __future__ import annotations

from datetime import datetime

import httpx

from devkit.server import GazeServer
from tests.support.job_calls import (
    SLOW,
    job,
    job_ids,
    queue_jobs,
    wait_for_status,
    wait_until_sampling,
)

GUIDE_FIELDS = ["id", "label", "status", "error"]
ADDED_FIELDS = {
    "progress",
    "queue_position",
    "eta_seconds",
    "preset",
    "batch_id",
    "retry_of",
    "backend",
    "cancel_requested",
    "created_at",
    "started_at",
    "finished_at",
}


def moment(text: str) -> datetime:
    assert text.endswith("Z"), text
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_guide_fields_come_first_and_result_only_when_done(jobs_server: GazeServer) -> None:
    answer = queue_jobs(jobs_server, count=2, seed=11, width=64, height=64)
    first, second = job_ids(answer)
    early = job(jobs_server, second)
    assert list(early)[:4] == GUIDE_FIELDS
    assert set(early) == {*GUIDE_FIELDS, *ADDED_FIELDS} | (
        {"result"} if early["status"] == "done" else set()
    )
    done = wait_for_status(jobs_server, second, ("done",))
    assert list(done)[:5] == [*GUIDE_FIELDS, "result"]
    assert set(done) == {*GUIDE_FIELDS, "result", *ADDED_FIELDS}
    assert done["progress"] == 1.0
    assert done["queue_position"] is None and done["eta_seconds"] is None
    assert done["preset"] == "example_01"
    assert done["batch_id"] == answer["batch_id"]
    assert done["retry_of"] is None
    assert done["backend"] == "local"
    assert done["cancel_requested"] is False
    assert moment(done["created_at"]) <= moment(done["started_at"]) <= moment(done["finished_at"])
    assert job(jobs_server, first)["batch_id"] == answer["batch_id"]


def test_pending_jobs_have_queue_positions_and_running_ones_a_backend(
    jobs_server: GazeServer,
) -> None:
    # a finished job first, so that the server knows how long one takes (ETA)
    wait_for_status(jobs_server, job_ids(queue_jobs(jobs_server, seed=1, **SLOW))[0], ("done",))
    running, second, third = job_ids(queue_jobs(jobs_server, count=3, seed=20, **SLOW))
    sampling = wait_until_sampling(jobs_server, running)
    assert sampling["backend"] == "local", "the backend is known while the job runs"
    assert sampling["started_at"] is not None and sampling["finished_at"] is None
    assert 0 < sampling["progress"] < 1
    assert sampling["queue_position"] is None
    assert sampling["eta_seconds"] is not None and sampling["eta_seconds"] >= 0
    waiting = [job(jobs_server, job_id) for job_id in (second, third)]
    assert [body["status"] for body in waiting] == ["pending", "pending"]
    assert [body["queue_position"] for body in waiting] == [1, 2]
    assert all(body["backend"] is None and body["started_at"] is None for body in waiting)
    etas = [body["eta_seconds"] for body in waiting]
    assert None not in etas and 0 < etas[0] < etas[1], etas
    jobs_server.post(f"/api/v1/batch/{sampling['batch_id']}/cancel")


def test_unknown_job_is_a_404_json_error(jobs_server: GazeServer) -> None:
    response = jobs_server.get("/api/v1/job/no-such-job")
    assert response.status_code == 404
    assert response.json() == {"error": "No job with id 'no-such-job'.", "code": "job_not_found"}


def test_polling_a_finished_job_keeps_auth(jobs_server: GazeServer) -> None:
    [job_id] = job_ids(queue_jobs(jobs_server, seed=5, width=64, height=64))
    wait_for_status(jobs_server, job_id, ("done",))
    assert jobs_server.get(f"/api/v1/job/{job_id}").status_code == 200
    wrong = jobs_server.get(f"/api/v1/job/{job_id}", headers={"X-API-Key": "gz_wrong"})
    assert wrong.status_code == 403 and wrong.json()["code"] == "invalid_api_key"
    missing = jobs_server.get(f"/api/v1/job/{job_id}", headers={"X-API-Key": ""})
    assert missing.status_code == 401 and missing.json()["code"] == "missing_api_key"
    by_query = httpx.get(
        f"{jobs_server.url}/api/v1/job/{job_id}", params={"api_key": jobs_server.api_key}
    )
    assert by_query.status_code == 200
    old = jobs_server.api_key
    jobs_server.regenerate_key()
    stale = jobs_server.get(f"/api/v1/job/{job_id}", headers={"X-API-Key": old})
    assert stale.status_code == 403, "a regenerated key replaces the old one at once"
    assert jobs_server.get(f"/api/v1/job/{job_id}").status_code == 200

"""GAZE_MAX_PENDING_JOBS: a request that would take the pending jobs past the limit is refused
whole (429 with Retry-After in the API, a clear error in the UI) on every way of queueing, and
concurrent requests never overshoot it, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from devkit.server import GazeServer
from devkit.services import scratch_postgres_database
from gaze.db.connection import Database
from gaze.db.migrate import upgrade_to_head
from gaze.generation_spec import GenerationSpec
from gaze.jobs.queue_bound import QueueFull, retry_after_seconds
from gaze.jobs.store import JobStore, NewJob
from tests.support.gaze_servers import ServerFactory
from tests.support.job_calls import FAST, job_ids, queue_jobs

LIMIT = 5


def pending(server: GazeServer) -> int:
    response = server.get("/api/v1/queue")
    assert response.status_code == 200, response.text
    return int(response.json()["pending"])


def generate(server: GazeServer, count: int) -> httpx.Response:
    return server.post("/api/v1/generate/example_01", json={"count": count, **FAST})


def assert_queue_full(response: httpx.Response, pending_now: int, wanted: int) -> None:
    assert response.status_code == 429, response.text
    assert response.json()["code"] == "queue_full"
    message = response.json()["error"]
    assert f"{pending_now} jobs are pending" in message, message
    assert f"this request adds {wanted}" in message and f"at most {LIMIT}" in message, message
    assert "GAZE_MAX_PENDING_JOBS" in message
    assert int(response.headers["Retry-After"]) >= 1


@pytest.fixture
def full_server(server_factory: ServerFactory) -> GazeServer:
    """No worker: whatever is queued stays pending."""
    return server_factory("--no-worker", GAZE_MAX_PENDING_JOBS=str(LIMIT))


def test_the_api_refuses_a_request_that_would_pass_the_limit_whole(
    full_server: GazeServer,
) -> None:
    assert pending(full_server) == 0
    assert generate(full_server, 3).status_code == 202
    assert_queue_full(generate(full_server, 3), pending_now=3, wanted=3)
    assert pending(full_server) == 3, "nothing of the refused request was queued"
    assert generate(full_server, 2).status_code == 202
    assert pending(full_server) == LIMIT
    assert_queue_full(generate(full_server, 1), pending_now=LIMIT, wanted=1)
    too_many = generate(full_server, LIMIT + 1)
    assert too_many.status_code == 400 and too_many.json()["code"] == "count_over_queue_limit"
    assert pending(full_server) == LIMIT


def test_retry_is_bounded_too(full_server: GazeServer) -> None:
    [first, *_] = job_ids(queue_jobs(full_server, "example_01", count=LIMIT, **FAST))
    cancelled = full_server.post(f"/api/v1/job/{first}/cancel")
    assert cancelled.json()["status"] == "cancelled"
    assert generate(full_server, 1).status_code == 202
    assert_queue_full(full_server.post(f"/api/v1/job/{first}/retry"), LIMIT, wanted=1)
    assert pending(full_server) == LIMIT


def test_the_web_ui_refuses_with_a_clear_error(full_server: GazeServer) -> None:
    queue_jobs(full_server, "example_01", count=LIMIT, **FAST)
    with httpx.Client(base_url=full_server.url, timeout=30) as client:
        client.get("/presets/example_01")
        token = client.cookies["gaze_csrf"]
        script = client.post(
            "/ui/presets/example_01/generate",
            json={"count": 1, "width": 64, "height": 64},
            headers={"X-CSRF-Token": token},
        )
        assert script.status_code == 429, script.text
        assert script.json()["code"] == "queue_full"
        assert int(script.headers["Retry-After"]) >= 1
        assert "The queue is full: 5 jobs are pending" in script.json()["error"]
        form = client.post(
            "/presets/example_01/generate",
            data={"csrf_token": token, "count": "1", "width": "64", "height": "64"},
        )
        assert form.status_code == 429
        assert int(form.headers["Retry-After"]) >= 1
        assert "text/html" in form.headers["content-type"]
        assert "The queue is full: 5 jobs are pending" in form.text
    assert pending(full_server) == LIMIT


SPEC = GenerationSpec("a lighthouse", "blurry", "gaze-demo-sd15-tiny.safetensors", seed=3)


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        opened = Database(f"sqlite:///{tmp_path / 'gaze.db'}")
        upgrade_to_head(opened.engine)
        yield opened
        opened.dispose()
        return
    with scratch_postgres_database() as url:
        opened = Database(url)
        upgrade_to_head(opened.engine)
        yield opened
        opened.dispose()


def test_concurrent_requests_never_overshoot_the_limit(database: Database) -> None:
    store = JobStore(database)
    requests, per_request, limit = 8, 3, 10
    start = threading.Barrier(requests)
    accepted: list[int] = []
    refused: list[QueueFull] = []

    def submit() -> None:
        jobs = [NewJob(label="t", spec=SPEC, output_folder="t") for _ in range(per_request)]
        start.wait()
        try:
            accepted.append(len(store.create(jobs, max_pending=limit)))
        except QueueFull as full:
            refused.append(full)

    threads = [threading.Thread(target=submit) for _ in range(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert accepted == [per_request] * 3, "three requests of 3 fit under 10, no more"
    assert len(refused) == requests - 3
    assert all(full.pending == 9 and full.wanted == per_request for full in refused)
    assert len(store.pending_ids()) == 9


def test_retry_after_comes_from_how_long_jobs_take() -> None:
    assert retry_after_seconds(None, workers=1, must_leave=3) == 30, "no history: a constant"
    assert retry_after_seconds(2.0, workers=2, must_leave=5) == 5
    assert retry_after_seconds(0.01, workers=4, must_leave=1) == 1
    assert retry_after_seconds(600.0, workers=1, must_leave=100) == 3600

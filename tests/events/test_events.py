"""GET /api/v1/events: a snapshot, then job events; heartbeats; Last-Event-ID resumes."""

from __future__ import annotations

import time

import httpx

from devkit.server import GazeServer
from gaze.client.models import Event
from tests.support.job_calls import (
    FAST,
    EventRecorder,
    is_event,
    job_ids,
    queue_jobs,
    wait_for_status,
)

LIFECYCLE = ["job.queued", "job.started", "job.progress", "job.done"]


def job_events(events: list[Event], job_id: str) -> list[Event]:
    return [event for event in events if event.job is not None and event.job.id == job_id]


def test_stream_opens_with_a_snapshot_then_follows_a_job(jobs_server: GazeServer) -> None:
    with EventRecorder(jobs_server) as recorder:
        assert recorder.status == 200
        assert recorder.content_type is not None
        assert recorder.content_type.startswith("text/event-stream")
        snapshot = recorder.wait_for(lambda event: True, timeout=10)
        assert snapshot.type == "snapshot"
        assert set(snapshot.data) == {"jobs", "queue"}
        assert set(snapshot.data["queue"]) == {"pending", "processing"}
        [job_id] = job_ids(queue_jobs(jobs_server, seed=60, **FAST))
        done = recorder.wait_for(is_event("job.done", job_id), what="job.done")
    events = job_events(recorder.events, job_id)
    kinds = [event.type for event in events]
    assert kinds[0] == "job.queued" and kinds[1] == "job.started" and kinds[-1] == "job.done"
    assert set(kinds[2:-1]) == {"job.progress"}, kinds
    ids = [event.id for event in events]
    assert all(isinstance(event_id, int) for event_id in ids)
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert events[1].job is not None and events[1].job.backend == "local"
    assert events[1].job.status == "processing"
    progress = [event.job.progress for event in events[2:-1] if event.job is not None]
    assert progress == sorted(progress)
    assert done.data["type"] == "job.done" and done.data["id"] == done.id
    assert done.job is not None and done.job.result is not None
    assert done.job.result.image_url.startswith("/static/uploads/")


def test_filters_by_job_and_batch(jobs_server: GazeServer) -> None:
    answer = queue_jobs(jobs_server, count=2, seed=61, **FAST)
    first, second = job_ids(answer)
    with (
        EventRecorder(jobs_server, {"job": first}) as one_job,
        EventRecorder(jobs_server, {"batch": answer["batch_id"]}) as one_batch,
    ):
        one_job.wait_for(is_event("job.done", first))
        one_batch.wait_for(is_event("job.done", second))
    assert one_job.events[0].type == "snapshot"
    assert [job.id for job in one_job.events[0].jobs] == [first]
    assert {event.job.id for event in one_job.events[1:] if event.job} == {first}
    assert [job.id for job in one_batch.events[0].jobs] == [first, second]
    assert {event.job.batch_id for event in one_batch.events[1:] if event.job} == {
        answer["batch_id"]
    }


def test_unknown_job_or_batch_is_404_before_streaming(jobs_server: GazeServer) -> None:
    for params, code in (
        ({"job": "nope"}, "job_not_found"),
        ({"batch": "nope"}, "batch_not_found"),
    ):
        response = jobs_server.get("/api/v1/events", params=params)
        assert response.status_code == 404
        assert response.json()["code"] == code


def test_bad_last_event_id_is_400(jobs_server: GazeServer) -> None:
    response = jobs_server.get("/api/v1/events", headers={"Last-Event-ID": "yesterday"})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_last_event_id"


def test_idle_streams_carry_heartbeats(jobs_server: GazeServer) -> None:
    [job_id] = job_ids(queue_jobs(jobs_server, seed=62, **FAST))
    wait_for_status(jobs_server, job_id, ("done",))
    with EventRecorder(jobs_server, {"job": job_id}) as recorder:
        deadline = time.monotonic() + 5
        while recorder.comments < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
    assert recorder.comments >= 2, "a heartbeat comment every second (as configured)"


def test_last_event_id_resumes_without_gaps(jobs_server: GazeServer) -> None:
    with EventRecorder(jobs_server) as first:
        snapshot = first.wait_for(lambda event: event.type == "snapshot", timeout=10)
        assert snapshot.id is not None
        ids = job_ids(queue_jobs(jobs_server, count=3, seed=63, **FAST))
        first.wait_for(is_event("job.done", ids[0]))
    seen_before_drop = [event for event in first.events if event.type != "snapshot"]
    last = seen_before_drop[-1].id
    for job_id in ids:
        wait_for_status(jobs_server, job_id, ("done",))

    with EventRecorder(jobs_server, headers={"Last-Event-ID": str(last)}) as resumed:
        resumed.wait_for(is_event("job.done", ids[-1]))
    with EventRecorder(jobs_server, {"last_event_id": snapshot.id}) as everything:
        everything.wait_for(is_event("job.done", ids[-1]))

    assert resumed.events[0].type != "snapshot", "a resume replays, it does not restart"
    full = [event.id for event in everything.events]
    assert full == list(range(snapshot.id + 1, snapshot.id + 1 + len(full))), "no gaps"
    replayed = [event.id for event in resumed.events]
    assert replayed == [event_id for event_id in full if event_id > last]
    before = [event.id for event in seen_before_drop]
    assert before + replayed == full[: len(before) + len(replayed)]
    for job_id in ids:
        kinds = [event.type for event in job_events(everything.events, job_id)]
        assert kinds[:2] == LIFECYCLE[:2] and kinds[-1] == "job.done"


def test_events_need_the_api_key(jobs_server: GazeServer) -> None:
    response = httpx.get(f"{jobs_server.url}/api/v1/events", timeout=10)
    assert response.status_code == 401

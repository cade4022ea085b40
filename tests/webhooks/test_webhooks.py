"""Webhooks: signed POSTs of job events to `webhook_url`, retried with backoff, logged per
job; only http(s) URLs to allowed addresses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from devkit.server import GazeServer
from gaze.db.connection import Database
from gaze.webhooks.secret import regenerate_webhook_secret, webhook_secret
from gaze.webhooks.signing import verify_signature
from tests.support.job_calls import FAST, job_ids, queue_jobs, wait_for_status, wait_until
from tests.webhooks.webhook_receiver import WebhookReceiver


def secret_of(server: GazeServer) -> str:
    database = Database(f"sqlite:///{server.data_dir / 'gaze.db'}")
    try:
        return webhook_secret(database)
    finally:
        database.dispose()


def deliveries(server: GazeServer, job_id: str) -> list[dict]:  # type: ignore[type-arg]
    response = server.get(f"/api/v1/job/{job_id}/webhooks")
    assert response.status_code == 200, response.text
    return response.json()["deliveries"]  # type: ignore[no-any-return]


def test_events_are_posted_signed(jobs_server: GazeServer) -> None:
    secret = secret_of(jobs_server)
    with WebhookReceiver() as receiver:
        [job_id] = job_ids(queue_jobs(jobs_server, seed=70, webhook_url=receiver.url, **FAST))
        wait_for_status(jobs_server, job_id, ("done",))
        receiver.wait_for(lambda got: any(b'"job.done"' in r.body for r in got))
    kinds = [json.loads(request.body)["type"] for request in receiver.received]
    assert kinds == ["job.queued", "job.started", "job.done"], "progress only when asked"
    for request in receiver.received:
        headers = {name.lower(): value for name, value in request.headers.items()}
        assert headers["content-type"] == "application/json"
        assert verify_signature(secret, headers["x-gaze-signature"], request.body)
        assert not verify_signature("whsec_other", headers["x-gaze-signature"], request.body)
        assert not verify_signature(secret, headers["x-gaze-signature"], request.body + b" ")
        payload = json.loads(request.body)
        assert headers["x-gaze-event"] == payload["type"]
        assert payload["job"]["id"] == job_id
        assert set(payload) == {"id", "type", "created_at", "job"}
    done = json.loads(receiver.received[-1].body)
    assert done["job"]["status"] == "done" and done["job"]["result"]["seed"] == 70
    log = deliveries(jobs_server, job_id)
    assert [entry["event"] for entry in log] == kinds
    assert all(entry["status"] == "delivered" and entry["attempts"] == 1 for entry in log)
    assert all(entry["log"][0]["status_code"] == 200 for entry in log)


def test_chosen_events_only(jobs_server: GazeServer) -> None:
    with WebhookReceiver() as receiver:
        [job_id] = job_ids(
            queue_jobs(
                jobs_server,
                seed=71,
                webhook_url=receiver.url,
                webhook_events=["job.progress", "job.done"],
                **FAST,
            )
        )
        wait_for_status(jobs_server, job_id, ("done",))
        receiver.wait_for(lambda got: any(b'"job.done"' in r.body for r in got))
    kinds = [json.loads(request.body)["type"] for request in receiver.received]
    assert kinds[-1] == "job.done" and set(kinds[:-1]) == {"job.progress"}


def test_failed_deliveries_are_retried_with_backoff(jobs_server: GazeServer) -> None:
    with WebhookReceiver(statuses=[500, 503]) as receiver:
        [job_id] = job_ids(
            queue_jobs(
                jobs_server,
                seed=72,
                webhook_url=receiver.url,
                webhook_events=["job.queued"],
                **FAST,
            )
        )
        receiver.wait_for(lambda got: len(got) == 3)
        wait_until(lambda: deliveries(jobs_server, job_id)[0]["status"] == "delivered", timeout=10)
    [entry] = deliveries(jobs_server, job_id)
    assert entry["attempts"] == 3 and entry["last_status_code"] == 200
    assert [attempt["status_code"] for attempt in entry["log"]] == [500, 503, 200]
    assert entry["log"][0]["error"] == "HTTP 500"
    bodies = {request.body for request in receiver.received}
    assert len(bodies) == 1, "every attempt sends the same event"
    gaps = [b.at - a.at for a, b in zip(receiver.received, receiver.received[1:], strict=False)]
    assert gaps[0] >= 0.15 and gaps[1] >= 0.35, f"backoff 0.2 s then 0.4 s, got {gaps}"


def test_a_dead_receiver_is_given_up_on(jobs_server: GazeServer, tmp_path: Path) -> None:
    with WebhookReceiver() as receiver:
        dead_url = receiver.url
    [job_id] = job_ids(
        queue_jobs(
            jobs_server, seed=73, webhook_url=dead_url, webhook_events=["job.queued"], **FAST
        )
    )
    # 6 attempts 0.2, 0.4, 0.8, 1.6, 3.2 s apart
    wait_until(lambda: deliveries(jobs_server, job_id)[0]["status"] == "failed", timeout=30)
    [entry] = deliveries(jobs_server, job_id)
    assert entry["attempts"] == 6 and entry["last_status_code"] is None
    assert "Connect" in entry["last_error"], entry["last_error"]


def test_webhook_log_of_an_unknown_job_is_404(jobs_server: GazeServer) -> None:
    response = jobs_server.get("/api/v1/job/nope/webhooks")
    assert response.status_code == 404 and response.json()["code"] == "job_not_found"


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://example.com/hook", "http:// or https://"),
        ("http://169.254.169.254/latest/meta-data", "metadata"),
        ("http://169.254.10.1/hook", "link-local"),
        ("http://[fe80::1]/hook", "link-local"),
        ("http://metadata.google.internal/computeMetadata", "metadata"),
        ("http://127.0.0.1:9/hook", "loopback"),
        ("http://10.1.2.3/hook", "private"),
        ("http://[::ffff:127.0.0.1]/hook", "loopback"),
        ("http://user:secret@93.184.216.34/hook", "credentials"),
        ("not a url", "http:// or https://"),
    ],
)
def test_unsafe_webhook_urls_are_refused(server: GazeServer, url: str, reason: str) -> None:
    response = server.post("/api/v1/generate/example_01", json={"webhook_url": url})
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["code"] == "invalid_webhook_url"
    assert reason in body["error"]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"webhook_url": 5}, "invalid_webhook_url"),
        ({"webhook_events": ["job.done"]}, "invalid_webhook_events"),
        ({"webhook_url": "http://example.com", "webhook_events": []}, "invalid_webhook_events"),
        (
            {"webhook_url": "http://example.com", "webhook_events": ["job.eaten"]},
            "invalid_webhook_events",
        ),
        (
            {"webhook_url": "http://example.com", "webhook_events": "job.done"},
            "invalid_webhook_events",
        ),
    ],
)
def test_malformed_webhook_fields_are_400(server: GazeServer, body: dict, code: str) -> None:  # type: ignore[type-arg]
    response = server.post("/api/v1/generate/example_01", json=body)
    assert response.status_code == 400
    assert response.json()["code"] == code


def test_regenerated_secret_signs_from_then_on(jobs_server: GazeServer) -> None:
    database = Database(f"sqlite:///{jobs_server.data_dir / 'gaze.db'}")
    try:
        old = webhook_secret(database)
        new = regenerate_webhook_secret(database)
        assert new != old and new.startswith("whsec_") and webhook_secret(database) == new
    finally:
        database.dispose()
    with WebhookReceiver() as receiver:
        queue_jobs(
            jobs_server, seed=74, webhook_url=receiver.url, webhook_events=["job.queued"], **FAST
        )
        receiver.wait_for(lambda got: len(got) == 1)
    [request] = receiver.received
    signature = {k.lower(): v for k, v in request.headers.items()}["x-gaze-signature"]
    assert verify_signature(new, signature, request.body)
    assert not verify_signature(old, signature, request.body)

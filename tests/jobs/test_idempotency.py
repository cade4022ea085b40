"""Idempotency-Key on generate: a repeat replays the first 202 body; another body is a 409."""

from __future__ import annotations

import uuid

from devkit.server import GazeServer
from tests.support.job_calls import FAST


def generate(server: GazeServer, key: str, **body: object):  # type: ignore[no-untyped-def]
    return server.post("/api/v1/generate/example_01", json=body, headers={"Idempotency-Key": key})


def batch_size(server: GazeServer, batch_id: str) -> int:
    return len(server.get("/api/v1/jobs", params={"batch_id": batch_id}).json()["jobs"])


def test_a_repeated_request_replays_the_first_answer(jobs_server: GazeServer) -> None:
    key = str(uuid.uuid4())
    first = generate(jobs_server, key, count=2, seed=80, **FAST)
    assert first.status_code == 202
    assert "Idempotent-Replayed" not in first.headers
    again = generate(jobs_server, key, count=2, seed=80, **FAST)
    assert again.status_code == 202
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.content == first.content
    assert batch_size(jobs_server, first.json()["batch_id"]) == 2, "nothing queued twice"


def test_the_same_request_in_another_spelling_is_the_same_request(
    jobs_server: GazeServer,
) -> None:
    key = str(uuid.uuid4())
    first = jobs_server.post(
        "/api/v1/generate/example_01",
        content=b'{"seed": 81, "width": 64, "height": 64}',
        headers={"Idempotency-Key": key, "Content-Type": "application/json"},
    )
    again = jobs_server.post(
        "/api/v1/generate/example_01",
        content=b'{"height":64,"width":64,"seed":81,"count":1}',
        headers={"Idempotency-Key": key, "Content-Type": "application/json"},
    )
    assert again.status_code == 202 and again.json() == first.json()


def test_the_same_key_with_another_body_is_409(jobs_server: GazeServer) -> None:
    key = str(uuid.uuid4())
    assert generate(jobs_server, key, seed=82, **FAST).status_code == 202
    conflict = generate(jobs_server, key, seed=83, **FAST)
    assert conflict.status_code == 409
    assert conflict.json()["code"] == "idempotency_key_reused"
    other_preset = jobs_server.post(
        "/api/v1/generate/example_02",
        json={"seed": 82, **FAST},
        headers={"Idempotency-Key": key},
    )
    assert other_preset.status_code == 409


def test_a_refused_request_does_not_use_up_its_key(jobs_server: GazeServer) -> None:
    key = str(uuid.uuid4())
    refused = generate(jobs_server, key, checkpoint="missing/model.safetensors")
    assert refused.status_code == 400
    accepted = generate(jobs_server, key, seed=84, **FAST)
    assert accepted.status_code == 202
    assert "Idempotent-Replayed" not in accepted.headers


def test_different_keys_queue_separately(jobs_server: GazeServer) -> None:
    first = generate(jobs_server, str(uuid.uuid4()), seed=85, **FAST)
    second = generate(jobs_server, str(uuid.uuid4()), seed=85, **FAST)
    assert first.json()["batch_id"] != second.json()["batch_id"]


def test_malformed_keys_are_400(jobs_server: GazeServer) -> None:
    for key in ("x" * 256, "tab\there", ""):
        response = generate(jobs_server, key, seed=86, **FAST)
        assert response.status_code == 400, key
        assert response.json()["code"] in ("invalid_idempotency_key", "invalid_request")

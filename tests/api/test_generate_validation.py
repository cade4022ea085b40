"""POST /api/v1/generate/<slug>: every validation rule answers 400 with a named problem."""

from __future__ import annotations

import json

import httpx
import pytest

from devkit.server import GazeServer

MAX_SEED = 2**64 - 1

BAD_BODIES = [
    ("[]", "invalid_body"),
    ('"text"', "invalid_body"),
    ("42", "invalid_body"),
    ("{not json", "invalid_json"),
    ('{"colour": "red"}', "unknown_field"),
    ('{"count": 0}', "invalid_count"),
    ('{"count": 21}', "invalid_count"),
    ('{"count": -1}', "invalid_count"),
    ('{"count": "3"}', "invalid_count"),
    ('{"count": true}', "invalid_count"),
    ('{"count": 2.0}', "invalid_count"),
    ('{"count": 1.5}', "invalid_count"),
    ('{"seed": -1}', "invalid_seed"),
    (f'{{"seed": {MAX_SEED + 1}}}', "invalid_seed"),
    ('{"seed": "12"}', "invalid_seed"),
    ('{"seed": false}', "invalid_seed"),
    ('{"seed": 1.5}', "invalid_seed"),
    (f'{{"seed": {MAX_SEED}, "count": 2}}', "invalid_seed"),
    ('{"width": 512}', "invalid_size"),
    ('{"height": 512}', "invalid_size"),
    ('{"width": 500, "height": 512}', "invalid_size"),
    ('{"width": 56, "height": 512}', "invalid_size"),
    ('{"width": 4104, "height": 512}', "invalid_size"),
    ('{"width": "512", "height": 512}', "invalid_size"),
    ('{"width": true, "height": 512}', "invalid_size"),
    ('{"extra_positive": 5}', "invalid_extra_prompt"),
    ('{"extra_negative": ["a"]}', "invalid_extra_prompt"),
    (json.dumps({"extra_positive": "x" * 4001}), "invalid_extra_prompt"),
    (json.dumps({"extra_negative": "x" * 4001}), "invalid_extra_prompt"),
    ('{"checkpoint": "/etc/passwd"}', "invalid_checkpoint"),
    ('{"checkpoint": "C:\\\\models\\\\a.safetensors"}', "invalid_checkpoint"),
    ('{"checkpoint": "../gaze.db"}', "invalid_checkpoint"),
    ('{"checkpoint": "sub/../../x.safetensors"}', "invalid_checkpoint"),
    ('{"checkpoint": 7}', "invalid_checkpoint"),
    ('{"checkpoint": "missing/model.safetensors"}', "unknown_checkpoint"),
]


@pytest.mark.parametrize(("body", "code"), BAD_BODIES)
def test_bad_bodies_are_400_naming_the_problem(server: GazeServer, body: str, code: str) -> None:
    response = httpx.post(
        f"{server.url}/api/v1/generate/example_01",
        headers={**server.headers, "Content-Type": "application/json"},
        content=body,
        timeout=30,
    )
    assert response.status_code == 400, response.text
    error = response.json()
    assert set(error) == {"error", "code"}
    assert error["code"] == code
    assert error["error"]


def test_error_messages_name_the_field(server: GazeServer) -> None:
    response = server.post("/api/v1/generate/example_01", json={"count": 99})
    assert "count" in response.json()["error"] and "99" in response.json()["error"]
    response = server.post("/api/v1/generate/example_01", json={"width": 512})
    assert "width and height" in response.json()["error"]
    response = server.post("/api/v1/generate/example_01", json={"shape": "round"})
    assert "shape" in response.json()["error"]


def test_unknown_slug_is_404(server: GazeServer) -> None:
    response = server.post("/api/v1/generate/no_such_preset", json={})
    assert response.status_code == 404
    assert response.json()["code"] == "preset_not_found"
    assert "no_such_preset" in response.json()["error"]


def test_bad_requests_queue_nothing(server: GazeServer) -> None:
    before = server.post("/api/v1/generate/example_01", json={"count": 0})
    assert before.status_code == 400
    assert "jobs" not in before.json()

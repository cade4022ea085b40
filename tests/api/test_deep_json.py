"""JSON nested 100,000 deep is a 400 `invalid_json` on every body and cursor, whatever the
Content-Type says."""

from __future__ import annotations

import base64

import httpx
import pytest

from devkit.server import GazeServer
from gaze.outside_json import InvalidJson, load_json

DEEP = "[" * 100_000 + "]" * 100_000
CONTENT_TYPES = [
    "application/json",
    "APPLICATION/JSON",
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    None,
]
CHECKPOINT = "/api/v1/checkpoints/gaze-demo-sd15-tiny.safetensors"
WRITES = [
    ("POST", "/api/v1/generate/example_01"),
    ("POST", "/api/v1/presets/example_01/resolve"),
    ("POST", "/api/v1/presets"),
    ("PUT", "/api/v1/presets/example_01"),
    ("PATCH", "/api/v1/presets/example_01"),
    ("POST", "/api/v1/characters"),
    ("PUT", "/api/v1/characters/anything"),
    ("PATCH", "/api/v1/characters/anything"),
    ("PUT", CHECKPOINT),
    ("PATCH", CHECKPOINT),
]


@pytest.mark.parametrize("content_type", CONTENT_TYPES)
@pytest.mark.parametrize(("method", "path"), WRITES)
def test_deep_json_is_a_400_on_every_api_write(
    edge_server: GazeServer, method: str, path: str, content_type: str | None
) -> None:
    headers = {**edge_server.headers}
    if content_type:
        headers["Content-Type"] = content_type
    answer = httpx.request(
        method, f"{edge_server.url}{path}", content=DEEP, headers=headers, timeout=60
    )
    assert answer.status_code == 400
    assert answer.json()["code"] == "invalid_json"


@pytest.mark.parametrize("path", ["/api/v1/characters", "/api/v1/presets", "/api/v1/jobs"])
def test_a_deep_cursor_is_a_400(edge_server: GazeServer, path: str) -> None:
    cursor = base64.urlsafe_b64encode(b"[" * 20_000).decode()
    answer = edge_server.get(f"{path}?cursor={cursor}")
    assert answer.status_code == 400


def test_deep_json_sent_to_the_ui_by_script_is_refused(edge_server: GazeServer) -> None:
    with httpx.Client(base_url=edge_server.url, timeout=60) as client:
        client.get("/presets/example_01")
        headers = {"X-CSRF-Token": client.cookies["gaze_csrf"], "Content-Type": "application/json"}
        generate = client.post("/ui/presets/example_01/generate", content=DEEP, headers=headers)
        assert generate.status_code == 400
        flags = client.post("/presets/example_01/flags", content=DEEP, headers=headers)
        assert flags.status_code < 500


@pytest.mark.parametrize("text", [DEEP, b"\xff\xfe{", "{", '{"a": NaN', "[1,]"])
def test_every_json_parse_fails_the_same_way(text: str | bytes) -> None:
    with pytest.raises(InvalidJson):
        load_json(text)

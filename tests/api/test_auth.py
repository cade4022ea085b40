"""Every /api/v1 route: 401 without a key, 403 with a wrong one, JSON errors."""

from __future__ import annotations

import httpx
import pytest

from devkit.server import GazeServer, run_gaze

ROUTES = [
    ("GET", "/api/v1/presets"),
    ("POST", "/api/v1/generate/example_01"),
    ("GET", "/api/v1/job/783f0268-ba85-4426-8ca2-6393c844c887"),
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_missing_key_is_401(server: GazeServer, method: str, path: str) -> None:
    response = httpx.request(method, f"{server.url}{path}", timeout=30)
    assert response.status_code == 401
    assert response.json() == {
        "error": "Missing API key: send the X-API-Key header.",
        "code": "missing_api_key",
    }


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_wrong_key_is_403(server: GazeServer, method: str, path: str) -> None:
    response = httpx.request(
        method, f"{server.url}{path}", headers={"X-API-Key": "gz_wrong"}, timeout=30
    )
    assert response.status_code == 403
    assert response.json()["code"] == "invalid_api_key"


def test_query_parameter_key_is_accepted(server: GazeServer) -> None:
    response = httpx.get(f"{server.url}/api/v1/presets", params={"api_key": server.api_key})
    assert response.status_code == 200
    wrong = httpx.get(f"{server.url}/api/v1/presets", params={"api_key": "nope"})
    assert wrong.status_code == 403


def test_regenerated_key_replaces_the_old_one_at_once(server: GazeServer) -> None:
    old = server.api_key
    assert server.get("/api/v1/presets").status_code == 200
    new = server.regenerate_key()
    assert new != old
    assert httpx.get(f"{server.url}/api/v1/presets", headers={"X-API-Key": old}).status_code == 403
    assert server.get("/api/v1/presets").status_code == 200


def test_apikey_regenerate_prints_only_the_key(fresh_data):  # type: ignore[no-untyped-def]
    result = run_gaze(fresh_data, "apikey", "regenerate")
    lines = result.stdout.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("gz_") and len(lines[0]) > 30


def test_key_is_stored_only_as_a_hash(fresh_data):  # type: ignore[no-untyped-def]
    key = run_gaze(fresh_data, "apikey", "regenerate").stdout.strip()
    database = (fresh_data / "gaze.db").read_bytes()
    for path in fresh_data.glob("gaze.db*"):
        database += path.read_bytes()
    assert key.encode() not in database

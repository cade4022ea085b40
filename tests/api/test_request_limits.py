"""Hostile requests: huge, slow or deeply nested bodies, and key guessing."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from devkit.server import GazeServer


@pytest.fixture(scope="module")
def strict_server(
    tmp_path_factory: pytest.TempPathFactory, prepared_data: Path
) -> Iterator[GazeServer]:
    import shutil

    data = tmp_path_factory.mktemp("strict") / "data"
    shutil.copytree(prepared_data, data)
    server = GazeServer(
        data, env={"GAZE_AUTH_FAILURE_LIMIT": "5", "GAZE_LOG_LEVEL": "info"}
    ).start()
    server.regenerate_key()
    yield server
    server.stop()


def test_oversized_body_is_413(strict_server: GazeServer) -> None:
    body = b'{"extra_positive": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    response = strict_server.post(
        "/api/v1/generate/example_01",
        content=body,
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"


def test_chunked_oversized_body_is_413(strict_server: GazeServer) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"extra_positive": "'
        for _ in range(40):
            yield b"y" * 65536
        yield b'"}'

    response = strict_server.post("/api/v1/generate/example_01", content=chunks())
    assert response.status_code == 413


def test_deeply_nested_json_is_400_not_500(strict_server: GazeServer) -> None:
    body = "[" * 100_000 + "]" * 100_000
    response = strict_server.post(
        "/api/v1/generate/example_01",
        content=body,
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert "nests JSON deeper" in response.json()["error"]
    nested_but_fine = {"count": 1, "extra_positive": "(a, (b, [c]))"}
    assert (
        strict_server.post("/api/v1/generate/example_01", json=nested_but_fine).status_code == 202
    )


def test_slow_body_is_cut_off_and_the_server_stays_healthy(strict_server: GazeServer) -> None:
    with socket.create_connection(("127.0.0.1", strict_server.port)) as slow:
        slow.sendall(
            b"POST /api/v1/generate/example_01 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nContent-Length: 100\r\n"
            + f"X-API-Key: {strict_server.api_key}\r\n\r\n".encode()
            + b'{"count"'
        )
        started = time.monotonic()
        assert strict_server.get("/api/v1/presets").status_code == 200
        assert time.monotonic() - started < 5
        slow.settimeout(60)
        answer = slow.recv(4096)
    assert b" 408 " in answer.split(b"\r\n", 1)[0]


def test_repeated_wrong_keys_are_rate_limited_but_the_right_key_still_works(
    strict_server: GazeServer,
) -> None:
    statuses = [
        httpx.get(
            f"{strict_server.url}/api/v1/presets", headers={"X-API-Key": f"gz_bad{i}"}
        ).status_code
        for i in range(8)
    ]
    assert statuses[:5] == [403] * 5
    assert statuses[5:] == [429] * 3
    limited = httpx.get(f"{strict_server.url}/api/v1/presets", headers={"X-API-Key": "gz_bad"})
    assert int(limited.headers["Retry-After"]) >= 1
    assert strict_server.get("/api/v1/presets").status_code == 200


def test_api_key_in_the_query_string_never_reaches_the_log(strict_server: GazeServer) -> None:
    httpx.get(f"{strict_server.url}/api/v1/presets", params={"api_key": strict_server.api_key})
    log_file = strict_server.data_dir.parent / f"server-{strict_server.port}.log"
    deadline = time.monotonic() + 10
    while "api_key=[redacted]" not in log_file.read_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    log = log_file.read_text()
    assert "/api/v1/presets?api_key=[redacted]" in log
    assert strict_server.api_key not in log

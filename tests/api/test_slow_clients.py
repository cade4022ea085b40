"""Slow request heads and slow UI bodies are cut off; idle keep-alive connections still close.

The edge server gives heads and bodies 3 s (GAZE_HEADER_TIMEOUT_SECONDS and
GAZE_BODY_TIMEOUT_SECONDS; 10 s and 30 s by default).
"""

from __future__ import annotations

import io
import os
import socket
import time
from collections.abc import Iterator

import httpx
from PIL import Image

from devkit.server import GazeServer
from tests.support.gaze_servers import EDGE_TIMEOUT
from tests.support.raw_http import status_of


def _trickle(
    server: GazeServer, head: bytes, pieces: list[bytes], gap: float
) -> tuple[bytes, float]:
    """Send `head`, then one piece every `gap` s; what the server answered, and when it closed."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as connection:
        connection.sendall(head)
        try:
            for piece in pieces:
                time.sleep(gap)
                connection.sendall(piece)
        except OSError:
            pass  # closed by the server
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    return answer, time.monotonic() - started


def test_headers_sent_one_line_at_a_time_are_cut_off(edge_server: GazeServer) -> None:
    lines = [f"X-Slow-{number}: a\r\n".encode() for number in range(30)]
    answer, took = _trickle(edge_server, b"GET /settings HTTP/1.1\r\nHost: 127.0.0.1\r\n", lines, 1)
    assert status_of(answer) == 408
    assert b"request_timeout" in answer
    assert took < EDGE_TIMEOUT + 4
    assert edge_server.get("/api/v1/presets").status_code == 200


def test_a_connection_that_never_sends_a_request_is_closed(edge_server: GazeServer) -> None:
    answer, took = _trickle(edge_server, b"", [], 0)
    assert answer == b""
    assert EDGE_TIMEOUT - 0.5 < took < EDGE_TIMEOUT + 4


def test_an_idle_keep_alive_connection_is_still_closed(edge_server: GazeServer) -> None:
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", edge_server.port), timeout=30) as connection:
        connection.sendall(b"GET /assets/gaze.css HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    assert status_of(answer) == 200
    assert time.monotonic() - started < 15  # uvicorn's keep-alive timeout (5 s)


def test_a_ui_form_body_sent_byte_by_byte_is_cut_off(edge_server: GazeServer) -> None:
    head = (
        b"POST /presets/example_01/flags HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 200\r\n\r\n"
    )
    answer, took = _trickle(edge_server, head, [b"a"] * 30, 0.5)
    assert status_of(answer) == 408
    assert b"request_timeout" in answer
    assert took < EDGE_TIMEOUT + 4


def test_a_ui_body_over_the_limit_is_413(edge_server: GazeServer) -> None:
    declared = httpx.post(
        f"{edge_server.url}/presets/example_01/cover",
        content=b"x" * (22 * 1024 * 1024),
        headers={"Content-Type": "multipart/form-data; boundary=x"},
        timeout=60,
    )
    assert declared.status_code == 413
    assert declared.json()["code"] == "payload_too_large"

    def chunks() -> Iterator[bytes]:
        yield (
            b'--x\r\nContent-Disposition: form-data; name="upload"; filename="a.png"\r\n'
            b"Content-Type: image/png\r\n\r\n"
        )
        for _ in range(23):
            yield b"y" * (1024 * 1024)
        yield b"\r\n--x--\r\n"

    streamed = httpx.post(
        f"{edge_server.url}/presets/example_01/cover",
        content=chunks(),
        headers={"Content-Type": "multipart/form-data; boundary=x"},
        timeout=60,
    )
    assert streamed.status_code == 413
    assert streamed.json()["code"] == "payload_too_large"


def test_a_large_cover_upload_still_works(edge_server: GazeServer) -> None:
    noise = Image.frombytes("RGB", (1200, 1000), os.urandom(1200 * 1000 * 3))
    png = io.BytesIO()
    noise.save(png, format="PNG")
    assert png.tell() > 3 * 1024 * 1024  # far past the API's 1 MiB
    with httpx.Client(base_url=edge_server.url, timeout=60) as client:
        client.get("/presets/example_01")
        answer = client.post(
            "/presets/example_01/cover",
            data={"csrf_token": client.cookies["gaze_csrf"]},
            files={"upload": ("noise.png", png.getvalue(), "image/png")},
            headers={"Accept": "application/json"},
        )
    assert answer.status_code == 200, answer.text
    assert answer.json()["cover"].startswith("covers/presets/example_01_")

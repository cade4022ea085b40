"""Polls of a finished job are answered from memory before the middleware (gaze.api.fast_poll):
the answers are the route's, byte for byte and header for header, and every rule of the guide
and of the edge holds on them (401, 403, host check, revocation, ownership)."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from devkit.server import GazeServer
from gaze.db.connection import Database
from gaze.security.named_keys import revoke_named_key
from tests.support.gaze_servers import SHARED_SERVER_ENV, GazeServers
from tests.support.named_keys import database_url_of, make_key

POLLS = 5
"""Polls of one finished job: the first reads the database, the others come from memory."""


@pytest.fixture(scope="module")
def poll_server(gaze_servers: GazeServers) -> Iterator[GazeServer]:
    with gaze_servers.running(name="fast_poll", env=SHARED_SERVER_ENV) as running:
        yield running


@pytest.fixture(scope="module")
def finished_job(poll_server: GazeServer) -> str:
    job = poll_server.generate_and_wait(seed=9, width=64, height=64)
    assert job["status"] == "done"
    return str(job["id"])


def _answers(server: GazeServer, path: str, **options: object) -> list[httpx.Response]:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        return [client.request("GET", path, **options) for _ in range(POLLS)]  # type: ignore[arg-type]


def _same(answers: list[httpx.Response]) -> httpx.Response:
    """All answers alike (status, body, headers but the date); the first of them."""
    first = answers[0]
    for answer in answers[1:]:
        assert answer.status_code == first.status_code
        assert answer.content == first.content
        assert [(k, v) for k, v in answer.headers.items() if k != "date"] == [
            (k, v) for k, v in first.headers.items() if k != "date"
        ]
    return first


def test_a_finished_job_answers_alike_from_the_database_and_from_memory(
    poll_server: GazeServer, finished_job: str
) -> None:
    first = _same(_answers(poll_server, f"/api/v1/job/{finished_job}", headers=poll_server.headers))
    assert first.status_code == 200
    assert list(first.headers) == ["date", "server", "content-length", "content-type"]
    assert first.headers["content-type"] == "application/json"
    body = first.json()
    assert list(body)[:5] == ["id", "label", "status", "error", "result"]
    assert body["id"] == finished_job and body["status"] == "done"
    by_query = _answers(
        poll_server, f"/api/v1/job/{finished_job}", params={"api_key": poll_server.api_key}
    )
    assert _same(by_query).content == first.content


def test_no_key_is_401_and_a_wrong_key_403_on_a_finished_job(
    poll_server: GazeServer, finished_job: str
) -> None:
    path = f"/api/v1/job/{finished_job}"
    _answers(poll_server, path, headers=poll_server.headers)  # in memory now
    missing = _same(_answers(poll_server, path))
    assert missing.status_code == 401 and missing.json()["code"] == "missing_api_key"
    empty = _same(_answers(poll_server, path, headers={"X-API-Key": ""}))
    assert empty.status_code == 401
    wrong = _same(_answers(poll_server, path, headers={"X-API-Key": "gz_not-a-key-at-all-000"}))
    assert wrong.status_code == 403 and wrong.json()["code"] == "invalid_api_key"


def test_a_host_gaze_does_not_answer_to_is_refused_on_a_finished_job(
    poll_server: GazeServer, finished_job: str
) -> None:
    path = f"/api/v1/job/{finished_job}"
    headers = {**poll_server.headers, "Host": "rebound.example"}
    refused = _same(_answers(poll_server, path, headers=headers))
    assert refused.status_code == 400 and refused.json()["code"] == "host_not_allowed"
    twice = _raw_get(poll_server, path, [f"Host: 127.0.0.1:{poll_server.port}"] * 2)
    assert twice.startswith(b"HTTP/1.1 400 ") and b"host_not_allowed" in twice
    once = _raw_get(poll_server, path, [f"Host: 127.0.0.1:{poll_server.port}"])
    assert once.startswith(b"HTTP/1.1 200 ") and finished_job.encode() in once


def _raw_get(server: GazeServer, path: str, extra_lines: list[str]) -> bytes:
    head = [f"GET {path} HTTP/1.1", f"X-API-Key: {server.api_key}", *extra_lines]
    head.append("Connection: close")
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as connection:
        connection.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
        chunks = []
        while chunk := connection.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_a_poll_with_a_body_still_passes_the_request_limits(
    poll_server: GazeServer, finished_job: str
) -> None:
    path = f"/api/v1/job/{finished_job}"
    small = _same(_answers(poll_server, path, headers=poll_server.headers, content=b"{}"))
    assert small.status_code == 200 and small.json()["id"] == finished_job
    deep = b"[" * 40 + b"]" * 40
    refused = _same(_answers(poll_server, path, headers=poll_server.headers, content=deep))
    assert refused.status_code == 400 and refused.json()["code"] == "invalid_json"


def test_a_revoked_key_is_refused_on_a_finished_job(
    poll_server: GazeServer, finished_job: str
) -> None:
    key_id, secret = make_key(poll_server, "revoked poller", ["admin"])
    path = f"/api/v1/job/{finished_job}"
    allowed = _same(_answers(poll_server, path, headers={"X-API-Key": secret}))
    assert allowed.status_code == 200
    database = Database(database_url_of(poll_server))
    try:
        assert revoke_named_key(database, key_id)
    finally:
        database.dispose()
    deadline = time.monotonic() + 30  # the registry reloads within 0.5 s
    status = 200
    with httpx.Client(base_url=poll_server.url, timeout=30) as client:
        while status == 200 and time.monotonic() < deadline:
            status = client.get(path, headers={"X-API-Key": secret}).status_code
    assert status == 403
    refused = _same(_answers(poll_server, path, headers={"X-API-Key": secret}))
    assert refused.json()["code"] == "invalid_api_key"


def test_ownership_holds_on_a_finished_job_from_memory(
    poll_server: GazeServer, finished_job: str
) -> None:
    _, stranger = make_key(poll_server, "stranger", ["generate"])
    _, reader = make_key(poll_server, "reader", ["read"])
    path = f"/api/v1/job/{finished_job}"
    for secret in (stranger, reader):
        hidden = _same(_answers(poll_server, path, headers={"X-API-Key": secret}))
        assert hidden.status_code == 404
        assert hidden.json() == {
            "error": f"No job with id {finished_job!r}.",
            "code": "job_not_found",
        }
    _, admin = make_key(poll_server, "named admin", ["admin"])
    seen = _same(_answers(poll_server, path, headers={"X-API-Key": admin}))
    assert seen.status_code == 200 and seen.json()["id"] == finished_job


def test_other_paths_under_the_job_are_routed_as_before(
    poll_server: GazeServer, finished_job: str
) -> None:
    headers = poll_server.headers
    webhooks = _same(_answers(poll_server, f"/api/v1/job/{finished_job}/webhooks", headers=headers))
    assert webhooks.json() == {"deliveries": []}
    head = httpx.head(f"{poll_server.url}/api/v1/job/{finished_job}", headers=headers)
    assert head.status_code == 405
    missing = _same(_answers(poll_server, "/api/v1/job/", headers=headers))
    assert missing.status_code == 404

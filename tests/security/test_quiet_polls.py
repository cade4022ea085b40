"""Answered job polls stay out of the access log unless GAZE_LOG_POLLS asks for them; every
other request, and a failed poll, is logged as before. A real `gaze serve` at info level."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from devkit.server import GazeServer
from tests.support.gaze_servers import SHARED_SERVER_ENV, GazeServers

MISSING_JOB = "/api/v1/job/00000000-0000-4000-8000-000000000000"


@pytest.fixture(scope="module", params=["false", "true"])
def info_server(gaze_servers: GazeServers, request: pytest.FixtureRequest) -> Iterator[GazeServer]:
    env = {**SHARED_SERVER_ENV, "GAZE_LOG_LEVEL": "info", "GAZE_LOG_POLLS": request.param}
    with gaze_servers.running("--no-worker", name=f"polls-{request.param}", env=env) as running:
        yield running


def _log_of(server: GazeServer) -> Path:
    return Path(server.data_dir).parent / f"server-{server.port}.log"


def test_answered_polls_are_left_out_of_the_access_log(info_server: GazeServer) -> None:
    job = info_server.post("/api/v1/generate/example_01", json={"count": 1}).json()
    job_path = f"/api/v1/job/{job['jobs'][0]['job_id']}"
    for _ in range(3):
        assert info_server.get(job_path).status_code == 200
    assert info_server.get(MISSING_JOB).status_code == 404
    assert info_server.get("/api/v1/presets").status_code == 200
    logging_polls = info_server.env["GAZE_LOG_POLLS"] == "true"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        log = _log_of(info_server).read_text(errors="replace")
        if f'"GET {MISSING_JOB} HTTP/1.1" 404' in log and '"GET /api/v1/presets' in log:
            break
        time.sleep(0.1)
    assert f'"GET {MISSING_JOB} HTTP/1.1" 404' in log, "a failed poll is logged"
    assert '"GET /api/v1/presets HTTP/1.1" 200' in log
    assert '"POST /api/v1/generate/example_01 HTTP/1.1" 202' in log
    answered = log.count(f'"GET {job_path} HTTP/1.1" 200')
    assert answered == (3 if logging_polls else 0)


def test_a_poll_with_its_key_in_the_query_is_quiet_too(info_server: GazeServer) -> None:
    with httpx.Client(base_url=info_server.url, timeout=30) as client:
        job = client.post(
            "/api/v1/generate/example_01", json={}, headers=info_server.headers
        ).json()
        job_id = job["jobs"][0]["job_id"]
        answer = client.get(f"/api/v1/job/{job_id}", params={"api_key": info_server.api_key})
        assert answer.status_code == 200
        marker = client.get("/api/v1/backends", headers=info_server.headers)
        assert marker.status_code == 200
    deadline = time.monotonic() + 10
    while '"GET /api/v1/backends' not in (log := _log_of(info_server).read_text()):
        assert time.monotonic() < deadline, "the access log shows no request at all"
        time.sleep(0.1)
    quiet = info_server.env["GAZE_LOG_POLLS"] != "true"
    assert (f"/api/v1/job/{job_id}?api_key=" in log) != quiet
    assert info_server.api_key not in log

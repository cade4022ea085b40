"""kill -9 during generation, restart: every job ends, none is lost."""

from __future__ import annotations

import time
from pathlib import Path

from devkit.server import GazeServer

SLOW = {"width": 512, "height": 512}


def test_jobs_survive_kill_9_and_restart(fresh_data: Path) -> None:
    server = GazeServer(fresh_data).start()
    server.regenerate_key()
    try:
        response = server.post("/api/v1/generate/example_01", json={"count": 4, **SLOW})
        job_ids = [job["job_id"] for job in response.json()["jobs"]]
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            statuses = [server.get(f"/api/v1/job/{job_id}").json()["status"] for job_id in job_ids]
            if "processing" in statuses:
                break
            time.sleep(0.05)
        assert "processing" in statuses, statuses
        server.kill()
    finally:
        server.stop()

    restarted = GazeServer(fresh_data).start()
    restarted.api_key = server.api_key
    try:
        final = [restarted.wait_for_job(job_id, timeout=300) for job_id in job_ids]
    finally:
        restarted.stop()
    assert len(final) == 4
    for job in final:
        assert job["status"] == "done", job
        assert job["result"]["image_url"]

"""Round-robin under a burst, measured by who finishes when: a real API process queues key A's
burst, then key B's jobs, then one high-priority job; a worker process with one thread and the
embedded engine runs them all, and the jobs' finished_at times give the order they ran in."""

from __future__ import annotations

import subprocess
from datetime import datetime
from pathlib import Path

import pytest

from devkit.server import GAZE, GazeServer, gaze_env
from tests.support.gaze_servers import ServerFactory
from tests.support.job_calls import FAST, job_ids
from tests.support.named_keys import make_key


def stop(worker: subprocess.Popen[bytes]) -> None:
    """SIGTERM; a worker slowed by a busy machine that has not ended a minute later is killed."""
    worker.terminate()
    try:
        worker.wait(timeout=60)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait(timeout=30)


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def queue(server: GazeServer, secret: str | None, count: int, **body: object) -> list[str]:
    headers = {"X-API-Key": secret} if secret else None
    response = server.post(
        "/api/v1/generate/example_01", headers=headers, json={"count": count, **FAST, **body}
    )
    assert response.status_code == 202, response.text
    return job_ids(response.json())


@pytest.mark.timeout(1500)
def test_a_burst_from_one_key_does_not_starve_another(
    server_factory: ServerFactory, tmp_path: Path
) -> None:
    api = server_factory("--no-worker")
    _, key_a = make_key(api, "burst", ["generate"])
    _, key_b = make_key(api, "later", ["generate"])
    burst = queue(api, key_a, 6)
    later = queue(api, key_b, 2)
    urgent = queue(api, None, 1, priority="high")
    positions = {
        job_id: api.get(f"/api/v1/job/{job_id}").json()["queue_position"]
        for job_id in burst + later + urgent
    }
    log = (tmp_path / "worker.log").open("wb")
    worker = subprocess.Popen(
        [GAZE, "worker"],
        env=gaze_env(api.data_dir, GAZE_WORKERS="1"),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        # the first job loads the model: generous waits, for a machine busy with other work
        finished = [api.wait_for_job(job_id, timeout=1200) for job_id in urgent + burst + later]
    finally:
        stop(worker)
    assert all(job["status"] == "done" for job in finished), finished
    run_order = [job["id"] for job in sorted(finished, key=lambda job: moment(job["finished_at"]))]
    assert run_order[0] == urgent[0], "high priority runs first"
    assert run_order.index(later[-1]) < run_order.index(burst[-3]), "B ends before A's last three"
    assert run_order == [
        urgent[0],
        burst[0],
        later[0],
        burst[1],
        later[1],
        *burst[2:],
    ], "the keys alternate while both have jobs waiting"
    assert sorted(positions, key=positions.__getitem__) == run_order, "positions told the order"

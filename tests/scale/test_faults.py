"""Faults in scale-out mode: a worker killed mid-job, Redis and PostgreSQL restarting."""

from __future__ import annotations

import glob
import os
import signal
import subprocess
import time

import httpx

from devkit.cluster import Cluster
from devkit.services import ensure_postgres, ensure_redis

FAST_SWEEP = {"GAZE_JOB_STALE_SECONDS": "4", "GAZE_SWEEP_SECONDS": "1"}


def _submit(cluster: Cluster, count: int, **body: object) -> list[str]:
    response = cluster.apis[0].post(
        "/api/v1/generate/example_01", json={"count": count, "width": 64, "height": 64, **body}
    )
    assert response.status_code == 202, response.text
    return [job["job_id"] for job in response.json()["jobs"]]


def _wait_all(cluster: Cluster, job_ids: list[str], timeout: float = 240) -> list[dict]:  # type: ignore[type-arg]
    return [cluster.apis[0].wait_for_job(job_id, timeout=timeout) for job_id in job_ids]


def _running_prompts(url: str) -> list[str]:
    return list(httpx.get(f"{url}/_standin/state", timeout=10).json()["running"])


def test_worker_killed_mid_job_is_retried_on_another_worker(cluster: Cluster) -> None:
    cluster.env.update(FAST_SWEEP)
    for standin in cluster.standins:
        standin.set_behaviour(step_delay=0.3)
    cluster.start_api()
    pair = cluster.standins[:2]
    workers = [cluster.start_worker(standin.url) for standin in pair]
    [job_id] = _submit(cluster, 1)
    deadline = time.monotonic() + 60
    busy_index = None
    while busy_index is None and time.monotonic() < deadline:
        busy = [index for index, standin in enumerate(pair) if _running_prompts(standin.url)]
        busy_index = busy[0] if busy else None
        time.sleep(0.05)
    assert busy_index is not None, "the job never started on a backend"
    os.kill(workers[busy_index].pid, signal.SIGKILL)
    job = _wait_all(cluster, [job_id])[0]
    assert job["status"] == "done", job
    assert len(pair[1 - busy_index].stats().executed_prompts) == 1
    assert job["backend"] == pair[1 - busy_index].url


def test_redis_restart_during_a_burst_loses_no_job(cluster: Cluster) -> None:
    cluster.env.update(FAST_SWEEP)
    api = cluster.start_api()
    for standin in cluster.standins:
        cluster.start_worker(standin.url)
    job_ids = _submit(cluster, 20)
    subprocess.run(["redis-cli", "shutdown", "nosave"], check=False, capture_output=True)
    try:
        down = api.post("/api/v1/generate/example_01", json={"width": 64, "height": 64})
        assert down.status_code == 503, down.text
        assert down.json()["code"] == "store_unavailable"
        assert api.get("/api/v1/presets").status_code == 200
    finally:
        ensure_redis()
    job_ids += _submit(cluster, 10)
    finished = _wait_all(cluster, job_ids)
    assert [job["status"] for job in finished] == ["done"] * len(job_ids)


def test_postgres_restart_during_a_burst_loses_no_job(cluster: Cluster) -> None:
    cluster.env.update(FAST_SWEEP)
    api = cluster.start_api()
    for standin in cluster.standins:
        cluster.start_worker(standin.url)
    job_ids = _submit(cluster, 20)
    version = sorted(os.path.basename(p) for p in glob.glob("/etc/postgresql/*"))[-1]
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "stop", "-m", "fast"],
        check=True,
    )
    try:
        down = httpx.get(f"{api.url}/api/v1/presets", headers=api.headers, timeout=30)
        assert down.status_code == 503, down.text
        assert down.json()["code"] == "store_unavailable"
    finally:
        ensure_postgres()
    deadline = time.monotonic() + 30
    while api.get("/api/v1/presets").status_code != 200:
        assert time.monotonic() < deadline, "the API did not recover after PostgreSQL came back"
        time.sleep(0.2)
    job_ids += _submit(cluster, 10)
    finished = _wait_all(cluster, job_ids)
    assert [job["status"] for job in finished] == ["done"] * len(job_ids), [
        (job["status"], job["error"]) for job in finished if job["status"] != "done"
    ]

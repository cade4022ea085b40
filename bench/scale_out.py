"""Scale-out throughput on PostgreSQL + Redis with 1, 2 and 3 workers, each bound to its own
ComfyUI stand-in (target: at least 0.9 x linear); and job polling on PostgreSQL vs SQLite.

    .venv/bin/python bench/scale_out.py [--jobs 60] [--step-delay 0.02]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.comfyui_standin import ComfyUIStandIn
from tests.scale.conftest import Cluster
from tests.support.server import GazeServer, run_gaze
from tests.support.services import scratch_postgres_database, scratch_redis_url

from gaze.examples import DEMO_CHECKPOINT


def burst(cluster: Cluster, jobs: int) -> float:
    api = cluster.apis[0]
    started = time.perf_counter()
    job_ids: list[str] = []
    for index in range(0, jobs, 20):
        response = api.post(
            "/api/v1/generate/example_01",
            json={"count": min(20, jobs - index), "width": 64, "height": 64},
        )
        job_ids += [job["job_id"] for job in response.json()["jobs"]]
    for job_id in job_ids:
        assert api.wait_for_job(job_id, timeout=600)["status"] == "done"
    return time.perf_counter() - started


def throughput(workers: int, jobs: int, step_delay: float) -> float:
    with (
        tempfile.TemporaryDirectory() as tmp,
        scratch_postgres_database() as database_url,
        scratch_redis_url() as queue_url,
    ):
        root = Path(tmp)
        standins = [
            ComfyUIStandIn(models={"checkpoints": [DEMO_CHECKPOINT]}, step_delay=step_delay).start()
            for _ in range(workers)
        ]
        env = {
            "GAZE_DATABASE_URL": database_url,
            "GAZE_QUEUE_URL": queue_url,
            "GAZE_MEDIA_DIR": str(root / "media"),
            "GAZE_BACKENDS": ",".join(standin.url for standin in standins),
        }
        run_gaze(root / "init", "init", **env)
        key = run_gaze(root / "init", "apikey", "regenerate", **env).stdout.strip()
        cluster = Cluster(root, env, standins, api_key=key)
        try:
            cluster.start_api()
            for standin in standins:
                cluster.start_worker(standin.url)
            burst(cluster, 3 * workers)  # warm up every worker
            seconds = burst(cluster, jobs)
        finally:
            cluster.stop()
            for standin in standins:
                standin.stop()
    return jobs / seconds


def polling_rps(env: dict[str, str], data: Path) -> float:
    server = GazeServer(data, env=env).start()
    server.regenerate_key()
    try:
        job = server.post("/api/v1/generate/example_01", json={"width": 64, "height": 64}).json()
        job_id = job["jobs"][0]["job_id"]
        server.wait_for_job(job_id)
        output = subprocess.run(
            [
                "wrk",
                "-t2",
                "-c32",
                "-d8s",
                "-H",
                f"X-API-Key: {server.api_key}",
                f"{server.url}/api/v1/job/{job_id}",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        server.stop()
    return float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=60)
    parser.add_argument("--step-delay", type=float, default=0.02)
    args = parser.parse_args()
    rates = {workers: throughput(workers, args.jobs, args.step_delay) for workers in (1, 2, 3)}
    for workers, rate in rates.items():
        linear = rates[1] * workers
        print(
            f"{workers} worker(s): {rate:6.2f} jobs/s   "
            f"{rate / linear:.2f} x linear (target >= 0.90)"
        )

    with tempfile.TemporaryDirectory() as tmp, scratch_postgres_database() as database_url:
        sqlite_data, pg_data = Path(tmp) / "sqlite", Path(tmp) / "pg"
        run_gaze(sqlite_data, "init")
        run_gaze(pg_data, "init", GAZE_DATABASE_URL=database_url)
        on_sqlite = polling_rps({}, sqlite_data)
        on_postgres = polling_rps({"GAZE_DATABASE_URL": database_url}, pg_data)
    print(
        f"polling GET /api/v1/job/<id>: SQLite {on_sqlite:.0f} req/s, "
        f"PostgreSQL {on_postgres:.0f} req/s ({on_postgres / on_sqlite:.2f} x)"
    )


if __name__ == "__main__":
    main()

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
from devkit.cluster import Cluster, open_cluster
from devkit.server import init_data, running_server
from devkit.services import scratch_postgres_database
from devkit.standin_process import StandInProcess, standin_processes
from gaze.examples import DEMO_CHECKPOINT


def burst(cluster: Cluster[StandInProcess], jobs: int) -> float:
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
    models = {"checkpoints": [DEMO_CHECKPOINT]}
    with (
        tempfile.TemporaryDirectory() as tmp,
        standin_processes(workers, step_delay, models) as standins,
        open_cluster(Path(tmp), standins) as cluster,
    ):
        cluster.start_api()
        for standin in cluster.standins:
            cluster.start_worker(standin.url)
        burst(cluster, 3 * workers)  # warm up every worker
        seconds = burst(cluster, jobs)
    return jobs / seconds


def polling_rps(env: dict[str, str], data: Path) -> float:
    with running_server(data, env=env) as server:
        job_id = server.generate_and_wait(width=64, height=64)["id"]
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
        sqlite_data = init_data(Path(tmp) / "sqlite")
        pg_data = init_data(Path(tmp) / "pg", GAZE_DATABASE_URL=database_url)
        on_sqlite = polling_rps({}, sqlite_data)
        on_postgres = polling_rps({"GAZE_DATABASE_URL": database_url}, pg_data)
    print(
        f"polling GET /api/v1/job/<id>: SQLite {on_sqlite:.0f} req/s, "
        f"PostgreSQL {on_postgres:.0f} req/s ({on_postgres / on_sqlite:.2f} x)"
    )


if __name__ == "__main__":
    main()

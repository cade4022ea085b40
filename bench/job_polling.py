"""Job polling: GET /api/v1/job/<id> at 32 connections vs a bare FastAPI endpoint.

Both servers run as uvicorn subprocesses (one process each, same options) and are loaded with
wrk (Debian package `wrk`) in the same run. Prints requests/s, p99 latency and the ratio
(target: GAZE at least 0.8 of the bare endpoint). GAZE's endpoint is an `async def` (a
finished job's answer is cached, the key read on the event loop's own SQLite connection),
so the ratio to a bare `async def` endpoint is printed too.

`--postgres` compares GAZE on PostgreSQL + Redis (scale-out) with GAZE on SQLite instead, for a
finished job and for a pending one (served by `gaze serve --no-worker`, so it stays pending),
and prints the ratios (target: PostgreSQL at least 0.8 of SQLite).

    .venv/bin/python bench/job_polling.py [--seconds 10] [--connections 32]
    .venv/bin/python bench/job_polling.py --postgres [--seconds 10] [--connections 32]
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from devkit.server import free_port, init_data, running_server
from devkit.services import scratch_postgres_database, scratch_redis_url

BARE_APP = textwrap.dedent(
    """
    import json, sys
    from fastapi import FastAPI
    from fastapi.responses import JSONResponse
    BODY = json.loads(sys.argv[1])
    app = FastAPI()

    @app.get("/api/v1/job/{job_id}")
    def job(job_id: str) -> JSONResponse:
        return JSONResponse(BODY)

    @app.get("/async/api/v1/job/{job_id}")
    async def async_job(job_id: str) -> JSONResponse:
        return JSONResponse(BODY)

    if __name__ == "__main__":
        import uvicorn
        uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
    """
)


def wrk(url: str, seconds: int, connections: int, headers: dict[str, str]) -> tuple[float, float]:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    for name, value in headers.items():
        command[1:1] = ["-H", f"{name}: {value}"]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    p99_value, p99_unit = re.search(r"99%\s+([\d.]+)(us|ms|s)", output).groups()  # type: ignore[union-attr]
    p99_ms = float(p99_value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99_unit]
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if non_2xx:
        raise SystemExit(f"{non_2xx.group(1)} failed responses from {url}")
    return rps, p99_ms


Figures = dict[str, tuple[float, float]]


def polling_figures(data: Path, env: dict[str, str], seconds: int, connections: int) -> Figures:
    """(req/s, p99 ms) of polling a finished job, then a pending one, on `data` with `env`."""
    with running_server(data, env=env) as server:
        finished = server.generate_and_wait(seed=1)["id"]
        figures = {
            "finished": wrk(
                f"{server.url}/api/v1/job/{finished}", seconds, connections, server.headers
            )
        }
        api_key = server.api_key
    with running_server(data, "--no-worker", env=env, api_key=api_key) as server:
        answer = server.post("/api/v1/generate/example_01", json={"seed": 2}).json()
        pending = answer["jobs"][0]["job_id"]
        figures["pending"] = wrk(
            f"{server.url}/api/v1/job/{pending}", seconds, connections, server.headers
        )
        status = server.get(f"/api/v1/job/{pending}").json()["status"]
        if status != "pending":
            raise SystemExit(f"the pending job became {status}")
    return figures


def compare_databases(seconds: int, connections: int) -> None:
    with (
        tempfile.TemporaryDirectory() as tmp,
        scratch_postgres_database() as database_url,
        scratch_redis_url() as queue_url,
    ):
        scale_out = {"GAZE_DATABASE_URL": database_url, "GAZE_QUEUE_URL": queue_url}
        on_sqlite = polling_figures(init_data(Path(tmp) / "sqlite"), {}, seconds, connections)
        on_postgres = polling_figures(
            init_data(Path(tmp) / "pg", **scale_out), scale_out, seconds, connections
        )
    for job in ("finished", "pending"):
        (sqlite_rps, sqlite_p99), (pg_rps, pg_p99) = on_sqlite[job], on_postgres[job]
        print(
            f"{job:8s} job, SQLite            : {sqlite_rps:8.0f} req/s  p99 {sqlite_p99:6.1f} ms"
        )
        print(f"{job:8s} job, PostgreSQL + Redis: {pg_rps:8.0f} req/s  p99 {pg_p99:6.1f} ms")
        print(
            f"{job:8s} job, ratio PostgreSQL / SQLite: {pg_rps / sqlite_rps:.2f}  (target >= 0.80)"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument(
        "--postgres", action="store_true", help="GAZE on PostgreSQL + Redis vs GAZE on SQLite"
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install -y wrk")
    if args.postgres:
        compare_databases(args.seconds, args.connections)
        return

    with tempfile.TemporaryDirectory() as tmp:
        with running_server(init_data(Path(tmp) / "data")) as server:
            body = server.generate_and_wait(seed=1)
            job_id = body["id"]
            gaze_rps, gaze_p99 = wrk(
                f"{server.url}/api/v1/job/{job_id}", args.seconds, args.connections, server.headers
            )

        port = free_port()
        script = Path(tmp) / "bare.py"
        script.write_text(BARE_APP)
        bare = subprocess.Popen([sys.executable, str(script), json.dumps(body), str(port)])
        try:
            for _ in range(100):
                try:
                    httpx.get(f"http://127.0.0.1:{port}/api/v1/job/x", timeout=1)
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            bare_rps, bare_p99 = wrk(
                f"http://127.0.0.1:{port}/api/v1/job/{job_id}", args.seconds, args.connections, {}
            )
            async_rps, async_p99 = wrk(
                f"http://127.0.0.1:{port}/async/api/v1/job/{job_id}",
                args.seconds,
                args.connections,
                {},
            )
        finally:
            bare.terminate()
            bare.wait()

    print(f"GAZE  GET /api/v1/job/<id>: {gaze_rps:8.0f} req/s  p99 {gaze_p99:6.1f} ms")
    print(f"bare  FastAPI from memory : {bare_rps:8.0f} req/s  p99 {bare_p99:6.1f} ms")
    print(f"bare, async def           : {async_rps:8.0f} req/s  p99 {async_p99:6.1f} ms")
    print(f"ratio (GAZE / bare)       : {gaze_rps / bare_rps:.2f}  (target >= 0.80)")
    print(f"ratio (GAZE / bare async) : {gaze_rps / async_rps:.2f}")


if __name__ == "__main__":
    main()

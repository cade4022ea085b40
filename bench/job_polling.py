"""Job polling: GET /api/v1/job/<id> at 32 connections vs a bare FastAPI endpoint.

Both servers run as uvicorn subprocesses (one process each, same options) and are loaded with
wrk (Debian package `wrk`) in the same run. Prints requests/s, p99 latency and the ratio
(target: GAZE at least 0.8 of the bare endpoint). GAZE's endpoint is an `async def` (a
finished job's answer is cached, the key read on the event loop's own SQLite connection),
so the ratio to a bare `async def` endpoint is printed too.

    .venv/bin/python bench/job_polling.py [--seconds 10] [--connections 32]
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install -y wrk")

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

"""Cancel latency of a running job: from `POST /api/v1/job/<id>/cancel` to the job being
`cancelled` (its backend stopped), for three set-ups:

  embedded   `gaze serve` running the job on its embedded diffusers engine
  comfyui    `gaze serve` with a ComfyUI stand-in as its backend (the prompt is interrupted)
  worker     `gaze serve --no-worker` plus a `gaze worker` process (the cancel travels
             through the database)

Each trial queues a 512 px image, waits until sampling has begun, cancels, and polls the
job every 5 ms until it is cancelled. Target: under 500 ms.

    .venv/bin/python bench/cancel_latency.py [--trials 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from devkit.server import GAZE, GazeServer, copy_data, gaze_env, init_data, running_server
from devkit.standin_process import standin_processes
from gaze.examples import DEMO_CHECKPOINT


def status(server: GazeServer, job_id: str) -> dict[str, object]:
    body: dict[str, object] = httpx.get(
        f"{server.url}/api/v1/job/{job_id}", headers=server.headers, timeout=30
    ).json()
    return body


def one_trial(server: GazeServer, seed: int) -> float:
    answer = server.post("/api/v1/generate/example_01", json={"seed": seed}).json()
    job_id = answer["jobs"][0]["job_id"]
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        body = status(server, job_id)
        if body["status"] == "processing" and float(body["progress"]) > 0:  # type: ignore[arg-type]
            break
        time.sleep(0.01)
    else:
        raise TimeoutError(f"job {job_id} never started sampling")
    started = time.monotonic()
    with httpx.Client(headers=server.headers, timeout=30) as client:
        client.post(f"{server.url}/api/v1/job/{job_id}/cancel")
        while client.get(f"{server.url}/api/v1/job/{job_id}").json()["status"] == "processing":
            time.sleep(0.005)
        final = client.get(f"{server.url}/api/v1/job/{job_id}").json()["status"]
    elapsed = time.monotonic() - started
    if final != "cancelled":
        raise RuntimeError(f"job {job_id} ended {final}, not cancelled")
    return elapsed * 1000


@contextmanager
def comfyui(data: Path) -> Iterator[GazeServer]:
    models = {"checkpoints": [DEMO_CHECKPOINT]}
    with standin_processes(1, step_delay=0.05, models=models) as [standin]:
        with running_server(data, env={"GAZE_BACKENDS": standin.url}) as server:
            yield server
        interrupted = len(standin.state()["interrupted_prompts"])
        print(f"  (the stand-in interrupted {interrupted} prompts)")


@contextmanager
def separate_worker(data: Path) -> Iterator[GazeServer]:
    with running_server(data, "--no-worker") as server:
        worker = subprocess.Popen(
            [GAZE, "worker"],
            env=gaze_env(data),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            yield server
        finally:
            worker.terminate()
            worker.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        prepared = init_data(Path(tmp) / "prepared")
        for name, setup in (
            ("embedded", running_server),
            ("comfyui", comfyui),
            ("worker", separate_worker),
        ):
            data = copy_data(prepared, Path(tmp) / name)
            with setup(data) as server:
                latencies = [one_trial(server, seed) for seed in range(args.trials)]
            print(
                f"{name:9s} cancel latency over {args.trials} running jobs: "
                f"median {statistics.median(latencies):6.1f} ms   max {max(latencies):6.1f} ms"
                "   (target < 500 ms)"
            )


if __name__ == "__main__":
    main()

"""Memory (RSS) and start-up of `gaze serve`: the API-only process and the default one.

1. `gaze serve --no-worker` (a stateless API replica, issue 18) on a fresh data folder and on
   a prepared one (`gaze init`): seconds from launch to the first 200 on /api/v1/presets, RSS
   after start-up and after 200 requests over presets, checkpoints, LoRAs, backends, jobs and
   UI pages, and whether torch was loaded. Targets: under 150 MB
   RSS and under 2 s to the first answer.
2. The default `gaze serve` (a worker in the process) the same way, then idle, during and after
   two jobs of the example preset, for the ratio.

    .venv/bin/python bench/server_memory.py [--requests 200]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from devkit.server import GAZE, GazeServer, free_port, gaze_env, init_data, run_gaze

MIB = 1024 * 1024
TARGET_RSS_MB = 150.0
TARGET_FIRST_ANSWER_S = 2.0
MIXED_PATHS = (
    "/api/v1/presets",
    "/api/v1/checkpoints",
    "/api/v1/loras",
    "/api/v1/backends",
    "/api/v1/jobs",
    "/api/v1/presets/example_01",
    "/",
    "/generator",
)


@dataclass
class StartFigures:
    label: str
    first_200_s: float
    rss_started_mb: float
    rss_after_requests_mb: float
    torch_loaded: bool


def torch_mapped(pid: int) -> bool:
    """Whether the process maps torch's shared libraries (``libtorch*.so``, ``torch/_C``):
    whether torch, which diffusers and transformers both import, was loaded."""
    maps = Path(f"/proc/{pid}/maps").read_text()
    return "libtorch" in maps or "/torch/_C" in maps


@contextmanager
def launched(data_dir: Path, *args: str) -> Iterator[tuple[subprocess.Popen[bytes], str, float]]:
    """`gaze serve` launched on a fresh port: the process, its URL and its launch time."""
    port = free_port()
    log = open(data_dir.parent / f"server-{port}.log", "ab")  # noqa: SIM115
    launched_at = time.perf_counter()
    process = subprocess.Popen(
        [GAZE, "serve", "--port", str(port), *args],
        env=gaze_env(data_dir),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield process, f"http://127.0.0.1:{port}", launched_at
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def first_200(url: str, key: str, since: float, timeout: float = 180) -> float:
    """Seconds from `since` to the first 200 of GET /api/v1/presets (polled every 10 ms)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            answer = httpx.get(f"{url}/api/v1/presets", headers={"X-API-Key": key}, timeout=5)
            if answer.status_code == 200:
                return time.perf_counter() - since
        except httpx.TransportError:
            pass
        time.sleep(0.01)
    raise TimeoutError(f"{url} gave no 200 within {timeout} s")


def measure_start(label: str, data_dir: Path, *args: str, requests: int) -> StartFigures:
    # the key is made first (this creates the database) so the first 200 can be timed
    key = run_gaze(data_dir, "apikey", "regenerate").stdout.strip()
    with launched(data_dir, *args) as (process, url, launched_at):
        seconds = first_200(url, key, launched_at)
        rss = psutil.Process(process.pid)
        started_mb = rss.memory_info().rss / MIB
        with httpx.Client(base_url=url, headers={"X-API-Key": key}, timeout=30) as client:
            for number in range(requests):
                answer = client.get(MIXED_PATHS[number % len(MIXED_PATHS)])
                if answer.status_code >= 500:
                    raise RuntimeError(f"{answer.request.url}: {answer.status_code}")
        after_mb = rss.memory_info().rss / MIB
        torch = torch_mapped(process.pid)
    return StartFigures(label, seconds, started_mb, after_mb, torch)


def measure_jobs(data_dir: Path) -> tuple[float, float, float, float]:
    """The default server's RSS idle, peak during two jobs, after them, and its high-water."""
    server = GazeServer(data_dir)
    server.start()
    try:
        server.regenerate_key()
        time.sleep(2)
        idle = server.memory_mib()
        peak_during = 0.0
        stop = threading.Event()

        def sample() -> None:
            nonlocal peak_during
            while not stop.wait(0.05):
                peak_during = max(peak_during, server.memory_mib())

        sampler = threading.Thread(target=sample)
        sampler.start()
        jobs = server.post("/api/v1/generate/example_01", json={"count": 2, "seed": 5}).json()
        for job in jobs["jobs"]:
            server.wait_for_job(job["job_id"])
        stop.set()
        sampler.join()
        return idle, peak_during, server.memory_mib(), server.memory_mib("VmHWM")
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        rows = [
            measure_start(
                "--no-worker, fresh folder",
                root / "fresh" / "data",
                "--no-worker",
                requests=args.requests,
            ),
            measure_start(
                "--no-worker, gaze init",
                init_data(root / "api" / "data"),
                "--no-worker",
                requests=args.requests,
            ),
            measure_start(
                "default serve, gaze init",
                init_data(root / "default" / "data"),
                requests=args.requests,
            ),
        ]
        idle, peak, after, high_water = measure_jobs(init_data(root / "jobs" / "data"))
    print(
        f"{'process':28} {'first 200':>10} {'RSS start':>10} {'RSS +' + str(args.requests):>10}"
        "  torch loaded"
    )
    for row in rows:
        print(
            f"{row.label:28} {row.first_200_s:9.2f}s {row.rss_started_mb:8.1f}MB "
            f"{row.rss_after_requests_mb:8.1f}MB  {'yes' if row.torch_loaded else 'no'}"
        )
    print(
        f"targets for --no-worker: under {TARGET_RSS_MB:.0f} MB, under "
        f"{TARGET_FIRST_ANSWER_S:.0f} s to the first answer"
    )
    print(f"default serve idle RSS     : {idle:7.1f} MiB")
    print(f"peak RSS during 2 jobs     : {peak:7.1f} MiB")
    print(f"RSS after the jobs         : {after:7.1f} MiB")
    print(f"process high-water mark    : {high_water:7.1f} MiB")
    api_only = rows[1].rss_after_requests_mb
    print(
        f"--no-worker / default after jobs: {api_only:.1f} / {after:.1f} MB "
        f"= {api_only / after:.2f}"
    )


if __name__ == "__main__":
    main()

"""A ComfyUI job straight to the server vs through a running GAZE server, end to end.

Stand-in ComfyUI servers run as their own processes (``python -m tests.comfyui_standin``)
and a real ``gaze serve`` (its own process, ``GAZE_BACKENDS`` = their URLs) sits in front.

1. Latency, ~1 s jobs (20 steps x ``--step-delay`` of sampling), alternating:

   * direct: the very graph GAZE sends for preset ``example_01``, posted to ComfyUI by a
     minimal client with its connections already open (POST /prompt, websocket until
     ``executing: null``, GET /view);
   * GAZE:   the API guide's flow: POST /api/v1/generate/example_01, poll
     GET /api/v1/job/<id> every ``--poll`` seconds until ``done``, GET the image_url.

   Prints both means, the ratio GAZE/direct (target <= 1.05), and the latency from the
   backend's completion (the stand-in's ``execution_success``, read from
   ``/_standin/state``) to the job being ``done`` in GAZE's database (``finished_at``)
   and to the client reading ``done`` (target < 50 ms).

2. Throughput: a burst of ``--burst`` jobs (default 60) through GAZE with three backends
   vs one (GAZE_WORKERS left at its default, one worker thread per backend). Prints the
   speed-up (target >= 2.7x).

    .venv/bin/python bench/comfyui_through_gaze.py [--jobs 10] [--burst 60] [--step-delay 0.05]
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from comfyui_overhead import RawClient

from devkit.server import init_data, run_gaze, running_server
from devkit.standin_process import standin_processes
from gaze.examples import DEMO_CHECKPOINT

PRESET = "example_01"
PRESET_STEPS = 20
"""example_01's sampler steps (its checkpoint's settings): sampling is steps x step delay."""
MAX_COUNT = 20
"""The most images one generate request may ask for."""
STAGES = (
    "POST sent -> job row created",
    "created -> claimed by a worker (queue pickup)",
    "claimed -> ComfyUI starts the prompt",
    "ComfyUI runs it (-> execution_success)",
    "execution_success -> job done (finished_at)",
    "done -> client reads done (polling)",
)


@contextmanager
def gaze_server(data_dir: Path, api_key: str, backends: list[str]) -> Iterator[httpx.Client]:
    """A running `gaze serve` with these backends, and an HTTP client holding the key."""
    env = {"GAZE_BACKENDS": ",".join(backends)}
    with (
        running_server(data_dir, env=env, api_key=api_key) as server,
        httpx.Client(
            base_url=server.url, headers=server.headers, trust_env=False, timeout=30
        ) as client,
    ):
        yield client


def queue(client: httpx.Client, **body: Any) -> list[str]:
    response = client.post(f"/api/v1/generate/{PRESET}", json=body)
    response.raise_for_status()
    return [job["job_id"] for job in response.json()["jobs"]]


def wait_done(client: httpx.Client, job_id: str, poll: float) -> dict[str, Any]:
    while True:
        job: dict[str, Any] = client.get(f"/api/v1/job/{job_id}").json()
        if job["status"] == "done":
            return job
        if job["status"] in ("failed", "cancelled"):
            raise RuntimeError(f"job {job_id} ended {job['status']}: {job['error']}")
        time.sleep(poll)


def through_gaze(client: httpx.Client, seed: int, poll: float) -> tuple[dict[str, Any], float]:
    """The guide's flow for one image; the job and when ``done`` was read (time.time())."""
    [job_id] = queue(client, seed=seed)
    job = wait_done(client, job_id, poll)
    seen_done = time.time()
    client.get(job["result"]["image_url"]).raise_for_status()
    return job, seen_done


def history_by_seed(standin_url: str) -> dict[int, tuple[str, dict[str, Any]]]:
    """seed -> (prompt_id, history entry) of every prompt the stand-in has run."""
    history = httpx.get(f"{standin_url}/history", trust_env=False, timeout=30).json()
    return {
        int(entry["prompt"][2]["3"]["inputs"]["seed"]): (prompt_id, entry)
        for prompt_id, entry in history.items()
    }


def execution_start(entry: dict[str, Any]) -> float:
    """When ComfyUI started the prompt (time.time(), millisecond resolution)."""
    for event, data in entry["status"]["messages"]:
        if event == "execution_start":
            return float(data["timestamp"]) / 1000
    raise ValueError("no execution_start in the history entry")


def unix_time(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def latency(standin_url: str, data_dir: Path, api_key: str, args: argparse.Namespace) -> None:
    direct_times: list[float] = []
    gaze_times: list[float] = []
    gaze_jobs: list[tuple[int, dict[str, Any], float, float]] = []
    with gaze_server(data_dir, api_key, [standin_url]) as client:
        warm_seed = 10**9
        through_gaze(client, warm_seed, args.poll)  # imports, checkpoint "load", lists
        graph = history_by_seed(standin_url)[warm_seed][1]["prompt"][2]
        raw = RawClient(standin_url)
        loop = asyncio.new_event_loop()
        loop.run_until_complete(raw.open())
        try:
            warm_graph = copy.deepcopy(graph)
            warm_graph["3"]["inputs"]["seed"] = warm_seed + 1
            loop.run_until_complete(raw.run(warm_graph))
            for index in range(args.jobs):
                direct_graph = copy.deepcopy(graph)
                direct_graph["3"]["inputs"]["seed"] = 2 * index
                started = time.perf_counter()
                loop.run_until_complete(raw.run(direct_graph))
                direct_times.append(time.perf_counter() - started)

                seed = 2 * index + 1
                posted = time.time()
                started = time.perf_counter()
                job, seen_done = through_gaze(client, seed, args.poll)
                gaze_times.append(time.perf_counter() - started)
                gaze_jobs.append((seed, job, posted, seen_done))
        finally:
            loop.run_until_complete(raw.close())
            loop.close()

    prompts = history_by_seed(standin_url)
    state = httpx.get(f"{standin_url}/_standin/state", trust_env=False, timeout=30).json()
    to_finished: list[float] = []
    to_seen: list[float] = []
    stages: dict[str, list[float]] = {stage: [] for stage in STAGES}
    for seed, job, posted, seen_done in gaze_jobs:
        prompt_id, entry = prompts[seed]
        succeeded = state["succeeded_at_unix"][prompt_id]
        to_finished.append(unix_time(job["finished_at"]) - succeeded)
        to_seen.append(seen_done - succeeded)
        moments = [
            posted,
            unix_time(job["created_at"]),
            unix_time(job["started_at"]),
            execution_start(entry),
            succeeded,
            unix_time(job["finished_at"]),
            seen_done,
        ]
        for stage, begin, end in zip(STAGES, moments[:-1], moments[1:], strict=True):
            stages[stage].append(end - begin)

    direct_mean, gaze_mean = statistics.mean(direct_times), statistics.mean(gaze_times)
    sampling = PRESET_STEPS * args.step_delay
    print(f"latency: {args.jobs} jobs each way, ~{sampling:.2f} s of sampling per job")
    print(
        f"  direct to ComfyUI : mean {direct_mean * 1000:7.1f} ms   "
        f"median {statistics.median(direct_times) * 1000:7.1f} ms"
    )
    print(
        f"  through GAZE      : mean {gaze_mean * 1000:7.1f} ms   "
        f"median {statistics.median(gaze_times) * 1000:7.1f} ms   (poll every "
        f"{args.poll * 1000:.0f} ms)"
    )
    print(f"  ratio GAZE/direct : {gaze_mean / direct_mean:.3f}   (target <= 1.05)")
    print(
        "  backend execution_success -> job done (finished_at): "
        f"mean {statistics.mean(to_finished) * 1000:.1f} ms, max {max(to_finished) * 1000:.1f} ms"
    )
    print(
        "  backend execution_success -> client reads done     : "
        f"mean {statistics.mean(to_seen) * 1000:.1f} ms, max {max(to_seen) * 1000:.1f} ms"
        "   (target < 50 ms)"
    )
    print("  where a GAZE job's time goes (mean ms):")
    for stage, durations in stages.items():
        print(f"    {stage:<44} {statistics.mean(durations) * 1000:7.1f}")


def burst(
    urls: list[str], data_dir: Path, api_key: str, jobs: int, poll: float
) -> tuple[float, Counter[str]]:
    with gaze_server(data_dir, api_key, urls) as client:
        warm = queue(client, count=len(urls), seed=10**9)
        for job_id in warm:
            wait_done(client, job_id, poll)
        started = time.perf_counter()
        job_ids: list[str] = []
        while len(job_ids) < jobs:
            job_ids += queue(client, count=min(MAX_COUNT, jobs - len(job_ids)))
        finished = [wait_done(client, job_id, poll) for job_id in job_ids]
        elapsed = time.perf_counter() - started
    return elapsed, Counter(job["backend"] for job in finished)


def throughput(urls: list[str], data_dir: Path, api_key: str, args: argparse.Namespace) -> None:
    per_job = PRESET_STEPS * args.step_delay
    one_time, _ = burst(urls[:1], data_dir, api_key, args.burst, args.burst_poll)
    three_time, three_done = burst(urls, data_dir, api_key, args.burst, args.burst_poll)
    ideal_one = args.burst * per_job
    print(f"throughput: a burst of {args.burst} jobs through GAZE")
    print(
        f"  1 backend : {one_time:6.2f} s  {args.burst / one_time:5.2f} jobs/s  "
        f"(sampling alone {ideal_one:.2f} s)"
    )
    print(
        f"  3 backends: {three_time:6.2f} s  {args.burst / three_time:5.2f} jobs/s  "
        f"(sampling alone {ideal_one / 3:.2f} s)  jobs per backend: "
        f"{sorted(three_done.values())}"
    )
    print(f"  speed-up  : {one_time / three_time:.2f}x   (target >= 2.7x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=10, help="latency jobs each way")
    parser.add_argument("--burst", type=int, default=60, help="jobs in the throughput burst")
    parser.add_argument("--step-delay", type=float, default=0.05)
    parser.add_argument("--poll", type=float, default=0.01, help="job polling, latency part")
    parser.add_argument("--burst-poll", type=float, default=0.05, help="polling, burst part")
    parser.add_argument("--skip-throughput", action="store_true")
    args = parser.parse_args()

    models = {"checkpoints": [DEMO_CHECKPOINT]}
    with (
        tempfile.TemporaryDirectory() as scratch,
        standin_processes(3, args.step_delay, models) as standins,
    ):
        urls = [standin.url for standin in standins]
        data_dir = init_data(Path(scratch) / "data")
        api_key = run_gaze(data_dir, "apikey", "regenerate").stdout.strip()
        latency(urls[0], data_dir, api_key, args)
        if not args.skip_throughput:
            throughput(urls, data_dir, api_key, args)


if __name__ == "__main__":
    main()

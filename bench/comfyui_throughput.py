"""Throughput of a burst of jobs through BackendPool: 3 ComfyUI stand-ins vs 1.

Each stand-in runs as its own process (``python -m tests.comfyui_standin``), as real
ComfyUI servers would. The same burst (default 60 jobs, each ``--steps`` x
``--step-delay`` of backend work) is pushed by the same number of worker threads calling
``BackendPool.run_with_failover``; only the number of backends changes.

Prints wall time, jobs/s, per-backend job counts and the speed-up (target >= 2.7x).

    .venv/bin/python bench/comfyui_throughput.py [--jobs 60] [--workers 6]
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from devkit.standin_process import standin_processes
from gaze.engines.base import CancelToken
from gaze.engines.comfyui.engine import ComfyUIEngine
from gaze.engines.pool import BackendPool
from gaze.generation_spec import GenerationSpec


def burst(urls: list[str], jobs: int, workers: int, steps: int) -> tuple[float, Counter[str]]:
    engines = [ComfyUIEngine(url) for url in urls]
    done: Counter[str] = Counter()
    lock = threading.Lock()
    next_job = iter(range(jobs))
    errors: list[BaseException] = []

    def worker() -> None:
        while True:
            with lock:
                index = next(next_job, None)
            if index is None:
                return
            spec = GenerationSpec(
                "a lighthouse", "blurry", "sd15/base.safetensors", steps=steps, seed=index
            )
            try:
                result = pool.run_with_failover(spec, lambda _: None, CancelToken())
            except BaseException as error:
                with lock:
                    errors.append(error)
                return
            with lock:
                done[result.backend] += 1

    with BackendPool(engines, health_interval=5) as pool:
        threads = [threading.Thread(target=worker) for _ in range(workers)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
    if errors:
        raise RuntimeError(f"{len(errors)} jobs failed, first: {errors[0]!r}")
    return elapsed, done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=60)
    parser.add_argument("--workers", type=int, default=6)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--step-delay", type=float, default=0.03)
    args = parser.parse_args()

    with standin_processes(3, args.step_delay) as standins:
        urls = [standin.url for standin in standins]
        per_job = args.steps * args.step_delay
        print(
            f"burst of {args.jobs} jobs, {args.workers} worker threads, "
            f"{per_job * 1000:.0f} ms of backend work per job"
        )
        # warm up every backend (checkpoint "load", first PNG encode)
        burst(urls, 3, 3, 1)
        one_time, _ = burst(urls[:1], args.jobs, args.workers, args.steps)
        three_time, three_done = burst(urls, args.jobs, args.workers, args.steps)

    ideal_one = args.jobs * per_job
    print(
        f"1 backend : {one_time:6.2f} s  {args.jobs / one_time:5.2f} jobs/s  "
        f"(backend-bound ideal {ideal_one:.2f} s)"
    )
    print(
        f"3 backends: {three_time:6.2f} s  {args.jobs / three_time:5.2f} jobs/s  "
        f"(ideal {ideal_one / 3:.2f} s)  jobs per backend: {sorted(three_done.values())}"
    )
    print(f"speed-up 3 vs 1: {one_time / three_time:.2f}x   (target >= 2.7x)")


if __name__ == "__main__":
    main()

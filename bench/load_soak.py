"""Load soak: 32 clients polling jobs plus bursts of 20-image generations, for 5 minutes.

Prints the number of requests, 5xx responses (target zero), polling p50/p99 latency, and the
server's RSS before and after (memory should stay flat).

    .venv/bin/python bench/load_soak.py [--seconds 300] [--clients 32] [--burst-every 20]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from devkit.server import GazeServer, init_data, running_server


async def soak(server: GazeServer, seconds: float, clients: int, burst_every: float) -> None:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    job_ids: list[str] = []
    deadline = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=clients + 4)
    async with httpx.AsyncClient(
        base_url=server.url, headers=server.headers, timeout=30, limits=limits
    ) as client:

        async def burst() -> None:
            while time.monotonic() < deadline:
                response = await client.post(
                    "/api/v1/generate/example_01", json={"count": 20, "width": 64, "height": 64}
                )
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                if response.status_code == 202:
                    job_ids.extend(job["job_id"] for job in response.json()["jobs"])
                await asyncio.sleep(burst_every)

        async def poll(index: int) -> None:
            while not job_ids:
                await asyncio.sleep(0.05)
            while time.monotonic() < deadline:
                job_id = job_ids[(index * 7919 + len(latencies)) % len(job_ids)]
                started = time.perf_counter()
                response = await client.get(f"/api/v1/job/{job_id}")
                latencies.append(time.perf_counter() - started)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

        await asyncio.gather(burst(), *(poll(index) for index in range(clients)))
    latencies.sort()
    errors = sum(count for status, count in statuses.items() if status >= 500)
    print(f"requests: {sum(statuses.values())}  by status: {dict(sorted(statuses.items()))}")
    print(f"5xx responses: {errors}  (target 0)")
    print(
        f"polling latency: p50 {statistics.median(latencies) * 1000:.1f} ms  "
        f"p99 {latencies[int(len(latencies) * 0.99)] * 1000:.1f} ms  over {len(latencies)} polls"
    )
    print(f"jobs queued: {len(job_ids)}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--burst-every", type=float, default=20)
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_server(init_data(Path(tmp) / "data")) as server,
    ):
        server.generate_and_wait(width=64, height=64)
        before = server.memory_mib()
        asyncio.run(soak(server, args.seconds, args.clients, args.burst_every))
        after = server.memory_mib()
    print(f"server RSS: before {before:.0f} MiB, after {after:.0f} MiB ({after - before:+.0f} MiB)")


if __name__ == "__main__":
    main()

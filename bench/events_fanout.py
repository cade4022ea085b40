"""Event fan-out: 200 SSE clients watching one 20-image batch; delivery latency.

A real `gaze serve` (embedded engine) renders the batch while the clients, all in this
process on raw asyncio sockets, follow `GET /api/v1/events?batch=<id>`. Each client joins
with the `Last-Event-ID` of the moment before the batch was queued, so none misses an
event. Latency is the time from an event's `created_at` (written by the server as it
records the event) to its arrival at a client; only events recorded from one second after
the last client connected count (by then every client has replayed what it missed).
Target: p99 under 100 ms.

`--scale-out` measures across processes instead: PostgreSQL + Redis, an API process
(`gaze serve --no-worker`) whose clients wait, and a `gaze worker` process in front of a ComfyUI
stand-in that records the events, which reach the API process by LISTEN/NOTIFY.

    .venv/bin/python bench/events_fanout.py [--clients 200] [--count 20] [--size 128]
    .venv/bin/python bench/events_fanout.py --scale-out [--step-delay 0.02]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from devkit.cluster import open_cluster
from devkit.server import GazeServer, init_data, running_server
from devkit.standin_process import standin_processes
from gaze.examples import DEMO_CHECKPOINT

SETTLE_SECONDS = 1.0


def event_time(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


class Client:
    def __init__(self) -> None:
        self.deliveries: list[tuple[float, float]] = []
        """(recorded at, arrived at) of every event."""
        self.event_ids: list[int] = []
        self.connected_at = 0.0
        self.done = 0


async def follow(
    client: Client, port: int, path: str, key: str, jobs: int, ready: asyncio.Event
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=2**20)
    writer.write(
        # HTTP/1.0: the stream comes unchunked and ends with the connection
        f"GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nX-API-Key: {key}\r\n"
        "Accept: text/event-stream\r\n\r\n".encode()
    )
    await writer.drain()
    await reader.readuntil(b"\r\n\r\n")  # status line and headers
    client.connected_at = time.time()
    ready.set()
    buffer = b""
    try:
        while client.done < jobs:
            chunk = await reader.read(65536)
            if not chunk:
                return
            arrived = time.time()
            buffer += chunk
            *frames, buffer = buffer.split(b"\n\n")
            for frame in frames:
                for line in frame.split(b"\n"):
                    if line.startswith(b"data: "):
                        data = json.loads(line[6:])
                        if "type" not in data:
                            continue  # the snapshot
                        client.event_ids.append(data["id"])
                        client.deliveries.append((event_time(data["created_at"]), arrived))
                        if data["type"] in ("job.done", "job.failed", "job.cancelled"):
                            client.done += 1
    finally:
        writer.close()


def head_event_id(server: GazeServer) -> int:
    """The id of the newest event, from the snapshot of a short-lived connection."""
    with httpx.stream(
        "GET", f"{server.url}/api/v1/events", headers=server.headers, timeout=30
    ) as response:
        for line in response.iter_lines():
            if line.startswith("id: "):
                return int(line[4:])
            if line.startswith("data: "):
                return 0
    return 0


async def run(server: GazeServer, clients: int, count: int, size: int) -> list[Client]:
    head = head_event_id(server)
    answer = server.post(
        "/api/v1/generate/example_01", json={"count": count, "width": size, "height": size}
    ).json()
    path = f"/api/v1/events?batch={answer['batch_id']}&last_event_id={head}"
    watchers = [Client() for _ in range(clients)]
    readies = [asyncio.Event() for _ in watchers]
    tasks = [
        asyncio.create_task(follow(client, server.port, path, server.api_key, count, ready))
        for client, ready in zip(watchers, readies, strict=True)
    ]
    await asyncio.wait_for(asyncio.gather(*(ready.wait() for ready in readies)), 120)
    await asyncio.wait_for(asyncio.gather(*tasks), 900)
    return watchers


def embedded(args: argparse.Namespace) -> tuple[list[Client], float]:
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_server(init_data(Path(tmp) / "data")) as server,
    ):
        # one image first, so that the model is loaded before the clock starts
        server.generate_and_wait(width=64, height=64)
        started = time.monotonic()
        watchers = asyncio.run(run(server, args.clients, args.count, args.size))
        return watchers, time.monotonic() - started


def scale_out(args: argparse.Namespace) -> tuple[list[Client], float]:
    models = {"checkpoints": [DEMO_CHECKPOINT]}
    with (
        tempfile.TemporaryDirectory() as tmp,
        standin_processes(1, args.step_delay, models) as standins,
        open_cluster(Path(tmp), standins) as cluster,
    ):
        api = cluster.start_api()
        cluster.start_worker(standins[0].url)
        warm_up = api.post("/api/v1/generate/example_01", json={"width": 64, "height": 64})
        api.wait_for_job(warm_up.json()["jobs"][0]["job_id"])
        started = time.monotonic()
        watchers = asyncio.run(run(api, args.clients, args.count, args.size))
        return watchers, time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--size", type=int, default=128, help="image width and height")
    parser.add_argument(
        "--scale-out",
        action="store_true",
        help="PostgreSQL + Redis, events from a worker process to an API process",
    )
    parser.add_argument(
        "--step-delay", type=float, default=0.02, help="stand-in seconds per step (scale-out)"
    )
    args = parser.parse_args()
    watchers, elapsed = scale_out(args) if args.scale_out else embedded(args)
    settled = max(client.connected_at for client in watchers) + SETTLE_SECONDS
    latencies = sorted(
        (arrived - recorded) * 1000
        for client in watchers
        for recorded, arrived in client.deliveries
        if recorded >= settled
    )
    per_client = {len(client.event_ids) for client in watchers}
    gapless = (
        all(client.event_ids == sorted(set(client.event_ids)) for client in watchers)
        and len({tuple(client.event_ids) for client in watchers}) == 1
    )
    p = statistics.quantiles(latencies, n=100)
    mode = "scale-out (PostgreSQL, worker process)" if args.scale_out else "embedded"
    print(
        f"{mode}: {args.clients} clients, batch of {args.count} images at {args.size} px, "
        f"{elapsed:.1f} s"
    )
    print(f"events per client: {sorted(per_client)}; same events, in order, for all: {gapless}")
    print(f"deliveries measured: {len(latencies)}")
    print(
        f"delivery latency ms: p50 {p[49]:6.1f}  p95 {p[94]:6.1f}  p99 {p[98]:6.1f}  "
        f"max {latencies[-1]:6.1f}  (target p99 < 100)"
    )


if __name__ == "__main__":
    main()
